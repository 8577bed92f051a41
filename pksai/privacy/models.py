"""Data protection records (UU 27/2022 on Personal Data Protection, "UU PDP"): the consent
ledger and the legal grounds a disclosure may rest on instead, the record of every disclosure
of identifying data to another organisation, requests from data subjects with their deadlines,
and the breach register with its notification steps. Written only through services.py.

Every record carries the area it belongs to (the child's village, the request's or the breach's
area) so the one scope filter (accounts.scoping) applies without a join. Records that are
edited carry a ``version`` (optimistic locking).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

User = settings.AUTH_USER_MODEL


class Purpose(models.Model):
    """What identifying data may be shared for (data officials keep the list). The codes
    ``referral`` and ``transfer`` are the ones the referral services ask for."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_id = models.CharField(_("name (Bahasa Indonesia)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("purpose of sharing")
        verbose_name_plural = _("purposes of sharing")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if get_language() == "en" and self.name_en:
            return self.name_en
        return self.name_id


class Relationship(models.TextChoices):
    CHILD = "child", _("the child")
    MOTHER = "mother", _("mother")
    FATHER = "father", _("father")
    GUARDIAN = "guardian", _("legal guardian")
    CAREGIVER = "caregiver", _("caregiver")
    OTHER = "other", _("other family member")


