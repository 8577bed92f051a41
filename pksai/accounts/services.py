"""Writing accounts: organisations, users with roles and scope, API tokens."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from pksai.accounts.models import ApiToken, Organisation, User
from pksai.accounts.roles import ROLE_BY_SLUG
from pksai.areas.models import Area
from pksai.audit.services import audit_record

TOKEN_PREFIX = "pksai_"  # noqa: S105 (a public prefix, not a secret)


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    roles: Iterable[str],
    scope_areas: Iterable[str] = (),
    is_national: bool = False,
    organisation: Organisation | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    by: User | None = None,
) -> User:
    """A user with roles (group slugs) and an area scope (codes). National-only roles need
    ``is_national``; every other user needs at least one scope area."""
    roles = list(roles)
    unknown = [r for r in roles if r not in ROLE_BY_SLUG]
    if unknown:
        raise ValidationError(f"Unknown roles: {', '.join(unknown)}")
    if any(ROLE_BY_SLUG[r].national_only for r in roles) and not is_national:
        raise ValidationError("This role is for national scope only.")
    codes = list(scope_areas)
    areas = list(Area.objects.filter(code__in=codes))
    if len(areas) != len(set(codes)):
        missing = sorted(set(codes) - {a.code for a in areas})
        raise ValidationError(f"Unknown area codes: {', '.join(missing)}")
    if not is_national and not areas:
        raise ValidationError("A user needs an area scope or national scope.")
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        organisation=organisation,
        is_national=is_national,
        is_staff=any(ROLE_BY_SLUG[r].staff for r in roles),
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set(Group.objects.filter(name__in=roles))
    user.scope_areas.set(areas)
    audit_record(
        action="create",
        actor=by,
        obj=user,
        detail={"roles": roles, "scope": codes, "national": is_national},
    )
    return user


@transaction.atomic
def api_token_issue(
    *, user: User, name: str, by: User | None, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Issue a token; the raw value is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        digest=ApiToken.digest_of(raw),
        created_by=by,
        expires_at=expires_at,
    )
    audit_record(action="create", actor=by, obj=token, detail={"for_user": user.username})
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: User | None) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(action="update", actor=by, obj=token, detail={"revoked": True})
    return token


def api_token_authenticate(raw: str) -> User | None:
    """The active user behind a valid, unrevoked, unexpired token, or None."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.digest_of(raw), revoked_at__isnull=True)
        .first()
    )
    now = timezone.now()
    if token is None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    # Record use at most once a minute per token to keep reads cheap.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# --- passwords (decision 0019) ---------------------------------------------------------------


@transaction.atomic
def password_change(*, form) -> User:
    """The signed-in user's new password (a valid ``PasswordChangeForm``), audited."""
    user = form.save()
    audit_record(action="password_changed", actor=user, obj=user)
    return user


@transaction.atomic
def password_reset_complete(*, form) -> tuple[User, int]:
    """A new password set through the e-mailed link (a valid ``SetPasswordForm``): audited,
    and every sign-in lock on the username lifted (the link proves the mailbox is theirs).
    Answers the user and how many failed attempts were cleared (the unlock is audited by
    ``accounts.throttle.ThrottleHandler.reset_attempts`` when there were any)."""
    from axes.handlers.proxy import AxesProxyHandler

    user = form.save()
    audit_record(action="password_reset", actor=user, obj=user)
    cleared = AxesProxyHandler.reset_attempts(username=user.get_username())
    return user, cleared
