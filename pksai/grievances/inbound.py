"""Complaints and child-protection reports by SMS or WhatsApp (issue 20 point 4), the messaging
service's inbound hook (``PKSAI_MESSAGING_INBOUND_HANDLER``):

* ``ADUAN <what happened>`` starts a complaint (category "other", channel SMS) and
* ``LAPOR <what happened>`` a child-protection report — a complaint of that category, which
  lands in the case intake queue as every child-protection complaint does;
  both answered with the tracking code (the sender's message is their consent to hear back
  about it). The area is the one of the service number (the channel's ``inbound_area``
  option), or a Kemendagri code written first: ``ADUAN 73.71 …``.
* a tracking code (``ADU-XXXX-XXXX``) is answered with the complaint's public status — what
  the public status page shows to anyone holding the code, nothing personal;
* anything else is answered with how to use the number.

A sender over the public hourly limit (``PKSAI_PUBLIC_COMPLAINTS_PER_HOUR``) gets no answer
and starts nothing."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation

from pksai.areas.models import Area
from pksai.core import ratelimit
from pksai.grievances import services
from pksai.grievances.models import Category, Channel
from pksai.messaging.contacts import mask, normalise
from pksai.messaging.services import consent_state, message_send

log = logging.getLogger(__name__)
KEYWORDS = {"ADUAN": Category.OTHER, "LAPOR": Category.CHILD_PROTECTION}
CODE = re.compile(r"\bADU-[A-Z0-9]{4}-[A-Z0-9]{4}\b")
AREA = re.compile(r"^(\d{2}(?:\.\d{2}){0,2}(?:\.\d{4})?)\s+")
SCOPE = "inbound_message"


def _reply(channel: str, sender: str, template: str, params: dict, *, language: str) -> None:
    message_send(
        to=sender,
        channel=channel,
        template=template,
        params=params,
        language=language,
        consent_required=False,  # the answer to their own message
    )


def inbound_keywords(*, channel: str, sender: str, text: str) -> str:
    words = text.strip().split(maxsplit=1)
    keyword = words[0].upper() if words else ""
    rest = words[1] if len(words) > 1 else ""
    _state, language = consent_state(address=sender, channel=channel, purpose="complaint")
    if ratelimit.hit(SCOPE, normalise(sender), window=timedelta(hours=1)) > (
        settings.PKSAI_PUBLIC_COMPLAINTS_PER_HOUR * 2
    ):
        log.warning("inbound from %s on %s over the hourly limit", mask(normalise(sender)), channel)
        return "throttled"
    found = CODE.search(text.upper())
    if keyword not in KEYWORDS and found:
        with translation.override(language):
            status = services.public_status(found.group(0))
            if status is None:
                _reply(
                    channel,
                    sender,
                    "inbound_unknown_code",
                    {"code": found.group(0)},
                    language=language,
                )
                return "status_unknown"
            _reply(
                channel,
                sender,
                "complaint_status",
                {"code": status.code, "status": status.status, "level": status.level},
                language=language,
            )
        return "status"
    if keyword not in KEYWORDS:
        _reply(channel, sender, "inbound_help", {}, language=language)
        return "help"
    options = settings.PKSAI_MESSAGING_CHANNELS.get(channel, {}).get("OPTIONS") or {}
    area = str(options.get("inbound_area") or "")
    written = AREA.match(rest)
    if written and Area.objects.filter(code=written.group(1)).exists():
        area, rest = written.group(1), rest[written.end() :]
    if not area:
        _reply(channel, sender, "inbound_help", {}, language=language)
        return "no_area"
    data = services.ComplaintInput(
        category=KEYWORDS[keyword], description=rest.strip(), area_code=area, phone=sender
    )
    try:
        with transaction.atomic():
            complaint = services.complaint_receive_message(
                data=data, channel=Channel.SMS, message_channel=channel
            )
    except ValidationError:
        _reply(channel, sender, "inbound_help", {}, language=language)
        return "invalid"
    log.info("complaint %s started by %s on %s", complaint.code, mask(normalise(sender)), channel)
    return "complaint"