class Consent(models.Model):
    """One consent given for one purpose about one child (UU PDP Art. 20(2)(a) and, for a
    child, Art. 25: given by a parent or guardian; the child's own agreement is recorded too).
    Never edited: a withdrawal closes it (when, by whom, why); a new consent is a new row."""

    person = models.ForeignKey(
        "registry.Person", verbose_name=_("child"), on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    purpose = models.ForeignKey(Purpose, verbose_name=_("purpose"), on_delete=models.PROTECT)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("only for this receiver"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    given_by_name = models.CharField(_("given by"), max_length=200)
    relationship = models.CharField(
        _("relationship to the child"), max_length=12, choices=Relationship.choices
    )
    given_at = models.DateTimeField(_("given at"))
    how = models.CharField(_("how it was given"), max_length=200, blank=True)
    expires_on = models.DateField(_("valid until"), null=True, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by_name = models.CharField(_("withdrawn by"), max_length=200, blank=True)
    withdrawal_reason = models.CharField(_("reason for the withdrawal"), max_length=500, blank=True)
    withdrawal_recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at", "-pk"]
        indexes = [models.Index(fields=["person", "purpose"], name="consent_person_purpose")]

    def __str__(self) -> str:
        return f"{self.purpose} — {self.given_by_name}"

    def is_active(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.withdrawn_at is None and (self.expires_on is None or self.expires_on >= today)


class LegalBasis(models.TextChoices):
    """Grounds other than consent on which identifying data may be shared (UU PDP Art. 20(2)
    c–e; the child-protection duties of UU 23/2002 as amended by UU 35/2014)."""

    CHILD_PROTECTION = (
        "child_protection",
        _(
            "child protection emergency (UU 35/2014 Child Protection, Art. 59 and 59A: special "
            "protection, immediate handling)"
        ),
    )
    VITAL_INTEREST = (
        "vital_interest",
        _("protecting the child's vital interests (UU PDP Art. 20(2)(d))"),
    )
    LEGAL_OBLIGATION = (
        "legal_obligation",
        _("a legal obligation of the controller (UU PDP Art. 20(2)(c))"),
    )
    PUBLIC_TASK = (
        "public_task",
        _("a public task or authority under the law (UU PDP Art. 20(2)(e))"),
    )


class LegalGround(models.Model):
    """A recorded legal ground for sharing a case's identifying data for a purpose without
    consent (a supervisor's decision, with the facts that justify it). Ends when it no longer
    applies; the receiver sees which ground a disclosure rested on."""

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    purpose = models.ForeignKey(Purpose, verbose_name=_("purpose"), on_delete=models.PROTECT)
    basis = models.CharField(_("legal ground"), max_length=20, choices=LegalBasis.choices)
    explanation = models.TextField(_("why it applies"))
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("legal ground")
        verbose_name_plural = _("legal grounds")
        ordering = ["-recorded_at", "-pk"]

    def __str__(self) -> str:
        return self.get_basis_display()


class Disclosure(models.Model):
    """One sending of a child's identifying data to another organisation (a referral or a
    transfer): what was shared and on which consent or legal ground (the receiver sees it)."""

    referral = models.OneToOneField(
        "referrals.Referral", on_delete=models.PROTECT, related_name="disclosure"
    )
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    fields = models.JSONField(_("identifying information shared"), default=list)
    consent = models.ForeignKey(
        Consent, null=True, blank=True, on_delete=models.PROTECT, related_name="disclosures"
    )
    legal_ground = models.ForeignKey(
        LegalGround, null=True, blank=True, on_delete=models.PROTECT, related_name="disclosures"
    )
    disclosed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    disclosed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")
        ordering = ["-disclosed_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(consent__isnull=False) | models.Q(legal_ground__isnull=False),
                name="disclosure_has_a_basis",
            )
        ]

    def __str__(self) -> str:
        return f"{self.referral_id} → {self.organisation_id}"


# --- requests from data subjects ------------------------------------------------------------


class RequestKind(models.TextChoices):
    ACCESS = "access", _("access to the data held")
    CORRECTION = "correction", _("correction of the data")
    DELETION = "deletion", _("deletion or objection to processing")


class RequestRule(models.Model):
    """How long PKSAI has to answer a kind of request (data; a change is a new row with a later
    valid-from date: requests received before it keep their deadline)."""

    kind = models.CharField(_("kind of request"), max_length=12, choices=RequestKind.choices)
    hours = models.PositiveIntegerField(_("hours to answer"))
    legal_reference = models.CharField(_("legal reference"), max_length=200, blank=True)
    valid_from = models.DateField(_("valid from"))

    class Meta:
        verbose_name = _("request deadline rule")
        verbose_name_plural = _("request deadline rules")
        ordering = ["kind", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "valid_from"], name="requestrule_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.hours} h"


class SubjectRequest(models.Model):
    class Channel(models.TextChoices):
        IN_PERSON = "in_person", _("in person")
        LETTER = "letter", _("letter")
        EMAIL = "email", _("e-mail")
        PHONE = "phone", _("phone")
        COMPLAINT = "complaint", _("through a complaint")

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("answered")
        REFUSED = "refused", _("refused")

    OPEN = (Status.RECEIVED, Status.IN_PROGRESS)

    number = models.CharField(_("number"), max_length=24, unique=True)
    kind = models.CharField(_("kind of request"), max_length=12, choices=RequestKind.choices)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("person concerned"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requester_name = models.CharField(_("requester"), max_length=200)
    requester_relationship = models.CharField(
        _("requester's relationship to the person"), max_length=12, choices=Relationship.choices
    )
    requester_contact = models.CharField(_("how to reach the requester"), max_length=200)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    details = models.TextField(_("what is asked"))
    received_at = models.DateTimeField(_("received at"))
    due_at = models.DateTimeField(_("answer due"))
    rule = models.ForeignKey(RequestRule, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    decision = models.TextField(_("answer given"), blank=True)
    refusal_ground = models.CharField(_("ground for refusing"), max_length=300, blank=True)
    handled_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reminded_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("request from a data subject")
        verbose_name_plural = _("requests from data subjects")
        ordering = ["due_at", "pk"]
        permissions = [
            ("export_subjectrequest", _("Can export what PKSAI holds on a person")),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()


# --- breaches -----------------------------------------------------------------------------


class Breach(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    number = models.CharField(_("number"), max_length=24, unique=True)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    discovered_at = models.DateTimeField(_("discovered at"))
    discovered_by = models.CharField(_("discovered by"), max_length=200)
    what_happened = models.TextField(_("what happened"))
    data_kinds = models.CharField(_("kinds of personal data concerned"), max_length=500)
    people_affected = models.PositiveIntegerField(_("number of people affected"))
    containment = models.TextField(_("containment and recovery"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("data breach")
        verbose_name_plural = _("data breaches")
        ordering = ["-discovered_at", "-pk"]

    def __str__(self) -> str:
        return self.number


class BreachNotice(models.Model):
    """One notification step of a breach (UU PDP Art. 46): to the data subjects and to the
    agency within 3 × 24 hours; to the public where required."""

    class Kind(models.TextChoices):
        SUBJECTS = "subjects", _("written notice to the people affected")
        AGENCY = "agency", _("written notice to the data protection agency (Lembaga PDP)")
        PUBLIC = "public", _("notice to the public (where required)")

    class Status(models.TextChoices):
        PENDING = "pending", _("to do")
        DONE = "done", _("done")
        NOT_REQUIRED = "not_required", _("not required")

    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(_("step"), max_length=10, choices=Kind.choices)
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(
        _("status"), max_length=14, choices=Status.choices, default=Status.PENDING
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("how and to whom"), blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("breach notification step")
        verbose_name_plural = _("breach notification steps")
        ordering = ["breach", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["breach", "kind"], name="breachnotice_unique")
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.PENDING and self.due_at < timezone.now()


class PrivacyCounter(models.Model):
    """The last number given per kind (request/breach) and year (row locked while counting)."""

    kind = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="privacycounter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"
