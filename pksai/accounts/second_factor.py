"""The second factor (decision 0020): who needs one, enrolling, verifying, recovery, resets.

TOTP (an authenticator app) and recovery codes are django-otp devices (``otp_totp``,
``otp_static``); security keys and passkeys are ``accounts.SecurityKey`` devices verified in
``accounts.security_keys``. A session is verified when ``django_otp.login`` has stored the
device that was used (``request.user.is_verified()``, set by django-otp's middleware);
``accounts.middleware.SecondFactorMiddleware`` is the one place that asks for it.
Every enrolment, use, refusal, recovery-code use, renewal and reset is audited.
"""

from __future__ import annotations

import secrets
from base64 import b32encode
from binascii import unhexlify
from typing import Any

import segno
from django.conf import settings
from django.db import transaction
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from pksai.accounts.models import SecurityKey, User
from pksai.audit.services import audit_record

RECOVERY_DEVICE_NAME = "recovery"
# No 0/O, 1/l/I: codes are read off paper.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


# --- who needs one ----------------------------------------------------------------------------


def second_factor_permissions() -> tuple[str, ...]:
    return tuple(settings.PKSAI_SECOND_FACTOR_PERMISSIONS)


def second_factor_required(user: Any) -> bool:
    """True when the user holds a permission that demands a second factor (restricted cases,
    approving or sending money, exporting personal data, administering users) and the
    requirement is on (``PKSAI_SECOND_FACTOR_REQUIRED``)."""
    if not settings.PKSAI_SECOND_FACTOR_REQUIRED:
        return False
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return any(user.has_perm(perm) for perm in second_factor_permissions())


def is_verified(user: Any) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def has_second_factor(user: User) -> bool:
    """An enrolled factor that can sign in: an authenticator app or a security key (recovery
    codes alone are not an enrolment)."""
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or SecurityKey.objects.filter(user=user, confirmed=True).exists()
    )


def second_factor_status(user: User) -> dict[str, Any]:
    static = StaticDevice.objects.filter(user=user, name=RECOVERY_DEVICE_NAME).first()
    return {
        "totp": list(TOTPDevice.objects.filter(user=user, confirmed=True)),
        "keys": list(SecurityKey.objects.filter(user=user, confirmed=True)),
        "recovery_left": static.token_set.count() if static else 0,
    }


# --- TOTP enrolment ---------------------------------------------------------------------------


def totp_new_key() -> str:
    """A fresh secret (hex, as django-otp stores it); kept in the session until confirmed."""
    return default_key()


def totp_secret_text(key_hex: str) -> str:
    """The secret in base32, in groups of four, for typing into an authenticator app."""
    b32 = b32encode(unhexlify(key_hex)).decode().rstrip("=")
    return " ".join(b32[i : i + 4] for i in range(0, len(b32), 4))


def totp_config_url(*, user: User, key_hex: str) -> str:
    return TOTPDevice(user=user, key=key_hex, name="app").config_url


def totp_qr_svg(url: str) -> str:
    """The otpauth:// URL as an inline SVG QR code (segno; no image file, no JavaScript)."""
    qr = segno.make(url, error="m")
    return qr.svg_inline(scale=4, border=2, dark="#000", light="#fff", omitsize=False)


def _totp_matches(key_hex: str, token: str) -> bool:
    token = "".join(token.split())
    if not token.isdigit() or len(token) != 6:
        return False
    totp = TOTP(unhexlify(key_hex), step=30, t0=0, digits=6, drift=0)
    return totp.verify(int(token), tolerance=1)


@transaction.atomic
def totp_enrol(*, request: Any, key_hex: str, token: str) -> list[str] | None:
    """Confirm the authenticator app with a code from it: the device is stored, the session
    verified with it, and — when the user has none yet — ten recovery codes issued (returned
    once; None when the code was wrong)."""
    user = request.user
    if not _totp_matches(key_hex, token):
        audit_record(action="mfa_failed", actor=user, obj=user, detail={"factor": "totp_enrol"})
        return None
    TOTPDevice.objects.filter(user=user).delete()  # one authenticator app per user
    device = TOTPDevice.objects.create(user=user, key=key_hex, name="app", confirmed=True)
    audit_record(action="mfa_enrolled", actor=user, obj=user, detail={"factor": "totp"})
    codes = None
    if not StaticToken.objects.filter(device__user=user).exists():
        codes = recovery_codes_issue(user=user, first=True)
    otp_login(request, device)
    return codes or []


# --- recovery codes ---------------------------------------------------------------------------


def _recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


@transaction.atomic
def recovery_codes_issue(*, user: User, first: bool = False) -> list[str]:
    """Ten new one-time codes replacing any earlier ones; shown once, audited."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [_recovery_code() for _ in range(settings.PKSAI_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    if not first:
        audit_record(action="mfa_codes_renewed", actor=user, obj=user)
    return codes


# --- verification -----------------------------------------------------------------------------


class Throttled(Exception):
    """Too many wrong codes: django-otp makes the device wait (doubling after each failure)."""


def second_factor_verify(*, request: Any, token: str) -> bool:
    """A code from the authenticator app or a recovery code: on success the session is
    verified (audited as used, or as a recovery code used); a wrong code is audited as
    refused. Raises Throttled while the user's devices are paused after failures."""
    user = request.user
    token = "".join(token.split()).lower()
    devices = [
        d
        for d in devices_for_user(user, confirmed=True)
        if isinstance(d, TOTPDevice | StaticDevice)
    ]
    allowed = [d for d in devices if d.verify_is_allowed()[0]]
    if devices and not allowed:
        audit_record(action="mfa_failed", actor=user, obj=user, detail={"throttled": True})
        raise Throttled
    for device in allowed:
        candidate = token
        if isinstance(device, StaticDevice) and len(token) == 10:
            candidate = f"{token[:5]}-{token[5:]}"  # typed without the dash
        with transaction.atomic():
            if device.verify_token(candidate):
                otp_login(request, device)
                if isinstance(device, StaticDevice):
                    audit_record(
                        action="mfa_recovery_used",
                        actor=user,
                        obj=user,
                        detail={"left": device.token_set.count()},
                    )
                else:
                    audit_record(
                        action="mfa_verified", actor=user, obj=user, detail={"factor": "totp"}
                    )
                return True
    audit_record(action="mfa_failed", actor=user, obj=user, detail={"factor": "code"})
    return False


# --- reset by an administrator ----------------------------------------------------------------


@transaction.atomic
def second_factor_reset(*, user: User, by: User | None, reason: str = "") -> int:
    """Remove every second factor of ``user`` (a lost phone or key): they enrol again at their
    next sign-in. Audited with who did it and why. Answers how many devices were removed."""
    removed = 0
    for model in (TOTPDevice, StaticDevice, SecurityKey):
        _count, deleted = model.objects.filter(user=user).delete()
        removed += deleted.get(model._meta.label, 0)  # devices, not their recovery codes
    audit_record(
        action="mfa_reset",
        actor=by,
        obj=user,
        detail={"devices_removed": removed, "reason": reason[:300]},
        username="" if by else "pksai (command line)",
    )
    return removed
