"""A local HTTP server for the tests that talk to another system's API (DHIS2, Primero, DCI,
webhook receivers): ``handler`` served on 127.0.0.1 on a free port from a daemon thread."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def stop(server: ThreadingHTTPServer) -> None:
    """Stop answering and free the port (nothing listens there afterwards)."""
    server.shutdown()
    server.server_close()
