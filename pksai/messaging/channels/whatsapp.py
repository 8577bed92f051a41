"""WhatsApp Business Cloud API (Meta's Graph API) — decision 0034, docs/messaging-channels.md.

Send: ``POST {base_url}/{api_version}/{phone_number_id}/messages`` with ``Authorization:
Bearer {access_token}`` and a JSON body ``{"messaging_product": "whatsapp", "to": …, "type":
"text" | "template", …}``; the answer's ``messages[0].id`` (``wamid.…``) is the provider id.
Our reference travels as ``biz_opaque_callback_data`` and comes back in the status webhooks.

Errors come as ``{"error": {"code": …, "message": …, "error_data": {"details": …}}}``; the
code decides whether a retry can help (rate limits and temporary failures) or not (bad
number, outside the 24-hour window, bad template, bad token).

Webhooks: the subscription check is a GET with ``hub.mode=subscribe``, ``hub.verify_token``
and ``hub.challenge`` (answered with the challenge only for our verify token); every POST
carries ``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body under the app secret>``.
Statuses are in ``entry[].changes[].value.statuses[]``, messages people sent us in
``entry[].changes[].value.messages[]``.

OPTIONS::

    {"phone_number_id": "1234567890", "access_token": "EAAG…", "app_secret": "…",
     "verify_token": "…", "api_version": "v23.0", "base_url": "https://graph.facebook.com",
     "languages": {"id": "id", "en": "en"}, "template_parameters": "positional" | "named",
     "timeout": [5, 20]}
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

from . import transport
from .base import ChannelError, Inbound, OutboundMessage, Receipt, ReceiptStatus, SendResult

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v23.0"
SIGNATURE_HEADER = "X-Hub-Signature-256"

#: Codes after which the same message may go through later (Meta's error-code reference:
#: temporary API trouble, throughput, spam and pair rate limits, service unavailable).
RETRYABLE_CODES = frozenset(
    {1, 2, 4, 17, 341, 80007, 130429, 131000, 131016, 131048, 131056, 133004}
)
#: Codes that will fail the same way again: authentication and permission, bad parameters,
#: undeliverable, outside the customer-service window, unsupported type, template problems.
PERMANENT_CODES = frozenset(
    {0, 3, 10, 100, 190, 368, 131005, 131008, 131009, 131021, 131026, 131031, 131042, 131045,
     131047, 131051, 131052, 131053, 132000, 132001, 132005, 132007, 132012, 132015, 132016,
     133010}
)  # fmt: skip

STATUSES: dict[str, ReceiptStatus] = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
}

_CHALLENGE = re.compile(r"[A-Za-z0-9_\-]{1,200}")


class WhatsAppChannel:
    def __init__(self, *, name: str, options: Mapping[str, Any]) -> None:
        self.name = name
        self.phone_number_id = str(options.get("phone_number_id") or "")
        self.access_token = str(options.get("access_token") or "")
        self.app_secret = str(options.get("app_secret") or "")
        self.verify_token = str(options.get("verify_token") or "")
        self.api_version = str(options.get("api_version") or DEFAULT_API_VERSION)
        self.base_url = str(options.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        self.languages: Mapping[str, str] = options.get("languages") or {"id": "id", "en": "en"}
        self.named_parameters = options.get("template_parameters", "positional") == "named"
        self.timeout = transport.timeout_option(options)
        if not self.phone_number_id or not self.access_token:
            raise ImproperlyConfigured(
                f"messaging channel {name}: phone_number_id and access_token are required"
            )

    # Sending ---------------------------------------------------------------------------------

    @property
    def messages_url(self) -> str:
        return f"{self.base_url}/{self.api_version}/{self.phone_number_id}/messages"

    def request_body(self, message: OutboundMessage) -> dict[str, Any]:
        to = transport.number_as(message.to, "digits")
        if not to:
            raise ChannelError(
                f"WhatsApp: not a phone number: {transport.mask(message.to)}", retryable=False
            )
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
        }
        if message.template:
            parameters = []
            for key, value in message.params.items():
                parameter = {"type": "text", "text": str(value)}
                if self.named_parameters:
                    parameter["parameter_name"] = key
                parameters.append(parameter)
            template: dict[str, Any] = {
                "name": message.template,
                "language": {"code": self.languages.get(message.language, message.language)},
            }
            if parameters:
                template["components"] = [{"type": "body", "parameters": parameters}]
            body.update(type="template", template=template)
        else:
            body.update(type="text", text={"preview_url": False, "body": message.body})
        if message.reference:
            body["biz_opaque_callback_data"] = message.reference
        return body

    def send(self, message: OutboundMessage) -> SendResult:
        body = self.request_body(message)
        masked = transport.mask(message.to)
        response = transport.call(
            "POST",
            self.messages_url,
            what=f"WhatsApp to {masked}",
            timeout=self.timeout,
            json=body,
            headers={"Authorization": f"Bearer {self.access_token}"},
        )
        data = transport.json_or_empty(response)
        if response.status_code < 300:
            provider_id = transport.get_path(data, "messages.0.id")
            if provider_id:
                return SendResult(provider_id=str(provider_id))
            raise ChannelError(
                f"WhatsApp to {masked}: accepted without a message id", retryable=False
            )
        raise self.error(response, data, masked)

    def error(self, response, data: dict, masked: str) -> ChannelError:
        error = data.get("error") if isinstance(data.get("error"), dict) else {}
        code = error.get("code")
        try:
            code = int(code) if code is not None else None
        except (TypeError, ValueError):
            code = None
        status = response.status_code
        if code in RETRYABLE_CODES:
            retryable = True
        elif code in PERMANENT_CODES:
            retryable = False
        else:
            retryable = status == 429 or status >= 500
        details = transport.get_path(error, "error_data.details") or error.get("message") or ""
        text = f"WhatsApp to {masked}: HTTP {status}"
        if code is not None:
            text += f", code {code}"
        if details:
            text += f": {transport.scrub(details)}"
        logger.warning("whatsapp send failed: %s (retryable=%s)", text, retryable)
        return ChannelError(text, retryable=retryable, retry_after=transport.retry_after(response))

    # Callbacks -------------------------------------------------------------------------------

    def verify_callback(self, request: HttpRequest) -> bool:
        if request.method != "POST" or not self.app_secret:
            return False
        header = request.headers.get(SIGNATURE_HEADER, "")
        prefix, _, given = header.partition("=")
        if prefix != "sha256" or not given:
            return False
        expected = transport.hmac_digest(self.app_secret, request.body, "sha256").hex()
        return transport.equal(given.lower(), expected)

    def handshake(self, request: HttpRequest) -> HttpResponse | None:
        if request.method != "GET" or "hub.mode" not in request.GET:
            return None
        challenge = request.GET.get("hub.challenge", "")
        if (
            request.GET.get("hub.mode") == "subscribe"
            and transport.equal(request.GET.get("hub.verify_token", ""), self.verify_token)
            and _CHALLENGE.fullmatch(challenge)
        ):
            return HttpResponse(challenge, content_type="text/plain")
        return HttpResponse(status=403)

    @staticmethod
    def _values(request: HttpRequest) -> list[dict]:
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return []
        if not isinstance(data, dict) or data.get("object") != "whatsapp_business_account":
            return []
        values = []
        for entry in data.get("entry") or []:
            for change in (entry or {}).get("changes") or []:
                value = (change or {}).get("value")
                if isinstance(value, dict):
                    values.append(value)
        return values

    def parse_receipts(self, request: HttpRequest) -> list[Receipt]:
        receipts = []
        for value in self._values(request):
            for status in value.get("statuses") or []:
                mapped = STATUSES.get(str(status.get("status", "")))
                if not mapped or not status.get("id"):
                    continue
                errors = status.get("errors") or []
                error = "; ".join(
                    transport.scrub(f"{e.get('code', '')} {e.get('title') or e.get('message', '')}")
                    for e in errors
                    if isinstance(e, dict)
                )
                receipts.append(
                    Receipt(
                        provider_id=str(status["id"]),
                        status=mapped,
                        at=transport.parse_time(status.get("timestamp")),
                        error=error.strip(),
                        reference=str(status.get("biz_opaque_callback_data") or ""),
                    )
                )
        return receipts

    def parse_inbound(self, request: HttpRequest) -> list[Inbound]:
        inbound = []
        for value in self._values(request):
            for message in value.get("messages") or []:
                sender = transport.to_e164("+" + str(message.get("from") or ""))
                if not sender or not message.get("id"):
                    continue
                inbound.append(
                    Inbound(
                        sender=sender,
                        text=_message_text(message),
                        provider_id=str(message["id"]),
                        at=transport.parse_time(message.get("timestamp")),
                    )
                )
        return inbound


def _message_text(message: dict) -> str:
    kind = message.get("type", "text")
    if kind == "text":
        return str(transport.get_path(message, "text.body") or "")
    if kind == "button":
        return str(transport.get_path(message, "button.text") or "")
    if kind == "interactive":
        reply = transport.get_path(message, "interactive.button_reply") or transport.get_path(
            message, "interactive.list_reply"
        )
        return str((reply or {}).get("title") or "")
    caption = transport.get_path(message, f"{kind}.caption")
    return str(caption) if caption else f"[{kind}]"
