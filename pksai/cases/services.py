"""Case workflow: register, triage, plan, approve, close, follow up — access, check, do.

Every write: the case is fetched through the user's scope (selectors.case_get_for_update), the
move is checked against workflow.TRANSITIONS and the optimistic-lock version, then the change,
its timeline event and its audit row are written in one transaction.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pksai.accounts.models import User
from pksai.accounts.scoping import require_perm, scope_for
from pksai.areas.models import Area
from pksai.audit.services import audit_record
from pksai.cases import selectors
from pksai.cases.alerts import (
    alert_overdue,  # noqa: F401  (the scheduler job, re-exported)
    alerts_raise,
    resolve_alerts,
)
from pksai.cases.custom_fields import clean_extra
from pksai.cases.messages import STAGE_ALERTS
from pksai.cases.models import (
    RESTRICTED_CONCERNS,
    VIOLENCE,
    Alert,
    Assessment,
    Case,
    CaseConcern,
    CaseCounter,
    CaseEvent,
    CasePlan,
    CustomField,
    EmergencyAction,
    FollowUp,
    FollowUpInterval,
    Guardian,
    Note,
    PlanAction,
    SlaRule,
)
from pksai.cases.workflow import (
    OPEN_STAGES,
    OWN_APPROVALS,
    TRANSITIONS,
    Blocker,
    Move,
    Stage,
)
from pksai.registry.models import Identity, Person
from pksai.webhooks.services import event_emit

logger = logging.getLogger(__name__)


# The triage protocol's refusal: social assistance only after the emergency action started.
IMMEDIATE_FIRST = gettext_lazy(
    "Immediate response first: record an emergency action as started before "
    "enrolling the child in social assistance."
)


# The anchor of the case page's "add a plan action" form (in its plan section).
PLAN_ACTION_FORM = "plan-action-new"


class ConflictError(ValidationError):
    """Someone else saved the case since it was loaded: nothing was changed."""


def _due(stage: str, concerns: set[str], start=None):
    rules = {(r.stage, r.violence_only): r.hours for r in SlaRule.objects.filter(stage=stage)}
    hours = rules.get((stage, True)) if concerns & VIOLENCE else None
    hours = hours if hours is not None else rules.get((stage, False))
    if hours is None:
        return None
    return (start or timezone.now()) + timedelta(hours=hours)


def _next_number(regency: Area, year: int) -> str:
    counter, _created = CaseCounter.objects.select_for_update().get_or_create(
        regency=regency, year=year
    )
    CaseCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db(fields=["last"])
    return f"{regency.code.replace('.', '')}-{year}-{counter.last:06d}"


def _event(
    case: Case,
    by: User | None,
    kind: str,
    text: str = "",
    *,
    code: str = "",
    params: dict | None = None,
    **stages: str,
) -> None:
    """A timeline row: ``text`` only what a person typed; what the system says as a ``code``
    and ``params`` (cases/messages.py EVENTS), rendered in the reader's language."""
    CaseEvent.objects.create(
        case=case, actor=by, kind=kind, text=text, code=code, params=params or {}, **stages
    )


def _alert(user: User | None, case: Case, code: str, *, ref: str = "", **params) -> None:
    """Raise alert ``code`` (cases/messages.py ALERTS) for ``user`` unless it is already open."""
    if user is not None:
        alerts_raise([Alert(user=user, case=case, code=code, params=params, ref=ref)])


class DuplicateCaseError(ValidationError):
    """The child already has an open case: registering a second one needs a reason.
    ``cases`` are the open cases found (newest first)."""

    def __init__(self, cases: list[Case]):
        self.cases = cases
        super().__init__(
            _(
                "This child already has an open case %(numbers)s. Open that case or add the "
                "report to it; to register a new case anyway, give the reason."
            )
            % {"numbers": ", ".join(c.number for c in cases)},
            code="duplicate_case",
        )


def _open_cases_of(child: Person) -> list[Case]:
    """Open cases of ``child``'s registry row or of any row of the same identity, with the
    identity (else the person) locked so two registrations of one child cannot cross."""
    if child.identity_id is not None:
        Identity.objects.select_for_update().filter(pk=child.identity_id).first()
        same = Q(child_id=child.pk) | Q(child__identity_id=child.identity_id)
    else:
        Person.objects.select_for_update().filter(pk=child.pk).first()
        same = Q(child_id=child.pk)
    return list(Case.objects.filter(same, stage__in=OPEN_STAGES).order_by("-created_at", "-id")[:5])


