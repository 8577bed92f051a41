"""Single sign-on pages: off to the provider, and back (decision 0021)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.http import Http404
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from pksai.accounts import oidc
from pksai.audit.services import audit_record

log = logging.getLogger(__name__)


def _safe_next(request, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


@require_GET
def oidc_login(request):
    """The "Sign in with …" button: to the provider's sign-in page (state, nonce and the PKCE
    verifier stay in this session). A link, not a form: the page's CSP lets forms post to
    PKSAI only (``form-action 'self'`` covers the redirect after a POST too), and the state
    bound to this session already stops a forged sign-in."""
    if not oidc.enabled():
        raise Http404
    request.session[oidc.NEXT_KEY] = _safe_next(request, request.GET.get("next", ""))
    callback = request.build_absolute_uri(reverse("accounts:oidc_callback"))
    try:
        return oidc.client().authorize_redirect(request, callback)
    except oidc.PROVIDER_ERRORS as error:
        log.warning("single sign-on provider unreachable: %s", error)
        messages.error(
            request,
            _(
                "The sign-in service cannot be reached right now. Try again in a few minutes, "
                "or sign in with your PKSAI username and password if you have one."
            ),
        )
        return redirect("accounts:login")


_REFUSED = {
    "inactive": lambda name: _("Your account at %(provider)s is disabled.") % {"provider": name},
    "no_access": lambda name: (
        _(
            "Your account at %(provider)s gives no PKSAI role and working area. Ask your PKSAI "
            "administrator to set them at %(provider)s."
        )
        % {"provider": name}
    ),
    "disabled_here": lambda name: _(
        "Your PKSAI account is disabled. Ask your PKSAI administrator."
    ),
}


@require_GET
def oidc_callback(request):
    """Back from the provider: the code exchanged for tokens, the ID token checked (signature,
    issuer, audience, expiry, nonce), userinfo read, the user created or updated from the
    claims, and signed in. Every refusal is audited as a failed sign-in."""
    if not oidc.enabled():
        raise Http404
    name = oidc.provider_name()
    app = oidc.client()
    try:
        token = app.authorize_access_token(request)
        id_claims = dict(token.get("userinfo") or {})
        if not id_claims.get("sub"):
            raise ValueError("no ID token")
        claims = dict(app.userinfo(token=token))
        if str(claims.get("sub")) != str(id_claims["sub"]):
            raise ValueError("userinfo answered for another subject")
    except oidc.PROVIDER_ERRORS as error:
        log.info("single sign-on refused: %s", error)
        audit_record(
            action="login_failed",
            detail={"method": "oidc", "reason": "provider", "error": str(error)[:200]},
        )
        messages.error(
            request,
            _("Signing in with %(provider)s did not succeed. Please try again.")
            % {"provider": name},
        )
        return redirect("accounts:login")
    issuer = str(id_claims["iss"])
    result = oidc.user_sync(issuer=issuer, claims={**id_claims, **claims}, sign_in=True)
    detail = {
        "method": "oidc",
        "issuer": issuer,
        "ignored_roles": result.access.ignored_roles,
        "ignored_areas": result.access.ignored_areas,
    }
    if result.refused:
        audit_record(
            action="login_failed",
            username=claims.get("preferred_username", "") or str(id_claims["sub"]),
            detail={**detail, "reason": result.refused},
        )
        messages.error(request, _REFUSED.get(result.refused, _REFUSED["inactive"])(name))
        return redirect("accounts:login")
    next_url = request.session.pop(oidc.NEXT_KEY, "")
    request.pksai_sign_in = detail  # the login audit row says how (audit/receivers.py)
    auth_login(request, result.user, backend="django.contrib.auth.backends.ModelBackend")
    oidc.session_start(
        request, issuer=issuer, subject=str(id_claims["sub"]), token=token, id_claims=id_claims
    )
    return redirect(_safe_next(request, next_url) or resolve_url(settings.LOGIN_REDIRECT_URL))
