"""The contract every messaging channel implements (SMS gateway, WhatsApp Business Cloud API,
RapidPro, e-mail, the development log file).

A channel is configured in ``settings.PKSAI_MESSAGING_CHANNELS``::

    PKSAI_MESSAGING_CHANNELS = {
        "sms": {"BACKEND": "pksai.messaging.channels.http_sms.HttpSmsChannel", "OPTIONS": {...}},
        "whatsapp": {"BACKEND": "pksai.messaging.channels.whatsapp.WhatsAppChannel", ...},
    }

and built with ``Backend(name=key, options=OPTIONS)``. The messaging service (queue, retries,
rate limits, templates, consent, records) knows channels only through this module: a channel
turns one :class:`OutboundMessage` into one request to its provider and turns the provider's
callbacks (delivery receipts, inbound messages) into :class:`Receipt` and :class:`Inbound`
values, after checking their signature. Channels keep no state and never touch the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from django.http import HttpRequest, HttpResponse

ReceiptStatus = Literal["sent", "delivered", "read", "failed"]


@dataclass(frozen=True)
class OutboundMessage:
    """One message to one recipient. ``reference`` is our id of the message (a UUID string),
    passed to the provider where its API takes one, so that receipts can be matched even
    before the provider's id is known."""

    reference: str
    to: str  # E.164 phone number ("+6281234567890") or an e-mail address
    body: str  # the rendered text in the recipient's language
    language: str = "id"
    subject: str = ""  # e-mail only
    template: str = ""  # a provider-side template name, where the channel needs one
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    provider_id: str  # the provider's id of the accepted message ("" if it gives none)


class ChannelError(Exception):
    """The provider refused or could not be reached. ``retryable`` says whether trying again
    later may succeed (timeouts, 5xx, rate limits) or not (bad number, bad credentials)."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after  # seconds, when the provider says (HTTP Retry-After)


@dataclass(frozen=True)
class Receipt:
    """A delivery receipt from the provider's callback (or a status poll)."""

    provider_id: str
    status: ReceiptStatus
    at: datetime | None = None
    error: str = ""
    reference: str = ""  # our reference, when the provider echoes it


@dataclass(frozen=True)
class Inbound:
    """A message a person sent to the service number."""

    sender: str  # E.164 phone number
    text: str
    provider_id: str
    at: datetime | None = None


class Channel(Protocol):
    name: str

    def __init__(self, *, name: str, options: Mapping[str, Any]) -> None: ...

    def send(self, message: OutboundMessage) -> SendResult:
        """Hand one message to the provider; raise :class:`ChannelError` when it fails."""
        ...

    def verify_callback(self, request: HttpRequest) -> bool:
        """Whether a callback request really comes from the provider (its signature, token or
        shared secret, compared in constant time). An unsigned or badly signed callback is
        refused by the caller before anything in it is read."""
        ...

    def parse_receipts(self, request: HttpRequest) -> list[Receipt]:
        """Delivery receipts in a verified callback (empty if it carries none)."""
        ...

    def parse_inbound(self, request: HttpRequest) -> list[Inbound]:
        """Inbound messages in a verified callback (empty if it carries none)."""
        ...

    def handshake(self, request: HttpRequest) -> HttpResponse | None:
        """A provider's subscription check answered without side effects (e.g. WhatsApp's
        GET ``hub.challenge``), or None when the request is not one."""
        ...
