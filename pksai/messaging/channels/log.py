"""The development channel: every message is one JSON line in a file (``OPTIONS["path"]``,
default ``settings.PKSAI_MESSAGING_LOG``), so ``make run`` works offline and a developer sees
what would have been sent. It also accepts callbacks in its own small format, signed with
HMAC-SHA256 of the raw body under ``OPTIONS["secret"]`` (header ``X-PKSAI-Signature``, hex) —
to try receipts and STOP replies by hand::

    {"receipts": [{"provider_id": "log-…", "status": "delivered"}],
     "inbound": [{"sender": "+62812…", "text": "STOP", "id": "1"}]}

Without a secret every callback is refused."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from pksai.messaging.channels.base import (
    ChannelError,
    Inbound,
    OutboundMessage,
    Receipt,
    SendResult,
)

SIGNATURE_HEADER = "X-PKSAI-Signature"


class LogChannel:
    def __init__(self, *, name: str, options: Mapping[str, Any]) -> None:
        self.name = name
        self.path = Path(options.get("path") or settings.PKSAI_MESSAGING_LOG)
        self.secret = str(options.get("secret") or "")

    def send(self, message: OutboundMessage) -> SendResult:
        line = {
            "at": timezone.now().isoformat(),
            "channel": self.name,
            "reference": message.reference,
            "to": message.to,
            "language": message.language,
            "subject": message.subject,
            "body": message.body,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise ChannelError(f"cannot write {self.path}: {exc}", retryable=True) from exc
        return SendResult(provider_id=f"log-{message.reference}")

    def signature(self, body: bytes) -> str:
        return hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()

    def verify_callback(self, request: HttpRequest) -> bool:
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not self.secret or not given:
            return False
        return hmac.compare_digest(self.signature(request.body), given)

    def _payload(self, request: HttpRequest) -> dict:
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def parse_receipts(self, request: HttpRequest) -> list[Receipt]:
        out = []
        for item in self._payload(request).get("receipts") or []:
            if isinstance(item, dict) and item.get("status") in (
                "sent",
                "delivered",
                "read",
                "failed",
            ):
                out.append(
                    Receipt(
                        provider_id=str(item.get("provider_id", "")),
                        status=item["status"],
                        error=str(item.get("error", ""))[:300],
                        reference=str(item.get("reference", "")),
                    )
                )
        return out

    def parse_inbound(self, request: HttpRequest) -> list[Inbound]:
        return [
            Inbound(
                sender=str(i["sender"]),
                text=str(i.get("text", "")),
                provider_id=str(i.get("id", "")),
            )
            for i in self._payload(request).get("inbound") or []
            if isinstance(i, dict) and i.get("sender")
        ]

    def handshake(self, request: HttpRequest) -> HttpResponse | None:
        return None
