"""A generic SMS gateway over HTTP, configured for an aggregator by OPTIONS — decision 0034,
docs/messaging-channels.md (every option, and the two shipped presets with their sources).

Indonesian aggregators differ only in shapes: where the credentials go (a header, basic
authentication, a query key or fields of the body), whether the body is JSON or a form, what
the recipient, text, our reference and the sender id are called, where the answer puts the
message id and which answers mean failure, and how (if at all) their delivery callbacks are
signed. All of that is data here::

    {"preset": "vonage",                     # optional: start from a shipped preset
     "url": "https://gateway.example.id/sms", "method": "POST",
     "body": "json" | "form" | "query",
     "auth": {"type": "header", "name": "Authorization", "value": "Bearer …"}
           | {"type": "basic", "username": "…", "password": "…"}
           | {"type": "query", "name": "apikey", "value": "…"} | {"type": "none"},
     "extra_fields": {"userkey": "…"},       # constant fields of the body (dotted paths)
     "fields": {"to": "to", "text": "text", "reference": "ref", "sender": "from"},
     "sender_id": "DINSOS", "number_format": "e164" | "digits" | "national",
     "unicode_fields": {"type": "unicode"},  # added when the text is not GSM-7
     "response": {"id_path": "messages.0.id", "status_path": "status",
                  "success_values": ["0"], "retryable_values": ["1"],
                  "error_path": "error", "retryable_http": [408, 429, 500, 502, 503, 504]},
     "callback": {
        "auth": {"scheme": "hmac", "algorithm": "sha256" | "sha1" | "sha512",
                 "message": "raw_body" | "sorted_params" | "fields", "fields": [...],
                 "separator": "", "location": "header" | "param", "name": "X-Signature",
                 "prefix": "sha256=", "encoding": "hex" | "base64", "secret": "…"}
              | {"scheme": "token", "location": "header" | "param", "name": "…", "secret": "…"},
        "timestamp_field": "timestamp", "max_age": 300,
        "records_path": "results",           # where a list of records is ("" = one record)
        "receipt": {"id": "messageId", "status": "status", "reference": "client-ref",
                    "error": "err-code", "at": "message-timestamp"},
        "status_map": {"delivered": "delivered", "failed": "failed", ...},
        "inbound": {"sender": "msisdn", "text": "text", "id": "messageId", "at": "…"}},
     "timeout": [5, 20]}

A callback without a configured ``callback.auth`` secret is never accepted.
"""

from __future__ import annotations

import base64
import copy
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

from . import transport
from .base import ChannelError, Inbound, OutboundMessage, Receipt, ReceiptStatus, SendResult

logger = logging.getLogger(__name__)

RECEIPT_STATUSES = ("sent", "delivered", "read", "failed")
DEFAULT_RETRYABLE_HTTP = (408, 425, 429, 500, 502, 503, 504)

