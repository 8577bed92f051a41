"""Kemendagri area codes: ``73`` → ``73.71`` → ``73.71.01`` → ``73.71.01.1001``."""

import re

from django.db.models import Q

from pksai.areas.models import WIB, WIT, WITA

# Digits per level once the dots are removed.
_LEVEL_BY_DIGITS = {2: 1, 4: 2, 6: 3, 10: 4}
_CODE_RE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")

WITA_PROVINCES = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}


def normalise_area_code(raw: str) -> str | None:
    """Return the dotted form of a code written with or without dots, or None if malformed."""
    text = (raw or "").strip()
    if _CODE_RE.match(text):
        return text
    digits = text.replace(".", "")
    if not digits.isdigit() or len(digits) not in _LEVEL_BY_DIGITS:
        return None
    parts = [digits[0:2], digits[2:4], digits[4:6], digits[6:10]]
    return ".".join(p for p in parts if p)


def area_q(field: str, code: str) -> Q:
    """Records whose ``field`` (a foreign key to Area) is the area ``code`` or lies below it;
    no filter for an empty code. A prefix on the code column: no join, the index is used."""
    if not code:
        return Q()
    path = f"{field}__code"
    return Q(**{path: code}) | Q(**{f"{path}__startswith": code + "."})


def level_of(code: str) -> int:
    return code.count(".") + 1


def timezone_for_province(province_code: str) -> str:
    """WIB for Sumatra, Java, West and Central Kalimantan; WITA for Bali, Nusa Tenggara,
    South/East/North Kalimantan and Sulawesi; WIT for Maluku and Papua."""
    if province_code in WITA_PROVINCES:
        return WITA
    if province_code[0] in {"8", "9"}:
        return WIT
    return WIB


def ancestors_of(code: str) -> list[str]:
    """``73.71.01`` → ``["73", "73.71"]``."""
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]
