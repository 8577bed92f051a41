"""The DCI endpoints (`/api/v1/dci/registry/…`, plain Django views: the DCI envelope is its own
protocol, signed per message, not the token-authenticated PKSAI API) and the case page's
"check birth registration" action."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from pksai.accounts.scoping import require_perm
from pksai.cases.selectors import case_get
from pksai.dci import crvs, services
from pksai.dci.models import BirthRegistration


def _body(request):
    try:
        return json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _error(exc: services.DciError) -> JsonResponse:
    return JsonResponse(services.error_envelope(exc.code, exc.message), status=exc.status)


@csrf_exempt
@require_POST
def sync_search(request):
    """POST /registry/sync/search: the on-search envelope at once."""
    try:
        checked = services.message_check(
            _body(request), signature_header=request.headers.get("Signature", "")
        )
    except services.DciError as exc:  # the refusal is audited (not rolled back)
        return _error(exc)
    return JsonResponse(services.search_answer(checked))


@csrf_exempt
@require_POST
def async_search(request):
    """POST /registry/search: ACK now; the on-search envelope goes to the caller's registered
    callback URL from the worker."""
    try:
        checked = services.message_check(
            _body(request), signature_header=request.headers.get("Signature", "")
        )
        correlation_id = services.search_async_accept(checked)
    except services.DciError as exc:
        return _error(exc)
    return JsonResponse(services.ack_envelope(correlation_id))


@login_required
@require_POST
def birth_check(request, pk: int):
    """Ask the civil registry about the child of case ``pk`` (staff who may work the case)."""
    require_perm(request.user, "cases.change_case")  # before the lookup: 403 either way
    case = case_get(user=request.user, pk=pk)
    try:
        record = crvs.birth_check(person=case.child, by=request.user)
    except crvs.CrvsNotConfigured as exc:
        messages.error(request, str(exc))
        return redirect("cases:detail", pk)
    if record.outcome == BirthRegistration.Outcome.FOUND:
        messages.success(
            request,
            _("The civil registry has the birth registration: certificate %(n)s.")
            % {"n": record.certificate_number},
        )
    elif record.outcome == BirthRegistration.Outcome.NOT_FOUND:
        messages.warning(request, _("The civil registry has no birth registration for this child."))
    else:
        messages.error(request, _("The civil registry could not answer; try again later."))
    return redirect("cases:detail", pk)