@transaction.atomic
def case_register(
    *,
    by: User,
    child: Person,
    channel: str,
    summary: str,
    concerns: list[str],
    owner: User | None = None,
    supervisor: User | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_relation: str = "",
    reporter_anonymous: bool = False,
    consent_given: bool = False,
    consent_notes: str = "",
    sensitive: bool = False,
    extra: dict | None = None,
    guardians: list[dict] | None = None,
    duplicate_reason: str = "",
) -> Case:
    """Register a report about ``child`` (an existing registry person, found with
    selectors.child_candidates or created by registry services). The case starts awaiting
    triage, due by the SLA (24 hours for reports of violence by default).

    One open case per child: if the child — the same registry row or another row of the same
    identity — already has an open case, registration is refused with DuplicateCaseError
    (the intake page then offers to open that case or add the report to it:
    case_add_report). ``duplicate_reason`` registers a second case anyway; the reason goes on
    the new case's timeline and into the audit log.

    Someone is always responsible for approving: without a ``supervisor`` the case goes to
    the coordinators of its area (selectors.area_coordinators: the nearest level above the
    village, normally the regency's), who are told at once and see it under "Cases without a
    supervisor" until they choose one — and under "Awaiting my approval" when its plan or
    closure waits. A district office registers reports as they come in, often before the
    coordinator has decided who supervises, so the field stays optional; only where no
    coordinator covers the area must a supervisor be chosen (docs/case-management.md)."""
    require_perm(by, "cases.add_case")
    if not scope_for(by).covers(child.village_id):
        raise PermissionDenied("child outside the user's area scope")
    if not concerns:
        raise ValidationError(_("Choose at least one concern."))
    extra_values = clean_extra(CustomField.Form.INTAKE, extra or {})
    coordinators = [] if supervisor else selectors.area_coordinators(area_code=child.village_id)
    if supervisor is None and not coordinators:
        raise ValidationError(
            {"supervisor": [_("Choose a supervisor: no coordinator covers this area to do it.")]}
        )
    duplicate_reason = duplicate_reason.strip()
    duplicates = _open_cases_of(child)
    if duplicates and not duplicate_reason:
        raise DuplicateCaseError(duplicates)
    area = child.village
    regency = Area.objects.get(code=".".join(area.code.split(".")[:2]))
    concern_set = set(concerns)
    case = Case.objects.create(
        number=_next_number(regency, timezone.localdate().year),
        regency=regency,
        area=area,
        child=child,
        channel=channel,
        summary=summary,
        reporter_name="" if reporter_anonymous else reporter_name,
        reporter_phone="" if reporter_anonymous else reporter_phone,
        reporter_relation=reporter_relation,
        reporter_anonymous=reporter_anonymous,
        consent_given=consent_given,
        consent_notes=consent_notes,
        restricted=sensitive or bool(concern_set & RESTRICTED_CONCERNS),
        stage=Stage.TRIAGE,
        stage_due_at=_due(Stage.TRIAGE, concern_set),
        owner=owner or by,
        supervisor=supervisor,
        created_by=by,
        extra=extra_values,
    )
    CaseConcern.objects.bulk_create(CaseConcern(case=case, category=c) for c in sorted(concern_set))
    Guardian.objects.bulk_create(
        Guardian(
            case=case,
            name=g["name"].strip(),
            relation=(g.get("relation") or "").strip(),
            phone=(g.get("phone") or "").strip(),
            lives_with_child=bool(g.get("lives_with_child", True)),
        )
        for g in guardians or ()
        if (g.get("name") or "").strip()
    )
    _event(case, by, "registered", summary, to_stage=Stage.TRIAGE)
    detail: dict = {"concerns": sorted(concern_set)}
    if duplicates:
        numbers = ", ".join(c.number for c in duplicates)
        _event(
            case,
            by,
            "duplicate_registered",
            duplicate_reason,
            code="duplicate_registered",
            params={"numbers": numbers},
        )
        detail |= {"open_cases": [c.number for c in duplicates], "reason": duplicate_reason}
    if case.owner != by:
        _alert(case.owner, case, "case_assigned_triage", number=case.number)
    if supervisor is None:
        for coordinator in coordinators:
            _alert(coordinator, case, "case_no_supervisor", number=case.number)
        detail["no_supervisor"] = [u.get_username() for u in coordinators]
    audit_record(action="create", actor=by, obj=case, detail=detail)
    event_emit(kind="case.registered", obj=case)
    return case


