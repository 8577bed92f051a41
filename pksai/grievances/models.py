"""Complaints and grievance redress. Written only through services.py.

A complaint comes from the public web form (no account), from staff (phone, SMS, walk-in,
e-mail, letter) or from a facilitator's visit; anonymous complaints are allowed. It gets a
tracking code that shows its status and public resolution — never any personal data. It is
handled at a level (district → province → ministry): when it passes its SLA it escalates one
level; a complaint about the district's own staff starts at the province. Misconduct and
deductions by intermediaries go to a restricted queue. The resolution and remedy go back to the
complainant (status page and a notifier), who may rate them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pksai.core.fields import EncryptedCharField, EncryptedTextField

User = settings.AUTH_USER_MODEL


class Category(models.TextChoices):
    EXCLUSION = "exclusion", _("eligible but not receiving (exclusion)")
    MISTARGETING = "mistargeting", _("receiving but not eligible (mistargeting)")
    PAYMENT_LATE = "payment_late", _("late or missing payment")
    WRONG_AMOUNT = "wrong_amount", _("wrong amount")
    DEDUCTION = "deduction", _("deductions or funds taken by intermediaries")
    SERVICE_QUALITY = "service_quality", _("quality of a service")
    MISCONDUCT = "misconduct", _("misconduct by staff or a facilitator")
    DATA_CORRECTION = "data_correction", _("data correction")
    CHILD_PROTECTION = "child_protection", _("a child at risk (child protection)")
    OTHER = "other", _("other")


# Go to the restricted queue: only complaint officers (inspectorate) see them.
RESTRICTED_CATEGORIES = frozenset({Category.MISCONDUCT, Category.DEDUCTION})


class Channel(models.TextChoices):
    WEB = "web", _("public web form")
    PHONE = "phone", _("phone")
    SMS = "sms", _("SMS")
    WALK_IN = "walk_in", _("walk-in")
    EMAIL = "email", _("e-mail or fax")
    LETTER = "letter", _("letter")
    FACILITATOR = "facilitator", _("facilitator's visit")


class Priority(models.TextChoices):
    NORMAL = "normal", _("normal")
    HIGH = "high", _("high")
    URGENT = "urgent", _("urgent")


class Level(models.IntegerChoices):
    DISTRICT = 1, _("district")
    PROVINCE = 2, _("province")
    MINISTRY = 3, _("ministry")


class Status(models.TextChoices):
    RECEIVED = "received", _("received")
    ASSIGNED = "assigned", _("assigned")
    INVESTIGATING = "investigating", _("being investigated")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")


OPEN_STATUSES = (Status.RECEIVED, Status.ASSIGNED, Status.INVESTIGATING)


class ComplaintSla(models.Model):
    """How many days a level has to resolve a complaint of a category and priority, valid
    from a date (a change is a new row): data officials change, not code."""

    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    days = models.PositiveSmallIntegerField(_("days to resolve at each level"))
    valid_from = models.DateField(_("valid from"))

    class Meta:
        verbose_name = _("complaint service level")
        verbose_name_plural = _("complaint service levels")
        ordering = ["category", "priority", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "priority", "valid_from"], name="complaint_sla_once"
            ),
            models.CheckConstraint(condition=models.Q(days__gt=0), name="complaint_sla_days"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} / {self.get_priority_display()}: {self.days}"


class Complaint(models.Model):
    code = models.CharField(_("tracking code"), max_length=14, unique=True)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    description = models.TextField(_("what happened"))
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    anonymous = models.BooleanField(_("anonymous"), default=False)
    # sealed (decision 0024)
    complainant_name = EncryptedCharField(_("complainant"), max_length=200, blank=True)
    complainant_phone = EncryptedCharField(_("phone"), max_length=40, blank=True)
    complainant_email = models.EmailField(_("e-mail"), blank=True)
    about_staff = models.BooleanField(_("concerns the district's own staff"), default=False)
    restricted = models.BooleanField(_("restricted"), default=False)
    # what the complaint is about, where known
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    beneficiary = models.ForeignKey(
        "programs.Beneficiary", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entitlement = models.ForeignKey(
        "payments.Entitlement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    provider = models.ForeignKey(
        "referrals.Provider", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    intake_report = models.ForeignKey(
        "cases.IntakeReport", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # handling
    level = models.PositiveSmallIntegerField(
        _("level"), choices=Level.choices, default=Level.DISTRICT
    )
    status = models.CharField(
        _("status"), max_length=14, choices=Status.choices, default=Status.RECEIVED
    )
    assigned_to = models.ForeignKey(
        User,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_at = models.DateTimeField(_("due"))
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    resolution = models.TextField(_("resolution (shown on the public status page)"), blank=True)
    remedy = models.CharField(_("remedy"), max_length=300, blank=True)
    internal_notes = models.TextField(_("internal notes"), blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rating = models.PositiveSmallIntegerField(
        _("complainant's rating (1–5)"), null=True, blank=True
    )
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-created_at"]
        permissions = [
            ("view_restricted_complaint", "Can see restricted complaints (misconduct) in scope"),
            ("view_complaint_report", "Can see complaint reports"),
        ]
        indexes = [
            models.Index(
                fields=["area"], name="complaint_area_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["status", "due_at"], name="complaint_open_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="complaint_rating_1_5",
            ),
            models.CheckConstraint(
                condition=models.Q(anonymous=False)
                | models.Q(complainant_name="", complainant_phone="", complainant_email=""),
                name="complaint_anonymous_has_no_contact",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ComplaintEvent(models.Model):
    """The complaint's history: received, assigned, escalated, status changes, notes,
    resolved, notified, rated. Rows are only added."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("received")
        ASSIGNED = "assigned", _("assigned")
        STATUS = "status", _("status changed")
        ESCALATED = "escalated", _("escalated")
        NOTE = "note", _("note")
        RESOLVED = "resolved", _("resolved")
        NOTIFIED = "notified", _("complainant notified")
        RATED = "rated", _("rated by the complainant")
        REOPENED = "reopened", _("reopened")

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # A system sentence is stored as a code and its values and said in the reader's language
    # when shown (``message``); ``text`` holds only people's words (a note, a reason, a name).
    code = models.CharField(max_length=24, blank=True)
    params = models.JSONField(default=dict, blank=True)
    text = EncryptedTextField(blank=True)  # people's words: sealed (decision 0024)

    class Meta:
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")
        ordering = ["complaint", "at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind}"

    @property
    def message(self) -> str:
        """What happened, in the active language: the system sentence for ``code`` (if any)
        followed by the person's words."""
        said = ""
        match self.code:
            case "received":
                said = str(Channel(self.params["channel"]).label)
            case "sent_to_intake":
                said = str(_("Sent to the case intake queue."))
            case "status":
                said = str(Status(self.params["status"]).label)
            case "escalated":
                said = str(Level(self.params["level"]).label)
            case "overdue_escalated":
                said = str(_("Overdue: sent to the %(level)s level.")) % {
                    "level": Level(self.params["level"]).label
                }
        return f"{said}: {self.text}" if said and self.text else said or self.text
