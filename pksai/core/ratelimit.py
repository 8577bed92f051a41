"""Rate limits shared by every web server: a counter row per scope and sender in the database.

``hit(scope, sender, window=...)`` counts one event and answers the count in the current
window, in ONE statement — ``INSERT … ON CONFLICT (scope, key) DO UPDATE … RETURNING hits`` —
so two servers (or two threads) counting the same sender at the same moment never both see
the same number: PostgreSQL locks the row for the conflicting insert, SQLite has one writer.
A window starts with the sender's first event and lasts ``window``; the first event after it
starts a new one (a fixed window per sender). Senders are stored as keyed hashes (HMAC with
SECRET_KEY): the table can count an address but not give it back.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from pksai.core.models import RateCounter


def sender_key(sender: str) -> str:
    """A keyed hash of the sender (an address): enough to count, not to find them."""
    return hmac.new(settings.SECRET_KEY.encode(), sender.encode(), hashlib.sha256).hexdigest()


def hit(scope: str, sender: str, *, window: timedelta, now: datetime | None = None) -> int:
    """Count one event of ``sender`` in ``scope``; the number of events in its current window,
    this one included. Refuse when it is above your limit: the count is exact under any
    concurrency, so exactly ``limit`` events pass."""
    now = now or timezone.now()
    ops = connection.ops
    table = ops.quote_name(RateCounter._meta.db_table)
    hits, start = ops.quote_name("hits"), ops.quote_name("window_start")
    expired = ops.adapt_datetimefield_value(now - window)
    sql = (
        f"INSERT INTO {table} (scope, {ops.quote_name('key')}, {start}, {hits}) "  # noqa: S608
        "VALUES (%s, %s, %s, 1) "
        f"ON CONFLICT (scope, {ops.quote_name('key')}) DO UPDATE SET "
        f"{hits} = CASE WHEN {table}.{start} <= %s THEN 1 ELSE {table}.{hits} + 1 END, "
        f"{start} = CASE WHEN {table}.{start} <= %s THEN excluded.{start} "
        f"ELSE {table}.{start} END "
        f"RETURNING {hits}"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [scope, sender_key(sender), ops.adapt_datetimefield_value(now), expired, expired],
        )
        (count,) = cursor.fetchone()
    return int(count)


def prune(scope: str, *, window: timedelta, now: datetime | None = None) -> int:
    """Delete the rows of ``scope`` whose window is over (they count as absent anyway)."""
    now = now or timezone.now()
    deleted, _ = RateCounter.objects.filter(scope=scope, window_start__lte=now - window).delete()
    return deleted
