import re
import uuid
import zoneinfo

from django.conf import settings
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

from pksai.core.context import RequestContext, reset_request_context, set_request_context

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip(request) -> str | None:
    # Only trust X-Forwarded-For behind a proxy we configured.
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


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
                request_id=request.id, ip=client_ip(request), path=request.path[:500], user=user
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
