"""Staff complaint pages: the working queues, staff entry (phone, SMS, walk-in, e-mail, letter,
a facilitator's visit), and the complaint page with its handling actions.

Thin: reads go through selectors (scope and the restricted queue: out of reach is a 404),
writes through services. Every handling form carries the version it was loaded at; a stale one
is a ConflictError shown on the page (409) and nothing is overwritten. Opening a complaint is
audited (it shows the complainant's contact)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pksai.accounts.models import User
from pksai.accounts.scoping import get_scoped_or_404, get_visible_or_404, require_perm
from pksai.audit.services import audit_record
from pksai.cases.models import Case
from pksai.cases.services import ConflictError
from pksai.grievances import selectors, services
from pksai.grievances.forms import (
    AssignForm,
    EscalateForm,
    NoteForm,
    ResolveForm,
    StaffComplaintForm,
    StartForm,
)
from pksai.grievances.models import Complaint
from pksai.grievances.services import ADD, VIEW, VIEW_RESTRICTED, ComplaintInput

PAGE_SIZE = 50

QUEUE_LABELS = {
    "level": gettext_lazy("At my level"),
    "mine": gettext_lazy("Assigned to me"),
    "overdue": gettext_lazy("Overdue"),
    "escalated": gettext_lazy("Escalated"),
    "restricted": gettext_lazy("Restricted (misconduct)"),
    "resolved": gettext_lazy("Resolved"),
    "all": gettext_lazy("All"),
}


# --- queues -------------------------------------------------------------------------------


@login_required
def complaint_queue_view(request):
    user = request.user
    require_perm(user, VIEW)
    queues = [q for q in selectors.QUEUES if q != "restricted" or user.has_perm(VIEW_RESTRICTED)]
    queue = request.GET.get("queue", "level")
    if queue not in queues:
        queue = "level"
    page = Paginator(selectors.complaint_queue(user=user, queue=queue), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    for complaint in page:
        complaint.is_overdue = complaint.is_open and complaint.due_at < now
    if page.object_list:
        audit_record(
            action="view",
            actor=user,
            object_type="grievances.complaint",
            detail={"list": [c.pk for c in page], "queue": queue},
        )
    return render(
        request,
        "grievances/queue.html",
        {
            "page": page,
            "queue": queue,
            "tabs": [(q, QUEUE_LABELS[q]) for q in queues],
            "level": selectors.user_level(user),
        },
    )


# --- staff entry --------------------------------------------------------------------------


def _links(user, data: dict) -> tuple[dict, dict[str, str]]:
    """The case, beneficiary and provider the complaint concerns, each read through its own
    scoped selector: one the user may not see is an error on its field, like an unknown one."""
    links: dict = {}
    errors: dict[str, str] = {}
    if data.get("case_number"):
        try:
            links["case"] = get_scoped_or_404(
                Case.objects.all(), user, perm="cases.view_case", number=data["case_number"].strip()
            )
        except Http404:
            links["case"] = None
        if links["case"] is None:
            errors["case_number"] = _("No case with this number in your area.")
        else:
            links["person"] = links["case"].child
    if data.get("beneficiary_id"):
        from pksai.programs.models import Beneficiary
        from pksai.programs.selectors import beneficiary_list

        try:
            links["beneficiary"] = get_visible_or_404(
                lambda: beneficiary_list(user=user),
                base=Beneficiary.objects.all(),
                pk=data["beneficiary_id"],
            )
        except Http404:
            links["beneficiary"] = None
        if links["beneficiary"] is None:
            errors["beneficiary_id"] = _("No beneficiary with this number in your area.")
        else:
            links.setdefault("person", links["beneficiary"].person)
    if data.get("provider_id"):
        from pksai.referrals.selectors import provider_get

        try:
            links["provider"] = provider_get(user=user, pk=data["provider_id"])
        except (Http404, PermissionDenied):
            errors["provider_id"] = _("No service provider with this number.")
    return links, errors


@login_required
def complaint_new(request):
    """Staff or a facilitator records a complaint received by phone, SMS, at the desk, by
    e-mail or letter, or on a visit. Whoever may not read complaints (a facilitator) sees the
    tracking code to give the complainant, not the complaint."""
    user = request.user
    require_perm(user, ADD)
    form = StaffComplaintForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        links, errors = _links(user, data)
        for field, message in errors.items():
            form.add_error(field, message)
        if not errors:
            try:
                complaint = services.complaint_create(
                    by=user,
                    data=ComplaintInput(
                        category=data["category"],
                        description=data["description"],
                        area_code=data["area"],
                        priority=data["priority"],
                        anonymous=data["anonymous"],
                        name=data["name"],
                        phone=data["phone"],
                        email=data["email"],
                        about_staff=data["about_staff"],
                    ),
                    channel=data["channel"],
                    links=links,
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                if user.has_perm(VIEW) and (
                    not complaint.restricted or user.has_perm(VIEW_RESTRICTED)
                ):
                    messages.success(
                        request,
                        _("Complaint %(code)s recorded. Give the complainant this tracking code.")
                        % {"code": complaint.code},
                    )
                    return redirect("complaints:detail", complaint.pk)
                return render(request, "grievances/recorded.html", {"complaint": complaint})
    return render(
        request,
        "grievances/new.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


# --- the complaint page -------------------------------------------------------------------


def _handlers(complaint: Complaint) -> list[tuple[str, str]]:
    """Active users who could handle the complaint: the handling role, a scope covering its
    area (or national), and for the restricted queue the restricted permission."""
    parts = complaint.area_id.split(".")
    above = [".".join(parts[: i + 1]) for i in range(len(parts))]
    users = User.objects.filter(
        Q(scope_areas__code__in=above) | Q(is_national=True),
        is_active=True,
        groups__permissions__codename="change_complaint",
        groups__permissions__content_type__app_label="grievances",
    )
    if complaint.restricted:
        users = users.filter(
            pk__in=User.objects.filter(
                groups__permissions__codename="view_restricted_complaint",
                groups__permissions__content_type__app_label="grievances",
            ).values("pk")
        )
    rows = users.distinct().order_by("username")[:200]
    return [(str(u.pk), u.get_full_name() or u.username) for u in rows]


def _page(request, complaint: Complaint, *, status: int = 200, error: str = "", **forms):
    """The complaint page as it is now (with the user's input on a refused form). Shown, so
    audited: it carries the complainant's contact."""
    audit_record(action="view", actor=request.user, obj=complaint)
    user = request.user
    version = {"version": complaint.version}
    can_handle = services.may_receive(user, complaint)
    context = {
        "complaint": complaint,
        "events": list(complaint.events.select_related("actor")),
        "can_handle": can_handle,
        "now": timezone.now(),
        "error": error,
        "conflict": status == 409,
        "intake_report": complaint.intake_report,
    }
    if can_handle and complaint.is_open:
        context.update(
            assign_form=forms.get("assign_form")
            or AssignForm(
                handlers=_handlers(complaint),
                initial={**version, "assigned_to": complaint.assigned_to_id or ""},
            ),
            start_form=forms.get("start_form") or StartForm(initial=version),
            escalate_form=forms.get("escalate_form") or EscalateForm(initial=version),
            resolve_form=forms.get("resolve_form") or ResolveForm(initial=version),
        )
    if can_handle:
        context["note_form"] = forms.get("note_form") or NoteForm()
    return render(request, "grievances/detail.html", context, status=status)


def _get(request, pk: int) -> Complaint:
    return selectors.complaint_get(user=request.user, pk=pk)


@login_required
def complaint_detail(request, pk: int):
    return _page(request, _get(request, pk))


def _act(request, pk: int, form_name: str, form, action, done: str):
    """Validate ``form``, run ``action(complaint, cleaned_data)``; on a stale version show the
    conflict (409) with the page as it is now, on another refusal the reason (400)."""
    complaint = _get(request, pk)
    if not form.is_valid():
        return _page(request, complaint, status=400, **{form_name: form})
    try:
        action(complaint, form.cleaned_data)
    except ConflictError as conflict:
        current = _get(request, pk)
        if "version" in form.fields:  # keep the input; a second send is a deliberate choice
            form.data = form.data.copy()
            form.data["version"] = current.version
        return _page(
            request, current, status=409, error=" ".join(conflict.messages), **{form_name: form}
        )
    except ValidationError as refused:
        if hasattr(refused, "error_dict"):
            for field, errs in refused.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
            message = ""
        else:
            message = " ".join(refused.messages)
        return _page(request, _get(request, pk), status=400, error=message, **{form_name: form})
    messages.success(request, done)
    return redirect("complaints:detail", pk)


@login_required
@require_POST
def complaint_assign_view(request, pk: int):
    complaint = _get(request, pk)
    form = AssignForm(request.POST, handlers=_handlers(complaint))

    def action(c, data):
        to = User.objects.get(pk=data["assigned_to"])
        services.complaint_assign(
            by=request.user, complaint=c, to=to, expected_version=data["version"]
        )

    return _act(
        request,
        pk,
        "assign_form",
        form,
        action,
        _("Complaint assigned. The officer sees it in their queue."),
    )


@login_required
@require_POST
def complaint_start_view(request, pk: int):
    def action(c, data):
        services.complaint_start(by=request.user, complaint=c, expected_version=data["version"])

    return _act(
        request,
        pk,
        "start_form",
        StartForm(request.POST),
        action,
        _("Investigation started. Next step: resolve the complaint before it is due."),
    )


@login_required
@require_POST
def complaint_note_view(request, pk: int):
    def action(c, data):
        services.complaint_note(by=request.user, complaint=c, text=data["text"])

    return _act(
        request,
        pk,
        "note_form",
        NoteForm(request.POST),
        action,
        _("Note added to the complaint history."),
    )


@login_required
@require_POST
def complaint_escalate_view(request, pk: int):
    def action(c, data):
        services.complaint_escalate(
            by=request.user, complaint=c, reason=data["reason"], expected_version=data["version"]
        )

    return _act(
        request,
        pk,
        "escalate_form",
        EscalateForm(request.POST),
        action,
        _("Complaint sent up a level. The officers there see it in their queue."),
    )


@login_required
@require_POST
def complaint_resolve_view(request, pk: int):
    def action(c, data):
        services.complaint_resolve(
            by=request.user,
            complaint=c,
            resolution=data["resolution"],
            remedy=data["remedy"],
            internal_notes=data["internal_notes"],
            expected_version=data["version"],
        )

    return _act(
        request,
        pk,
        "resolve_form",
        ResolveForm(request.POST),
        action,
        _("Complaint resolved. The resolution is on the public status page."),
    )
