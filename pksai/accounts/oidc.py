"""Single sign-on with an OpenID Connect provider (decision 0021, docs/single-sign-on.md).

Authlib is the client: discovery, the authorization code flow with PKCE, state and nonce, the
signature and claims of the ID token, refresh tokens, userinfo. This module adds PKSAI's part:

- ``claims_map``: the provider's claims → PKSAI roles and area scope (the documented mapping);
- ``user_sync``: the service that creates the user on the first sign-in and brings roles, area
  scope and names up to date on every sign-in and every check, audited;
- ``OidcSessionMiddleware``: every PKSAI_OIDC_RENEW_SECONDS (never later than the ID token's
  expiry) the session is checked with the provider — refresh token, then userinfo; a refused
  refresh, ``active: false``, a user disabled in PKSAI or no role or area left ends the
  session at that request.

Off unless PKSAI_OIDC_ISSUER and PKSAI_OIDC_CLIENT_ID are set. Local passwords stay.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from joserfc.errors import JoseError

from pksai.accounts.models import OidcIdentity, User
from pksai.accounts.roles import ROLE_BY_SLUG
from pksai.areas.codes import normalise_area_code
from pksai.areas.models import Area
from pksai.audit.services import audit_record

log = logging.getLogger(__name__)

SESSION_KEY = "pksai_oidc"  # the signed-in session's link to the provider
NEXT_KEY = "pksai_oidc_next"  # where to go after the provider sent the user back
ENDED_KEY = "pksai_oidc_ended"  # why a single sign-on session ended (shown on the sign-in page)
NATIONAL = "national"  # the area value that means national scope
# What can go wrong talking to the provider: protocol and token errors, the network, answers
# that are not what OpenID Connect says.
PROVIDER_ERRORS = (AuthlibBaseError, JoseError, requests.RequestException, ValueError, KeyError)


# --- configuration --------------------------------------------------------------------------


def enabled() -> bool:
    return bool(settings.PKSAI_OIDC_ISSUER and settings.PKSAI_OIDC_CLIENT_ID)


def provider_name() -> str:
    """What the sign-in button says after "Sign in with"; empty when single sign-on is off."""
    if not enabled():
        return ""
    return settings.PKSAI_OIDC_PROVIDER_NAME or settings.PKSAI_OIDC_ISSUER.split("//", 1)[-1]


def discovery_url() -> str:
    return (
        settings.PKSAI_OIDC_DISCOVERY_URL
        or f"{settings.PKSAI_OIDC_ISSUER}/.well-known/openid-configuration"
    )


_clients: dict[tuple, Any] = {}
_clients_lock = threading.Lock()


def client():
    """The Authlib client for the configured provider (its discovery document and keys are
    fetched once per process and kept; an unknown key id fetches the keys again)."""
    from authlib.integrations.django_client import OAuth

    key = (
        discovery_url(),
        settings.PKSAI_OIDC_CLIENT_ID,
        settings.PKSAI_OIDC_CLIENT_SECRET,
        settings.PKSAI_OIDC_SCOPES,
        settings.PKSAI_OIDC_TIMEOUT,
    )
    with _clients_lock:
        if key not in _clients:
            _clients[key] = OAuth().register(
                "pksai",
                client_id=settings.PKSAI_OIDC_CLIENT_ID,
                client_secret=settings.PKSAI_OIDC_CLIENT_SECRET,
                server_metadata_url=discovery_url(),
                client_kwargs={
                    "scope": settings.PKSAI_OIDC_SCOPES,
                    "code_challenge_method": "S256",
                    "default_timeout": settings.PKSAI_OIDC_TIMEOUT,
                },
            )
        return _clients[key]


# --- the mapping ----------------------------------------------------------------------------


@dataclass
class Access:
    """What the provider's claims give in PKSAI."""

    roles: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)  # Kemendagri codes that exist
    national: bool = False
    active: bool = True
    ignored_roles: list[str] = field(default_factory=list)
    ignored_areas: list[str] = field(default_factory=list)

    @property
    def grants_access(self) -> bool:
        return bool(self.roles) and (self.national or bool(self.areas))


def _values(claim: Any) -> list[str]:
    """A claim as a list of strings: a JSON list, or one string of values split by spaces or
    commas (providers differ)."""
    if claim is None:
        return []
    if isinstance(claim, str):
        return [v for v in re.split(r"[\s,]+", claim) if v]
    if isinstance(claim, (list, tuple)):
        return [str(v).strip() for v in claim if str(v).strip()]
    return [str(claim)]


