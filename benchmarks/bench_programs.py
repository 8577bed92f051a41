"""A JSPACA selection round over BENCH_NOMINEES nominees (default 100,000) in one regency.

Acceptance (issue 6): "A selection round over 100,000 nominees completes in under a minute."
Generates registry people (households + persons with a disability, welfare decile, chronic
illness, adult birth dates) in the villages of Kota Makassar, nominates them in bulk with an
enumerator's profile, sets a quota of BENCH_QUOTA places (default 5,000), then times the
flags, the round, its approval, the enrolment of the list and the decree exports. Run with
BENCH_DATABASE_URL=postgres://… for the PostgreSQL figure."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime

import numpy as np
import polars as pl

from benchmarks.bench_cases import FIRST, LAST, _row_defaults

NOMINEES = int(os.environ.get("BENCH_NOMINEES", 100_000))
QUOTA = int(os.environ.get("BENCH_QUOTA", 5_000))
YEAR = 2026
REGENCY = ("73.71", "Kota Makassar")
DISTRICTS = 5
VILLAGES_PER_DISTRICT = 10
LIMIT = 60.0  # seconds: the acceptance criterion for the round
SOURCE = "BENCH-PROG"
DISABILITY = {  # type: share of the nominees
    "physical": 0.35,
    "visual": 0.12,
    "hearing": 0.1,
    "speech": 0.05,
    "intellectual": 0.14,
    "mental": 0.12,
    "multiple": 0.12,
}
SEVERITY = {"severe": 0.75, "moderate": 0.2, "mild": 0.05}
DEPENDENCY = {"total": 0.35, "partial": 0.45, "none": 0.2}
OTHER_PROGRAMS_SHARE = 0.04  # registry says they already receive JSLU
DUPLICATE_SHARE = 0.002  # nominees whose NIK repeats another's (two registry records)


def _timed(label: str, fn) -> tuple[float, object]:
    """Run once; print one line (seconds and what came back)."""
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    flag = f"  <-- over {LIMIT:.0f} s" if seconds > LIMIT else ""
    print(f"  {label}: {seconds:.2f} s ({_describe(result)}){flag}")
    return seconds, result


def _describe(result) -> str:
    from pksai.programs.services import RoundResult

    if isinstance(result, RoundResult):
        return (
            f"{result.nominees:,} nominees, {result.eligible:,} eligible, "
            f"{result.selected:,} selected, sample {result.sample:,}"
        )
    if isinstance(result, dict):
        return f"{result['enrolled']:,} enrolled, {len(result['waiting']):,} waiting"
    if isinstance(result, bytes):
        return f"{len(result):,} bytes"
    return str(result)


def _choice(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(weights))
    p = np.array(list(weights.values()))
    return keys[rng.choice(len(keys), n, p=p / p.sum())]


def _areas() -> list[str]:
    """The regency, its districts and villages (only the missing ones are created)."""
    from pksai.areas.models import Area
    from pksai.areas.tests.factories import make_areas

    wanted = [("73", "Sulawesi Selatan"), REGENCY]
    villages = []
    for d in range(1, DISTRICTS + 1):
        district = f"{REGENCY[0]}.{d:02d}"
        wanted.append((district, f"Kecamatan {d:02d}"))
        for v in range(1, VILLAGES_PER_DISTRICT + 1):
            code = f"{district}.{1000 + v}"
            wanted.append((code, f"Kelurahan {d:02d}-{v:02d}"))
            villages.append(code)
    present = set(
        Area.objects.filter(code__in=[c for c, _ in wanted]).values_list("code", flat=True)
    )
    make_areas([(code, name) for code, name in wanted if code not in present])
    return villages


def _next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def _make(n: int, officer, villages: list[str]) -> None:
    """``n`` households of one person each, and their JSPACA nominations (bulk)."""
    from pksai.core.bulk import bulk_upsert
    from pksai.core.fields import seal_frame
    from pksai.programs.models import Nomination, Program
    from pksai.registry.models import Household, Person

    rng = np.random.default_rng(2026)
    first_household, first_person = _next_id(Household), _next_id(Person)
    household_ids = np.arange(first_household, first_household + n)
    person_ids = np.arange(first_person, first_person + n)
    village = np.array(villages)[rng.integers(0, len(villages), n)]
    keys = pl.Series([f"JP{i}" for i in household_ids])
    decile = rng.integers(1, 11, n).astype(float)
    decile[rng.random(n) < 0.05] = np.nan  # unknown welfare decile
    bulk_upsert(
        table=Household._meta.db_table,
        frame=_row_defaults(
            Household,
            n,
            {
                "id": household_ids,
                "source": pl.repeat(SOURCE, n, eager=True),
                "registry_id": keys,
                "village_id": village,
                "welfare_decile": pl.Series(decile, nan_to_null=True).cast(pl.Int16),
                "row_hash": pl.repeat("-", n, eager=True),
            },
        ),
        key=["id"],
        update=[],
    )
    nik = np.array([f"7371{i:012d}" for i in person_ids])
    twins = np.flatnonzero(rng.random(n) < DUPLICATE_SHARE)
    nik[twins] = nik[rng.integers(0, n, len(twins))]
    names = [
        f"{FIRST[a]} {LAST[b]} {i}"
        for i, a, b in zip(person_ids, rng.integers(0, 10, n), rng.integers(0, 8, n), strict=True)
    ]
    # adults: born 1940-2005
    birth = np.datetime64("1940-01-01") + rng.integers(0, 65 * 365, n).astype("timedelta64[D]")
    bulk_upsert(
        table=Person._meta.db_table,
        frame=seal_frame(  # the NIK sealed and hashed, as the importer writes it
            Person,
            _row_defaults(
                Person,
                n,
                {
                    "id": person_ids,
                    "household_id": household_ids,
                    "source": pl.repeat(SOURCE, n, eager=True),
                    "household_key": keys,
                    "person_key": pl.repeat("1", n, eager=True),
                    "village_id": village,
                    "nik": nik,
                    "name": pl.Series(names),
                    "sex": np.where(rng.random(n) < 0.5, "M", "F"),
                    "birth_date": pl.Series(birth),
                    "relationship": pl.repeat("head", n, eager=True),
                    "disability_type": _choice(rng, DISABILITY, n),
                    "disability_severity": _choice(rng, SEVERITY, n),
                    "chronic_illness": rng.random(n) < 0.3,
                    "other_programs": np.where(rng.random(n) < OTHER_PROGRAMS_SHARE, "jslu", ""),
                    "row_hash": pl.repeat("-", n, eager=True),
                },
            ).drop("nik_hash"),
        ),
        key=["id"],
        update=[],
    )
    jspaca = Program.objects.get(code="jspaca")
    first_nomination = _next_id(Nomination)
    now = datetime.now(UTC)
    bulk_upsert(
        table=Nomination._meta.db_table,
        frame=_row_defaults(
            Nomination,
            n,
            {
                "id": np.arange(first_nomination, first_nomination + n),
                "program_id": pl.repeat(jspaca.pk, n, eager=True),
                "year": pl.repeat(YEAR, n, eager=True),
                "person_id": person_ids,
                "area_id": village,
                "source": pl.repeat(Nomination.Source.OFFICE.value, n, eager=True),
                "dependency": _choice(rng, DEPENDENCY, n),
                "assistive_device_needed": rng.random(n) < 0.25,
                "bedridden": rng.random(n) < 0.1,
                "fixed_income": rng.random(n) < 0.15,
                "in_institution": rng.random(n) < 0.05,
                "matches": pl.repeat("[]", n, eager=True),
                "created_at": pl.repeat(now, n, eager=True),
                "created_by_id": pl.repeat(officer.pk, n, eager=True),
            },
        ),
        key=["id"],
        update=[],
    )


def run() -> None:
    from django.db import connection, transaction

    from pksai.accounts.models import User
    from pksai.accounts.tests.factories import make_user
    from pksai.programs import exports, services
    from pksai.programs.models import Nomination, Program, Quota, RoundEntry

    started = time.perf_counter()
    with transaction.atomic():
        villages = _areas()
        officer = User.objects.filter(username="bench.prog.po").first() or make_user(
            "bench.prog.po", roles=["program_officer"], scope=[REGENCY[0]]
        )
        _make(NOMINEES, officer, villages)
        jspaca = Program.objects.get(code="jspaca")
        Quota.objects.update_or_create(
            program=jspaca, year=YEAR, area_id=REGENCY[0], defaults={"places": QUOTA}
        )
    print(
        f"  generate {NOMINEES:,} registry people and JSPACA nominations in "
        f"{len(villages)} villages: {time.perf_counter() - started:.1f} s"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def flag() -> str:
        services.nominations_flag(program=jspaca, year=YEAR, area_code=REGENCY[0])
        flagged = Nomination.objects.filter(program=jspaca, year=YEAR)
        return (
            f"{flagged.filter(flag_duplicate=True).count():,} duplicates, "
            f"{flagged.filter(flag_other_assistance=True).count():,} other assistance"
        )

    _timed(f"nominations_flag, {REGENCY[0]} (once; writes)", flag)
    seconds, result = _timed(
        f"round_run, {NOMINEES:,} nominees, quota {QUOTA:,} (once)",
        lambda: services.round_run(
            by=officer, program=jspaca, year=YEAR, area_code=REGENCY[0], seed=20260101
        ),
    )
    verdict = "PASS" if seconds < LIMIT else "FAIL"
    print(f"  acceptance: round over {result.nominees:,} nominees in {seconds:.1f} s: {verdict}")
    selection = result.round
    verified = RoundEntry.objects.filter(round=selection, in_sample=True).update(
        verification=RoundEntry.Verification.CONFIRMED, verification_notes="bench"
    )
    print(f"  ({verified:,} sampled entries marked confirmed)")
    _timed(
        "round_approve",
        lambda: (
            services.round_approve(
                by=officer,
                selection=selection,
                decree_number=f"BENCH/{YEAR}",
                decree_date=date(YEAR, 3, 1),
            ).status
        ),
    )
    _timed(
        f"round_enrol, {result.selected:,} on the list (once; writes)",
        lambda: services.round_enrol(by=officer, selection=selection, start_date=date(YEAR, 4, 1)),
    )
    _timed(f"decree_xlsx, {result.selected:,} rows", lambda: exports.decree_xlsx(selection))
    _timed(f"decree_pdf, {result.selected:,} rows", lambda: exports.decree_pdf(selection))
