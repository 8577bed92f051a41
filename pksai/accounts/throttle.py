"""Sign-in throttling (decision 0019): django-axes, with the address rule it lacks.

Two locks, both counted in axes' table (``AccessAttempt``: one row per username × address ×
browser with its failures, bumped by ``failures_since_start = F(...) + 1``) — the database,
so every web server and machine sees the same counts:

- **username + address** (axes' own lockout, ``AXES_LOCKOUT_PARAMETERS``):
  ``PKSAI_LOGIN_FAILURE_LIMIT`` failures of one username from one address lock that pair
  for ``PKSAI_LOCKOUT_MINUTES``. A stranger elsewhere locks only their own pair: the real
  user, from their own address, still signs in.
- **address** (``ThrottleHandler`` below, one SUM over the address's rows):
  ``PKSAI_LOGIN_ADDRESS_FAILURE_LIMIT`` failures from one address, whatever the usernames,
  pause sign-ins from it for the same time — password spraying (one password tried on every
  account) stops after that many guesses. The pause spares usernames that signed in from
  that address in the last ``PKSAI_LOGIN_KNOWN_ADDRESS_DAYS`` days (axes' ``AccessLog``), so
  a district office behind one NAT address keeps working while one of its machines sprays.

The real user lifts the locks of their username themselves with a password reset by e-mail
(``views.PasswordResetConfirmView``), or an administrator does (``pksai axes_reset_username``).
Every lockout and every unlock is in the audit trail (``audit/receivers.py``, ``reset_attempts``
below). The answer never tells a real username from a missing one: both are counted and
locked the same way, and the pages say the same.
"""

from __future__ import annotations

from datetime import timedelta

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt, AccessLog
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render
from django.utils import timezone

PAIR, ADDRESS = "pair", "address"


def address_failures(request) -> int:
    """Failed sign-ins from the request's address in the lockout window, all usernames."""
    address = getattr(request, "axes_ip_address", None)
    if not address:
        return 0
    total = AccessAttempt.objects.filter(
        ip_address=address, attempt_time__gte=get_cool_off_threshold(request)
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return total or 0


def known_here(request, username: str | None) -> bool:
    """Has this username signed in from this address recently?"""
    address = getattr(request, "axes_ip_address", None)
    if not username or not address:
        return False
    since = timezone.now() - timedelta(days=settings.PKSAI_LOGIN_KNOWN_ADDRESS_DAYS)
    return AccessLog.objects.filter(
        username=username, ip_address=address, attempt_time__gte=since
    ).exists()


def address_paused(request, credentials) -> bool:
    if address_failures(request) < settings.PKSAI_LOGIN_ADDRESS_FAILURE_LIMIT:
        return False
    return not known_here(request, get_client_username(request, credentials))


class ThrottleHandler(AxesDatabaseHandler):
    """axes' database handler plus the address pause, and audited unlocks."""

    def is_locked(self, request, credentials=None) -> bool:
        if super().is_locked(request, credentials):
            request.pksai_lock = PAIR
            return True
        if address_paused(request, credentials):
            request.pksai_lock = ADDRESS
            return True
        return False

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None:
            return
        if getattr(request, "axes_locked_out", False):
            if not getattr(request, "pksai_lock", ""):
                request.pksai_lock = PAIR
            return
        if address_paused(request, credentials):
            request.pksai_lock = ADDRESS
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )

    def reset_attempts(self, *, ip_address=None, username=None, ip_or_username=False) -> int:
        """Lift locks (a password reset by e-mail, `pksai axes_reset*`): audited when any
        failure was cleared (``cleared``: attempt records, one per username × address ×
        browser)."""
        from pksai.audit.services import audit_record

        count = super().reset_attempts(
            ip_address=ip_address, username=username, ip_or_username=ip_or_username
        )
        if count:
            audit_record(
                action="unlocked",
                username=str(username or "")[:150],
                detail={"address": ip_address or "", "cleared": count},
            )
        return count


def lockout_response(request, original_response=None, credentials=None):
    """The page for a locked sign-in (429), in the reader's language, saying which lock and
    how to lift it — the same for a real username and a missing one."""
    cool_off = get_cool_off(request) or timedelta(minutes=30)
    return render(
        request,
        "accounts/locked_out.html",
        {
            "lock": getattr(request, "pksai_lock", PAIR),
            "minutes": int(cool_off.total_seconds() // 60),
        },
        status=429,
    )