def claims_map(claims: dict[str, Any]) -> Access:
    """The documented mapping (docs/single-sign-on.md): the roles claim through
    PKSAI_OIDC_ROLE_MAP to PKSAI roles allowed by PKSAI_OIDC_ALLOWED_ROLES; the areas claim to
    Kemendagri codes that exist (or ``national``); ``active: false`` means disabled. Everything
    else is ignored and reported."""
    access = Access()
    areas = _values(claims.get(settings.PKSAI_OIDC_AREAS_CLAIM))
    access.national = NATIONAL in (a.lower() for a in areas)
    wanted: dict[str, str] = {}  # code → as sent
    for value in areas:
        if value.lower() == NATIONAL:
            continue
        code = normalise_area_code(value)
        if code is None:
            access.ignored_areas.append(value)
        else:
            wanted.setdefault(code, value)
    known = set(Area.objects.filter(code__in=wanted).values_list("code", flat=True))
    access.areas = sorted(known)
    access.ignored_areas += [sent for code, sent in wanted.items() if code not in known]

    allowed = set(settings.PKSAI_OIDC_ALLOWED_ROLES)
    for value in _values(claims.get(settings.PKSAI_OIDC_ROLES_CLAIM)):
        slug = settings.PKSAI_OIDC_ROLE_MAP.get(value, value)
        role = ROLE_BY_SLUG.get(slug)
        if role is None or slug not in allowed or (role.national_only and not access.national):
            access.ignored_roles.append(value)
        elif slug not in access.roles:
            access.roles.append(slug)
    active = claims.get("active", True)
    access.active = not (active is False or str(active).lower() in {"false", "0", "no"})
    return access


# --- the user -------------------------------------------------------------------------------


@dataclass
class SyncResult:
    user: User | None
    access: Access
    refused: str = ""  # why there is no access: inactive, no_access, disabled_here, unknown
    changes: dict[str, Any] = field(default_factory=dict)


def _free_username(claims: dict[str, Any]) -> str:
    wanted = str(claims.get("preferred_username") or claims.get("email") or "").strip()
    base = re.sub(r"[^\w.@+-]", "", wanted)[:120] or "sso"
    if not User.objects.filter(username=base).exists():
        return base
    digest = hashlib.sha256(str(claims["sub"]).encode()).hexdigest()[:8]
    return f"{base}.sso-{digest}"


def _diff(before: list[str], after: list[str]) -> dict[str, list[str]]:
    added, removed = sorted(set(after) - set(before)), sorted(set(before) - set(after))
    return {k: v for k, v in (("added", added), ("removed", removed)) if v}


@transaction.atomic
def user_sync(*, issuer: str, claims: dict[str, Any], sign_in: bool) -> SyncResult:
    """Find the user by the provider's issuer and subject (never by name or e-mail), create
    them on the first sign-in, and set roles, area scope, national scope and names from the
    claims. Changes are saved and audited even when the result is no access (a role taken away
    at the provider is taken away here too). ``sign_in`` is False for the periodic check, which
    never creates a user."""
    from pksai.accounts.services import user_create

    access = claims_map(claims)
    subject = str(claims["sub"])
    identity = (
        OidcIdentity.objects.select_for_update()
        .select_related("user")
        .filter(issuer=issuer, subject=subject)
        .first()
    )
    if identity is None:
        if not sign_in:
            return SyncResult(None, access, "unknown")
        if not access.active:
            return SyncResult(None, access, "inactive")
        if not access.grants_access:
            return SyncResult(None, access, "no_access")
        user = user_create(
            username=_free_username(claims),
            password=None,  # signs in at the provider only
            roles=access.roles,
            scope_areas=access.areas,
            is_national=access.national,
            first_name=str(claims.get("given_name", ""))[:150],
            last_name=str(claims.get("family_name", ""))[:150],
            email=str(claims.get("email", ""))[:254],
        )
        OidcIdentity.objects.create(
            user=user, issuer=issuer, subject=subject, last_sign_in_at=timezone.now()
        )
        return SyncResult(user, access, changes={"created": True})

    user = identity.user
    changes: dict[str, Any] = {}
    roles_before = sorted(user.groups.values_list("name", flat=True))
    if roles := _diff(roles_before, access.roles):
        user.groups.set(Group.objects.filter(name__in=access.roles))
        changes["roles"] = roles
    areas_before = sorted(user.scope_areas.values_list("code", flat=True))
    if areas := _diff(areas_before, access.areas):
        user.scope_areas.set(Area.objects.filter(code__in=access.areas))
        changes["areas"] = areas
    fields = {
        "is_national": access.national,
        "is_staff": any(ROLE_BY_SLUG[r].staff for r in access.roles),
        "first_name": str(claims.get("given_name", user.first_name))[:150],
        "last_name": str(claims.get("family_name", user.last_name))[:150],
        "email": str(claims.get("email", user.email))[:254],
    }
    changed = [name for name, value in fields.items() if getattr(user, name) != value]
    for name in changed:
        changes[name] = {"from": getattr(user, name), "to": fields[name]}
        setattr(user, name, fields[name])
    if changed:
        user.save(update_fields=changed)
    if changes:
        user._pksai_role_names = None  # the audit row names the roles as they are now
        audit_record(
            action="update",
            actor=user,
            obj=user,
            detail={
                "via": "oidc",
                "event": "sign_in" if sign_in else "check",
                **changes,
                "ignored_roles": access.ignored_roles,
                "ignored_areas": access.ignored_areas,
            },
        )
    if sign_in:
        identity.last_sign_in_at = timezone.now()
        identity.save(update_fields=["last_sign_in_at"])
    if not user.is_active:
        return SyncResult(user, access, "disabled_here", changes)
    if not access.active:
        return SyncResult(user, access, "inactive", changes)
    if not access.grants_access:
        return SyncResult(user, access, "no_access", changes)
    return SyncResult(user, access, changes=changes)


