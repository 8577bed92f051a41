"""The production web server's settings and the request-size cap (decision 0015).

`pksai serve` runs gunicorn with gthread workers; `gunicorn_argv()` turns PKSAI's settings
into its command line. `BodySizeLimit` wraps the WSGI application (pksai.wsgi) so a body above
``settings.MAX_REQUEST_BYTES`` is refused with 413 before a byte of it is read, whatever server
runs the app (gunicorn itself has no body limit).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class BodySizeLimit:
    """WSGI middleware: 413 for a declared Content-Length above the cap (read lazily from
    settings so tests can change it). Bodies without Content-Length are not read by Django at
    all, so they need no check here."""

    def __init__(self, app: WSGIApp):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.MAX_REQUEST_BYTES
        if limit and length > limit:
            body = json.dumps({"detail": "Request body too large.", "limit_bytes": limit}).encode()
            start_response(
                "413 Request Entity Too Large",
                [
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(body))),
                    ("Connection", "close"),
                ],
            )
            return [body]
        return self.app(environ, start_response)


def gunicorn_argv(
    *, bind: str, workers: int | None = None, threads: int | None = None
) -> list[str]:
    """The gunicorn command line for PKSAI's settings: gthread workers (threads share each
    process's database pool), request line and header caps, a worker timeout, graceful stop
    within the serve shutdown budget, and workers recycled now and then against slow leaks."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "pksai.wsgi:application",
        "--bind",
        bind,
        "--worker-class",
        "gthread",
        "--workers",
        str(workers or settings.WEB_WORKERS),
        "--threads",
        str(threads or settings.WEB_THREADS),
        "--timeout",
        str(settings.WEB_TIMEOUT),
        "--graceful-timeout",
        str(max(1, min(settings.WEB_TIMEOUT, SHUTDOWN_SECONDS - 2))),
        "--keep-alive",
        "5",
        "--limit-request-line",
        str(settings.WEB_MAX_REQUEST_LINE),
        "--limit-request-fields",
        str(settings.WEB_MAX_HEADER_FIELDS),
        "--limit-request-field_size",
        str(settings.WEB_MAX_HEADER_FIELD_SIZE),
        "--max-requests",
        "5000",
        "--max-requests-jitter",
        "500",
        *(["--worker-tmp-dir", SHM] if os.path.isdir(SHM) else []),
        # Hooks for Prometheus' multiprocess metrics (they do nothing unless it is set up).
        *(["--config", f"python:{HOOKS}"] if importlib.util.find_spec(HOOKS) else []),
        "--no-control-socket",
        "--error-logfile",
        "-",
    ]


HOOKS = "pksai.ops.gunicorn_conf"

# gunicorn's documented choice for its worker heartbeat files (memory, not disk).
SHM = "/dev/shm"  # noqa: S108

# Seconds `pksai serve` gives its children to stop after SIGTERM before it kills them.
SHUTDOWN_SECONDS = 8
