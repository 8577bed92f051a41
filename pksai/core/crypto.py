"""Encryption of the most sensitive fields, and the keyed NIK hash (decision 0024).

Values are sealed with AES-256-GCM (``cryptography``'s ``AESGCM``) under keys that live
outside the database (``PKSAI_FIELD_KEYS`` or ``var/field_keys``: the current key first, older
keys after, kept until ``pksai rotate-keys`` has re-sealed everything). A sealed value is text:

    enc1:<key id>:<base64url(12-byte nonce + ciphertext + 16-byte tag)>

The key id (8 characters derived from the key) says which key opens it, so rotation finds the
rows still under an old key with SQL (``NOT LIKE 'enc1:<current id>:%'``) and decrypting never
tries keys in turn. The empty string stays empty (a blank field says nothing worth hiding, and
``exclude(nik="")`` keeps working). Text without the prefix is read as it is: clear values
written before encryption, until the migration or ``pksai rotate-keys`` seals them.

The NIK is also stored as a keyed hash (HMAC-SHA256 under ``PKSAI_NIK_HASH_KEY`` or
``var/nik_hash_key``, 32 hex characters): every exact lookup, duplicate check and linkage by
NIK compares hashes. Only exact search is possible; a part of a NIK finds nothing.

Everything here works on whole columns (``seal_many``, ``open_many``, ``nik_hashes``) for the
bulk paths; the model fields (``pksai.core.fields``) call the one-value forms.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

if TYPE_CHECKING:
    import polars as pl

PREFIX = "enc1:"
KEY_BYTES = 32
NONCE_BYTES = 12
NIK_HASH_CHARS = 32
_NIK = re.compile(r"^\d{16}$")


class FieldKeyError(Exception):
    """A sealed value names a key that is not configured, or a key is malformed."""


def new_key() -> str:
    """A fresh key as written in PKSAI_FIELD_KEYS / PKSAI_NIK_HASH_KEY (base64url, 32 bytes)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode().rstrip("=")


def parse_keys(text: str, *, name: str) -> tuple[bytes, ...]:
    """Keys separated by commas, spaces or lines (``#`` starts a comment line), current first."""
    lines = [line for line in text.splitlines() if not line.strip().startswith("#")]
    keys = []
    for item in re.split(r"[\s,]+", "\n".join(lines)):
        if not item:
            continue
        try:
            raw = base64.urlsafe_b64decode(item + "=" * (-len(item) % 4))
        except ValueError as exc:
            raise FieldKeyError(f"{name}: a key is not base64url text") from exc
        if len(raw) != KEY_BYTES:
            raise FieldKeyError(
                f"{name}: a key must be {KEY_BYTES} bytes (base64url), not {len(raw)}"
            )
        keys.append(raw)
    return tuple(keys)


def key_id(key: bytes) -> str:
    """8 characters naming a key in sealed values (not enough to learn anything about it)."""
    digest = hashlib.sha256(b"pksai field key id\x00" + key).digest()
    return base64.urlsafe_b64encode(digest[:6]).decode()


@dataclass(frozen=True)
class Keyring:
    """The field keys (current first) and the NIK hash keys (current first)."""

    field_keys: tuple[bytes, ...]
    hash_keys: tuple[bytes, ...]

    @property
    def current_id(self) -> str:
        return key_id(self.field_keys[0])

    @property
    def current_prefix(self) -> str:
        return f"{PREFIX}{self.current_id}:"

    @property
    def ciphers(self) -> dict[str, AESGCM]:
        return _ciphers(self.field_keys)


@cache
def _ciphers(keys: tuple[bytes, ...]) -> dict[str, AESGCM]:
    return {key_id(k): AESGCM(k) for k in keys}


def keyring() -> Keyring:
    """The keys of the running settings."""
    from django.conf import settings

    return _keyring(tuple(settings.PKSAI_FIELD_KEYS), tuple(settings.PKSAI_NIK_HASH_KEYS))


@cache
def _keyring(field_keys: tuple[bytes, ...], hash_keys: tuple[bytes, ...]) -> Keyring:
    if not field_keys or not hash_keys:
        raise FieldKeyError(
            "no field encryption keys configured (PKSAI_FIELD_KEYS, PKSAI_NIK_HASH_KEY)"
        )
    return Keyring(field_keys=field_keys, hash_keys=hash_keys)


# --- one value -----------------------------------------------------------------------------


def seal(value: str | None, ring: Keyring | None = None) -> str | None:
    """The sealed form of ``value`` under the current key ('' and None unchanged)."""
    if value is None or value == "":
        return value
    ring = ring or keyring()
    nonce = os.urandom(NONCE_BYTES)
    body = ring.ciphers[ring.current_id]
    token = base64.urlsafe_b64encode(nonce + body.encrypt(nonce, value.encode(), None))
    return f"{ring.current_prefix}{token.decode().rstrip('=')}"


def is_sealed(value: str | None) -> bool:
    return bool(value) and value.startswith(PREFIX)


