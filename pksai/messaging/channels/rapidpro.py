"""RapidPro / TextIt, API v2 (nyaruka/rapidpro ``temba/api/v2``) — decision 0034,
docs/messaging-channels.md.

Send: ``POST {base_url}/api/v2/broadcasts.json`` with ``Authorization: Token {api_token}`` and
``{"urns": ["tel:+62…"], "text": {"ind": …}, "base_language": "ind"}`` (languages are ISO
639-3 in RapidPro). The broadcast's ``id`` is the provider id: RapidPro's messages endpoint
filters by it. (``messages.json`` takes a contact UUID, not a number, so it cannot send to a
number we know only by its URN.)

Errors are Django REST framework's: ``400 {"field": [...]}`` or ``{"non_field_errors": [...]}``
(never better on a retry), ``401/403 {"detail": "Invalid token"}``, ``429 {"detail": "Request
was throttled…"}`` with ``Retry-After``, and 5xx.

Receipts: RapidPro does not push signed delivery receipts, so they are polled:
:meth:`RapidProChannel.poll_receipts` reads ``GET /api/v2/messages.json?broadcast={id}`` and
reports the outgoing message's status (``sent``, ``delivered``, ``read``, ``failed``; ``queued``,
``wired`` and ``errored`` — RapidPro still retrying — are not final and give no receipt).

Inbound: a flow's "Call webhook" action posts to ``/messaging/callback/<channel>/`` with our
shared secret in a header we define (``X-Pksai-Webhook-Secret`` unless ``callback_header``
says otherwise), compared in constant time; the body is the flow's JSON with ``contact.urn``
and ``input`` (``uuid``, ``text``, ``urn``, ``created_on``), as in RapidPro's sample flows.

OPTIONS::

    {"base_url": "https://rapidpro.example.org", "api_token": "…", "urn_scheme": "tel" |
     "whatsapp", "languages": {"id": "ind", "en": "eng"}, "callback_secret": "…",
     "callback_header": "X-Pksai-Webhook-Secret", "timeout": [5, 20]}
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

from . import transport
from .base import ChannelError, Inbound, OutboundMessage, Receipt, ReceiptStatus, SendResult

logger = logging.getLogger(__name__)

DEFAULT_CALLBACK_HEADER = "X-Pksai-Webhook-Secret"
DEFAULT_LANGUAGES = {"id": "ind", "en": "eng"}
FINAL_STATUSES: dict[str, ReceiptStatus] = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
}


class RapidProChannel:
    def __init__(self, *, name: str, options: Mapping[str, Any]) -> None:
        self.name = name
        self.base_url = str(options.get("base_url") or "").rstrip("/")
        self.api_token = str(options.get("api_token") or "")
        self.urn_scheme = str(options.get("urn_scheme") or "tel")
        if self.urn_scheme not in ("tel", "whatsapp"):
            raise ImproperlyConfigured(
                f"messaging channel {name}: urn_scheme must be tel or whatsapp"
            )
        if not self.base_url or not self.api_token:
            raise ImproperlyConfigured(
                f"messaging channel {name}: base_url and api_token are required"
            )
        self.languages: Mapping[str, str] = options.get("languages") or DEFAULT_LANGUAGES
        self.callback_secret = str(options.get("callback_secret") or "")
        self.callback_header = str(options.get("callback_header") or DEFAULT_CALLBACK_HEADER)
        self.timeout = transport.timeout_option(options)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.api_token}", "Accept": "application/json"}

    def urn(self, number: str) -> str:
        e164 = transport.to_e164(number)
        if not e164:
            return ""
        return f"tel:{e164}" if self.urn_scheme == "tel" else f"whatsapp:{e164[1:]}"

    # Sending ---------------------------------------------------------------------------------

    def request_body(self, message: OutboundMessage) -> dict[str, Any]:
        urn = self.urn(message.to)
        if not urn:
            raise ChannelError(
                f"RapidPro: not a phone number: {transport.mask(message.to)}", retryable=False
            )
        language = self.languages.get(message.language) or DEFAULT_LANGUAGES["id"]
        return {"urns": [urn], "text": {language: message.body}, "base_language": language}

    def send(self, message: OutboundMessage) -> SendResult:
        body = self.request_body(message)
        what = f"RapidPro to {transport.mask(message.to)}"
        response = transport.call(
            "POST",
            f"{self.base_url}/api/v2/broadcasts.json",
            what=what,
            timeout=self.timeout,
            json=body,
            headers=self.headers,
        )
        data = transport.json_or_empty(response)
        if response.status_code in (200, 201):
            provider_id = data.get("id") or data.get("uuid")
            if provider_id:
                return SendResult(provider_id=str(provider_id))
            raise ChannelError(f"{what}: accepted without a broadcast id", retryable=False)
        raise self.error(response, data, what)

    @staticmethod
    def error(response, data: dict, what: str) -> ChannelError:
        status = response.status_code
        retryable = status == 429 or status >= 500
        detail = data.get("detail")
        if detail is None and data:
            detail = "; ".join(f"{field}: {_flatten(errors)}" for field, errors in data.items())
        text = f"{what}: HTTP {status}"
        if detail:
            text += f": {transport.scrub(detail)}"
        logger.warning("rapidpro send failed: %s (retryable=%s)", text, retryable)
        return ChannelError(text, retryable=retryable, retry_after=transport.retry_after(response))

    # Receipts by polling ---------------------------------------------------------------------

    def poll_receipts(self, provider_ids: Iterable[str]) -> list[Receipt]:
        """The final status of each broadcast's outgoing message, for those that have one.
        One request per broadcast (each has one recipient); raises :class:`ChannelError`
        like :meth:`send` when RapidPro cannot be asked."""
        receipts = []
        for provider_id in provider_ids:
            what = f"RapidPro status of broadcast {provider_id}"
            response = transport.call(
                "GET",
                f"{self.base_url}/api/v2/messages.json",
                what=what,
                timeout=self.timeout,
                params={"broadcast": provider_id},
                headers=self.headers,
            )
            data = transport.json_or_empty(response)
            if response.status_code != 200:
                raise self.error(response, data, what)
            for result in data.get("results") or []:
                if result.get("direction") != "out":
                    continue
                status = FINAL_STATUSES.get(str(result.get("status")))
                if not status:
                    continue
                receipts.append(
                    Receipt(
                        provider_id=str(provider_id),
                        status=status,
                        at=transport.parse_time(result.get("sent_on") or result.get("modified_on")),
                        error="failed in RapidPro" if status == "failed" else "",
                    )
                )
                break
        return receipts

    # Flow webhook ----------------------------------------------------------------------------

    def verify_callback(self, request: HttpRequest) -> bool:
        if request.method != "POST" or not self.callback_secret:
            return False
        return transport.equal(request.headers.get(self.callback_header, ""), self.callback_secret)

    def handshake(self, request: HttpRequest) -> HttpResponse | None:
        return None

    def parse_receipts(self, request: HttpRequest) -> list[Receipt]:
        return []  # RapidPro's receipts are polled (poll_receipts)

    def parse_inbound(self, request: HttpRequest) -> list[Inbound]:
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return []
        if not isinstance(data, dict):
            return []
        given = data.get("input")
        if not isinstance(given, dict) or not given.get("text"):
            return []
        urn = given.get("urn") or transport.get_path(data, "contact.urn") or ""
        if isinstance(urn, dict):  # {"scheme": "tel", "path": "+62…", "display": …}
            path = str(urn.get("path") or "")
        else:
            path = str(urn).partition(":")[2].split("?")[0]
        sender = transport.to_e164(path if path.startswith("+") else "+" + path)
        if not sender:
            return []
        provider_id = given.get("uuid") or transport.get_path(data, "run.uuid") or ""
        return [
            Inbound(
                sender=sender,
                text=str(given["text"]),
                provider_id=str(provider_id),
                at=transport.parse_time(given.get("created_on")),
            )
        ]


def _flatten(errors: Any) -> str:
    if isinstance(errors, list):
        return " ".join(_flatten(e) for e in errors)
    if isinstance(errors, dict):
        return " ".join(_flatten(e) for e in errors.values())
    return str(errors)
