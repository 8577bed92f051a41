"""E-mail through Django's mail (``MAILERS`` / ``EMAIL_HOST``; ``OPTIONS["from"]`` or
``DEFAULT_FROM_EMAIL``). SMTP gives no delivery receipts, so there are no callbacks: a message
is ``sent`` when the server accepted it. A refused recipient is final; a server that cannot be
reached, or answers with a temporary (4xx) error, is tried again later."""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.http import HttpRequest, HttpResponse

from pksai.messaging.channels.base import (
    ChannelError,
    Inbound,
    OutboundMessage,
    Receipt,
    SendResult,
)


class EmailChannel:
    def __init__(self, *, name: str, options: Mapping[str, Any]) -> None:
        self.name = name
        self.sender = str(options.get("from") or settings.DEFAULT_FROM_EMAIL)
        self.default_subject = str(options.get("subject") or "PKSAI")

    def send(self, message: OutboundMessage) -> SendResult:
        mail = EmailMessage(
            subject=message.subject or self.default_subject,
            body=message.body,
            from_email=self.sender,
            to=[message.to],
            headers={"X-PKSAI-Reference": message.reference},
        )
        try:
            mail.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError(f"recipient refused: {exc}", retryable=False) from exc
        except smtplib.SMTPResponseException as exc:
            raise ChannelError(
                f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", retryable=400 <= exc.smtp_code < 500
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"mail server: {exc}", retryable=True) from exc
        return SendResult(provider_id="")

    def verify_callback(self, request: HttpRequest) -> bool:
        return False  # e-mail has no callbacks: anything posted here is refused

    def parse_receipts(self, request: HttpRequest) -> list[Receipt]:
        return []

    def parse_inbound(self, request: HttpRequest) -> list[Inbound]:
        return []

    def handshake(self, request: HttpRequest) -> HttpResponse | None:
        return None