@transaction.atomic
def case_add_report(
    *,
    case: Case,
    by: User,
    channel: str,
    summary: str,
    concerns: list[str],
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_relation: str = "",
    reporter_anonymous: bool = False,
    sensitive: bool = False,
) -> Case:
    """Add a new report about a child to the child's open case instead of opening a second
    one: the report goes on the case's timeline ("Report added", with how it came in), new
    concerns join the case's (a restricting concern restricts it), the reporter's contact is
    kept as a note (a restricted field), and the owner and supervisor are told. Registration
    staff may do this for any open case in their area, even a restricted one they cannot
    open: they add to it without reading it."""
    require_perm(by, "cases.add_case")
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("owner", "supervisor")
        .get(pk=case.pk)
    )
    if not scope_for(by).covers(case.area_id):
        raise PermissionDenied("case outside the user's area scope")
    if case.stage not in OPEN_STAGES:
        raise ValidationError(_("Case %(n)s is no longer open.") % {"n": case.number})
    if not concerns:
        raise ValidationError(_("Choose at least one concern."))
    if not summary.strip():
        raise ValidationError(_("Write what was reported."))
    known = set(case.concerns.values_list("category", flat=True))
    added = sorted(set(concerns) - known)
    CaseConcern.objects.bulk_create(CaseConcern(case=case, category=c) for c in added)
    if not case.restricted and (sensitive or set(added) & RESTRICTED_CONCERNS):
        case.restricted = True
        _save(case, ["restricted"], case.version)
    _event(
        case, by, "report_added", summary.strip(), code="report_added", params={"channel": channel}
    )
    reporter = ", ".join(p for p in (reporter_name, reporter_relation, reporter_phone) if p)
    if reporter and not reporter_anonymous:
        Note.objects.create(
            case=case,
            by=by,
            text=_("Reporter of the added report: %(who)s") % {"who": reporter},
        )
    for user in {case.owner, case.supervisor} - {None, by}:
        _alert(user, case, "report_added", number=case.number)
    audit_record(
        action="update", actor=by, obj=case, detail={"report_added": True, "concerns": added}
    )
    return case


def _conflict(case: Case) -> ConflictError:
    return ConflictError(
        _(
            "Case %(n)s was changed by someone else since you opened it. Reload it: "
            "your input was not saved and nothing was overwritten."
        )
        % {"n": case.number}
    )


def _check_version(case: Case, expected_version: int) -> None:
    """The version the user loaded must still be the stored one."""
    stored = Case.objects.filter(pk=case.pk).values_list("version", flat=True).first()
    if stored != expected_version:
        raise _conflict(case)


def compare_and_set(obj, fields: list[str], expected_version: int) -> bool:
    """Write ``fields`` of ``obj`` (a model with a ``version``) in one conditional UPDATE, only
    if nobody saved since ``expected_version``; False, and nothing written, if someone did."""
    values = {f: getattr(obj, f) for f in fields}
    updated = (
        type(obj)
        .objects.filter(pk=obj.pk, version=expected_version)
        .update(**values, version=expected_version + 1)
    )
    if updated == 1:
        obj.version = expected_version + 1
    return updated == 1


def _save(case: Case, fields: list[str], expected_version: int) -> None:
    """Write the case only if nobody saved since ``expected_version``."""
    case.updated_at = timezone.now()
    if not compare_and_set(case, [*fields, "updated_at"], expected_version):
        raise _conflict(case)


@transaction.atomic
def case_transition(
    *,
    case: Case,
    name: str,
    by: User,
    expected_version: int,
    reason: str = "",
    response: str = "",
) -> Case:
    """Move the case along the SOP. ``case`` must come from selectors.case_get_for_update.
    Refused (ValidationError) with the messages of ``transition_blockers`` while the case
    lacks what the move needs — the same check the case page and the API show."""
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise ValidationError(f"unknown transition {name!r}")
    require_perm(by, transition.perm)
    _check_version(case, expected_version)
    if case.stage not in transition.source:
        raise ValidationError(
            _("A case in stage “%(stage)s” cannot do “%(move)s”.")
            % {"stage": case.get_stage_display(), "move": name}
        )
    if transition.needs_reason and not reason.strip():
        raise ValidationError(_("Give a reason."))
    fields = ["stage", "stage_due_at"]
    if name == "triage":
        if response not in Case.Response.values:
            raise ValidationError(_("Triage decides: immediate response or at risk."))
        case.response = response
        fields.append("response")
    if name in OWN_APPROVALS and case.owner_id == by.pk:
        raise PermissionDenied("a worker cannot approve their own case")
    blockers = transition_blockers(case=case, name=name)
    if blockers:
        raise ValidationError([ValidationError(b.message, code=b.code) for b in blockers])
    source = case.stage
    case.stage = transition.target
    concerns = set(case.concerns.values_list("category", flat=True))
    case.stage_due_at = _due(transition.target, concerns)
    if transition.target == Stage.FOLLOW_UP:
        _schedule_follow_ups(case)
        case.stage_due_at = None
    _save(case, fields, expected_version)
    _event(case, by, name, reason, from_stage=source, to_stage=case.stage)
    _alerts_after_move(case, by)
    audit_record(action="update", actor=by, obj=case, detail={"transition": name, "from": source})
    event_emit(kind="case.closed" if case.stage == Stage.CLOSED else "case.moved", obj=case)
    return case


