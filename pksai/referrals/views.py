"""Referral pages: the staff list, a referral's page (full for case staff, the shared part
only for the receiver), sending a referral or a transfer from a case, the provider portal,
and client satisfaction (staff-entered, or by a one-time link that needs no account)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pksai.accounts.models import Organisation, User
from pksai.accounts.scoping import require_perm, scope_for
from pksai.audit.services import audit_record
from pksai.cases import selectors as case_selectors
from pksai.cases.models import PlanAction
from pksai.cases.services import ConflictError
from pksai.referrals import selectors, services
from pksai.referrals.forms import MoveForm, ReferralForm, SatisfactionForm, TransferForm
from pksai.referrals.models import Referral, Status
from pksai.referrals.services import SHAREABLE, Answer, LinkRefused

PAGE_SIZE = 50


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- lists ---------------------------------------------------------------------------


@login_required
def referral_list(request):
    """Case staff: the referrals of cases in their scope (filter by status, overdue)."""
    if selectors.is_focal_person(request.user):
        return redirect("referrals:portal")
    g = request.GET
    filters = {
        "status": g.get("status", ""),
        "overdue": g.get("overdue") == "1",
        "q": g.get("q", ""),
    }
    page = _page(request, selectors.referral_list(user=request.user, **filters))
    for referral in page:
        referral.is_overdue = selectors.is_overdue(referral)
    return render(
        request,
        "referrals/list.html",
        {"page": page, "filters": filters, "query": _query(request), "statuses": Status.choices},
    )


@login_required
def portal(request):
    """A focal person's inbox: referrals addressed to their organisation, and nothing else."""
    if not selectors.is_focal_person(request.user):
        return redirect("referrals:list")
    status = request.GET.get("status", "")
    qs = selectors.inbox(user=request.user)
    if status:
        qs = qs.filter(status=status)
    page = _page(request, qs)
    for referral in page:
        referral.is_overdue = selectors.is_overdue(referral)
    if page.object_list:
        audit_record(
            action="view",
            actor=request.user,
            object_type="referrals.referral",
            detail={"list": [r.pk for r in page]},
        )
    return render(
        request,
        "referrals/portal.html",
        {
            "page": page,
            "status": status,
            "statuses": Status.choices,
            "query": _query(request),
            "organisation": request.user.organisation,
        },
    )


# --- one referral --------------------------------------------------------------------


def _detail_context(request, referral: Referral, **extra) -> dict:
    user = request.user
    full = selectors.sees_case(user, referral)
    moves = services.moves_for(user, referral)
    context = {
        "referral": referral,
        "full": full,
        "shared": [(SHAREABLE.get(k, k), v) for k, v in referral.shared.items()],
        "events": selectors.referral_events(referral),
        "moves": moves,
        "is_overdue": selectors.is_overdue(referral),
        "move_form": extra.get("move_form"),
        "error": extra.get("error"),
        "conflict": extra.get("conflict", False),
        "on_behalf": full and any(m.side == "provider" for m in moves),
    }
    if referral.kind == Referral.Kind.TRANSFER and any(m.name == "accept" for m in moves):
        context["receivers"] = case_selectors.colleagues(
            codes=[referral.to_organisation.area_id], perm="cases.change_case"
        ).order_by("username")
    if full:
        context["satisfaction"] = list(referral.satisfaction.all())
        context["satisfaction_form"] = extra.get("satisfaction_form") or SatisfactionForm()
        context["link"] = extra.get("link")
    return context


@login_required
def referral_detail(request, pk: int):
    referral = selectors.referral_get(user=request.user, pk=pk)
    audit_record(action="view", actor=request.user, obj=referral)
    return render(request, "referrals/detail.html", _detail_context(request, referral))


def _refused(request, pk: int, error: ValidationError, **extra):
    referral = selectors.referral_get(user=request.user, pk=pk)
    audit_record(action="view", actor=request.user, obj=referral)
    conflict = isinstance(error, ConflictError)
    context = _detail_context(
        request, referral, error=" ".join(error.messages), conflict=conflict, **extra
    )
    return render(request, "referrals/detail.html", context, status=409 if conflict else 400)


