"""The field app's server side (issue 19, decision 0031): the client ids that make a retried
create idempotent, the conflict inbox of field-level merges, and resumable uploads."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pksai.core.fields import EncryptedJSONField

User = settings.AUTH_USER_MODEL


class ClientRecord(models.Model):
    """A record created from a device under the device's own id: the same ``client_id`` sent
    again (a retry after a lost answer) finds this row and returns the same record. Written in
    the same transaction as the record; the unique key makes two concurrent retries create one
    record."""

    client_id = models.UUIDField(unique=True)
    kind = models.CharField(max_length=30)
    object_id = models.PositiveBigIntegerField(null=True)  # set once the record exists
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("client id")
        verbose_name_plural = _("client ids")
        indexes = [models.Index(fields=["kind", "object_id"], name="client_record_object")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} ({self.client_id})"


class FieldConflict(models.Model):
    """A change from a device to a field someone else changed meanwhile: not applied, kept
    here with the three values (as loaded, as it is now, as proposed) until the worker or her
    supervisor chooses. The values may be personal data: sealed (decision 0024)."""

    class Choice(models.TextChoices):
        MINE = "mine", _("my change")
        THEIRS = "theirs", _("the saved value")
        EDIT = "edit", _("a new value")

    kind = models.CharField(_("kind of record"), max_length=30)
    object_id = models.PositiveBigIntegerField()
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    field = models.CharField(_("field"), max_length=60)
    base = EncryptedJSONField(_("value when loaded"), null=True)
    theirs = EncryptedJSONField(_("saved value"), null=True)
    mine = EncryptedJSONField(_("proposed value"), null=True)
    base_version = models.PositiveIntegerField()
    seen_version = models.PositiveIntegerField()  # the record's version when it was refused
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    choice = models.CharField(max_length=6, choices=Choice.choices, blank=True)

    class Meta:
        verbose_name = _("field conflict")
        verbose_name_plural = _("field conflicts")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["by", "resolved_at"], name="conflict_by_open"),
            models.Index(fields=["kind", "object_id"], name="conflict_record"),
            models.Index(
                fields=["area"], name="conflict_area_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}.{self.field}"


class FieldUpload(models.Model):
    """A resumable upload of an attachment (tus-like): created with the size, name, type and
    SHA-256 the device computed; chunks are appended at the offset the server reports; the
    last chunk is verified and becomes a case Attachment. Incomplete uploads older than
    PKSAI_FIELD_UPLOAD_HOURS are removed by ``pksai field-cleanup`` (and the scheduler)."""

    client_id = models.UUIDField(unique=True)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10)
    title = models.CharField(max_length=200, blank=True)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    offset = models.PositiveIntegerField(default=0)
    stored_name = models.CharField(max_length=100, unique=True)  # the partial file
    attachment = models.ForeignKey(
        "cases.Attachment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("upload")
        verbose_name_plural = _("uploads")
        indexes = [models.Index(fields=["attachment", "updated_at"], name="upload_stale")]

    def __str__(self) -> str:
        return f"upload {self.pk} ({self.offset}/{self.size})"
