"""The providers' callbacks (delivery receipts and inbound messages) and the staff pages."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from pksai.accounts.scoping import require_perm
from pksai.core.client import client_address
from pksai.core.reports import FORMATS, PeriodAreaForm, display, download, with_period_defaults
from pksai.messaging.channels import UnknownChannel, get_channel
from pksai.messaging.contacts import mask
from pksai.messaging.forms import WorkMessagesForm, channel_label
from pksai.messaging.selectors import REPORT, report_table, work_consent_of
from pksai.messaging.sending import receipts_apply
from pksai.messaging.services import inbound_receive, work_channel, work_consent_set

log = logging.getLogger(__name__)


@csrf_exempt
def callback(request: HttpRequest, channel: str) -> HttpResponse:
    """``/messaging/callback/<channel>/``: a subscription handshake is answered; otherwise the
    signature is checked before anything in the request is read — a bad one is refused with
    403 and a log line —, then receipts move messages on and inbound messages are handled."""
    try:
        backend = get_channel(channel)
    except UnknownChannel:
        raise Http404 from None
    answer = backend.handshake(request)
    if answer is not None:
        return answer
    if not backend.verify_callback(request):
        log.warning(
            "messaging callback refused: bad signature on %s from %s",
            channel,
            client_address(request),
        )
        return HttpResponse("refused", status=403, content_type="text/plain")
    receipts = backend.parse_receipts(request)
    changed = receipts_apply(channel=channel, receipts=receipts) if receipts else 0
    for item in backend.parse_inbound(request):
        inbound_receive(channel=channel, sender=item.sender, text=item.text)
    log.info(
        "messaging callback on %s: %d receipts, %d messages changed",
        channel,
        len(receipts),
        changed,
    )
    return HttpResponse("ok", content_type="text/plain")


# --- the report -------------------------------------------------------------------------------


def _report_form(request) -> PeriodAreaForm:
    return PeriodAreaForm(with_period_defaults(request), user=request.user)


@login_required
@require_GET
def report(request):
    """``/messaging/reports/``: messages sent, delivered and failed per channel and area in
    the user's scope (aggregates only). Without ``view_message_report``: 403."""
    require_perm(request.user, REPORT)
    form = _report_form(request)
    context: dict = {"form": form}
    if form.is_valid():
        data = form.cleaned_data
        table = report_table(
            user=request.user,
            date_from=data["date_from"],
            date_to=data["date_to"],
            area=data.get("area") or "",
        )
        context.update(table=display(table), period=data)
    return render(request, "messaging/report.html", context, status=200 if form.is_valid() else 400)


@login_required
@require_GET
def report_export(request):
    require_perm(request.user, REPORT)
    fmt = request.GET.get("format", "")
    form = _report_form(request)
    if fmt not in FORMATS or not form.is_valid():
        raise Http404("No such report.")
    data = form.cleaned_data
    area = data.get("area") or ""
    table = report_table(
        user=request.user, date_from=data["date_from"], date_to=data["date_to"], area=area
    )
    return download(
        request,
        table,
        fmt=fmt,
        filename=f"messages-{data['date_from']:%Y%m%d}-{data['date_to']:%Y%m%d}",
        object_type="messaging.report",
        title=str(_("Messages sent, delivered and failed")),
        detail={
            "date_from": data["date_from"].isoformat(),
            "date_to": data["date_to"].isoformat(),
            "area": area,
        },
    )


# --- My messages: a staff member's own work alerts by WhatsApp --------------------------------


@login_required
def me(request):
    """One question: receive work alerts by WhatsApp (or the configured phone channel), at
    which number; the current state with its date. Saving records the consent or withdraws
    it (``work_consent_set``, audited)."""
    current = work_consent_of(request.user)
    active = current is not None and current.withdrawn_at is None
    if request.method == "POST":
        form = WorkMessagesForm(request.POST)
        if form.is_valid():
            wanted = form.cleaned_data["wanted"]
            work_consent_set(
                user=request.user,
                phone=form.cleaned_data["phone"],
                wanted=wanted,
                language=translation.get_language()[:2] if translation.get_language() else "id",
            )
            messages.success(
                request,
                gettext("Saved: your work alerts now come by %(channel)s too.")
                % {"channel": channel_label(work_channel())}
                if wanted
                else gettext(
                    "Saved: you no longer receive work alerts by message. They stay in the app."
                ),
            )
            return redirect("messaging:me")
        status = 400
    else:
        form = WorkMessagesForm(
            initial={
                "wanted": "yes" if active else "no",
                "phone": current.recipient if current is not None else "",
            }
        )
        status = 200
    return render(
        request,
        "messaging/me.html",
        {
            "form": form,
            "current": current,
            "active": active,
            "masked": mask(current.recipient) if current else "",
            "channel": channel_label(current.channel if current else work_channel()),
            "work_channel": channel_label(work_channel()),
        },
        status=status,
    )
