"""Per-request context (request id, client IP, user) available to services without a request.

Set by `RequestContextMiddleware`; read by the audit helper so that every audit row carries
the request it came from even when the service that writes it never saw the request.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip: str | None
    path: str
    user: Any = None


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "pksai_request_context", default=None
)


def current_request_context() -> RequestContext | None:
    return _current.get()


def set_request_context(ctx: RequestContext | None) -> contextvars.Token:
    return _current.set(ctx)


def reset_request_context(token: contextvars.Token) -> None:
    _current.reset(token)


def bind_user(user: Any) -> None:
    """Attach the authenticated user to the current context (API token auth happens late)."""
    ctx = _current.get()
    if ctx is not None:
        _current.set(RequestContext(ctx.request_id, ctx.ip, ctx.path, user))
