"""Case lists at scale: the list page, search by name, NIK and number, overdue filter and a
worker's queue over BENCH_CASES cases (default 200,000; run with BENCH_CASES=1000000 and
BENCH_DATABASE_URL=postgres://… for the national-scale figure)."""

import os
import time
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl

CASES = int(os.environ.get("BENCH_CASES", 200_000))
VILLAGES = ["73.71.01.1001", "73.71.01.1002", "73.71.01.1003", "73.71.02.1001", "73.06.01.2001"]
FIRST = ["Siti", "Budi", "Dewi", "Agus", "Rina", "Andi", "Nur", "Ahmad", "Putri", "Rizky"]
LAST = ["Aminah", "Santoso", "Lestari", "Saputra", "Wati", "Hidayat", "Rahman", "Sari"]


def _row_defaults(model, n: int, values: dict) -> pl.DataFrame:
    """Every non-null column of ``model`` for ``n`` rows: ``values`` where given, else the
    field's default or an empty value (raw inserts do not apply Django defaults)."""
    from django.db import models

    columns = {}
    for field in model._meta.concrete_fields:
        if field.primary_key and field.column not in values:
            continue
        if field.column in values:
            columns[field.column] = values[field.column]
        elif field.null:
            continue
        elif isinstance(field, models.JSONField):
            columns[field.column] = pl.repeat("{}", n, eager=True)
        elif field.has_default():
            columns[field.column] = pl.repeat(field.get_default(), n, eager=True)
        elif isinstance(field, models.DateTimeField):
            columns[field.column] = pl.repeat(datetime.now(UTC), n, eager=True)
        else:
            columns[field.column] = pl.repeat("", n, eager=True)
    return pl.DataFrame(columns)


def _make(n: int) -> None:
    from pksai.accounts.tests.factories import make_user
    from pksai.areas.models import Area
    from pksai.areas.tests.factories import make_areas
    from pksai.cases.models import Case, CaseConcern
    from pksai.core.bulk import bulk_upsert
    from pksai.core.fields import seal_frame
    from pksai.registry.models import Household, Person

    wanted = [
        ("73", "Sulawesi Selatan"),
        ("73.71", "Kota Makassar"),
        ("73.71.01", "Mariso"),
        ("73.71.02", "Mamajang"),
        ("73.06", "Kabupaten Gowa"),
        ("73.06.01", "Bontonompo"),
    ] + [(v, f"Desa {v}") for v in VILLAGES]
    # bench_areas_load may have loaded the real areas already: add only what is missing
    present = set(
        Area.objects.filter(code__in=[c for c, _ in wanted]).values_list("code", flat=True)
    )
    make_areas([(code, name) for code, name in wanted if code not in present])
    workers = [
        make_user(f"bench.sw{i}", roles=["social_worker"], scope=["73.71"]) for i in range(20)
    ]
    supervisor = make_user("bench.spv", roles=["supervisor"], scope=["73.71"])
    rng = np.random.default_rng(7)
    ids = np.arange(1, n + 1)
    village = np.array(VILLAGES)[rng.integers(0, len(VILLAGES), n)]
    names = [
        f"{FIRST[a]} {LAST[b]} {i}"
        for i, a, b in zip(ids, rng.integers(0, 10, n), rng.integers(0, 8, n), strict=True)
    ]
    keys = pl.Series([f"B{i}" for i in ids])
    bulk_upsert(
        table=Household._meta.db_table,
        frame=_row_defaults(
            Household,
            n,
            {
                "id": ids,
                "source": pl.repeat("BENCH", n, eager=True),
                "registry_id": keys,
                "village_id": village,
                "row_hash": pl.repeat("-", n, eager=True),
            },
        ),
        key=["id"],
        update=[],
    )
    bulk_upsert(
        table=Person._meta.db_table,
        frame=seal_frame(  # the NIK sealed and hashed, as the importer writes it
            Person,
            _row_defaults(
                Person,
                n,
                {
                    "id": ids,
                    "household_id": ids,
                    "source": pl.repeat("BENCH", n, eager=True),
                    "household_key": keys,
                    "person_key": pl.repeat("1", n, eager=True),
                    "village_id": village,
                    "nik": pl.Series([f"7371{i:012d}" for i in ids]),
                    "name": pl.Series(names),
                    "sex": pl.repeat("F", n, eager=True),
                    "birth_date": pl.repeat(date(2014, 1, 1), n, eager=True),
                    "relationship": pl.repeat("child", n, eager=True),
                    "row_hash": pl.repeat("-", n, eager=True),
                },
            ).drop("nik_hash"),
        ),
        key=["id"],
        update=[],
    )
    stages = np.array(["triage", "assessment", "planning", "implementation", "follow_up", "closed"])
    now = datetime.now(UTC)
    due = [now + timedelta(hours=int(h)) for h in rng.integers(-200, 400, n)]
    bulk_upsert(
        table=Case._meta.db_table,
        frame=_row_defaults(
            Case,
            n,
            {
                "id": ids,
                "number": pl.Series([f"7371-2026-{i:07d}" for i in ids]),
                "regency_id": pl.Series([v[:5] for v in village]),
                "area_id": village,
                "child_id": ids,
                "channel": pl.repeat("phone", n, eager=True),
                "summary": pl.repeat("laporan", n, eager=True),
                "stage": stages[rng.integers(0, len(stages), n)],
                "stage_due_at": pl.Series(due),
                "owner_id": np.array([w.pk for w in workers])[rng.integers(0, 20, n)],
                "supervisor_id": pl.repeat(supervisor.pk, n, eager=True),
                "created_by_id": pl.repeat(supervisor.pk, n, eager=True),
                "restricted": rng.random(n) < 0.05,
                "created_at": pl.Series([now - timedelta(minutes=int(i)) for i in ids]),
            },
        ),
        key=["id"],
        update=[],
    )
    concerns = np.array(["neglect", "physical_violence", "out_of_school", "no_birth_certificate"])
    bulk_upsert(
        table=CaseConcern._meta.db_table,
        frame=pl.DataFrame(
            {"id": ids, "case_id": ids, "category": concerns[rng.integers(0, 4, n)]}
        ),
        key=["id"],
        update=[],
    )


def _timed(label: str, fn, repeat: int = 3) -> None:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    print(f"  {label}: {best * 1000:.1f} ms ({result})")


def run() -> None:
    from django.db import connection, transaction

    from pksai.accounts.models import User
    from pksai.cases import selectors

    with transaction.atomic():
        started = time.perf_counter()
        _make(CASES)
    print(f"  generate {CASES:,} children and cases: {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    supervisor = User.objects.get(username="bench.spv")
    worker = User.objects.get(username="bench.sw3")

    def page(**filters):
        qs = selectors.case_list(user=supervisor, **filters)
        rows = list(qs[:50])
        return f"{qs.count():,} rows, first page {len(rows)}"

    _timed("list page (count + 50 rows)", lambda: page())
    _timed("search by name word", lambda: page(q="Lestari"))
    _timed("search by two name words", lambda: page(q="dewi lestari"))
    _timed("search by NIK", lambda: page(q=f"7371{CASES // 2:012d}"))
    _timed("search by case number", lambda: page(q=f"2026-{CASES // 3:07d}"))
    _timed("overdue in one district", lambda: page(overdue=True, area="73.71.02"))
    _timed("worker's queue", lambda: f"{len(selectors.work_queue(user=worker)):,} items")
    _timed("supervisor's team", lambda: f"{len(selectors.team_overdue(user=supervisor))} workers")
