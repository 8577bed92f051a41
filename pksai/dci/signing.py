"""The DCI message signature (DCI API standards v1.0.0, `MsgSignature` and the `Signature`
security scheme), in the Beckn-style form the standard names:

    Signature keyId="{sender_id}|{unique_key_id}|ed25519",algorithm="ed25519",
      created="1606970629",expires="1607030629",headers="(created) (expires) digest",
      signature="Base64(Ed25519 signature of the signing string)"

The signing string is three lines::

    (created): 1606970629
    (expires): 1607030629
    digest: BLAKE-512=Base64(BLAKE2b-512 of {header}+{message})

where ``{header}+{message}`` is the canonical JSON of the envelope's ``header`` followed by the
canonical JSON of its ``message`` (keys sorted, no spaces, UTF-8) — the standard signs the
header and message, not the HTTP body bytes, so a message can be relayed between hops with
its signature intact. The value travels in the envelope's ``signature`` field or, for
requests, the ``Signature`` HTTP header (decision 0039)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "ed25519"
HEADERS = "(created) (expires) digest"
MAX_LIFETIME = 3600  # seconds a signature may be valid for
CLOCK_SKEW = 300  # seconds a signer's clock may run ahead of ours


class SignatureError(Exception):
    """A missing or invalid signature; ``code`` is the DCI error code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Parsed:
    sender_id: str
    key_id: str
    algorithm: str
    created: int
    expires: int
    headers: str
    signature: bytes


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(header: Any, message: Any) -> str:
    body = canonical(header) + canonical(message if message is not None else {})
    return "BLAKE-512=" + base64.b64encode(hashlib.blake2b(body, digest_size=64).digest()).decode()


def signing_string(created: int, expires: int, digest_value: str) -> bytes:
    return f"(created): {created}\n(expires): {expires}\ndigest: {digest_value}".encode()


def sign(
    header: Any,
    message: Any,
    *,
    private_key: Ed25519PrivateKey,
    sender_id: str,
    key_id: str,
    now: int | None = None,
    lifetime: int = 300,
) -> str:
    created = int(now if now is not None else time.time())
    expires = created + lifetime
    raw = private_key.sign(signing_string(created, expires, digest(header, message)))
    return (
        f'Signature keyId="{sender_id}|{key_id}|{ALGORITHM}",algorithm="{ALGORITHM}",'
        f'created="{created}",expires="{expires}",headers="{HEADERS}",'
        f'signature="{base64.b64encode(raw).decode()}"'
    )


_PAIR = re.compile(r'([A-Za-z]+)\s*=\s*"([^"]*)"')


def parse(value: str) -> Parsed:
    text = (value or "").strip()
    if not text:
        raise SignatureError("err.signature.missing", "The message is not signed.")
    fields = {k.lower(): v for k, v in _PAIR.findall(text)}
    key = fields.get("keyid") or fields.get("kidid") or ""
    parts = key.split("|")
    try:
        if len(parts) != 3 or not parts[0]:
            raise ValueError("keyId")
        return Parsed(
            sender_id=parts[0],
            key_id=parts[1],
            algorithm=(fields.get("algorithm") or parts[2]).lower(),
            created=int(fields["created"]),
            expires=int(fields["expires"]),
            headers=" ".join(fields.get("headers", HEADERS).split()),
            signature=base64.b64decode(fields["signature"], validate=True),
        )
    except (KeyError, ValueError) as exc:
        raise SignatureError(
            "err.signature.invalid", "The signature value cannot be read."
        ) from exc


def verify(
    value: str,
    header: Any,
    message: Any,
    *,
    public_keys: list[Ed25519PublicKey],
    sender_id: str,
    now: int | None = None,
) -> Parsed:
    """Check ``value`` signs ``header`` + ``message`` with one of ``public_keys``, for
    ``sender_id``, now; a SignatureError says why not."""
    parsed = parse(value)
    moment = int(now if now is not None else time.time())
    if parsed.algorithm != ALGORITHM:
        raise SignatureError("err.signature.invalid", f"Algorithm {parsed.algorithm} not accepted.")
    if parsed.headers != HEADERS:
        raise SignatureError("err.signature.invalid", f"Signed headers must be '{HEADERS}'.")
    if parsed.sender_id != sender_id:
        raise SignatureError("err.signature.invalid", "The key id names another sender.")
    if parsed.created > moment + CLOCK_SKEW or parsed.expires <= moment:
        raise SignatureError("err.signature.invalid", "The signature is not valid now.")
    if parsed.expires - parsed.created > MAX_LIFETIME or parsed.expires <= parsed.created:
        raise SignatureError("err.signature.invalid", "The signature's lifetime is too long.")
    signed = signing_string(parsed.created, parsed.expires, digest(header, message))
    for key in public_keys:
        try:
            key.verify(parsed.signature, signed)
            return parsed
        except InvalidSignature:
            continue
    raise SignatureError("err.signature.invalid", "The signature does not match the message.")


# --- keys --------------------------------------------------------------------------------


def _b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def load_public_keys(text: str) -> list[Ed25519PublicKey]:
    """Ed25519 public keys from PEM (one or more blocks), a JWK or a JWK set as JSON; a
    ValueError when nothing usable is there."""
    text = (text or "").strip()
    keys: list[Ed25519PublicKey] = []
    if text.startswith("{"):
        data = json.loads(text)
        for jwk in data.get("keys", [data]):
            if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and jwk.get("x"):
                keys.append(Ed25519PublicKey.from_public_bytes(_b64url(jwk["x"])))
    else:
        for block in re.findall(
            r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", text, re.S
        ):
            key = serialization.load_pem_public_key(block.encode())
            if isinstance(key, Ed25519PublicKey):
                keys.append(key)
    if not keys:
        raise ValueError("no Ed25519 public key (PEM or JWK) found")
    return keys


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return key


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def public_jwk(key: Ed25519PrivateKey | Ed25519PublicKey, kid: str = "") -> dict:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": base64.urlsafe_b64encode(raw).decode().rstrip("=")}
    return {**jwk, "kid": kid} if kid else jwk
