"""Security keys and passkeys as a second factor (WebAuthn through py_webauthn; decision 0020).

Two steps each: the server makes options with a fresh challenge (kept in the session), the
browser (``static/pksai/js/webauthn.js``) asks the authenticator, the server verifies the
answer against the challenge, the site (relying party id) and the origin. A verified
assertion marks the session verified with ``django_otp.login``, like a TOTP code."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import transaction
from django_otp import login as otp_login
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from pksai.accounts.models import SecurityKey
from pksai.audit.services import audit_record

SESSION_CHALLENGE = "pksai_webauthn_challenge"


class KeyRefused(Exception):
    """The browser's answer did not verify (wrong challenge, site, origin or signature)."""


def relying_party(request: Any) -> tuple[str, str]:
    """The site's id (host name) and origin the credentials are bound to."""
    rp_id = settings.PKSAI_WEBAUTHN_RP_ID or request.get_host().rsplit(":", 1)[0]
    origin = settings.PKSAI_WEBAUTHN_ORIGIN or f"{request.scheme}://{request.get_host()}"
    return rp_id, origin


def _descriptors(user) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(id=base64url_to_bytes(k.credential_id))
        for k in SecurityKey.objects.filter(user=user, confirmed=True)
    ]


def registration_options(*, request: Any) -> str:
    user = request.user
    rp_id, _origin = relying_party(request)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name="PKSAI",
        user_id=str(user.pk).encode(),
        user_name=user.get_username(),
        user_display_name=user.get_full_name() or user.get_username(),
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    request.session[SESSION_CHALLENGE] = bytes_to_base64url(options.challenge)
    return options_to_json(options)


def _take_challenge(request: Any) -> bytes:
    challenge = request.session.pop(SESSION_CHALLENGE, None)
    if not challenge:
        raise KeyRefused("no challenge in this session")
    return base64url_to_bytes(challenge)


def security_key_register(*, request: Any, credential: dict, name: str) -> SecurityKey:
    """Store a new key after verifying the browser's answer; the session counts as verified
    with it (the user was already verified or had no factor yet — the view checks)."""
    user = request.user
    rp_id, origin = relying_party(request)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=_take_challenge(request),
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (WebAuthnException, KeyRefused, ValueError, TypeError, KeyError) as refused:
        # outside any transaction: the refusal stays in the audit trail
        audit_record(action="mfa_failed", actor=user, obj=user, detail={"factor": "key_add"})
        raise KeyRefused(str(refused)) from None
    with transaction.atomic():
        return _store_key(request=request, verified=verified, credential=credential, name=name)


def _store_key(*, request: Any, verified: Any, credential: dict, name: str) -> SecurityKey:
    user = request.user
    key = SecurityKey.objects.create(
        user=user,
        name=(name.strip() or "Security key")[:60],
        confirmed=True,
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[str(t) for t in (credential.get("response", {}).get("transports") or [])],
    )
    audit_record(
        action="mfa_enrolled",
        actor=user,
        obj=user,
        detail={"factor": "security_key", "key": key.pk},
    )
    otp_login(request, key)
    return key


def authentication_options(*, request: Any) -> str:
    rp_id, _origin = relying_party(request)
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=_descriptors(request.user),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    request.session[SESSION_CHALLENGE] = bytes_to_base64url(options.challenge)
    return options_to_json(options)


def security_key_verify(*, request: Any, credential: dict) -> SecurityKey:
    user = request.user
    rp_id, origin = relying_party(request)
    key = SecurityKey.objects.filter(
        user=user, confirmed=True, credential_id=str(credential.get("id", ""))
    ).first()
    try:
        if key is None:
            raise InvalidAuthenticationResponse("unknown credential")
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=_take_challenge(request),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=bytes(key.public_key),
            credential_current_sign_count=key.sign_count,
        )
    except (WebAuthnException, KeyRefused, ValueError, TypeError, KeyError) as refused:
        audit_record(action="mfa_failed", actor=user, obj=user, detail={"factor": "security_key"})
        raise KeyRefused(str(refused)) from None
    with transaction.atomic():
        # a cloned authenticator shows a counter that does not grow: refused by py_webauthn
        SecurityKey.objects.filter(pk=key.pk).update(sign_count=verified.new_sign_count)
        otp_login(request, key)
        audit_record(
            action="mfa_verified",
            actor=user,
            obj=user,
            detail={"factor": "security_key", "key": key.pk},
        )
    return key


def parse_body(body: bytes) -> dict:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise KeyRefused("not JSON") from None
    if not isinstance(data, dict):
        raise KeyRefused("not an object")
    return data
