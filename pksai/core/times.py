"""Times as people in Indonesia read them: in the reader's zone, with the zone's name.

``local_label(value)`` → "3 Des 2026 14.35 WITA" (Indonesian) or "3 Dec 2026 2:35 p.m. WITA"
(English): the instant converted to the active time zone (RequestContextMiddleware activates
the user's — WIB, WITA or WIT — and outside a request it is settings.TIME_ZONE), the date and
time in the active language's format, and the zone's name, so two pages showing one deadline
to one user always agree and say which clock they mean. A ``date`` (a due day) has no zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.utils import dateformat, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format, time_format

# The official names (UU/Keppres 41/1987); other IANA zones fall back to their abbreviation.
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
DATE = "j M Y"  # 3 Des 2026 / 3 Dec 2026


def zone_name(moment: datetime | None = None) -> str:
    """The active zone's name: WIB, WITA, WIT (or the zone's abbreviation elsewhere)."""
    zone = timezone.get_current_timezone()
    name = ZONE_NAMES.get(getattr(zone, "key", ""))
    if name:
        return name
    return dateformat.format(timezone.localtime(moment or timezone.now()), "T")


def local_label(value: datetime | date | str | None) -> str:
    """An instant in the reader's zone with the zone's name; a day as a day; "" for nothing.
    Accepts ISO strings too (as stored in alert and event params)."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        parsed = parse_datetime(value) if "T" in value or " " in value else None
        value = parsed or parse_date(value)
        if value is None:
            return ""
    if isinstance(value, datetime):
        if timezone.is_naive(value):  # stored times are UTC; a naive one is read as UTC
            value = timezone.make_aware(value, UTC)
        local = timezone.localtime(value)
        return f"{date_format(local, DATE)} {time_format(local)} {zone_name(local)}"
    return date_format(value, DATE)
