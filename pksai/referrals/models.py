"""The service-provider network and referrals. Written only through services.py.

A provider is an `accounts.Organisation` (name, area, address, phone, e-mail) with its sector,
the services it offers (from the `Service` catalogue), the areas it serves and its opening hours;
its focal persons are the organisation's users holding the focal-person role.

A referral sends a child from a case-plan action to a provider, or a whole case to another
district's secretariat (a transfer). It carries a snapshot of what the worker chose to share
(`shared`); the provider never sees the case itself.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from pksai.core.fields import EncryptedJSONField

User = settings.AUTH_USER_MODEL


class Sector(models.TextChoices):
    HEALTH_CENTRE = "health_centre", _("health centre (Puskesmas)")
    HOSPITAL = "hospital", _("hospital")
    EDUCATION = "education", _("school or education office")
    CIVIL_REGISTRY = "civil_registry", _("civil registry (Dukcapil)")
    LEGAL_AID = "legal_aid", _("legal aid")
    POLICE = "police", _("police (PPA unit)")
    PSYCHOSOCIAL = "psychosocial", _("psychologist or psychosocial support")
    SHELTER = "shelter", _("shelter")
    LKSA = "lksa", _("child welfare institution (LKSA)")
    SOCIAL_ASSISTANCE = "social_assistance", _("social assistance program (PKH, PKSA…)")
    ECONOMIC = "economic", _("economic empowerment")
    OTHER = "other", _("other")


class Service(models.Model):
    """The service catalogue (administrators keep it): what providers offer and referrals ask."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_id = models.CharField(_("name (Bahasa Indonesia)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150, blank=True)
    sector = models.CharField(_("usual sector"), max_length=20, choices=Sector.choices, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("service catalogue")
        ordering = ["sector", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if get_language() == "en" and self.name_en:
            return self.name_en
        return self.name_id


class Provider(models.Model):
    organisation = models.OneToOneField(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="provider",
    )
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    services = models.ManyToManyField(
        Service, verbose_name=_("services offered"), blank=True, related_name="providers"
    )
    catchment = models.ManyToManyField(
        "areas.Area",
        verbose_name=_("catchment areas"),
        blank=True,
        related_name="+",
        help_text=_("Areas served besides the provider's own regency."),
    )
    contact_person = models.CharField(_("contact person"), max_length=200, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("service provider")
        verbose_name_plural = _("service providers")
        ordering = ["organisation__name"]

    def __str__(self) -> str:
        return str(self.organisation)


class Urgency(models.TextChoices):
    EMERGENCY = "emergency", _("emergency")
    URGENT = "urgent", _("urgent")
    ROUTINE = "routine", _("routine")


class ReferralSla(models.Model):
    """How fast a provider must answer and deliver, per urgency (data officials change)."""

    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, unique=True)
    respond_hours = models.PositiveIntegerField(_("hours to accept or decline"))
    deliver_days = models.PositiveIntegerField(_("days to deliver the service"))

    class Meta:
        verbose_name = _("referral service level")
        verbose_name_plural = _("referral service levels")
        ordering = ["respond_hours"]

    def __str__(self) -> str:
        return self.get_urgency_display()


class Status(models.TextChoices):
    SENT = "sent", _("sent")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    IN_SERVICE = "in_service", _("service started")
    DELIVERED = "delivered", _("service delivered")
    CLOSED = "closed", _("closed")
    CANCELLED = "cancelled", _("cancelled")


class ReferralCounter(models.Model):
    """The last referral number given per regency and year (the row is locked while counting).
    Referral numbers do not contain the case number: the receiver never learns it."""

    regency = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("referral number counter")
        verbose_name_plural = _("referral number counters")
        constraints = [
            models.UniqueConstraint(fields=["regency", "year"], name="referralcounter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.regency_id} {self.year}: {self.last}"


class Referral(models.Model):
    class Kind(models.TextChoices):
        REFERRAL = "referral", _("referral to a service provider")
        TRANSFER = "transfer", _("transfer of the case to another district")

    number = models.CharField(_("referral number"), max_length=30, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="referrals"
    )
    plan_action = models.ForeignKey(
        "cases.PlanAction",
        verbose_name=_("plan action"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
    )
    # The case's area, kept here for join-free scoping (follows the case when it is transferred).
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    to_organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("to"),
        on_delete=models.PROTECT,
        related_name="referrals_received",
    )
    service = models.ForeignKey(
        Service,
        verbose_name=_("service requested"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    reason = models.TextField(_("reason for the referral"))
    # a copy of the child's NIK, guardians' phones…: sealed (decision 0024)
    shared = EncryptedJSONField(_("information shared"), default=dict, blank=True)
    consent = models.BooleanField(_("consent to share recorded"), default=False)
    due_date = models.DateField(_("service due"))
    respond_by = models.DateTimeField(_("answer due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SENT, db_index=True
    )
    version = models.PositiveIntegerField(default=1)
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)
    sent_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    responded_at = models.DateTimeField(_("accepted or declined"), null=True, blank=True)
    responded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    service_started_at = models.DateTimeField(_("service started"), null=True, blank=True)
    delivered_on = models.DateField(_("service delivered on"), null=True, blank=True)
    provided = models.TextField(_("what was provided"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)  # overdue alert sent
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(
                fields=["area"], name="referral_area_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["to_organisation", "status"], name="referral_inbox"),
            models.Index(fields=["status", "respond_by"], name="referral_overdue"),
            models.Index(fields=["-sent_at", "-id"], name="referral_newest"),
        ]
        permissions = [
            ("respond_referral", "Can answer referrals addressed to own organisation"),
            ("view_report", "Can see service, referral and satisfaction reports"),
        ]

    def __str__(self) -> str:
        return self.number


class ReferralEvent(models.Model):
    """The referral's own history, which the provider sees (the case timeline gets a copy)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices)
    text = models.TextField(blank=True)  # the person's own words, never a system sentence
    # recorded by case staff for the provider: said in the reader's language when shown
    on_behalf = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("referral history entry")
        verbose_name_plural = _("referral history entries")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.referral} {self.status}"


class Satisfaction(models.Model):
    """A client's rating (1–5 and a comment) after a delivered service or at case closure,
    entered by staff or through a one-time link that needs no account."""

    class Moment(models.TextChoices):
        SERVICE = "service", _("after a service")
        CLOSURE = "closure", _("at case closure")

    class Respondent(models.TextChoices):
        CHILD = "child", _("the child")
        GUARDIAN = "guardian", _("parent or guardian")

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="satisfaction_records"
    )
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="satisfaction"
    )
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    moment = models.CharField(_("when"), max_length=10, choices=Moment.choices)
    respondent = models.CharField(
        _("answered by"), max_length=10, choices=Respondent.choices, blank=True
    )
    score = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    entered_by = models.ForeignKey(  # staff who typed the answer; empty when given by link
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    token_digest = models.CharField(max_length=64, unique=True, null=True, blank=True)
    link_expires_at = models.DateTimeField(_("link valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("client satisfaction")
        verbose_name_plural = _("client satisfaction")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5),
                name="satisfaction_score_1_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.score or '—'}"
