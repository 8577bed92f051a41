"""Cases from first report to post-closure follow-up. Written only through services.py."""

from django.conf import settings
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from pksai.cases.workflow import Stage
from pksai.core.fields import EncryptedCharField, EncryptedTextField

User = settings.AUTH_USER_MODEL


class Concern(models.TextChoices):
    PHYSICAL_VIOLENCE = "physical_violence", _("physical or psychological violence")
    SEXUAL_VIOLENCE = "sexual_violence", _("sexual violence")
    NEGLECT = "neglect", _("neglect")
    ECONOMIC_EXPLOITATION = "economic_exploitation", _("economic exploitation")
    CHILD_LABOUR = "child_labour", _("child labour")
    TRAFFICKING = "trafficking", _("trafficking")
    CHILD_MARRIAGE = "child_marriage", _("child marriage")
    CONFLICT_WITH_LAW = "conflict_with_law", _("child in conflict with the law")
    NO_BIRTH_CERTIFICATE = "no_birth_certificate", _("no birth certificate")
    OUT_OF_SCHOOL = "out_of_school", _("out of school")
    DISABILITY = "disability", _("disability")
    STREET_CHILD = "street_child", _("street child")
    OTHER = "other", _("other")


VIOLENCE = frozenset(
    {
        Concern.PHYSICAL_VIOLENCE,
        Concern.SEXUAL_VIOLENCE,
        Concern.ECONOMIC_EXPLOITATION,
        Concern.TRAFFICKING,
        Concern.CHILD_MARRIAGE,
    }
)
# Identity confidentiality (UU SPPA) and sexual violence: restricted automatically.
RESTRICTED_CONCERNS = frozenset({Concern.SEXUAL_VIOLENCE, Concern.CONFLICT_WITH_LAW})


class Channel(models.TextChoices):
    OUTREACH = "outreach", _("community outreach")
    WALK_IN = "walk_in", _("walk-in")
    PHONE = "phone", _("phone / hotline")
    SCHOOL = "school", _("referral by a school")
    HEALTH = "health", _("referral by a health centre")
    POLICE = "police", _("referral by the police")
    COMMUNITY = "community", _("community member")
    CHILD = "child", _("the child")
    OTHER = "other", _("other")


class SlaRule(models.Model):
    """How long a stage may take. Officials change these rows; changes are audited.
    A rule with ``violence_only`` applies when the case has a violence concern."""

    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    violence_only = models.BooleanField(_("only for reports of violence"), default=False)
    hours = models.PositiveIntegerField(_("hours allowed"))

    class Meta:
        verbose_name = _("service level (SLA)")
        verbose_name_plural = _("service levels (SLA)")
        constraints = [
            models.UniqueConstraint(fields=["stage", "violence_only"], name="sla_stage_scope")
        ]

    def __str__(self) -> str:
        return f"{self.stage}: {self.hours} h"


class FollowUpInterval(models.Model):
    """Post-service monitoring visits after closure, in months (default 1, 3 and 6)."""

    months = models.PositiveSmallIntegerField(_("months after closure"), unique=True)

    class Meta:
        verbose_name = _("follow-up interval")
        verbose_name_plural = _("follow-up intervals")
        ordering = ["months"]

    def __str__(self) -> str:
        return f"{self.months}"


class CaseCounter(models.Model):
    """The last case number used per regency and year (locked while a number is taken)."""

    regency = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("case number counter")
        verbose_name_plural = _("case number counters")
        constraints = [
            models.UniqueConstraint(fields=["regency", "year"], name="casecounter_regency_year")
        ]

    def __str__(self) -> str:
        return f"{self.regency_id}/{self.year}: {self.last}"