def _alerts_after_move(case: Case, by: User) -> None:
    """The alerts about the stage the case left are done (all of them once it is closed or
    void); then who must act next is told."""
    resolve_alerts(case=case, codes=STAGE_ALERTS if case.stage in OPEN_STAGES else None)
    if case.stage in {Stage.PLAN_REVIEW, Stage.CLOSURE_REVIEW}:
        # the supervisor, or without one the area's coordinators (selectors.case_approvers)
        code = (
            "plan_awaits_approval" if case.stage == Stage.PLAN_REVIEW else "closure_awaits_approval"
        )
        for approver in selectors.case_approvers(case=case):
            _alert(approver, case, code, number=case.number)
    elif case.owner_id != by.pk:
        _alert(case.owner, case, "case_moved", number=case.number, stage=case.stage)


def transition_blockers(*, case: Case, name: str) -> list[Blocker]:
    """What the case lacks before the move ``name`` can be made, each with where to add it;
    empty when nothing is missing. The one check behind case_transition's refusal, the case
    page's "next step" and the API's list of moves. (Who may make the move, the stage, a
    reason or a triage decision, and the version loaded are checked by case_transition.)"""
    args = (case.pk,)
    blockers: list[Blocker] = []
    if name == "complete_assessment":
        comprehensive = case.assessments.filter(kind=Assessment.Kind.COMPREHENSIVE)
        if not comprehensive.filter(completed_at__isnull=False).exists():
            draft = comprehensive.order_by("-updated_at", "-id").first()
            blockers.append(
                Blocker(
                    code="assessment_incomplete",
                    message=gettext_lazy("Complete the comprehensive assessment first."),
                    url_name="case_records:assessment_edit"
                    if draft
                    else "case_records:assessment_new",
                    url_args=(case.pk, draft.pk) if draft else args,
                    link_text=gettext_lazy("Continue the comprehensive assessment")
                    if draft
                    else gettext_lazy("Start the comprehensive assessment"),
                )
            )
    elif name == "submit_plan":
        goals = CasePlan.objects.filter(case=case).values_list("goals", flat=True).first() or ""
        if not goals.strip():
            blockers.append(
                Blocker(
                    code="plan_goals_missing",
                    message=gettext_lazy("The plan needs at least one goal."),
                    url_name="case_records:plan",
                    url_args=args,
                    link_text=gettext_lazy("Write the plan's goals"),
                )
            )
        if not case.plan_actions.exclude(status=PlanAction.Status.CANCELLED).exists():
            blockers.append(
                Blocker(
                    code="plan_action_missing",
                    message=gettext_lazy(
                        "The plan needs at least one action (what, who, by when)."
                    ),
                    url_name="cases:detail",
                    url_args=args,
                    anchor=PLAN_ACTION_FORM,
                    link_text=gettext_lazy("Add an action to the plan"),
                )
            )
    elif name == "approve_plan" and case.emergency_pending and _plans_enrolment(case):
        blockers.append(
            Blocker(
                code="emergency_not_started",
                message=gettext_lazy(
                    "Immediate response first: record an emergency action as started before "
                    "the plan enrols the child in social assistance."
                ),
                url_name="cases:detail",
                url_args=args,
                anchor="emergency",
                link_text=gettext_lazy("Emergency actions"),
            )
        )
    return blockers


def case_moves(*, case: Case, user: User) -> list[Move]:
    """The moves ``user``'s role allows on ``case`` now, each with its blockers: what the case
    page offers (a move without blockers) or explains (what is missing, with a link)."""
    return [
        Move(transition=t, blockers=tuple(transition_blockers(case=case, name=t.name)))
        for t in selectors.case_transitions_for(user=user, case=case)
    ]


def _plans_enrolment(case: Case) -> bool:
    return case.plan_actions.filter(
        kind=PlanAction.Kind.ENROLMENT,
        status__in=[PlanAction.Status.PLANNED, PlanAction.Status.IN_PROGRESS],
    ).exists()


