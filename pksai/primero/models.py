"""Links between PKSAI cases and Primero v2 cases, the editable field mapping, and every
transfer in either direction (decision 0038). Written only through services.py."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

User = settings.AUTH_USER_MODEL


class Mapping(models.Model):
    """A version of the field mapping (the JSON of ``data/default_mapping.json``), edited by
    an administrator without code. The newest active version is used; with none, the shipped
    file is (named ``shipped-<hash>``)."""

    content = models.JSONField(_("mapping"))
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("Primero mapping")
        verbose_name_plural = _("Primero mappings")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"v{self.pk}"


class CaseLink(models.Model):
    """A PKSAI case and the Primero case it is exchanged with (one each)."""

    case = models.OneToOneField(
        "cases.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="primero"
    )
    primero_id = models.CharField(_("Primero id"), max_length=64, unique=True)
    short_id = models.CharField(_("Primero short id"), max_length=20, blank=True)
    exported_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    imported_at = models.DateTimeField(_("last imported"), null=True, blank=True)

    class Meta:
        verbose_name = _("Primero case link")
        verbose_name_plural = _("Primero case links")

    def __str__(self) -> str:
        return f"{self.case_id} ↔ {self.short_id or self.primero_id}"


class ItemLink(models.Model):
    """A subform entry of a Primero case (its ``unique_id``) and the PKSAI row it is:
    an assessment, a plan action or a referral. A re-import updates, never duplicates."""

    class Kind(models.TextChoices):
        ASSESSMENT = "assessment", _("assessment")
        PLAN_ACTION = "plan_action", _("plan action")
        REFERRAL = "referral", _("referral")

    link = models.ForeignKey(CaseLink, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    unique_id = models.CharField(max_length=64)
    object_id = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["link", "unique_id"], name="primero_item_unique"),
            models.UniqueConstraint(
                fields=["link", "kind", "object_id"], name="primero_item_object_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} ↔ {self.unique_id}"


class Transfer(models.Model):
    """One exchange with Primero: what, which way, under which mapping version and which
    legal basis, and how it ended."""

    class Direction(models.TextChoices):
        EXPORT = "export", _("sent to Primero")
        IMPORT = "import", _("imported from Primero")

    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    primero_id = models.CharField(_("Primero id"), max_length=64, blank=True)
    mapping_version = models.CharField(_("mapping version"), max_length=40)
    consent = models.ForeignKey(
        "privacy.Consent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    legal_ground = models.ForeignKey(
        "privacy.LegalGround", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fields = models.JSONField(_("fields sent or received"), default=list)
    at = models.DateTimeField(_("when"), auto_now_add=True)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("Primero transfer")
        verbose_name_plural = _("Primero transfers")
        ordering = ["-at", "-pk"]
        permissions = [
            ("export_case", "Can send cases to Primero"),
            ("import_case", "Can import cases from Primero"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.case_id} {self.at:%Y-%m-%d}"