# --- the session ----------------------------------------------------------------------------


def _check_at(token: dict[str, Any], id_claims: dict[str, Any] | None) -> float:
    limits = [time.time() + settings.PKSAI_OIDC_RENEW_SECONDS]
    if id_claims and id_claims.get("exp"):
        limits.append(float(id_claims["exp"]))
    if token.get("expires_at"):
        limits.append(float(token["expires_at"]))
    return min(limits)


def session_start(request, *, issuer: str, subject: str, token: dict, id_claims: dict) -> None:
    request.session[SESSION_KEY] = {
        "issuer": issuer,
        "sub": subject,
        "refresh_token": token.get("refresh_token", ""),
        "check_at": _check_at(token, id_claims),
    }


def session_end(request, reason: str) -> None:
    """Sign the user out (audited as a logout with the reason) and leave the reason for the
    sign-in page."""
    from pksai.core.context import bind_user

    request.pksai_logout_reason = f"oidc_{reason}"
    auth.logout(request)
    bind_user(request.user)  # the rest of the request is anonymous, in the audit trail too
    request.session[ENDED_KEY] = reason


def session_check(request) -> bool:
    """Ask the provider whether the session's user still has access: a refresh token grant,
    then userinfo with the new access token, then ``user_sync``. False (and signed out) when
    the provider refuses, cannot be reached, or the claims give no access any more."""
    data = request.session[SESSION_KEY]
    if not enabled():
        session_end(request, "not_configured")
        return False
    if not data.get("refresh_token"):
        session_end(request, "expired")  # the provider gives no refresh tokens: sign in again
        return False
    app = client()
    try:
        token = app.fetch_access_token(
            grant_type="refresh_token", refresh_token=data["refresh_token"]
        )
        claims = dict(app.userinfo(token=token))
        if str(claims.get("sub")) != data["sub"]:
            raise ValueError("userinfo answered for another subject")
    except PROVIDER_ERRORS as error:
        log.info("single sign-on check refused: %s", error)
        session_end(request, "refused")
        return False
    result = user_sync(issuer=data["issuer"], claims=claims, sign_in=False)
    if result.refused or result.user is None or result.user.pk != request.user.pk:
        session_end(request, result.refused or "unknown")
        return False
    data["refresh_token"] = token.get("refresh_token") or data["refresh_token"]
    data["check_at"] = _check_at(token, None)
    request.session[SESSION_KEY] = data
    return True


class OidcSessionMiddleware:
    """After RequestContextMiddleware (so audit rows carry the address): a single sign-on
    session is checked with the provider when its check is due; a session that fails the
    check goes on as anonymous (pages send the user to the sign-in page, the API answers
    401)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None:
            data = session.get(SESSION_KEY)
            if data and time.time() >= data.get("check_at", 0):
                if request.user.is_authenticated:
                    session_check(request)
                else:
                    session.pop(SESSION_KEY, None)
        return self.get_response(request)
