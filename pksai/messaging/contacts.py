"""Phone numbers and e-mail addresses as stored and looked up: normalised (E.164 for phones,
lower case for e-mail), sealed in the row and hashed (HMAC under the NIK hash key, with its own
domain prefix) for exact lookups — the same way a NIK is found (decision 0024)."""

from __future__ import annotations

import hmac
import re

from pksai.core import crypto

HASH_CHARS = 32
_DOMAIN = b"pksai contact\x00"


def normalise(address: str) -> str:
    """``0812-3456-7890`` / ``62812…`` / ``+62 812…`` → ``+62812…``; e-mail lower-cased;
    '' when it is neither."""
    value = (address or "").strip()
    if "@" in value:
        return value.lower()
    digits = re.sub(r"\D", "", value)
    if not digits:
        return ""
    if value.startswith("+"):
        return f"+{digits}"
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    elif digits.startswith("8"):
        digits = "62" + digits
    return f"+{digits}" if 8 <= len(digits) <= 15 else ""


def contact_hash(address: str, ring: crypto.Keyring | None = None, *, key: int = 0) -> str:
    value = normalise(address)
    if not value:
        return ""
    ring = ring or crypto.keyring()
    return hmac.digest(ring.hash_keys[key], _DOMAIN + value.encode(), "sha256").hex()[:HASH_CHARS]


def contact_hashes_any_key(address: str) -> list[str]:
    """The hash under every configured hash key (current first), like ``nik_hashes_any_key``."""
    ring = crypto.keyring()
    found = [contact_hash(address, ring, key=i) for i in range(len(ring.hash_keys))]
    return [h for h in dict.fromkeys(found) if h]


def contact_hash_many(addresses: list[str | None]) -> list[str]:
    ring = crypto.keyring()
    return [contact_hash(a or "", ring) for a in addresses]


def mask(address: str) -> str:
    """``+6281****7890`` / ``s***@example.org``: where, not the whole address."""
    if not address:
        return ""
    if "@" in address:
        local, _at, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{address[:5]}****{address[-4:]}"
