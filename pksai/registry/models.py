"""Households and people from social-registry extracts (BDT/DTKS and other sources).

Rows are written only by the vectorised importer (services.py), never one by one.
Each row keeps where it came from (source, edition, batch, row number) and its data-quality
flags. A source (DTKS, school data, case intake, ...) has editions; the newest edition of a
source is current for the regencies it covers, and rows missing from it are kept but marked
"not in the current registry" (``in_registry``). Rows of every source that are the same human
share one ``Identity`` (linkage: docs/linkage.md); the identity's ``primary`` row is the one
its attributes are taken from (survivorship rules in docs/linkage.md).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pksai.core import crypto
from pksai.core.fields import EncryptedCharField
from pksai.registry.codes import COLUMN_BY_NAME


def _choices(column: str) -> list[tuple[str, str]]:
    return [(c, c) for c in COLUMN_BY_NAME[column].codes]


class Source(models.Model):
    """Where registry rows come from. ``rank`` orders sources for survivorship: the lowest rank
    (official registries) gives an identity its attributes; case intake never overwrites."""

    class Kind(models.TextChoices):
        OFFICIAL = "official", _("official social registry (DTKS/DTSEN)")
        SCHOOL = "school", _("school data")
        CASE_INTAKE = "case_intake", _("case intake")
        PROPOSAL = "proposal", _("institution proposals (LKSA)")
        OTHER = "other", _("other")

    RANKS = {"official": 1, "school": 2, "proposal": 3, "other": 4, "case_intake": 5}

    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OFFICIAL)
    rank = models.PositiveSmallIntegerField(_("survivorship rank"), default=1)
    current_edition = models.CharField(_("current edition"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("registry source")
        verbose_name_plural = _("registry sources")
        ordering = ["rank", "code"]

    def __str__(self) -> str:
        return self.name or self.code


class ImportBatch(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    source = models.CharField(_("source"), max_length=50)
    edition = models.CharField(_("edition"), max_length=30, blank=True)
    # Regencies the file covers (codes): rows of the source in them that the file lacks are
    # retired when this is the newest edition.
    coverage = models.JSONField(_("regencies covered"), default=list, blank=True)
    retired = models.PositiveIntegerField(_("no longer in the registry"), default=0)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    # The process running the import and when it last reported: a batch whose process is gone
    # is not left "running" (services.recover_stale_batches).
    worker_pid = models.PositiveIntegerField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # A large file is written in parts of whole households, each in its own transaction:
    # how many parts, how many are written and the rows they wrote (created or updated). A
    # batch stopped half-way says so; importing the same file again resumes it and, once
    # finished, takes its rows over (``finished_by``).
    chunks = models.PositiveIntegerField(_("parts"), default=0)
    chunks_done = models.PositiveIntegerField(_("parts written"), default=0)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    finished_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("finished by"),
    )

    class Scoring(models.TextChoices):
        NONE = "", _("not needed")
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("scoring")
        DONE = "done", _("scored")
        FAILED = "failed", _("failed")

    scoring = models.CharField(_("scoring"), max_length=10, choices=Scoring.choices, blank=True)
    scored = models.PositiveIntegerField(_("people scored"), default=0)
    file_name = models.CharField(_("file"), max_length=300)
    file_sha256 = models.CharField(max_length=64)
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The smallest area holding every row of the file (the regencies it covers), or the
    # importing user's area while the file is not read yet; empty when it spans provinces.
    # Regional data officers see the batches inside their scope (registry.selectors).
    area = models.ForeignKey(
        "areas.Area",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    rows_read = models.PositiveIntegerField(_("read"), default=0)
    rows_accepted = models.PositiveIntegerField(_("accepted"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rejected"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    message = models.TextField(_("message"), blank=True)
    error_report = models.CharField(_("error report"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("registry import")
        verbose_name_plural = _("registry imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.source}: {self.file_name} ({self.get_status_display()})"

    def summary(self) -> dict[str, int]:
        return {
            "read": self.rows_read,
            "accepted": self.rows_accepted,
            "rejected": self.rows_rejected,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "retired": self.retired,
        }


class Identity(models.Model):
    """One human across source rows and editions. ``primary`` is the row that gives the
    identity its attributes (survivorship): the current row of the best-ranked source, newest
    edition first. Links and unlinks are audited and reversible (LinkDecision)."""

    primary = models.ForeignKey(
        "Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    in_registry = models.BooleanField(_("in the current registry"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("person identity")
        verbose_name_plural = _("person identities")

    def __str__(self) -> str:
        return f"#{self.pk}"


class Household(models.Model):
    source = models.CharField(_("source"), max_length=50)
    registry_id = models.CharField(_("registry id"), max_length=50)
    kk_number = models.CharField(_("family card number"), max_length=16, blank=True)
    village = models.ForeignKey(
        "areas.Area", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    welfare_decile = models.PositiveSmallIntegerField(_("welfare decile"), null=True, blank=True)
    floor_type = models.CharField(max_length=20, blank=True, choices=_choices("floor_type"))
    wall_type = models.CharField(max_length=20, blank=True, choices=_choices("wall_type"))
    roof_type = models.CharField(max_length=20, blank=True, choices=_choices("roof_type"))
    water_source = models.CharField(max_length=30, blank=True, choices=_choices("water_source"))
    toilet = models.CharField(max_length=20, blank=True, choices=_choices("toilet"))
    lighting = models.CharField(max_length=20, blank=True, choices=_choices("lighting"))
    cooking_fuel = models.CharField(max_length=20, blank=True, choices=_choices("cooking_fuel"))
    has_refrigerator = models.BooleanField(null=True, blank=True)
    has_motorcycle = models.BooleanField(null=True, blank=True)
    has_car = models.BooleanField(null=True, blank=True)
    has_land = models.BooleanField(null=True, blank=True)
    meals_per_day = models.PositiveSmallIntegerField(null=True, blank=True)
    protein_days_per_week = models.PositiveSmallIntegerField(null=True, blank=True)
    clothes_pairs = models.PositiveSmallIntegerField(null=True, blank=True)
    proper_sleeping_place = models.BooleanField(null=True, blank=True)
    health_access = models.BooleanField(null=True, blank=True)
    # provenance
    # Provenance only, written by the import in bulk: no database constraint (checking it cost
    # a lookup and a row lock per row written; decision 0022). Deleting a batch through Django
    # still clears it (SET_NULL is Django's).
    batch = models.ForeignKey(
        ImportBatch,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    source_row = models.PositiveIntegerField(_("row in file"), null=True)
    row_hash = models.CharField(max_length=16, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.UniqueConstraint(fields=["source", "registry_id"], name="household_source_key")
        ]
        indexes = [
            models.Index(
                fields=["village"],
                name="household_village_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}/{self.registry_id}"


class Person(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    identity = models.ForeignKey(
        Identity, null=True, blank=True, on_delete=models.SET_NULL, related_name="rows"
    )
    edition = models.CharField(_("edition"), max_length=30, blank=True)
    in_registry = models.BooleanField(_("in the current registry"), default=True)
    retired_edition = models.CharField(
        _("not in the registry since edition"), max_length=30, blank=True
    )
    source = models.CharField(_("source"), max_length=50)
    household_key = models.CharField(max_length=50)
    person_key = models.CharField(_("member id"), max_length=50)
    # The village again, so that scoping a person needs no join.
    village = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    # Sealed (decision 0024); every exact lookup, duplicate check and linkage by NIK uses the
    # keyed hash (``pksai.registry.selectors.nik_q``), kept beside it by every writer.
    nik = EncryptedCharField(_("NIK"), max_length=16, blank=True)
    nik_hash = models.CharField(max_length=32, blank=True, editable=False)  # indexed below
    name = models.CharField(_("name"), max_length=200)
    sex = models.CharField(_("sex"), max_length=1, choices=[("M", _("male")), ("F", _("female"))])
    birth_date = models.DateField(_("birth date"))
    relationship = models.CharField(
        _("relationship to head"), max_length=20, choices=_choices("relationship")
    )
    school_participation = models.CharField(
        max_length=20, blank=True, choices=_choices("school_participation")
    )
    school_level = models.CharField(max_length=10, blank=True, choices=_choices("school_level"))
    disability_type = models.CharField(
        max_length=20, blank=True, choices=_choices("disability_type")
    )
    disability_severity = models.CharField(
        max_length=10, blank=True, choices=_choices("disability_severity")
    )
    chronic_illness = models.BooleanField(null=True, blank=True)
    work_status = models.CharField(max_length=20, blank=True, choices=_choices("work_status"))
    birth_certificate = models.BooleanField(null=True, blank=True)
    orphanhood = models.CharField(max_length=10, blank=True, choices=_choices("orphanhood"))
    other_programs = models.CharField(max_length=100, blank=True, help_text="';'-separated codes")
    # provenance and quality
    # Provenance only, written by the import in bulk: no database constraint (checking it cost
    # a lookup and a row lock per row written; decision 0022). Deleting a batch through Django
    # still clears it (SET_NULL is Django's).
    batch = models.ForeignKey(
        ImportBatch,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    source_row = models.PositiveIntegerField(_("row in file"), null=True)
    dq_flags = models.CharField(_("data-quality flags"), max_length=200, blank=True)
    row_hash = models.CharField(max_length=16, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "household_key", "person_key"], name="person_source_key"
            )
        ]
        indexes = [
            models.Index(
                fields=["village"], name="person_village_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["birth_date"], name="person_birth_date"),
            models.Index(fields=["identity"], name="person_identity"),
            models.Index(fields=["nik_hash"], name="person_nik_hash"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        """The keyed NIK hash follows the NIK (bulk writers compute it with the column:
        ``core.fields.seal_frame``)."""
        self.nik_hash = crypto.nik_hash(self.nik)
        fields = kwargs.get("update_fields")
        if fields is not None and "nik" in fields:
            kwargs["update_fields"] = {*fields, "nik_hash"}
        super().save(*args, **kwargs)


class LinkCandidate(models.Model):
    """A pair of rows that may be the same human: waiting for a data officer (between the
    two thresholds), or decided. Decisions are audited and can be reversed."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for review")
        LINKED = "linked", _("linked")
        APART = "apart", _("kept apart")

    left = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    right = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(_("method"), max_length=20)
    probability = models.FloatField(_("match probability"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    batch = models.ForeignKey(ImportBatch, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    village = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("possible match")
        verbose_name_plural = _("possible matches")
        constraints = [
            models.UniqueConstraint(fields=["left", "right"], name="linkcandidate_pair"),
        ]
        indexes = [models.Index(fields=["status", "village"], name="linkcandidate_queue")]

    def __str__(self) -> str:
        return f"{self.left_id}~{self.right_id} ({self.status})"
