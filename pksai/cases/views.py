"""Case pages: list and search, intake with the duplicate check, the case page with its
moves, emergency and plan actions, follow-ups, reassignment, and the alerts page.

Thin: reads go through selectors (scope, confidentiality, 404), writes through services with
the case row locked. A refused save shows the case page again with the user's input kept and
the reason (409 when someone else saved first)."""

from __future__ import annotations

import dataclasses

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from pksai.accounts.models import User
from pksai.accounts.scoping import get_scoped_or_404, require_perm, scope_for
from pksai.areas.forms import AreaFilterForm
from pksai.audit.services import audit_record
from pksai.cases import intake, selectors, services
from pksai.cases.alerts import alerts_mark_read
from pksai.cases.custom_fields import display_extra
from pksai.cases.forms import (
    AssignForm,
    EmergencyForm,
    FollowUpForm,
    IntakeForm,
    PlanActionForm,
    SummaryForm,
    TransitionForm,
)
from pksai.cases.models import Alert, Case, Channel, Concern, CustomField, Rating
from pksai.cases.next_step import next_step
from pksai.cases.services import ConflictError
from pksai.cases.views_intake import DuplicateForm
from pksai.cases.workflow import OPEN_STAGES, Stage
from pksai.core.paging import CappedPaginator
from pksai.field.services import conflicts_open as field_conflicts_open
from pksai.registry.models import Person

PAGE_SIZE = 50


ASSIGN_CHOICES = 200


def _colleagues(
    codes: list[str], perm: str, *, q: str = "", keep: str = "", only: str | None = None
) -> list[tuple[str, str]]:
    """Choices (username, name) of colleagues holding ``perm`` in or around the areas: at most
    ASSIGN_CHOICES, those whose name or username contains ``q`` when given; ``keep`` (the
    current owner) is always among them. ``only``: just that username, if it qualifies (to
    check a submitted choice whatever list it was picked from)."""
    users = selectors.colleagues(codes=codes, perm=perm)
    if only is not None:
        users = users.filter(username=only)
    elif q:
        users = users.filter(
            Q(username__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q)
        )
    listed = [
        (u.username, u.get_full_name() or u.username)
        for u in users.order_by("username")[:ASSIGN_CHOICES]
    ]
    if keep and keep not in {username for username, _name in listed}:
        current = User.objects.filter(username=keep).first()
        if current is not None:
            listed.insert(0, (current.username, current.get_full_name() or current.username))
    return listed


def _user(username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True).first() if username else None


# --- List -------------------------------------------------------------------------


@login_required
def case_list_view(request):
    g = request.GET
    area_filter = AreaFilterForm(g, user=request.user)
    filters = {
        "stage": g.get("stage", ""),
        "q": g.get("q", ""),
        "overdue": g.get("overdue") == "1",
        "owner": g.get("owner", ""),
        "area": area_filter.filter_code,
        "concern": g.get("concern", ""),
        "response": g.get("response", ""),
    }
    qs = selectors.case_list(user=request.user, **filters)
    page = CappedPaginator(qs, PAGE_SIZE).get_page(g.get("page"))
    now = timezone.now()
    # Labels looked up once per page (get_FOO_display rebuilds the whole choice list, every
    # label translated again, for each row).
    stage_labels, concern_labels = dict(Stage.choices), dict(Concern.choices)
    for case in page:
        case.stage_label = stage_labels.get(case.stage, case.stage)
        case.concern_labels = [
            concern_labels.get(c.category, c.category) for c in case.concerns.all()
        ]
        case.shown_name = selectors.display_name(case, request.user)
        case.can_open = case.shown_name != selectors.MASK
        case.is_overdue = case.stage_due_at is not None and case.stage_due_at < now
    if page.object_list:
        audit_record(
            action="view",
            actor=request.user,
            object_type="cases.case",
            detail={
                "list": [c.pk for c in page],
                "filters": {k: str(v) for k, v in filters.items()},
            },
        )
    query = g.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/list.html",
        {
            "page": page,
            "filters": filters,
            # filters beyond the search box that are set: their panel starts open, counted
            "more_filters": sum(
                bool(filters[k]) for k in ("stage", "concern", "response", "owner", "area")
            )
            + filters["overdue"],
            "area_filter": area_filter,
            "field_conflicts": field_conflicts_open(user=request.user).count(),
            "query": query.urlencode(),
            "stages": Stage.choices,
            "concerns": Concern.choices,
            "responses": Case.Response.choices,
            "intake_pending": (
                selectors.intake_reports(user=request.user).count()
                if request.user.has_perm("cases.add_case")
                else None
            ),
        },
    )