class Case(models.Model):
    class Response(models.TextChoices):
        IMMEDIATE = "immediate", _("immediate response")
        AT_RISK = "at_risk", _("at risk")

    number = models.CharField(_("case number"), max_length=20, unique=True)
    regency = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    child = models.ForeignKey(
        "registry.Person", verbose_name=_("child"), on_delete=models.PROTECT, related_name="cases"
    )
    channel = models.CharField(_("reported through"), max_length=20, choices=Channel.choices)
    reporter_anonymous = models.BooleanField(_("anonymous reporter"), default=False)
    # sealed (decision 0024)
    reporter_name = EncryptedCharField(_("reporter"), max_length=200, blank=True)
    reporter_phone = EncryptedCharField(_("reporter's phone"), max_length=40, blank=True)
    reporter_relation = models.CharField(_("relation to the child"), max_length=100, blank=True)
    summary = models.TextField(_("what was reported"))
    consent_given = models.BooleanField(_("consent recorded"), default=False)
    consent_notes = models.CharField(_("consent notes"), max_length=300, blank=True)
    restricted = models.BooleanField(_("restricted"), default=False)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, db_index=True)
    stage_due_at = models.DateTimeField(_("stage due"), null=True, blank=True, db_index=True)
    response = models.CharField(_("triage"), max_length=10, choices=Response.choices, blank=True)
    owner = models.ForeignKey(
        User, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="owned_cases"
    )
    supervisor = models.ForeignKey(
        User,
        verbose_name=_("supervisor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervised_cases",
    )
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)
    extra = models.JSONField(default=dict, blank=True)  # administrator-defined intake fields
    overdue_alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["area"], name="case_area_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["owner", "stage", "stage_due_at"], name="case_owner_queue"),
            models.Index(fields=["supervisor", "stage_due_at"], name="case_supervisor_queue"),
            # the case list's order (newest first): its first page without sorting the scope
            models.Index(fields=["-created_at", "-id"], name="case_list_order"),
        ]
        permissions = [
            ("triage_case", "Can triage a case"),
            ("approve_case", "Can approve case plans and closures"),
            ("view_restricted_case", "Can open restricted cases in scope"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def emergency_pending(self) -> bool:
        """Immediate-response cases stay flagged until an emergency action has started."""
        if self.response != self.Response.IMMEDIATE:
            return False
        return not self.emergency_actions.filter(started_at__isnull=False).exists()


class Guardian(models.Model):
    """A parent, relative or other guardian of the reported child, recorded at intake."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="guardians")
    name = models.CharField(_("name"), max_length=200)
    relation = models.CharField(_("relation to the child"), max_length=100)
    phone = EncryptedCharField(_("phone"), max_length=40, blank=True)  # sealed (decision 0024)
    lives_with_child = models.BooleanField(_("lives with the child"), default=True)

    class Meta:
        verbose_name = _("family member or guardian")
        verbose_name_plural = _("family and guardians")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.relation})"


class CaseConcern(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="concerns")
    category = models.CharField(_("concern"), max_length=30, choices=Concern.choices)

    class Meta:
        verbose_name = _("case concern")
        verbose_name_plural = _("case concerns")
        constraints = [
            models.UniqueConstraint(fields=["case", "category"], name="caseconcern_unique")
        ]

    def __str__(self) -> str:
        return self.category


class CaseEvent(models.Model):
    """The case timeline: every transition, assignment, action and note, never edited.

    What the system says is stored as a ``code`` and its ``params`` (cases/messages.py renders
    them in the reader's language); ``text`` holds only what a person typed (a note, a reason)
    — or, for rows written before codes existed, the sentence as it was written."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=30)
    from_stage = models.CharField(max_length=20, blank=True)
    to_stage = models.CharField(max_length=20, blank=True)
    code = models.CharField(max_length=40, blank=True)
    params = models.JSONField(default=dict, blank=True)
    text = EncryptedTextField(blank=True)  # what a person typed: sealed (decision 0024)

    class Meta:
        verbose_name = _("case history entry")
        verbose_name_plural = _("case history entries")
        ordering = ["at", "id"]
        indexes = [
            # the "plan approved within N days" indicator reads only these events; a partial
            # index keeps it off the (large) timeline at almost no write cost (benchmarks/
            # bench_monitoring.py: 0.9 → 0.5 s over 1M cases and 6.7M events)
            models.Index(
                fields=["case", "at"],
                name="caseevent_plan_approved",
                condition=models.Q(kind="approve_plan"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"

    @cached_property
    def message(self) -> str:
        """What happened, in the active language (the timeline shows it after the kind)."""
        from pksai.cases.messages import event_message

        return event_message(self)


class EmergencyAction(models.Model):
    class Kind(models.TextChoices):
        PROTECTION = "protection", _("protective service")
        MEDICAL = "medical", _("medical care")
        SHELTER = "shelter", _("shelter")
        LEGAL_AID = "legal_aid", _("legal aid")
        POLICE = "police", _("police")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="emergency_actions")
    kind = models.CharField(_("emergency action"), max_length=20, choices=Kind.choices)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("emergency action")
        verbose_name_plural = _("emergency actions")

    def __str__(self) -> str:
        return self.get_kind_display()


class PlanAction(models.Model):
    class Kind(models.TextChoices):
        SERVICE = "service", _("service")
        REFERRAL = "referral", _("referral")
        ENROLMENT = "enrolment", _("enrolment in social assistance")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="plan_actions")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.CharField(_("action"), max_length=300)
    responsible = models.CharField(_("responsible person or provider"), max_length=200)
    due_date = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    conference = models.ForeignKey(
        "CaseConference",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions",
        verbose_name=_("decided at case conference"),
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("plan action")
        verbose_name_plural = _("plan actions")

    def __str__(self) -> str:
        return self.description


class FollowUp(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="follow_ups")
    due_date = models.DateField(_("due"), db_index=True)
    months = models.PositiveSmallIntegerField()
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    notes = EncryptedTextField(_("observations"), blank=True)  # sealed (decision 0024)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_date"]

    def __str__(self) -> str:
        return f"{self.months} months, due {self.due_date}"


class AlertQuerySet(models.QuerySet):
    def unread(self):
        """Alerts still to look at: neither read nor done."""
        return self.filter(read_at__isnull=True, resolved_at__isnull=True)


class Alert(models.Model):
    """An in-app to-do for a user: an assignment, an approval to give, something overdue.

    Stored as a ``code`` and ``params`` (cases/messages.py renders them in the reader's
    language and time zone). An alert is *done* (``resolved_at``) once the thing it points at
    is done — the plan approved, the case closed, the deadline met — and at most one alert per
    (user, code, case, ``ref``) is open at a time (``ref``: the thing inside the case, e.g. a
    referral). ``text``: the sentence of a row written before codes existed."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="alerts")
    case = models.ForeignKey(Case, null=True, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=40, blank=True)
    params = models.JSONField(default=dict, blank=True)
    ref = models.CharField(max_length=40, blank=True)
    text = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-created_at", "-id"]
        constraints = [
            # the same to-do is open once: a second raise while it is unread and not done
            # inserts nothing (INSERT … ON CONFLICT DO NOTHING, safe across workers)
            models.UniqueConstraint(
                fields=["user", "code", "case", "ref"],
                condition=models.Q(read_at__isnull=True, resolved_at__isnull=True)
                & ~models.Q(code=""),
                name="alert_open_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code or self.text[:40]} → {self.user_id}"

    @cached_property
    def message(self) -> str:
        """The alert in the active language and time zone."""
        from pksai.cases.messages import alert_message

        return alert_message(self)

    @cached_property
    def url(self) -> str:
        """Where the alert points: the referral, else the case ("" without either)."""
        from pksai.cases.messages import alert_url

        return alert_url(self)


class Domain(models.TextChoices):
    """The assessment domains of the SOP."""

    SAFETY = "safety", _("safety")
    HEALTH = "health", _("health")
    EDUCATION = "education", _("education")
    BIRTH_REGISTRATION = "birth_registration", _("birth registration")
    FAMILY_CARE = "family_care", _("family care")
    ECONOMIC = "economic", _("economic situation")
    PSYCHOSOCIAL = "psychosocial", _("psychosocial")
    LEGAL = "legal", _("legal")


class Rating(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")


class CustomField(models.Model):
    """A form field an administrator adds for local needs, without code. Values live in the
    ``extra`` JSON of the form's record, are validated by ``custom_fields.clean_extra`` and are
    shown, printed and exported beside the built-in fields."""

    class Form(models.TextChoices):
        INTAKE = "intake", _("intake (case registration)")
        ASSESSMENT = "assessment", _("assessment")
        VISIT = "visit", _("visit")

    class Kind(models.TextChoices):
        TEXT = "text", _("text")
        NUMBER = "number", _("whole number")
        DATE = "date", _("date")
        YES_NO = "yes_no", _("yes / no")
        CHOICE = "choice", _("choice from a list")

    form = models.CharField(_("form"), max_length=20, choices=Form.choices)
    key = models.SlugField(
        _("key"), max_length=50, help_text=_("Short name used in exports, e.g. adat_village.")
    )
    label_id = models.CharField(_("label (Bahasa Indonesia)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    choices = models.TextField(
        _("choices"), blank=True, help_text=_("For a choice field: one option per line.")
    )
    required = models.BooleanField(_("required"), default=False)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive fields keep their stored values.")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("custom form field")
        verbose_name_plural = _("custom form fields")
        ordering = ["form", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["form", "key"], name="customfield_key")]

    def __str__(self) -> str:
        return f"{self.form}: {self.key}"

    @property
    def label(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "id").startswith("en") and self.label_en:
            return self.label_en
        return self.label_id

    @property
    def options(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class Assessment(models.Model):
    """An initial or comprehensive assessment: a rating and notes per domain, an overall risk
    rating, free text and the administrator's extra fields. Edited with optimistic locking."""

    class Kind(models.TextChoices):
        INITIAL = "initial", _("initial assessment")
        COMPREHENSIVE = "comprehensive", _("comprehensive assessment")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assessments")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    domains = models.JSONField(_("domains"), default=dict)  # {domain: {"rating", "notes"}}
    risk = models.CharField(_("overall risk"), max_length=10, choices=Rating.choices)
    summary = models.TextField(_("assessment summary"), blank=True)
    extra = models.JSONField(default=dict, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_risk_display()})"

    def domain_rows(self) -> list[tuple[str, str, str, str]]:
        """(key, label, rating label, notes) for every domain, in the SOP's order."""
        ratings = dict(Rating.choices)
        rows = []
        for key, label in Domain.choices:
            value = self.domains.get(key) or {}
            rating = value.get("rating", "")
            rows.append((key, label, ratings.get(rating, ""), value.get("notes", "")))
        return rows


class CasePlan(models.Model):
    """The plan's goals (one per line); its actions are PlanAction rows. Optimistic locking."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="plan")
    goals = models.TextField(_("goals"), help_text=_("One goal per line."))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("case plan")
        verbose_name_plural = _("case plans")

    def __str__(self) -> str:
        return f"plan {self.case_id}"

    @property
    def goal_list(self) -> list[str]:
        return [line.strip() for line in self.goals.splitlines() if line.strip()]


class CaseConference(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="conferences")
    held_on = models.DateField(_("date"))
    agenda = models.TextField(_("agenda"))
    decisions = models.TextField(_("decisions"))
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("case conference")
        verbose_name_plural = _("case conferences")
        ordering = ["held_on", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.held_on}"


class ConferenceParticipant(models.Model):
    """A participant: a PKSAI user, or an external person with their organisation and role."""

    conference = models.ForeignKey(
        CaseConference, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("conference participant")
        verbose_name_plural = _("conference participants")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Note(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    text = EncryptedTextField(_("note"))  # sealed (decision 0024)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        # never the text: this lands in the audit trail's object_repr (decision 0024)
        return f"note {self.pk} (case {self.case_id})"


class Visit(models.Model):
    """A monitoring or home visit: when, where, who was seen, what was observed."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="visits")
    visited_on = models.DateField(_("date of visit"))
    place = models.CharField(_("place"), max_length=200)
    seen = models.CharField(_("who was seen"), max_length=300)
    observations = EncryptedTextField(_("observations"))  # sealed (decision 0024)
    extra = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # From the field app (issue 19): when the device recorded the visit and, only while
    # PKSAI_FIELD_GPS is on, where (WGS84 degrees, accuracy in metres).
    recorded_at = models.DateTimeField(_("recorded on the device"), null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    accuracy_m = models.FloatField(_("location accuracy (m)"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["visited_on", "id"]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.place}"


class Attachment(models.Model):
    """A document kept outside the web root (settings.ATTACHMENT_ROOT) and served only through
    a permission-checked, audited view. Never deleted: a wrong upload is voided with a reason."""

    class Kind(models.TextChoices):
        CONSENT = "consent", _("consent form")
        DOCUMENT = "document", _("document")
        PHOTO = "photo", _("photo")
        OTHER = "other", _("other")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    stored_name = models.CharField(max_length=100, unique=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.title


class IntakeReport(models.Model):
    """A report about a child at risk that came from outside case work (a child-protection
    complaint from the public form, hotline or facilitator): it waits in the intake queue of
    its area until registration staff register it as a case (finding or adding the child) or
    dismiss it with a reason."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for registration")
        REGISTERED = "registered", _("registered as a case")
        DISMISSED = "dismissed", _("dismissed")

    class Source(models.TextChoices):
        COMPLAINT = "complaint", _("complaint")
        FIELD = "field", _("field worker")

    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    reference = models.CharField(_("reference"), max_length=40, blank=True)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField(_("what was reported"))
    reporter_anonymous = models.BooleanField(_("anonymous reporter"), default=False)
    # sealed (decision 0024)
    reporter_name = EncryptedCharField(_("reporter"), max_length=200, blank=True)
    reporter_phone = EncryptedCharField(_("reporter's phone"), max_length=40, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="intake_reports"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dismiss_reason = models.CharField(_("why dismissed"), max_length=300, blank=True)
    # a report from the field app (source FIELD): who sent it
    reported_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("intake report")
        verbose_name_plural = _("intake reports")
        ordering = ["received_at", "id"]
        indexes = [
            models.Index(
                fields=["area"], name="intake_report_area_prefix", opclasses=["varchar_pattern_ops"]
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.reference}"