@login_required
@require_POST
def referral_move_view(request, pk: int):
    referral = selectors.referral_get(user=request.user, pk=pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _refused(request, pk, ValidationError(_("Check the form.")), move_form=form)
    data = form.cleaned_data
    owner = None
    if data["owner"]:
        owner = User.objects.filter(username=data["owner"], is_active=True).first()
    try:
        moved = services.referral_move(
            referral=referral,
            by=request.user,
            name=data["name"],
            expected_version=data["version"],
            answer=Answer(
                reason=data["reason"],
                delivered_on=data["delivered_on"],
                provided=data["provided"],
                outcome=data["outcome"],
                owner=owner,
                certificate_number=data["certificate_number"],
                certificate_date=data["certificate_date"],
            ),
        )
    except ValidationError as error:  # a PermissionDenied propagates: 403, audited
        return _refused(request, pk, error, move_form=form)
    messages.success(
        request,
        _("Referral %(n)s: %(status)s.")
        % {"n": moved.number, "status": moved.get_status_display()},
    )
    if selectors.is_focal_person(request.user):
        return redirect("referrals:detail", pk)
    if not selectors.referral_list(user=request.user).filter(pk=pk).exists():
        return redirect("referrals:list")  # an accepted transfer may leave the sender's scope
    return redirect("referrals:detail", pk)


# --- sending -------------------------------------------------------------------------


def _open_actions(case):
    return case.plan_actions.filter(
        status__in=[PlanAction.Status.PLANNED, PlanAction.Status.IN_PROGRESS]
    ).order_by("due_date")


@login_required
def referral_new(request, case_pk: int):
    """Refer the case's child to a provider serving the case's area (from a plan action)."""
    require_perm(request.user, services.SEND)
    case = case_selectors.case_get(user=request.user, pk=case_pk)
    providers = list(selectors.providers_for_case(user=request.user, case=case))
    actions = list(_open_actions(case))
    initial = {}
    if request.GET.get("action", "").isdigit():
        initial["plan_action"] = int(request.GET["action"])
    form = ReferralForm(request.POST or None, providers=providers, actions=actions, initial=initial)
    status, record_url = 200, ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = next((p for p in providers if p.pk == data["provider"]), None)
        action = next((a for a in actions if a.pk == data["plan_action"]), None)
        try:
            with transaction.atomic():
                locked = case_selectors.case_get_for_update(user=request.user, pk=case.pk)
                referral = services.referral_send(
                    by=request.user,
                    case=locked,
                    organisation=chosen.organisation if chosen else None,
                    service=data["service"],
                    urgency=data["urgency"],
                    reason=data["reason"],
                    share=data["share"],
                    plan_action=action,
                    due_date=data["due_date"],
                )
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
            record_url = getattr(error, "record_url", "")
            status = 400
        else:
            messages.success(
                request,
                _(
                    "Referral %(n)s sent to %(org)s. Next step: the provider accepts or "
                    "declines it; you see the answer on the case."
                )
                % {"n": referral.number, "org": chosen.organisation},
            )
            return redirect(reverse("cases:detail", args=[case.pk]) + "#referrals")
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "referrals/new.html",
        {"case": case, "form": form, "providers": providers, "record_url": record_url},
        status=status,
    )


@login_required
def transfer_new(request, case_pk: int):
    """Offer the whole case to another district's secretariat, with consent."""
    require_perm(request.user, "cases.approve_case")
    case = case_selectors.case_get(user=request.user, pk=case_pk)
    own = scope_for(request.user)
    secretariats = [
        o
        for o in Organisation.objects.filter(
            kind=Organisation.Kind.SECRETARIAT, is_active=True
        ).select_related("area")
        if not own.covers(o.area_id)
    ]
    form = TransferForm(request.POST or None, secretariats=secretariats)
    status, record_url = 200, ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target = next((o for o in secretariats if o.pk == data["organisation"]), None)
        try:
            if target is None:
                raise ValidationError(_("Choose the receiving secretariat."))
            with transaction.atomic():
                locked = case_selectors.case_get_for_update(user=request.user, pk=case.pk)
                referral = services.transfer_send(
                    by=request.user,
                    case=locked,
                    organisation=target,
                    urgency=data["urgency"],
                    reason=data["reason"],
                    share=data["share"],
                )
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
            record_url = getattr(error, "record_url", "")
            status = 400
        else:
            messages.success(
                request,
                _("Transfer %(n)s offered to %(org)s. The case stays yours until they accept it.")
                % {"n": referral.number, "org": target},
            )
            return redirect(reverse("cases:detail", args=[case.pk]) + "#referrals")
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "referrals/transfer.html",
        {"case": case, "form": form, "record_url": record_url},
        status=status,
    )


# --- client satisfaction -------------------------------------------------------------


def _satisfaction_target(request, case_pk: int):
    case = case_selectors.case_get(user=request.user, pk=case_pk)
    referral = None
    if request.POST.get("referral", "").isdigit():
        referral = selectors.referral_get(user=request.user, pk=int(request.POST["referral"]))
        if referral.case_id != case.pk:
            raise PermissionDenied("referral of another case")
    return case, referral


def _back(case, referral):
    if referral is not None:
        return reverse("referrals:detail", args=[referral.pk]) + "#satisfaction"
    return reverse("cases:detail", args=[case.pk]) + "#satisfaction"


@login_required
@require_POST
def satisfaction_new(request, case_pk: int):
    """Staff type the answer the child or guardian gave in person or by phone."""
    case, referral = _satisfaction_target(request, case_pk)
    form = SatisfactionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose who answers and a score from 1 to 5."))
        services.satisfaction_record(
            by=request.user, case=case, referral=referral, **form.cleaned_data
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Satisfaction of case %(number)s recorded. Thank you.") % {"number": case.number},
        )
    return redirect(_back(case, referral))


@login_required
@require_POST
def satisfaction_link_new(request, case_pk: int):
    """A one-time link for the child or guardian; shown once, to pass on by SMS or WhatsApp."""
    case, referral = _satisfaction_target(request, case_pk)
    try:
        _record, token = services.satisfaction_link(by=request.user, case=case, referral=referral)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_back(case, referral))
    link = request.build_absolute_uri(reverse("referrals:satisfaction_public", args=[token]))
    return render(
        request,
        "referrals/satisfaction_link.html",
        {"case": case, "referral": referral, "link": link},
    )


def satisfaction_public(request, token: str):
    """The one-time page: no account; answered once, then it refuses."""
    try:
        record = services.satisfaction_by_link(token)
    except LinkRefused as refused:
        return render(
            request, "referrals/satisfaction_public.html", {"refused": str(refused)}, status=410
        )
    form = SatisfactionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.satisfaction_answer(token=token, **form.cleaned_data)
        except LinkRefused as refused:
            return render(
                request, "referrals/satisfaction_public.html", {"refused": str(refused)}, status=410
            )
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            return render(request, "referrals/satisfaction_public.html", {"thanks": True})
    about = ""
    if record.referral_id:
        about = f"{record.referral.service} — {record.referral.to_organisation}"
    return render(
        request,
        "referrals/satisfaction_public.html",
        {"form": form, "about": about},
        status=400 if form.is_bound else 200,
    )