# --- Intake -----------------------------------------------------------------------


@login_required
def case_new(request):
    """The intake form. Finds the child (possible existing records first), then registers the
    case — unless the child already has an open case: then the page shows that case and
    offers to open it, to add this report to it, or to register a new case anyway with a
    reason (services.case_register refuses a silent second case)."""
    require_perm(request.user, "cases.add_case")
    scope = scope_for(request.user)
    codes = list(scope.area_codes) if not scope.national else []
    workers = _colleagues(codes, "cases.change_case")
    supervisors = _colleagues(codes, "cases.approve_case")
    person = None
    person_id = request.POST.get("person") or request.GET.get("person")
    if person_id:
        person = get_scoped_or_404(
            Person.objects.select_related("village"),
            request.user,
            perm="cases.add_case",
            area_field="village",
            pk=person_id,
        )
    initial = {"channel": Channel.OUTREACH, "person": person.pk} if person else {}
    # registering a report waiting in the intake queue (a child-protection complaint)
    report = None
    report_id = request.POST.get("intake_report") or request.GET.get("intake_report")
    if report_id:
        report = selectors.intake_report_get(user=request.user, pk=report_id)
        initial |= {
            "channel": Channel.COMMUNITY,
            "summary": report.summary,
            "reporter_anonymous": report.reporter_anonymous,
            "reporter_name": report.reporter_name,
            "reporter_phone": report.reporter_phone,
        }
    form = IntakeForm(
        request.POST or None,
        initial=initial,
        user=request.user,
        workers=workers,
        supervisors=supervisors,
    )
    duplicate = DuplicateForm(request.POST or None)
    candidates, conflict = [], False
    # a child already chosen: say at once whether they have an open case
    open_cases = selectors.open_cases_of_child(user=request.user, child=person) if person else []
    if request.method == "POST" and form.is_valid() and duplicate.is_valid():
        add_to = duplicate.cleaned_data["add_to_case"]
        if add_to:
            target = get_scoped_or_404(
                Case.objects.all(), request.user, perm="cases.add_case", pk=add_to
            )
            try:
                return _add_report(request, form, target, report)
            except ValidationError as error:  # e.g. the case was closed meanwhile
                form.add_service_errors(error)
                open_cases = selectors.open_cases_seen_by(user=request.user, cases=[target])
        else:
            outcome = _register(request, form, duplicate, person, report)
            if outcome.done is not None:
                return outcome.done
            candidates = outcome.candidates
            if outcome.open_cases:
                open_cases, conflict = outcome.open_cases, True
    status = 400 if request.method == "POST" else 200
    if conflict:
        status = 409  # the child already has an open case: the user decides
    return render(
        request,
        "cases/new.html",
        {
            "form": form,
            "person": person,
            "candidates": candidates,
            "report": report,
            "open_cases": open_cases,
            "duplicate": duplicate,
            "create_new": form.is_bound and form.is_valid() and form.cleaned_data["create_new"],
        },
        status=status,
    )


@dataclasses.dataclass
class _Outcome:
    done: object = None  # the redirect once registered
    candidates: list = dataclasses.field(default_factory=list)  # possible records: ask
    open_cases: list = dataclasses.field(default_factory=list)  # the child's open cases: ask


class _ShowCandidates(Exception):
    """Possible existing records were found: ask the user before creating a new person."""