#: Shipped presets. Each names its source; credentials are left to the deployment and
#: checked at start-up (``required``).
PRESETS: dict[str, dict[str, Any]] = {
    # Vonage (Nexmo) SMS API, used by Indonesian senders for international reach.
    # Sources: developer.vonage.com/messaging/sms (send: POST https://rest.nexmo.com/sms/json,
    # api_key/api_secret/from/to/text/client-ref, answer messages[].status "0" = accepted,
    # "1" throttled, "5" internal error; troubleshooting-sms lists the codes), "Signing
    # messages" (getting-started/concepts/signing-messages: signed webhooks carry `sig`, an
    # HMAC of "&key=value" over the sorted parameters with & and = in values replaced by _,
    # plus `timestamp`) and the delivery receipt fields (messageId, status, client-ref,
    # err-code, message-timestamp).
    "vonage": {
        "url": "https://rest.nexmo.com/sms/json",
        "method": "POST",
        "body": "form",
        "number_format": "digits",
        "fields": {"to": "to", "text": "text", "reference": "client-ref", "sender": "from"},
        "unicode_fields": {"type": "unicode"},
        "response": {
            "id_path": "messages.0.message-id",
            "status_path": "messages.0.status",
            "success_values": ["0"],
            "retryable_values": ["1", "5"],
            "error_path": "messages.0.error-text",
        },
        "callback": {
            "auth": {
                "scheme": "hmac",
                "algorithm": "sha256",
                "message": "sorted_params",
                "location": "param",
                "name": "sig",
                "encoding": "hex",
            },
            "timestamp_field": "timestamp",
            "max_age": 300,
            "receipt": {
                "id": "messageId",
                "status": "status",
                "reference": "client-ref",
                "error": "err-code",
                "at": "message-timestamp",
            },
            "status_map": {
                "accepted": "sent",
                "buffered": "sent",
                "delivered": "delivered",
                "expired": "failed",
                "failed": "failed",
                "rejected": "failed",
            },
            "inbound": {
                "sender": "msisdn",
                "text": "text",
                "id": "messageId",
                "at": "message-timestamp",
            },
        },
        "required": ["extra_fields.api_key", "extra_fields.api_secret", "sender_id"],
    },
    # Zenziva (Indonesian aggregator), regular SMS through the console API. Sources: the
    # public client libraries mul14/zenziva.js and atfromhome/zenziva-client-api (userkey,
    # passkey, recipient in national form, answer {"messageId", "to", "status": "1",
    # "text": "Success"}; any other status is a refusal with its reason in "text", e.g.
    # "Userkey / Passkey Salah"). Zenziva documents no signed delivery callback, so this
    # preset sends only; the URL differs per product (reguler, masking, SMS center).
    "zenziva": {
        "url": "https://console.zenziva.net/reguler/api/sendsms/",
        "method": "POST",
        "body": "json",
        "number_format": "national",
        "fields": {"to": "to", "text": "message"},
        "response": {
            "id_path": "messageId",
            "status_path": "status",
            "success_values": ["1"],
            "retryable_values": [],
            "error_path": "text",
        },
        "callback": {},
        "required": ["extra_fields.userkey", "extra_fields.passkey"],
    },
}

# GSM 03.38 basic character set and its extension table: text outside it goes as Unicode.
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)


def is_gsm7(text: str) -> bool:
    return all(ch in _GSM7 for ch in text)


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


