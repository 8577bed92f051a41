import json
import re
import time
import uuid
import zoneinfo
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy

from pksai.core.client import client_address
from pksai.core.context import RequestContext, reset_request_context, set_request_context

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class LanguageMiddleware:
    """Bahasa Indonesia unless the user chose English (language cookie set by set_language).

    Unlike Django's LocaleMiddleware, the browser's Accept-Language is ignored: the system's
    default language is Indonesian for everyone until they switch.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        lang = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if lang not in self.supported:
            lang = settings.LANGUAGE_CODE
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", lang)
        patch_vary_headers(response, ("Cookie",))
        return response


class RequestContextMiddleware:
    """Give each request an id, record it for the audit log, and show times in the user's zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        user = getattr(request, "user", None)
        token = set_request_context(
            RequestContext(
                request_id=request.id,
                ip=client_address(request),
                path=request.path[:500],
                user=user,
            )
        )
        tz_name = getattr(user, "zone_name", None) if user and user.is_authenticated else None
        if tz_name:
            timezone.activate(zoneinfo.ZoneInfo(tz_name))
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
            reset_request_context(token)
        response["X-Request-ID"] = request.id
        return response


def _holds_nul(value: Any) -> bool:
    """True when a decoded JSON value (or a string) holds a NUL character anywhere."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def nul_in_request(request) -> bool:
    """A NUL byte in the path, the query, a form field or a JSON body: no text column can
    store it (PostgreSQL refuses it), no name or filter holds one — it is never real input."""
    if "\x00" in request.path:
        return True
    if "%00" in request.META.get("QUERY_STRING", "") and any(
        "\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()
    ):
        return True
    if request.method not in {"POST", "PUT", "PATCH", "DELETE"}:
        return False
    content_type = request.content_type or ""
    if content_type == "application/json" or content_type.endswith("+json"):
        if b"\\u0000" not in request.body and b"\x00" not in request.body:
            return False
        try:
            return _holds_nul(json.loads(request.body))
        except ValueError:  # not JSON at all: the API says so (422)
            return b"\x00" in request.body
    if content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        return any(
            "\x00" in key or any("\x00" in str(v) for v in values)
            for key, values in request.POST.lists()
        )
    return False


BIGINT_MAX = 2**63 - 1  # the largest id, page or count a database integer holds
_DIGITS = re.compile(r"^[+-]?\d+$")
# query parameters that are whole numbers wherever they appear: pages, ids, years
_NUMERIC_PARAMS = re.compile(r"^(page|page_size|.+_page|id|pk|.+_id|year)$")


def number_out_of_range(request) -> bool:
    """A number in the path (``/cases/<id>/``) or in a page, id or year parameter that no
    database integer holds (beyond ±2**63): nothing can have it, and the database would
    refuse to compare it."""
    for segment in request.path.split("/"):
        if segment.isdigit() and len(segment) > 18 and int(segment) > BIGINT_MAX:
            return True
    if not request.META.get("QUERY_STRING"):
        return False
    for key, values in request.GET.lists():
        if not _NUMERIC_PARAMS.match(key):
            continue
        for value in values:
            text = value.strip()
            if len(text) > 18 and _DIGITS.match(text) and abs(int(text)) > BIGINT_MAX:
                return True
    return False


class BadInputMiddleware:
    """Input that no page or API operation can accept answers 400 with a message in the
    user's language, before any view sees it (issue 22): a NUL byte anywhere in the path,
    query, form fields or JSON body; a number in the path, or in a page, id or year
    parameter, beyond what a database integer holds. Pages show the 400 page; ``/api/``
    answers JSON. (Values inside the range are each view's to judge: a page past the last
    shows the last page, an unknown id is a 404, an impossible date a form error.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if nul_in_request(request):
            return bad_request(request, NUL_MESSAGE)
        if number_out_of_range(request):
            return bad_request(request, RANGE_MESSAGE)
        return self.get_response(request)


NUL_MESSAGE = gettext_lazy(
    "The request holds a character that is not allowed (a NUL byte, %00). Remove it and try again."
)


RANGE_MESSAGE = gettext_lazy(
    "A number in the request is too large (a page, an id or a year). Check the address and "
    "try again."
)


def bad_request(request, message: str):
    """A 400 answer: JSON under /api/, else the error page with ``message``."""
    from django.http import JsonResponse
    from django.shortcuts import render

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(message)}, status=400)
    return render(request, "errors/400.html", {"message": message}, status=400)


class NoStoreMiddleware:
    """Pages and API answers hold children's personal data: no browser, proxy or shared cache
    may keep them (``Cache-Control: no-store``, and ``Pragma: no-cache`` for HTTP/1.0 caches).

    Applies to every answer to a signed-in user and every answer under /api/ (token callers
    are not signed in through the session). A view that already chose its Cache-Control keeps
    it (personal exports say no-store themselves; the area picker's suggestions — public
    reference data — may be kept a minute). Static files never reach this middleware
    (WhiteNoise answers them first); public pages without a session are not touched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or request.path.startswith("/api/"):
            if "Cache-Control" not in response:
                response["Cache-Control"] = "no-store"
            response.setdefault("Pragma", "no-cache")
        return response


class SessionRenewalMiddleware:
    """A signed-in session lasts SESSION_COOKIE_AGE from the last activity, renewed at most
    every PKSAI_SESSION_RENEW_SECONDS (300): saving the session on every request (Django's
    SESSION_SAVE_EVERY_REQUEST) costs a database write and commit per page."""

    KEY = "_renewed"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and not session.is_empty():
            now = int(time.time())
            if now - int(session.get(self.KEY, 0)) >= settings.PKSAI_SESSION_RENEW_SECONDS:
                session[self.KEY] = now  # modified: SessionMiddleware saves it, new expiry
        return response