def _register(request, form: IntakeForm, duplicate: DuplicateForm, person, report) -> _Outcome:
    """Find or record the child and register the case; the outcome says what to ask instead
    when the child may already be recorded or already has an open case. A refusal is put on
    the forms."""
    data = form.cleaned_data
    anyway = duplicate.cleaned_data["register_anyway"]
    outcome = _Outcome()
    try:
        with transaction.atomic():
            child = person
            if child is None and not data["create_new"]:
                outcome.candidates = selectors.child_candidates(
                    user=request.user,
                    nik=data["child_nik"].strip(),
                    name=data["child_name"],
                    birth_date=data["child_birth_date"],
                    village=data["child_village"].strip(),
                )
            if child is None and outcome.candidates:
                raise _ShowCandidates
            if child is None:
                child = intake.child_create(
                    by=request.user,
                    name=data["child_name"],
                    sex=data["child_sex"],
                    birth_date=data["child_birth_date"],
                    village=data["child_village"].strip(),
                    nik=data["child_nik"].strip(),
                )
            owner, supervisor = _intake_team(data, child)
            case = services.case_register(
                by=request.user,
                child=child,
                channel=data["channel"],
                summary=data["summary"],
                concerns=data["concerns"],
                owner=owner,
                supervisor=supervisor,
                reporter_name=data["reporter_name"],
                reporter_phone=data["reporter_phone"],
                reporter_relation=data["reporter_relation"],
                reporter_anonymous=data["reporter_anonymous"],
                consent_given=data["consent_given"],
                consent_notes=data["consent_notes"],
                sensitive=data["sensitive"],
                extra=form.extra_values(),
                guardians=form.guardians(),
                duplicate_reason=duplicate.cleaned_data["duplicate_reason"] if anyway else "",
            )
            if report is not None:
                intake.intake_report_register(by=request.user, report=report, case=case)
    except _ShowCandidates:
        return outcome
    except services.DuplicateCaseError as refused:
        outcome.open_cases = selectors.open_cases_seen_by(user=request.user, cases=refused.cases)
        if anyway:
            duplicate.add_error("duplicate_reason", _("Say why this child needs a second case."))
        return outcome
    except ValidationError as error:
        form.add_service_errors(error)
        return outcome
    except PermissionDenied:
        form.add_error("child_village", _("This village is outside your area."))
        return outcome
    messages.success(
        request,
        _("Case %(n)s registered. Next step: %(next)s")
        % {"n": case.number, "next": next_step(case)},
    )
    if case.supervisor_id is None:
        messages.info(
            request, _("No supervisor was chosen: the coordinator was told and will choose one.")
        )
    outcome.done = redirect("cases:detail", case.pk)
    return outcome


def _add_report(request, form: IntakeForm, case: Case, report):
    """Add the filled-in report to the child's open ``case`` (chosen on the duplicate warning)
    instead of registering a second case; a report from the intake queue is marked registered
    with that case. A refusal (ValidationError) propagates with nothing saved."""
    data = form.cleaned_data
    with transaction.atomic():
        services.case_add_report(
            case=case,
            by=request.user,
            channel=data["channel"],
            summary=data["summary"],
            concerns=data["concerns"],
            reporter_name=data["reporter_name"],
            reporter_phone=data["reporter_phone"],
            reporter_relation=data["reporter_relation"],
            reporter_anonymous=data["reporter_anonymous"],
            sensitive=data["sensitive"],
        )
        if report is not None:
            intake.intake_report_register(by=request.user, report=report, case=case)
    messages.success(
        request,
        _("The report was added to case %(n)s; its social worker was told.") % {"n": case.number},
    )
    if not selectors.case_openable(user=request.user, case=case):
        # restricted and not theirs: they added to it without reading it (a check, not an
        # attempt to open it: nothing to audit)
        return redirect("cases:intake_reports" if report is not None else "cases:list")
    return redirect("cases:detail", case.pk)


def _intake_team(data: dict, child: Person) -> tuple[User | None, User | None]:
    """The chosen owner and supervisor, who must work in the child's village (the lists offer
    everyone around the registering user's own areas)."""
    chosen = {}
    for field in ("owner", "supervisor"):
        user = _user(data[field])
        if user is not None and not scope_for(user).covers(child.village_id):
            raise ValidationError(
                {
                    field: [
                        _("%(u)s does not work in the child's village.")
                        % {"u": user.get_username()}
                    ]
                }
            )
        chosen[field] = user
    return chosen["owner"], chosen["supervisor"]


# --- The case page ----------------------------------------------------------------