class HttpSmsChannel:
    def __init__(self, *, name: str, options: Mapping[str, Any]) -> None:
        self.name = name
        preset = options.get("preset")
        if preset:
            if preset not in PRESETS:
                raise ImproperlyConfigured(f"messaging channel {name}: unknown preset {preset!r}")
            options = _merge(PRESETS[preset], options)
        for path in options.get("required", []):
            if not transport.get_path(options, path):
                raise ImproperlyConfigured(f"messaging channel {name}: {path} is required")
        if not options.get("url"):
            raise ImproperlyConfigured(f"messaging channel {name}: url is required")
        self.url = str(options["url"])
        self.method = str(options.get("method") or "POST").upper()
        self.body_format = str(options.get("body") or "json")
        if self.body_format not in ("json", "form", "query"):
            raise ImproperlyConfigured(
                f"messaging channel {name}: body must be json, form or query"
            )
        self.auth: Mapping[str, Any] = options.get("auth") or {"type": "none"}
        self.extra_fields: Mapping[str, Any] = options.get("extra_fields") or {}
        self.fields = {"to": "to", "text": "text", "reference": "", "sender": ""}
        self.fields.update(options.get("fields") or {})
        if self.body_format != "json":
            nested = [p for p in (*self.fields.values(), *self.extra_fields) if p and "." in p]
            if nested:
                raise ImproperlyConfigured(
                    f"messaging channel {name}: nested field names need a JSON body: {nested}"
                )
        self.sender_id = str(options.get("sender_id") or "")
        self.number_format = str(options.get("number_format") or "e164")
        self.unicode_fields: Mapping[str, Any] = options.get("unicode_fields") or {}
        self.response: Mapping[str, Any] = options.get("response") or {}
        self.callback: Mapping[str, Any] = options.get("callback") or {}
        for status in (self.callback.get("status_map") or {}).values():
            if status not in RECEIPT_STATUSES:
                raise ImproperlyConfigured(
                    f"messaging channel {name}: status_map values must be one of {RECEIPT_STATUSES}"
                )
        self.timeout = transport.timeout_option(options)

    # Sending ---------------------------------------------------------------------------------

    def request_payload(self, message: OutboundMessage) -> dict[str, Any]:
        to = transport.number_as(message.to, self.number_format)
        if not to:
            raise ChannelError(
                f"SMS {self.name}: not a phone number: {transport.mask(message.to)}",
                retryable=False,
            )
        payload: dict[str, Any] = {}
        for path, value in self.extra_fields.items():
            transport.set_path(payload, path, value)
        transport.set_path(payload, self.fields["to"], to)
        transport.set_path(payload, self.fields["text"], message.body)
        if self.fields.get("reference") and message.reference:
            transport.set_path(payload, self.fields["reference"], message.reference)
        if self.fields.get("sender") and self.sender_id:
            transport.set_path(payload, self.fields["sender"], self.sender_id)
        if self.unicode_fields and not is_gsm7(message.body):
            for path, value in self.unicode_fields.items():
                transport.set_path(payload, path, value)
        return payload

    def send(self, message: OutboundMessage) -> SendResult:
        payload = self.request_payload(message)
        what = f"SMS {self.name} to {transport.mask(message.to)}"
        kwargs: dict[str, Any] = {"headers": {"Accept": "application/json"}, "params": {}}
        kind = self.auth.get("type", "none")
        if kind == "header":
            kwargs["headers"][self.auth["name"]] = self.auth["value"]
        elif kind == "basic":
            kwargs["auth"] = (self.auth["username"], self.auth["password"])
        elif kind == "query":
            kwargs["params"][self.auth["name"]] = self.auth["value"]
        if self.body_format == "json":
            kwargs["json"] = payload
        elif self.body_format == "form":
            kwargs["data"] = payload
        else:
            kwargs["params"].update(payload)
        response = transport.call(self.method, self.url, what=what, timeout=self.timeout, **kwargs)
        return self.result(response, what)

    def result(self, response, what: str) -> SendResult:
        data = transport.json_or_empty(response)
        status = response.status_code
        error_text = transport.get_path(data, self.response.get("error_path", "")) if data else None
        if status >= 300:
            retryable_http = self.response.get("retryable_http") or DEFAULT_RETRYABLE_HTTP
            retryable = status in retryable_http
            raise self._error(f"{what}: HTTP {status}", error_text, retryable, response)
        status_path = self.response.get("status_path")
        if status_path:
            value = str(transport.get_path(data, status_path))
            if value not in [str(v) for v in self.response.get("success_values", [])]:
                retryable = value in [str(v) for v in self.response.get("retryable_values", [])]
                raise self._error(f"{what}: status {value}", error_text, retryable, response)
        provider_id = transport.get_path(data, self.response.get("id_path", "")) if data else None
        return SendResult(provider_id=str(provider_id) if provider_id not in (None, "") else "")

    def _error(self, text: str, detail: Any, retryable: bool, response) -> ChannelError:
        if detail and not isinstance(detail, dict | list):
            text += f": {transport.scrub(detail)}"
        logger.warning("sms gateway send failed: %s (retryable=%s)", text, retryable)
        return ChannelError(text, retryable=retryable, retry_after=transport.retry_after(response))

    # Callbacks -------------------------------------------------------------------------------

    def _signature_given(self, request: HttpRequest, payload: Mapping[str, Any]) -> str:
        auth = self.callback.get("auth") or {}
        name = auth.get("name", "")
        if auth.get("location", "header") == "param":
            # in the body's fields, or in the query string of the URL registered at the gateway
            return str(payload.get(name) or request.GET.get(name) or "")
        return request.headers.get(name, "")

    def _signed_message(self, request: HttpRequest, payload: Mapping[str, Any]) -> bytes:
        auth = self.callback["auth"]
        kind = auth.get("message", "raw_body")
        if kind == "raw_body":
            return request.body
        skip = auth.get("name") if auth.get("location") == "param" else None
        if kind == "sorted_params":
            parts = []
            for key in sorted(payload):
                if key == skip:
                    continue
                value = str(payload[key]).replace("&", "_").replace("=", "_")
                parts.append(f"&{key}={value}")
            return "".join(parts).encode()
        if kind == "fields":
            values = [str(transport.get_path(payload, f) or "") for f in auth.get("fields", [])]
            return str(auth.get("separator", "")).join(values).encode()
        raise ImproperlyConfigured(
            f"messaging channel {self.name}: unknown signed message {kind!r}"
        )

    def verify_callback(self, request: HttpRequest) -> bool:
        auth = self.callback.get("auth") or {}
        secret = str(auth.get("secret") or "")
        if not secret or auth.get("scheme") not in ("hmac", "token"):
            return False
        payload = transport.callback_payload(request)
        given = self._signature_given(request, payload)
        if not given:
            return False
        if auth["scheme"] == "token":
            ok = transport.equal(given, secret)
        else:
            digest = transport.hmac_digest(
                secret, self._signed_message(request, payload), auth.get("algorithm", "sha256")
            )
            prefix = str(auth.get("prefix") or "")
            if auth.get("encoding", "hex") == "base64":
                ok = transport.equal(given, prefix + base64.b64encode(digest).decode())
            else:
                ok = transport.equal(given.lower(), (prefix + digest.hex()).lower())
        return ok and self._fresh(payload)

    def _fresh(self, payload: Mapping[str, Any]) -> bool:
        """With ``timestamp_field`` set, a callback older (or newer) than ``max_age`` seconds
        is refused: a captured signed callback cannot be replayed later."""
        field = self.callback.get("timestamp_field")
        if not field:
            return True
        when = transport.parse_time(transport.get_path(payload, field))
        if when is None:
            return False
        age = abs((datetime.now(UTC) - when).total_seconds())
        return age <= float(self.callback.get("max_age", 300))

    def handshake(self, request: HttpRequest) -> HttpResponse | None:
        return None

    def _records(self, request: HttpRequest) -> list[Mapping[str, Any]]:
        payload = transport.callback_payload(request)
        path = self.callback.get("records_path") or ""
        records = transport.get_path(payload, path) if path else [payload]
        if not isinstance(records, list):
            return []
        return [r for r in records if isinstance(r, Mapping)]

    def parse_receipts(self, request: HttpRequest) -> list[Receipt]:
        fields = self.callback.get("receipt") or {}
        status_map = {str(k).lower(): v for k, v in (self.callback.get("status_map") or {}).items()}
        if not fields.get("id") or not fields.get("status"):
            return []
        receipts = []
        for record in self._records(request):
            raw = transport.get_path(record, fields["status"])
            provider_id = transport.get_path(record, fields["id"])
            status: ReceiptStatus | None = status_map.get(str(raw).lower()) if raw else None
            if not status or not provider_id:
                continue
            error = ""
            if status == "failed" and fields.get("error"):
                error = transport.scrub(transport.get_path(record, fields["error"]) or "")
            reference = transport.get_path(record, fields.get("reference") or "") or ""
            receipts.append(
                Receipt(
                    provider_id=str(provider_id),
                    status=status,
                    at=transport.parse_time(transport.get_path(record, fields.get("at") or ""))
                    if fields.get("at")
                    else None,
                    error=error,
                    reference=str(reference) if fields.get("reference") else "",
                )
            )
        return receipts

    def parse_inbound(self, request: HttpRequest) -> list[Inbound]:
        fields = self.callback.get("inbound") or {}
        status_field = (self.callback.get("receipt") or {}).get("status")
        if not fields.get("sender") or not fields.get("text"):
            return []
        inbound = []
        for record in self._records(request):
            if status_field and transport.get_path(record, status_field) not in (None, ""):
                continue  # a delivery receipt, not a message
            text = transport.get_path(record, fields["text"])
            sender = transport.to_e164(str(transport.get_path(record, fields["sender"]) or ""))
            if text is None or not sender:
                continue
            at = transport.get_path(record, fields["at"]) if fields.get("at") else None
            provider_id = transport.get_path(record, fields["id"]) if fields.get("id") else ""
            inbound.append(
                Inbound(
                    sender=sender,
                    text=str(text),
                    provider_id=str(provider_id or ""),
                    at=transport.parse_time(at),
                )
            )
        return inbound
