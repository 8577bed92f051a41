"""A test double of an external provider for the queue logic (the real protocol tests live
beside each adapter): it records what it was asked to send and fails as told."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponse

from pksai.messaging.channels.base import ChannelError, OutboundMessage, SendResult


class FakeChannel:
    sent: ClassVar[list[OutboundMessage]] = []
    failures: ClassVar[list[ChannelError]] = []  # raised in turn before succeeding
    delay: ClassVar[float] = 0.0  # seconds a send takes (a provider's round trip)

    def __init__(self, *, name: str, options: Mapping[str, Any]) -> None:
        self.name = name

    def send(self, message: OutboundMessage) -> SendResult:
        if FakeChannel.delay:
            time.sleep(FakeChannel.delay)
        if FakeChannel.failures:
            raise FakeChannel.failures.pop(0)
        FakeChannel.sent.append(message)
        return SendResult(provider_id=f"fake-{len(FakeChannel.sent)}")

    def verify_callback(self, request: HttpRequest) -> bool:
        return False

    def parse_receipts(self, request: HttpRequest) -> list:
        return []

    def parse_inbound(self, request: HttpRequest) -> list:
        return []

    def handshake(self, request: HttpRequest) -> HttpResponse | None:
        return None