# The parts of the case page, in order: (anchor, link text). Notes only for readers who may
# see restricted fields.
SECTIONS = (
    ("overview", gettext_lazy("Overview")),
    ("assessment", gettext_lazy("Assessment")),
    ("plan", gettext_lazy("Plan")),
    ("conference", gettext_lazy("Conferences")),
    ("visits", gettext_lazy("Visits")),
    ("notes", gettext_lazy("Notes")),
    ("attachments", gettext_lazy("Attachments")),
    ("referrals", gettext_lazy("Referrals")),
    ("timeline", gettext_lazy("Timeline")),
)
RISK_WORDS = {
    Rating.HIGH: gettext_lazy("high risk"),
    Rating.MEDIUM: gettext_lazy("medium risk"),
    Rating.LOW: gettext_lazy("low risk"),
}


def _age(born, today) -> str:
    """A child's age in words: whole years, or months under one year."""
    if born is None:
        return ""
    months = (today.year - born.year) * 12 + today.month - born.month - (today.day < born.day)
    if months < 12:
        return ngettext("%(n)d month", "%(n)d months", months) % {"n": max(months, 0)}
    years = months // 12
    return ngettext("%(n)d year", "%(n)d years", years) % {"n": years}


def _header(case: Case, user) -> dict:
    """What the case page's summary header shows: the child, age, risk in words (from the
    latest completed assessment), owner, and whether the stage is overdue — times in the
    user's zone."""
    now = timezone.localtime()
    assessed = (
        case.assessments.filter(completed_at__isnull=False)
        .order_by("-completed_at", "-id")
        .values_list("risk", flat=True)
        .first()
    )
    owner = case.owner.get_full_name() or case.owner.get_username()
    due = timezone.localtime(case.stage_due_at) if case.stage_due_at else None
    return {
        "name": selectors.display_name(case, user),
        "age": _age(case.child.birth_date, timezone.localdate()),
        "risk": assessed or "",
        "risk_words": RISK_WORDS.get(assessed, _("risk not assessed yet")),
        "owner": owner,
        "owner_words": _("your case")
        if case.owner_id == user.pk
        else _("owner: %(name)s") % {"name": owner},
        # the year only when it is not this year's: the header must fit on a phone
        "due": due and date_format(due, "j M, H.i T" if due.year == now.year else "j M Y, H.i T"),
        "overdue": case.stage in OPEN_STAGES
        and case.stage_due_at is not None
        and case.stage_due_at < now,
    }


def _detail_context(request, case: Case, **forms) -> dict:
    user = request.user
    sees_restricted = selectors.sees_restricted_fields(case, user)
    moves = services.case_moves(case=case, user=user)
    context = {
        "case": case,
        "version": case.version,
        "header": _header(case, user),
        "sections": [(key, label) for key, label in SECTIONS if key != "notes" or sees_restricted],
        "can_change": user.has_perm("cases.change_case"),
        "can_approve": user.has_perm("cases.approve_case"),
        "sees_restricted": sees_restricted,
        # the next step: each move offered when it can be made, else what it still lacks;
        # voiding apart, folded away
        "moves": [m for m in moves if m.name != "void"],
        "all_blocked": all(not m.allowed for m in moves if m.name != "void"),
        "void_move": next((m for m in moves if m.name == "void"), None),
        "responses": Case.Response.choices,
        "concerns": list(case.concerns.all()),
        "guardians": list(case.guardians.all()),
        "intake_extra": display_extra(CustomField.Form.INTAKE, case.extra),
        "emergency_actions": list(case.emergency_actions.all()),
        "follow_ups": list(case.follow_ups.all()),
        "events": list(case.events.select_related("actor")),
        "summary_form": forms.get("summary_form") or SummaryForm(initial={"summary": case.summary}),
        "emergency_form": forms.get("emergency_form") or EmergencyForm(),
        "plan_action_form": forms.get("plan_action_form") or PlanActionForm(),
        "plan_action_anchor": services.PLAN_ACTION_FORM,
        "transition_form": forms.get("transition_form"),
        "error": forms.get("error"),
        "conflict": forms.get("conflict", False),
    }
    return context


@login_required
def case_detail(request, pk: int):
    case = selectors.case_get(user=request.user, pk=pk)
    audit_record(action="view", actor=request.user, obj=case)
    return render(request, "cases/detail.html", _detail_context(request, case))


