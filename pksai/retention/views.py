"""The retention page for data-protection officers and administrators: the schedule in
force, what is due in the user's areas, the legal holds (place, release) and the runs.
Thin: selectors read, services write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pksai.accounts.scoping import require_perm
from pksai.audit.services import audit_record
from pksai.retention import selectors, services
from pksai.retention.forms import PlaceHoldForm, ReleaseHoldForm
from pksai.retention.models import LegalHold


def _page(request, *, status: int = 200, place_form=None, release_errors=None):
    user = request.user
    rules = list(selectors.retention_rules(user=user))
    holds = list(selectors.legal_holds(user=user)[:200])
    if holds:
        # hold reasons are people's words about cases and persons: reading them is recorded
        audit_record(
            action="view",
            actor=user,
            object_type="retention.legalhold",
            detail={"list": [h.pk for h in holds]},
        )
    may_place = user.has_perm(selectors.ADD_HOLD)
    may_release = user.has_perm(selectors.CHANGE_HOLD)
    release_errors = release_errors or {}
    for hold in holds:
        hold.release_form = release_errors.get(hold.pk) or ReleaseHoldForm(
            auto_id=f"id_h{hold.pk}_%s"
        )
    context = {
        "in_force": services.rules_in_force(),
        "rules": rules,
        "due": services.retention_due(user=user),
        "holds": holds,
        "runs": list(selectors.retention_runs(user=user))
        if user.has_perm(selectors.VIEW_RUNS)
        else [],
        "place_form": (place_form or PlaceHoldForm(user=user)) if may_place else None,
        "may_release": may_release,
    }
    return render(request, "retention/index.html", context, status=status)


@login_required
def retention_index(request):
    return _page(request)


@login_required
@require_POST
def hold_place(request):
    require_perm(request.user, selectors.ADD_HOLD)
    form = PlaceHoldForm(request.POST, user=request.user)
    if form.is_valid():
        target = form.cleaned_data["target"]
        try:
            hold = services.legal_hold_place(
                by=request.user,
                target=target,
                reason=form.cleaned_data["reason"],
                case=form.record if target == LegalHold.Target.CASE else None,
                person=form.record if target == LegalHold.Target.PERSON else None,
                complaint=form.record if target == LegalHold.Target.COMPLAINT else None,
                area_code=form.cleaned_data.get("area") or "",
            )
        except (ValidationError, PermissionDenied) as refused:
            form.add_error(None, " ".join(getattr(refused, "messages", [str(refused)])))
        else:
            messages.success(
                request,
                _(
                    "Hold placed on %(what)s: its records are not anonymised until the hold "
                    "is released."
                )
                % {"what": f"{hold.get_target_display()} {hold.target_label}"},
            )
            return redirect("retention:index")
    return _page(request, status=400, place_form=form)


@login_required
@require_POST
def hold_release(request, pk: int):
    hold = selectors.legal_hold_get(user=request.user, pk=pk)
    form = ReleaseHoldForm(request.POST, auto_id=f"id_h{pk}_%s")
    if form.is_valid():
        try:
            services.legal_hold_release(
                by=request.user, hold=hold, reason=form.cleaned_data["reason"]
            )
        except ValidationError as refused:
            form.add_error(None, " ".join(refused.messages))
        else:
            messages.success(
                request,
                _(
                    "Hold on %(what)s released: its records are anonymised at the next run "
                    "once their period has ended."
                )
                % {"what": f"{hold.get_target_display()} {hold.target_label}"},
            )
            return redirect("retention:index")
    return _page(request, status=400, release_errors={pk: form})