def _schedule_follow_ups(case: Case) -> None:
    today = timezone.localdate()
    FollowUp.objects.bulk_create(
        FollowUp(case=case, months=i.months, due_date=_add_months(today, i.months))
        for i in FollowUpInterval.objects.all()
    )


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@transaction.atomic
def emergency_action_record(
    *, case: Case, by: User, kind: str, started: bool, notes: str = ""
) -> EmergencyAction:
    require_perm(by, "cases.change_case")
    action = EmergencyAction.objects.create(
        case=case,
        kind=kind,
        recorded_by=by,
        started_at=timezone.now() if started else None,
        notes=notes,
    )
    _event(case, by, "emergency_action", notes, code="emergency_action", params={"kind": kind})
    audit_record(action="create", actor=by, obj=action, detail={"case": case.number})
    return action


@transaction.atomic
def emergency_action_start(*, action: EmergencyAction, by: User) -> EmergencyAction:
    require_perm(by, "cases.change_case")
    if action.started_at is None:
        action.started_at = timezone.now()
        action.save(update_fields=["started_at"])
        _event(
            action.case,
            by,
            "emergency_started",
            code="emergency_action",
            params={"kind": action.kind},
        )
        audit_record(action="update", actor=by, obj=action, detail={"started": True})
    return action


@transaction.atomic
def plan_action_add(
    *, case: Case, by: User, kind: str, description: str, responsible: str, due_date: date
) -> PlanAction:
    """Enrolment in social assistance waits until an immediate-response case's emergency
    action has started (triage protocol)."""
    require_perm(by, "cases.change_case")
    if case.stage not in {Stage.PLANNING, Stage.IMPLEMENTATION}:
        raise ValidationError(_("Plan actions are added while planning or implementing."))
    if kind == PlanAction.Kind.ENROLMENT and case.emergency_pending:
        raise ValidationError(IMMEDIATE_FIRST)
    action = PlanAction.objects.create(
        case=case, kind=kind, description=description, responsible=responsible, due_date=due_date
    )
    _event(case, by, "plan_action", description)
    audit_record(action="create", actor=by, obj=action, detail={"case": case.number})
    return action


@transaction.atomic
def case_assign(
    *, case: Case, owner: User, by: User, expected_version: int, supervisor: User | None = None
) -> Case:
    """Hand the case to another worker: history stays, the new owner is told what is pending."""
    require_perm(by, "cases.approve_case")
    _check_version(case, expected_version)
    if not scope_for(owner).covers(case.area_id):
        raise ValidationError(_("The new owner does not work in this case's area."))
    previous, previous_supervisor = case.owner, case.supervisor_id
    case.owner = owner
    fields = ["owner"]
    if supervisor is not None:
        case.supervisor = supervisor
        fields.append("supervisor")
    _save(case, fields, expected_version)
    # whoever no longer owns or supervises the case has nothing left to do on it
    resolve_alerts(case=case, keep_users={case.owner_id, case.supervisor_id})
    actions = case.plan_actions.filter(status__in=["planned", "in_progress"])
    _alert(
        owner,
        case,
        "case_assigned",
        number=case.number,
        stage=case.stage,
        emergency=case.emergency_pending,
        actions=[[a.description, a.due_date.isoformat()] for a in actions],
    )
    if case.supervisor_id != previous_supervisor:  # a new supervisor inherits the approval
        if case.stage == Stage.PLAN_REVIEW:
            _alert(case.supervisor, case, "plan_awaits_approval", number=case.number)
        elif case.stage == Stage.CLOSURE_REVIEW:
            _alert(case.supervisor, case, "closure_awaits_approval", number=case.number)
    _event(case, by, "assigned", f"{previous.get_username()} → {owner.get_username()}")
    audit_record(action="update", actor=by, obj=case, detail={"owner": owner.get_username()})
    return case


@transaction.atomic
def follow_up_complete(*, follow_up: FollowUp, by: User, notes: str) -> FollowUp:
    require_perm(by, "cases.change_case")
    if follow_up.done_at is None:
        follow_up.done_at = timezone.now()
        follow_up.done_by = by
        follow_up.notes = notes
        follow_up.save(update_fields=["done_at", "done_by", "notes"])
        _event(follow_up.case, by, "follow_up", notes)
        audit_record(action="update", actor=by, obj=follow_up, detail={"months": follow_up.months})
    return follow_up


def case_update_summary(*, case: Case, by: User, expected_version: int, summary: str) -> Case:
    """An edit of the case's own text, refused if someone saved in between."""
    require_perm(by, "cases.change_case")
    with transaction.atomic():
        _check_version(case, expected_version)
        case.summary = summary
        _save(case, ["summary"], expected_version)
        _event(case, by, "edited", summary)
        audit_record(action="update", actor=by, obj=case, detail={"fields": ["summary"]})
    return case
