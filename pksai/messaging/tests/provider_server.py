"""A provider's HTTP API on 127.0.0.1 for the channel tests: a real server in a thread, which
each test file teaches one provider's documented request and answer shapes, and which can be
told to fail the next request(s) the ways real providers fail: ``"500"``, ``"429"`` (with
``Retry-After``), ``"reset"`` (the connection is dropped without an answer) and ``"timeout"``
(the answer comes later than the client waits), or any provider-specific failure the
subclass handles (an error code)."""

from __future__ import annotations

import json
import os
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

STALL_SECONDS = 1.5  # longer than the clients' read timeout in the tests


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: object = None
    form: dict[str, str] = field(default_factory=dict)


class ProviderServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, handler):
        super().__init__(("127.0.0.1", 0), handler)
        self.failures: list[str] = []
        self.seen: list[Seen] = []
        self.state: dict = {}
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def handle_error(self, request, client_address):
        # a client that gave up (the timeout tests) leaves the answer nowhere to go
        if not isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            super().handle_error(request, client_address)

    def fail_next(self, *kinds: str) -> None:
        self.failures.extend(kinds)

    def __enter__(self):
        # a proxy from the environment must not sit between the client and this server
        self._no_proxy = os.environ.get("NO_PROXY")
        os.environ["NO_PROXY"] = "127.0.0.1,localhost"
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()
        if self._no_proxy is None:
            os.environ.pop("NO_PROXY", None)
        else:
            os.environ["NO_PROXY"] = self._no_proxy


class ProviderHandler(BaseHTTPRequestHandler):
    server: ProviderServer

    def log_message(self, format, *args):  # noqa: A002 - quiet test output
        pass

    # what a subclass implements
    def provider_request(self, seen: Seen, failure: str | None) -> None:
        raise NotImplementedError

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        seen = Seen(
            method=self.command,
            path=parts.path,
            query={k: v[-1] for k, v in parse_qs(parts.query).items()},
            headers={k: v for k, v in self.headers.items()},
            body=body,
        )
        content_type = self.headers.get("Content-Type", "")
        if "json" in content_type and body:
            try:
                seen.json = json.loads(body)
            except ValueError:
                seen.json = None
        elif "x-www-form-urlencoded" in content_type:
            seen.form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        self.server.seen.append(seen)
        failure = self.server.failures.pop(0) if self.server.failures else None
        if failure == "reset":
            self.reset()
            return
        if failure == "timeout":
            time.sleep(STALL_SECONDS)
            failure = None
        self.provider_request(seen, failure)

    def reset(self) -> None:
        """Drop the connection with a TCP reset and no answer."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def send_json(self, status: int, data: object, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