def open_(value: str | None, ring: Keyring | None = None) -> str | None:
    """The clear text of a sealed value; a value without the prefix is returned as it is."""
    if not value or not value.startswith(PREFIX):
        return value
    ring = ring or keyring()
    kid, _, token = value[len(PREFIX) :].partition(":")
    cipher = ring.ciphers.get(kid)
    if cipher is None:
        raise FieldKeyError(
            f"a value is sealed with key {kid!r}, which is not among PKSAI_FIELD_KEYS "
            "(an old key removed before `pksai rotate-keys` finished?)"
        )
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    try:
        return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None).decode()
    except InvalidTag as exc:
        raise FieldKeyError(f"a value sealed with key {kid!r} does not open (altered?)") from exc


def normalise_nik(value: str | None) -> str:
    """The NIK as hashed: its digits, when it has 16 of them; else ''."""
    digits = re.sub(r"\D", "", value or "")
    return digits if _NIK.match(digits) else ""


def nik_hash(value: str | None, ring: Keyring | None = None, *, key: int = 0) -> str:
    """The keyed hash of a NIK under the current hash key (or ``key``-th); '' for no NIK."""
    nik = normalise_nik(value)
    if not nik:
        return ""
    ring = ring or keyring()
    return hmac.digest(ring.hash_keys[key], nik.encode(), "sha256").hex()[:NIK_HASH_CHARS]


def nik_hashes_any_key(value: str | None, ring: Keyring | None = None) -> list[str]:
    """The NIK's hash under every configured hash key (current first): a lookup matches rows
    hashed under an old key until ``pksai rotate-keys`` has re-hashed them."""
    ring = ring or keyring()
    found = [nik_hash(value, ring, key=i) for i in range(len(ring.hash_keys))]
    return [h for h in dict.fromkeys(found) if h]


# --- whole columns ---------------------------------------------------------------------------


def seal_many(values: Iterable[str | None], ring: Keyring | None = None) -> list[str | None]:
    """``seal`` of every value, in one pass (the bulk paths: imports, rotation)."""
    ring = ring or keyring()
    cipher = ring.ciphers[ring.current_id]
    prefix = ring.current_prefix
    encode = base64.urlsafe_b64encode
    out: list[str | None] = []
    append = out.append
    for value in values:
        if not value:
            append(value)
            continue
        nonce = os.urandom(NONCE_BYTES)
        token = encode(nonce + cipher.encrypt(nonce, value.encode(), None)).decode()
        append(prefix + token.rstrip("="))
    return out


def open_many(values: Iterable[str | None], ring: Keyring | None = None) -> list[str | None]:
    ring = ring or keyring()
    return [open_(v, ring) if v and v.startswith(PREFIX) else v for v in values]


def nik_hashes(values: Iterable[str | None], ring: Keyring | None = None) -> list[str]:
    """``nik_hash`` of every value, in one pass (one-shot HMAC; the regular expression only for
    values that are not already 16 digits)."""
    ring = ring or keyring()
    key = ring.hash_keys[0]
    digest = hmac.digest
    out = []
    for v in values:
        nik = v if v and len(v) == 16 and v.isascii() and v.isdigit() else normalise_nik(v)
        out.append(digest(key, nik.encode(), "sha256").hex()[:NIK_HASH_CHARS] if nik else "")
    return out


def seal_column(column: pl.Expr | str, ring: Keyring | None = None) -> pl.Expr:
    """A Polars expression sealing a text column (one batch at a time, no per-row Python call
    through Polars' row API)."""
    import polars as pl

    ring = ring or keyring()
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.map_batches(
        lambda s: pl.Series(s.name, seal_many(s.to_list(), ring), pl.String),
        return_dtype=pl.String,
    )


def open_column(column: str, ring: Keyring | None = None) -> pl.Expr:
    import polars as pl

    ring = ring or keyring()
    return pl.col(column).map_batches(
        lambda s: pl.Series(s.name, open_many(s.to_list(), ring), pl.String),
        return_dtype=pl.String,
    )


def nik_hash_column(column: str = "nik", ring: Keyring | None = None) -> pl.Expr:
    import polars as pl

    ring = ring or keyring()
    return pl.col(column).map_batches(
        lambda s: pl.Series(s.name, nik_hashes(s.to_list(), ring), pl.String),
        return_dtype=pl.String,
    )


def redact_niks(values: dict, ring: Keyring | None = None) -> dict:
    """A copy of ``values`` (e.g. the filters of a list written to the audit trail) with every
    16-digit value replaced by ``nik-hmac:<keyed hash>``: the trail shows that a NIK was
    searched, and an auditor holding the NIK can find the search, but a dump does not show it."""
    out = {}
    for k, v in values.items():
        if isinstance(v, str) and v and (k == "nik" or re.fullmatch(r"[\d\s.-]+", v)):
            digits = re.sub(r"\D", "", v)
            if k != "nik" and len(digits) != 16:
                out[k] = v
                continue
            out[k] = "nik-hmac:" + nik_hash(v, ring)
        else:
            out[k] = v
    return out


def sealed_ids(values: Sequence[str]) -> set[str]:
    """The key ids the sealed values name (rotation reports)."""
    return {v[len(PREFIX) :].split(":", 1)[0] for v in values if v and v.startswith(PREFIX)}
