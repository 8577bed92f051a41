"""The one place that asks for the second factor (decision 0020).

A signed-in user whose roles demand a second factor (``accounts.second_factor
.second_factor_required``) and whose session has not used one is sent to verify it — or to
enrol first — before any page except signing in and out, the second-factor pages themselves,
the language switch and static files. The API answers such a session 401 with a JSON message;
API tokens of such users are refused in ``pksai.api.auth.TokenAuth``. However the session was
signed in (password, the e-mailed password-reset link), the factor is asked afterwards.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse

from pksai.accounts.second_factor import has_second_factor, is_verified, second_factor_required

# Paths a session that still owes its second factor may open.
OPEN_PREFIXES = (
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/second-factor/",
    "/i18n/",
    "/favicon.ico",
)


def _open(path: str) -> bool:
    static = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/"
    return path.startswith(OPEN_PREFIXES) or path.startswith(static)


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.PKSAI_SECOND_FACTOR_REQUIRED or _open(request.path):
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or is_verified(user):
            return self.get_response(request)
        if not second_factor_required(user):
            return self.get_response(request)
        enrolled = has_second_factor(user)
        target = reverse("accounts:second_factor_verify" if enrolled else "accounts:totp_enrol")
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "detail": "This account needs its second factor: verify it in the browser "
                    "session first.",
                    "verify": target,
                },
                status=401,
            )
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        if getattr(request, "htmx", False):
            response = HttpResponseRedirect(target)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)
