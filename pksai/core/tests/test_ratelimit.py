"""The shared rate counter (core/ratelimit.py): counts per scope and sender, windows, and —
on PostgreSQL, with real connections in parallel — an exact count under concurrency."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from pksai.core import ratelimit
from pksai.core.models import RateCounter

HOUR = timedelta(hours=1)


@pytest.mark.django_db
def test_counts_per_scope_and_sender_and_starts_again_after_the_window():
    now = timezone.now()
    assert [ratelimit.hit("a", "10.0.0.1", window=HOUR, now=now) for _ in range(3)] == [1, 2, 3]
    assert ratelimit.hit("a", "10.0.0.2", window=HOUR, now=now) == 1  # another sender
    assert ratelimit.hit("b", "10.0.0.1", window=HOUR, now=now) == 1  # another scope
    # still inside the window that began with the first hit
    assert ratelimit.hit("a", "10.0.0.1", window=HOUR, now=now + timedelta(minutes=59)) == 4
    # the first hit after it starts a new window
    later = now + HOUR + timedelta(seconds=1)
    assert ratelimit.hit("a", "10.0.0.1", window=HOUR, now=later) == 1
    assert ratelimit.hit("a", "10.0.0.1", window=HOUR, now=later + timedelta(minutes=30)) == 2
    # the address is not stored, only a keyed hash of it
    assert not RateCounter.objects.filter(key__contains="10.0.0").exists()
    # pruning drops the rows whose window is over, of that scope only
    assert ratelimit.prune("a", window=HOUR, now=later + 2 * HOUR) == 2
    assert RateCounter.objects.filter(scope="b").exists()


def _in_parallel(count: int, work) -> list:
    """Run ``work`` in ``count`` threads released at once; each thread has its own database
    connection (Django's are per thread) and closes it."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work()
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has one writer at a time, so parallel writers cannot race there at all; and "
    "the in-memory test database answers a second writer with 'table is locked' instead of "
    "waiting. The race is PostgreSQL's to prove.",
)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_parallel_hits_on_several_connections_count_exactly():
    counts = _in_parallel(40, lambda: ratelimit.hit("race", "198.51.100.7", window=HOUR))
    # every hit saw its own number: no two connections read the same count
    assert sorted(counts) == list(range(1, 41))
    assert RateCounter.objects.get(scope="race").hits == 40
