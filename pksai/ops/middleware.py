"""Per-request metrics and the access log line (first in settings.MIDDLEWARE, so it times
everything the other middleware does too)."""

from __future__ import annotations

import logging
import time

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404

from pksai.ops import metrics
from pksai.ops.logs import context_ids

access_log = logging.getLogger("pksai.access")

CLIENT_ERRORS = (Http404, PermissionDenied, BadRequest, SuspiciousOperation)
UNMATCHED = "<unmatched>"  # no URL pattern matched (404 before any view)


def view_label(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED
    return match.view_name or match._func_path


def _user_id(request) -> int | None:
    from django.utils.functional import LazyObject, empty

    user = getattr(request, "user", None)
    if isinstance(user, LazyObject):
        user = user._wrapped if user._wrapped is not empty else None
    return user.pk if user is not None and getattr(user, "is_authenticated", False) else None


class ObservabilityMiddleware:
    """Observes each request's latency, status and view for Prometheus and writes one access
    line: request id, user id, method, view, URL pattern, status, duration — never the path or
    query string (they can hold names or NIKs)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - start
        view = view_label(request)
        metrics.observe_request(
            view=view, method=request.method, status=response.status_code, seconds=seconds
        )
        match = getattr(request, "resolver_match", None)
        request_id = getattr(request, "id", None) or context_ids()[0]
        access_log.info(
            "%s %s %s %.1fms",
            request.method,
            view,
            response.status_code,
            seconds * 1000,
            extra={
                "request_id": request_id,
                "user_id": _user_id(request),
                "method": request.method,
                "view": view,
                "route": match.route if match is not None else None,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
                "bytes": len(response.content) if not response.streaming else None,
            },
        )
        return response

    def process_exception(self, request, exception):
        if not isinstance(exception, CLIENT_ERRORS):  # those are answered 4xx, not errors
            metrics.observe_exception(view=view_label(request), exception=exception)
        return None
