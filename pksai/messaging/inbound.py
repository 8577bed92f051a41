"""What happens to an inbound message that is not STOP: ``PKSAI_MESSAGING_INBOUND_HANDLER``
names a function ``(*, channel, sender, text) -> str``. The default records nothing and logs
that it was not understood (the text itself is not logged: it may carry personal data)."""

from __future__ import annotations

import logging

from pksai.messaging.contacts import mask, normalise

log = logging.getLogger(__name__)


def inbound_unhandled(*, channel: str, sender: str, text: str) -> str:
    log.info("inbound message on %s from %s not handled", channel, mask(normalise(sender)))
    return "ignored"