def _refused(request, pk: int, error: ValidationError, **forms):
    """The case page again, as it is now, with the reason and the user's input (409 when
    someone else saved first, else 400). Shown again, so audited again."""
    case = selectors.case_get(user=request.user, pk=pk)
    audit_record(action="view", actor=request.user, obj=case)
    conflict = isinstance(error, ConflictError)
    context = _detail_context(
        request, case, error=" ".join(error.messages), conflict=conflict, **forms
    )
    return render(request, "cases/detail.html", context, status=409 if conflict else 400)


def _write(request, pk: int, action, *, done: str, then: str = "", **forms):
    """Run ``action(locked_case)`` in a transaction, then confirm with ``done`` and go back to
    the case page (at ``then``, an anchor); on refusal show the page with the input."""
    selectors.case_get(user=request.user, pk=pk)  # 404 before anything else
    try:
        with transaction.atomic():
            locked = selectors.case_get_for_update(user=request.user, pk=pk)
            action(locked)
    except ValidationError as error:  # a PermissionDenied propagates: 403, audited
        return _refused(request, pk, error, **forms)
    if callable(done):  # a message about the case as it is now
        done = done(selectors.case_get(user=request.user, pk=pk))
    messages.success(request, done)
    return redirect(reverse("cases:detail", args=[pk]) + then)


@login_required
@require_POST
def case_transition_view(request, pk: int):
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _refused(request, pk, ValidationError(_("Invalid request.")))
    data = form.cleaned_data
    return _write(
        request,
        pk,
        lambda case: services.case_transition(
            case=case,
            name=data["name"],
            by=request.user,
            expected_version=data.get("version") or 0,
            reason=data["reason"],
            response=data["response"],
        ),
        transition_form=form,
        done=lambda case: (
            _("Case %(n)s: %(stage)s. Next step: %(next)s")
            % {"n": case.number, "stage": case.get_stage_display(), "next": next_step(case)}
        ),
    )


@login_required
@require_POST
def case_summary_edit(request, pk: int):
    form = SummaryForm(request.POST)
    if not form.is_valid():
        return _refused(
            request, pk, ValidationError(_("Write what was reported.")), summary_form=form
        )
    return _write(
        request,
        pk,
        lambda case: services.case_update_summary(
            case=case,
            by=request.user,
            expected_version=form.cleaned_data.get("version") or 0,
            summary=form.cleaned_data["summary"],
        ),
        summary_form=form,
        done=_("Summary of the report saved."),
    )


def _assign_form(case: Case, data=None, *, q: str = "") -> AssignForm:
    """Owner and supervisor choices: colleagues around the case's area, narrowed by part of a
    name or username (a big office has hundreds; at most ASSIGN_CHOICES of each are listed).
    A submitted form is checked against the chosen usernames themselves."""
    area = [case.area_id]
    owner = data.get("assign-owner", "") if data is not None else None
    supervisor = data.get("assign-supervisor", "") if data is not None else None
    return AssignForm(
        data,
        workers=_colleagues(area, "cases.change_case", q=q, keep=case.owner.username, only=owner),
        supervisors=_colleagues(area, "cases.approve_case", q=q, only=supervisor),
        initial={"owner": case.owner.username, "version": case.version},
    )


@login_required
def case_assign_view(request, pk: int):
    """Reassign the case: its own page (one thing per page), reached from the case page. The
    lists are filled only here, so the case page stays light whatever the office's size."""
    case = selectors.case_get(user=request.user, pk=pk)
    require_perm(request.user, "cases.approve_case")
    q = request.GET.get("q", "").strip()[:100]
    if request.method != "POST":
        audit_record(action="view", actor=request.user, obj=case)
        form = _assign_form(case, q=q)
        return _assign_page(request, case, form, q=q)
    form = _assign_form(case, request.POST)
    if not form.is_valid():
        return _assign_page(request, case, form, status=400)
    data = form.cleaned_data
    try:
        with transaction.atomic():
            locked = selectors.case_get_for_update(user=request.user, pk=pk)
            services.case_assign(
                case=locked,
                owner=_user(data["owner"]),
                supervisor=_user(data["supervisor"]),
                by=request.user,
                expected_version=data.get("version") or 0,
            )
    except ValidationError as error:
        conflict = isinstance(error, ConflictError)
        form.add_error(None, error.messages)
        return _assign_page(request, case, form, status=409 if conflict else 400, conflict=conflict)
    messages.success(request, _("Case reassigned; the new owner was told what is pending."))
    return redirect("cases:detail", pk=pk)


