"""Structured logs: one JSON object per line, with the request id and the user id.

``LOG_FORMAT=json`` (the production default in docs/operations.md) selects
:class:`JsonFormatter`; ``plain`` keeps the readable one-line format for development. Each
record carries ``request_id`` and ``user_id`` from the request context
(``pksai.core.context``), so the lines of one request — the access line, warnings, errors — can
be found together, and matched with the audit rows of the same request.

Never personal data: the access line names the view and its URL pattern, not the path or the
query string (a search for a child's name or NIK stays out of the logs); users appear by id
only.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is logged too.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
# Never written: Django attaches the request object (its repr has the query string).
_NEVER = {"request"}


def context_ids() -> tuple[str | None, int | None]:
    """The current request's id and user id (None outside a request or when anonymous)."""
    from django.utils.functional import LazyObject, empty

    from pksai.core.context import current_request_context

    ctx = current_request_context()
    if ctx is None:
        return None, None
    user = ctx.user
    if isinstance(user, LazyObject):
        # only a user already loaded: never a database query from inside logging
        user = user._wrapped if user._wrapped is not empty else None
    if user is not None and getattr(user, "is_authenticated", False):
        return ctx.request_id, user.pk
    return ctx.request_id, None


class RequestContextFilter(logging.Filter):
    """Adds ``request_id`` and ``user_id`` (when not given with ``extra=``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id, user_id = context_ids()
            if not hasattr(record, "user_id"):
                record.user_id = user_id
        elif not hasattr(record, "user_id"):
            record.user_id = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in _NEVER and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = None
        return super().format(record)


def logging_config(*, fmt: str, level: str) -> dict[str, Any]:
    """``settings.LOGGING``: everything to stderr, JSON or plain; the access log
    (``pksai.access``) is on in JSON mode and at INFO."""
    formatter = "json" if fmt == "json" else "plain"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "pksai.ops.logs.RequestContextFilter"}},
        "formatters": {
            "json": {"()": "pksai.ops.logs.JsonFormatter"},
            "plain": {"()": "pksai.ops.logs.PlainFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": formatter,
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "axes": {"level": "WARNING"},
            # the access line per request (pksai.ops.middleware); Django's own request logger
            # repeats 4xx/5xx with the path, which our access line already covers without it
            "pksai.access": {"level": "INFO" if fmt == "json" else "WARNING"},
            "django.request": {"level": "ERROR"},
        },
    }
