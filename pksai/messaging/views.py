"""The providers' callbacks (delivery receipts and inbound messages) and the staff pages."""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from pksai.core.client import client_address
from pksai.messaging.channels import UnknownChannel, get_channel
from pksai.messaging.services import inbound_receive, receipts_apply

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