def _assign_page(request, case: Case, form: AssignForm, *, status: int = 200, **extra):
    capped = len(form.fields["owner"].choices) >= ASSIGN_CHOICES
    context = {"case": case, "form": form, "capped": capped, **extra}
    return render(request, "cases/assign.html", context, status=status)


@login_required
@require_POST
def emergency_new(request, pk: int):
    form = EmergencyForm(request.POST)
    if not form.is_valid():
        return _refused(request, pk, ValidationError(_("Choose the action.")), emergency_form=form)
    data = form.cleaned_data
    return _write(
        request,
        pk,
        lambda case: services.emergency_action_record(
            case=case,
            by=request.user,
            kind=data["kind"],
            started=data["started"],
            notes=data["notes"],
        ),
        emergency_form=form,
        done=_("Emergency action recorded. Next step: mark it as started when it begins."),
    )


@login_required
@require_POST
def emergency_start(request, pk: int, action_id: int):
    case = selectors.case_get(user=request.user, pk=pk)
    action = selectors.case_record_get(case=case, related="emergency_actions", pk=action_id)
    return _write(
        request,
        pk,
        lambda _case: services.emergency_action_start(action=action, by=request.user),
        done=_("Emergency action marked as started. It shows on the case timeline."),
    )


@login_required
@require_POST
def plan_action_new(request, pk: int):
    form = PlanActionForm(request.POST)
    if not form.is_valid():
        return _refused(
            request, pk, ValidationError(_("Complete the action.")), plan_action_form=form
        )
    data = form.cleaned_data
    return _write(
        request,
        pk,
        lambda case: services.plan_action_add(case=case, by=request.user, **data),
        plan_action_form=form,
        done=_(
            "Plan action added to the case plan. Refer it to a provider if a service is needed."
        ),
        then="#plan",
    )


@login_required
@require_POST
def follow_up_done(request, pk: int, follow_up_id: int):
    case = selectors.case_get(user=request.user, pk=pk)
    follow_up = selectors.case_record_get(case=case, related="follow_ups", pk=follow_up_id)
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        return _refused(request, pk, ValidationError(_("Write what you observed.")))
    return _write(
        request,
        pk,
        lambda _case: services.follow_up_complete(
            follow_up=follow_up, by=request.user, notes=form.cleaned_data["notes"]
        ),
        done=lambda case: _("Follow-up recorded. Next step: %(next)s") % {"next": next_step(case)},
    )


# --- Alerts -----------------------------------------------------------------------


@login_required
def alerts_view(request):
    """The user's own alerts, one compact row each, grouped by case (newest first): the unread
    ones (default) or all, done ones marked done. POST marks read the ticked alerts
    (``alert``, repeatable) or all (``all``) — only the user's own (alerts.alerts_mark_read) —
    then goes back to ``next`` (a local URL) or this page."""
    if request.method == "POST":
        if request.POST.get("all"):
            marked = alerts_mark_read(user=request.user)
        else:
            ids = [int(v) for v in request.POST.getlist("alert") if v.isdigit()]
            marked = alerts_mark_read(user=request.user, ids=ids)
        if marked:
            messages.success(
                request,
                ngettext("%(n)d alert marked as read.", "%(n)d alerts marked as read.", marked)
                % {"n": marked},
            )
        target = request.POST.get("next", "")
        safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
        return redirect(target if target and safe else "cases:alerts")
    show = "all" if request.GET.get("show") == "all" else "unread"
    mine = Alert.objects.filter(user=request.user)
    alerts = (mine if show == "all" else mine.unread()).select_related("case")
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    groups: dict[int | None, dict] = {}
    for alert in page:
        groups.setdefault(alert.case_id, {"case": alert.case, "alerts": []})["alerts"].append(alert)
    return render(
        request,
        "cases/alerts.html",
        {
            "page": page,
            "groups": list(groups.values()),
            "show": show,
            "unread_count": mine.unread().count(),
        },
    )
