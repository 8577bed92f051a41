"""A real HTTP receiver for webhook tests: ThreadingHTTPServer on 127.0.0.1:<free port> in a
thread. It checks every delivery's signature with the subscriber's secret — the recipe of
docs/webhooks.md — and records what it received. ``answer`` sets the status it replies with
(and ``retry_after`` a Retry-After header), to play a receiver that is down."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pksai.core.tests import local_server


def verify(secret: str, headers, body: bytes, *, tolerance: int = 300) -> bool:
    """The receiver's check (docs/webhooks.md): HMAC-SHA256 of timestamp + "." + body, compared
    in constant time, and a timestamp no older than ``tolerance`` seconds."""
    timestamp = headers.get("X-PKSAI-Timestamp", "")
    signature = headers.get("X-PKSAI-Signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(signature, "sha256=" + expected.hexdigest())


@dataclass
class Receipt:
    delivery: str
    event: str
    body: dict
    raw: bytes
    valid: bool


@dataclass
class Receiver:
    secret: str = ""
    answer: int = 200
    retry_after: str = ""
    received: list[Receipt] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hook"

    def ids(self) -> list[str]:
        return [r.delivery for r in self.received]

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    if receiver.answer >= 300:
                        receiver.refused += 1
                        self.send_response(receiver.answer)
                        if receiver.retry_after:
                            self.send_header("Retry-After", receiver.retry_after)
                        self.end_headers()
                        return
                    receiver.received.append(
                        Receipt(
                            delivery=self.headers["X-PKSAI-Delivery"],
                            event=self.headers["X-PKSAI-Event"],
                            body=json.loads(body),
                            raw=body,
                            valid=verify(receiver.secret, self.headers, body),
                        )
                    )
                self.send_response(204)
                self.end_headers()

            def log_message(self, format, *args):  # quiet
                pass

        self.server = local_server.serve(Handler)
        return self

    def stop(self) -> None:
        local_server.stop(self.server)
