"""The home page's queues at scale: a worker's overdue / this week / later lists, a supervisor's
and a coordinator's "awaiting my approval", the coordinator's cases without a supervisor, and
the whole home page, over BENCH_CASES cases (default 200,000; BENCH_CASES=1000000 with
BENCH_DATABASE_URL=postgres://… for the national-scale figure).

The cases are bench_cases' (20 workers in Makassar, so 50,000 cases each at a million; one
supervisor over all of them); 1 % of them are put in plan or closure review and 1 % lose their
supervisor. Every list is one indexed query with a LIMIT and every count stops at 1,000: the
cost follows what is shown, not the caseload (a worker owning 50,000 open cases is far beyond
any real caseload, and the lists still answer in about a tenth of a second).

Figures, 2026-12-03: PostgreSQL 15, default settings, 2 vCPU shared with other jobs (load
average ~6); 1,000,000 cases (a worker owns 50,000 of them; generation 645 s), best of 3:
  worker: overdue 106 ms, due in 7 days 88 ms, later 119 ms, third page of all work 119 ms
  (each: the first 5 items + a count capped at 1,000, cases and follow-ups)
  supervisor: awaiting approval 41 ms; coordinator: awaiting approval 29 ms, no supervisor 40 ms
  whole home page: worker 0.50 s, coordinator 0.39 s, supervisor 1.15 s — of which 0.8 s is
  the "My team" table (selectors.team_overdue counts every open case the supervisor
  supervises: here all million; unbounded, but a real team has hundreds)
200,000 cases: the lists 10-50 ms, home pages 0.15-0.3 s.
"""

from __future__ import annotations

import os
import time

CASES = int(os.environ.get("BENCH_CASES", 200_000))


def _timed(label: str, fn, repeat: int = 3) -> None:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    print(f"  {label}: {best * 1000:.1f} ms ({result})")


def run() -> None:
    from django.db import connection, transaction
    from django.test import Client, override_settings

    from benchmarks.bench_cases import _make
    from pksai.accounts.models import User
    from pksai.accounts.tests.factories import make_user
    from pksai.cases import selectors
    from pksai.cases.models import Case

    if not User.objects.filter(username="bench.spv").exists():  # else bench_cases made them
        with transaction.atomic():
            started = time.perf_counter()
            _make(CASES)
        print(f"  generate {CASES:,} children and cases: {time.perf_counter() - started:.1f} s")
    if not Case.objects.filter(stage="plan_review").exists():
        n = Case.objects.count()
        with transaction.atomic():
            Case.objects.filter(id__gt=n - n // 100).update(stage="plan_review")
            Case.objects.filter(id__lte=n // 200).update(stage="closure_review")
            Case.objects.filter(id__gt=n // 2, id__lte=n // 2 + n // 100).update(supervisor=None)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    supervisor = User.objects.get(username="bench.spv")
    worker = User.objects.get(username="bench.sw3")
    coordinator = User.objects.filter(username="bench.coord").first() or make_user(
        "bench.coord", roles=["coordinator"], scope=["73.71"]
    )

    def short(queue) -> str:
        return f"{len(list(queue[:5]))} shown of {selectors.capped_count(queue):,}"

    def work(queue) -> str:
        return f"{len(queue[:5])} shown of {queue.count():,}"

    _timed("worker: overdue", lambda: work(selectors.my_overdue(user=worker)))
    _timed("worker: due in 7 days", lambda: work(selectors.my_due_this_week(user=worker)))
    _timed("worker: later", lambda: work(selectors.my_later(user=worker)))
    _timed("worker: queue page 3", lambda: len(selectors.my_work(user=worker)[50:75]))
    _timed(
        "supervisor: awaiting approval", lambda: short(selectors.awaiting_approval(user=supervisor))
    )
    _timed(
        "coordinator: awaiting approval",
        lambda: short(selectors.awaiting_approval(user=coordinator)),
    )
    _timed("coordinator: no supervisor", lambda: short(selectors.unassigned(user=coordinator)))

    def home(user) -> str:
        client = Client()
        client.force_login(user)
        with override_settings(ALLOWED_HOSTS=["testserver"]):
            response = client.get("/")
        assert response.status_code == 200
        return f"{len(response.content):,} bytes"

    for name, user in (
        ("worker", worker),
        ("supervisor", supervisor),
        ("coordinator", coordinator),
    ):
        _timed(f"home page, {name}", lambda user=user: home(user))
