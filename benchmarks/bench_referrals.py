"""Referrals at scale: reports, overdue lists, inbox, overdue alerts, 5,000-provider import.

BENCH_REFERRALS referrals (default 200,000) to 500 providers over the cases of bench_cases
(BENCH_CASES); run with BENCH_CASES=1000000 BENCH_REFERRALS=1000000 and
BENCH_DATABASE_URL=postgres://… for the national-scale figure."""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from benchmarks.bench_cases import CASES, _make, _row_defaults

REFERRALS = int(os.environ.get("BENCH_REFERRALS", 200_000))
PROVIDERS = 500
FOCAL_REFERRALS = 1_000  # the provider whose focal person's inbox is measured
IMPORT_ROWS = 5_000
SLOW = 2.0  # seconds: an interactive page query slower than this is flagged
# Where the providers are (bench_cases' areas), and how many of them per sector.
PROVIDER_AREAS = {
    "73.71": ["73.71", "73.71.01", "73.71.02", "73.71.01.1001", "73.71.02.1001"],
    "73.06": ["73.06", "73.06.01", "73.06.01.2001"],
}
SECTOR_WEIGHTS = {
    "health_centre": 0.22,
    "hospital": 0.06,
    "education": 0.2,
    "civil_registry": 0.04,
    "legal_aid": 0.04,
    "police": 0.03,
    "psychosocial": 0.08,
    "shelter": 0.03,
    "lksa": 0.08,
    "social_assistance": 0.12,
    "economic": 0.06,
    "other": 0.04,
}
# Share of the referrals in each status (open ones are recent, the rest spread over 2 years).
STATUS_WEIGHTS = {
    "sent": 0.06,
    "acknowledged": 0.04,
    "accepted": 0.06,
    "in_service": 0.06,
    "delivered": 0.14,
    "closed": 0.46,
    "declined": 0.10,
    "cancelled": 0.08,
}
OVERDUE_SHARE = 0.2  # of the open referrals
SATISFACTION_SHARE = 0.2  # of the delivered referrals
DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000


def _timed(label: str, fn, repeat: int = 3, page: bool = False) -> float:
    """Best of ``repeat`` runs in seconds; interactive pages over SLOW are flagged."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    flag = f"  <-- over {SLOW:.0f} s" if page and best > SLOW else ""
    print(f"  {label}: {best:.3f} s ({result}){flag}")
    return best


def _utc(values: np.ndarray) -> pl.Series:
    """numpy datetime64[us] (UTC, NaT = null) → a time-zone-aware Polars column."""
    return pl.Series(values).dt.replace_time_zone("UTC")


def _users() -> dict:
    from pksai.accounts.models import User
    from pksai.accounts.tests.factories import make_user

    if not User.objects.filter(username="bench.spv").exists():  # bench_cases did not run
        from django.db import transaction

        with transaction.atomic():
            started = time.perf_counter()
            _make(CASES)
        print(f"  generate {CASES:,} children and cases: {time.perf_counter() - started:.1f} s")
    return {
        "supervisor": User.objects.get(username="bench.spv"),
        "worker": User.objects.get(username="bench.sw3"),
        "coordinator": make_user("bench.ref.coord", roles=["coordinator"], scope=["73.71"]),
        "analyst": make_user("bench.ref.analyst", roles=["national_analyst"], national=True),
    }


def _providers(rng: np.random.Generator) -> pl.DataFrame:
    """500 organisations + providers, each offering every catalogue service of its sector;
    hospitals in Gowa also serve Makassar. Returns provider, organisation, regency, sector."""
    from pksai.accounts.models import Organisation
    from pksai.referrals.models import Provider, Service

    sectors = np.array(list(SECTOR_WEIGHTS))
    weights = np.array(list(SECTOR_WEIGHTS.values()))
    sector = sectors[rng.choice(len(sectors), PROVIDERS, p=weights / weights.sum())]
    sector[0] = "civil_registry"  # the focal person's provider
    regency = np.where(rng.random(PROVIDERS) < 0.6, "73.71", "73.06")
    regency[0] = "73.71"
    area = [PROVIDER_AREAS[r][rng.integers(0, len(PROVIDER_AREAS[r]))] for r in regency]
    organisations = Organisation.objects.bulk_create(
        Organisation(
            name=f"Bench {s.replace('_', ' ')} {i:03d}",
            kind=Organisation.Kind.LKSA if s == "lksa" else Organisation.Kind.SERVICE_PROVIDER,
            area_id=a,
            phone=f"0411-{i:06d}",
        )
        for i, (s, a) in enumerate(zip(sector, area, strict=True))
    )
    providers = Provider.objects.bulk_create(
        Provider(organisation=o, sector=s, opening_hours="Senin–Jumat 08:00–16:00")
        for o, s in zip(organisations, sector, strict=True)
    )
    by_sector: dict[str, list[int]] = {}
    for pk, code in Service.objects.values_list("pk", "sector"):
        by_sector.setdefault(code, []).append(pk)
    Provider.services.through.objects.bulk_create(
        Provider.services.through(provider_id=p.pk, service_id=s)
        for p in providers
        for s in by_sector.get(p.sector, [])
    )
    Provider.catchment.through.objects.bulk_create(
        Provider.catchment.through(provider_id=p.pk, area_id=code)
        for p, r in zip(providers, regency, strict=True)
        if p.sector == "hospital" and r == "73.06"
        for code in ("73.71.01", "73.71.02")
    )
    return pl.DataFrame(
        {
            "provider": [p.pk for p in providers],
            "organisation": [o.pk for o in organisations],
            "regency": regency,
            "sector": sector,
        }
    )


def _referrals(n: int, users: dict, providers: pl.DataFrame, rng: np.random.Generator) -> int:
    """``n`` referrals (about one per case) and ratings for a fifth of the delivered ones;
    returns the number of satisfaction rows."""
    from django.db import connection
    from django.utils import timezone

    from pksai.cases.models import Case
    from pksai.core.bulk import bulk_upsert
    from pksai.referrals.models import Referral, ReferralSla, Satisfaction, Service

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, area_id FROM {Case._meta.db_table} ORDER BY id")  # noqa: S608
        cases = pl.DataFrame(cursor.fetchall(), schema=["id", "area"], orient="row")
    case_row = rng.permutation(np.resize(np.arange(cases.height), n))
    case_id = cases["id"].to_numpy()[case_row]
    area = cases["area"].to_numpy()[case_row]
    case_regency = np.array([a[:5] for a in area])

    # Mostly to a provider of the case's regency, popular ones more often; the focal
    # person's provider (row 0) gets FOCAL_REFERRALS of the Makassar referrals.
    regency = providers["regency"].to_numpy()
    popularity = rng.pareto(1.5, len(regency)) + 1
    popularity[0] = 0
    provider = np.empty(n, dtype=np.int64)
    local = rng.random(n) < 0.85
    for code in np.unique(regency):
        pool = np.flatnonzero(regency == code)
        mask = local & (case_regency == code)
        p = popularity[pool] / popularity[pool].sum()
        provider[mask] = rng.choice(pool, mask.sum(), p=p)
    everywhere = np.flatnonzero(~local | ~np.isin(case_regency, regency))
    provider[everywhere] = rng.choice(
        len(regency), len(everywhere), p=popularity / popularity.sum()
    )
    makassar = np.flatnonzero(case_regency == "73.71")
    provider[makassar[: min(FOCAL_REFERRALS, len(makassar))]] = 0
    sector = providers["sector"].to_numpy()[provider]
    service = np.zeros(n, dtype=np.int64)
    by_sector: dict[str, list[int]] = {}
    for pk, code in Service.objects.values_list("pk", "sector"):
        by_sector.setdefault(code, []).append(pk)
    for code, pks in by_sector.items():
        mask = sector == code
        service[mask] = np.array(pks)[rng.integers(0, len(pks), mask.sum())]

    sla = {
        u: (h, d)
        for u, h, d in ReferralSla.objects.values_list("urgency", "respond_hours", "deliver_days")
    }
    urgency = np.array(["emergency", "urgent", "routine"])[rng.choice(3, n, p=[0.1, 0.3, 0.6])]
    respond_h = np.select([urgency == u for u in sla], [sla[u][0] for u in sla])
    deliver_d = np.select([urgency == u for u in sla], [sla[u][1] for u in sla])
    statuses = np.array(list(STATUS_WEIGHTS))
    weights = np.array(list(STATUS_WEIGHTS.values()))
    status = statuses[rng.choice(len(statuses), n, p=weights / weights.sum())]
    awaiting = np.isin(status, ["sent", "acknowledged"])
    in_hand = np.isin(status, ["accepted", "in_service"])
    delivered = np.isin(status, ["delivered", "closed"])
    overdue = (awaiting | in_hand) & (rng.random(n) < OVERDUE_SHARE)

    now = datetime.now(UTC)
    now_us = np.datetime64(now.replace(tzinfo=None), "us")
    today = timezone.localdate()
    today_d = np.datetime64(today, "D")
    nat = np.datetime64("NaT", "us")

    def hours(h) -> np.ndarray:
        return (np.asarray(h) * HOUR_US).astype("timedelta64[us]")

    def days(d) -> np.ndarray:
        return (np.asarray(d) * DAY_US).astype("timedelta64[us]")

    # When it was sent: finished ones over two years, awaiting ones within (or, overdue, past)
    # the answer window, ones in hand so that the service is due soon (or, overdue, was due).
    sent_at = now_us - days(rng.uniform(3, 730, n))
    late = hours(respond_h) + hours(rng.uniform(1, 24 * 30, n))
    sent_at = np.where(awaiting, now_us - hours(rng.uniform(0, 0.95, n) * respond_h), sent_at)
    sent_at = np.where(awaiting & overdue, now_us - late, sent_at)
    due_in = np.where(overdue, -rng.integers(1, 60, n), rng.integers(0, deliver_d + 1))
    hand_sent = now_us - days(deliver_d - due_in) - hours(rng.uniform(0, 1, n))
    sent_at = np.where(in_hand, hand_sent, sent_at)
    sent_day = sent_at.astype("datetime64[D]")
    respond_by = sent_at + hours(respond_h)
    due_date = sent_day + deliver_d.astype("timedelta64[D]")

    answered = in_hand | np.isin(status, ["delivered", "closed", "declined"])
    answered |= (status == "cancelled") & (rng.random(n) < 0.5)
    responded_at = np.minimum(sent_at + hours(rng.uniform(0.1, 1.3, n) * respond_h), now_us)
    responded_at = np.where(answered, responded_at, nat)
    acknowledged_at = np.where(
        status == "acknowledged", np.minimum(sent_at + hours(1), now_us), responded_at
    )
    started = np.isin(status, ["in_service", "delivered", "closed"])
    service_started_at = np.where(started, responded_at, nat)
    delivered_on = np.minimum(
        sent_day + (rng.uniform(0, 1.6, n) * deliver_d).astype("timedelta64[D]"), today_d
    )
    delivered_on = np.where(delivered, delivered_on, np.datetime64("NaT", "D"))
    closed_at = np.minimum(
        delivered_on.astype("datetime64[us]") + days(rng.uniform(0.5, 14, n)), now_us
    )
    closed_at = np.where(status == "closed", closed_at, nat)
    # Overdue ones half escalated already; some in hand escalated before they were accepted
    # (so they are escalated again).
    escalated_at = np.where(
        overdue & (rng.random(n) < 0.5),
        np.where(awaiting, now_us - days(1), responded_at - hours(1)),
        nat,
    )
    ids = np.arange(1, n + 1)
    number = (
        pl.DataFrame(
            {"regency": case_regency, "year": sent_day.astype("datetime64[Y]").astype(int) + 1970}
        )
        .select(
            pl.format(
                "RUJ-{}-{}-{}",
                pl.col("regency").str.replace(".", "", literal=True),
                pl.col("year"),
                pl.Series(ids).cast(pl.String).str.zfill(6),
            ).alias("number")
        )
        .to_series()
    )
    frame = _row_defaults(
        Referral,
        n,
        {
            "id": ids,
            "number": number,
            "kind": pl.repeat("referral", n, eager=True),
            "case_id": case_id,
            "area_id": area,
            "to_organisation_id": providers["organisation"].to_numpy()[provider],
            "service_id": service,
            "urgency": urgency,
            "reason": pl.repeat("Bench: anak membutuhkan layanan.", n, eager=True),
            "shared": pl.repeat('{"name": "Bench"}', n, eager=True),
            "consent": pl.repeat(True, n, eager=True),
            "due_date": pl.Series(due_date),
            "respond_by": _utc(respond_by),
            "status": status,
            "sent_at": _utc(sent_at),
            "sent_by_id": pl.repeat(users["worker"].pk, n, eager=True),
            "acknowledged_at": _utc(acknowledged_at),
            "responded_at": _utc(responded_at),
            "responded_by_id": pl.Series(np.where(answered, users["worker"].pk, 0)).replace(
                0, None
            ),
            "decline_reason": np.where(status == "declined", "Bench: kuota penuh", ""),
            "service_started_at": _utc(service_started_at),
            "delivered_on": pl.Series(delivered_on),
            "provided": np.where(delivered, "Bench: layanan diberikan", ""),
            "closed_at": _utc(closed_at),
            "cancel_reason": np.where(status == "cancelled", "Bench: tidak diperlukan", ""),
            "escalated_at": _utc(escalated_at),
            "updated_at": _utc(np.maximum(sent_at, np.where(answered, responded_at, sent_at))),
        },
    )
    assert pl.Object not in frame.dtypes, frame.schema
    bulk_upsert(table=Referral._meta.db_table, frame=frame, key=["id"], update=[])

    # Ratings: a fifth of the delivered services, plus closure ratings (no referral) for a
    # tenth as many cases.
    rated = np.flatnonzero(delivered & (rng.random(n) < SATISFACTION_SHARE))
    closure = rng.choice(rated, len(rated) // 10, replace=False)
    rows = np.concatenate([rated, closure])
    m = len(rows)
    answered_at = np.minimum(
        delivered_on[rows].astype("datetime64[us]") + days(rng.uniform(0.2, 10, m)), now_us
    )
    bulk_upsert(
        table=Satisfaction._meta.db_table,
        frame=_row_defaults(
            Satisfaction,
            m,
            {
                "id": np.arange(1, m + 1),
                "case_id": case_id[rows],
                "referral_id": pl.Series(
                    np.concatenate([ids[rated], np.zeros(len(closure), dtype=np.int64)])
                ).replace(0, None),
                "area_id": area[rows],
                "moment": np.where(np.arange(m) < len(rated), "service", "closure"),
                "respondent": np.array(["child", "guardian"])[rng.integers(0, 2, m)],
                "score": rng.choice([1, 2, 3, 4, 5], m, p=[0.05, 0.08, 0.17, 0.35, 0.35]),
                "created_at": _utc(answered_at),
                "created_by_id": pl.repeat(users["worker"].pk, m, eager=True),
                "entered_by_id": pl.repeat(users["worker"].pk, m, eager=True),
                "answered_at": _utc(answered_at),
            },
        ),
        key=["id"],
        update=[],
    )
    if connection.vendor == "postgresql":  # explicit ids: move the sequences past them
        from django.core.management.color import no_style

        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Referral, Satisfaction]):
                cursor.execute(sql)
    return m


def _directory_file(path: Path, rng: np.random.Generator) -> None:
    """IMPORT_ROWS new providers in bench_cases' areas (docs/provider-format.md)."""
    from pksai.referrals.models import Service

    codes: dict[str, list[str]] = {}
    for code, sector in Service.objects.values_list("code", "sector"):
        codes.setdefault(sector, []).append(code)
    sectors = np.array(list(SECTOR_WEIGHTS))
    weights = np.array(list(SECTOR_WEIGHTS.values()))
    sector = sectors[rng.choice(len(sectors), IMPORT_ROWS, p=weights / weights.sum())]
    areas = np.array([a for group in PROVIDER_AREAS.values() for a in group])
    i = np.arange(1, IMPORT_ROWS + 1)
    pl.DataFrame(
        {
            "name": [f"Imported provider {k:05d}" for k in i],
            "sector": sector,
            "area_code": areas[rng.integers(0, len(areas), IMPORT_ROWS)],
            "address": [f"Jl. Bench No. {k}" for k in i],
            "phone": [f"0411-{k:06d}" for k in i],
            "email": [f"provider{k}@example.org" for k in i],
            "services": [";".join(codes.get(s, [])) for s in sector],
            "catchment": np.where(rng.random(IMPORT_ROWS) < 0.2, "73.71.01;73.06.01", ""),
            "contact_person": [f"Kontak {k}" for k in i],
            "opening_hours": pl.repeat("Senin–Jumat 08:00–16:00", IMPORT_ROWS, eager=True),
            "active": np.where(rng.random(IMPORT_ROWS) < 0.05, "no", "yes"),
        }
    ).write_csv(path)


def _page(qs, size: int = 50) -> str:
    rows = list(qs[:size])
    return f"{qs.count():,} rows, first page {len(rows)}"


def _services(report) -> str:
    total = report.total
    return f"{len(report.rows)} rows, {total.delivered:,} delivered, {total.children:,} children"


def _performance(report) -> str:
    total = report.total
    return (
        f"{len(report.rows)} providers, {total.sent:,} sent, {total.overdue:,} overdue, "
        f"median {total.median_days} days"
    )


def _satisfaction(report) -> str:
    total = report.total
    return (
        f"{len(report.by_provider)} providers, {total.answers:,} answers, average {total.average}"
    )


def _imported(result) -> str:
    return ", ".join(f"{key} {value:,}" for key, value in result.summary().items())


def run() -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from pksai.accounts.models import Organisation
    from pksai.accounts.tests.factories import make_user
    from pksai.cases.models import Alert, Case
    from pksai.referrals import reports, selectors, services
    from pksai.referrals.directory import provider_export, provider_import
    from pksai.referrals.models import Referral

    users = _users()
    rng = np.random.default_rng(11)
    started = time.perf_counter()
    with transaction.atomic():
        providers = _providers(rng)
        rated = _referrals(REFERRALS, users, providers, rng)
    print(
        f"  generate {PROVIDERS} providers, {REFERRALS:,} referrals and {rated:,} ratings: "
        f"{time.perf_counter() - started:.1f} s"
    )
    focal_org = Organisation.objects.get(pk=providers["organisation"][0])
    users["focal"] = make_user(
        "bench.ref.focal",
        roles=["focal_person"],
        scope=[focal_org.area_id],
        organisation=focal_org,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    overdue = Referral.objects.filter(selectors.overdue_q()).count()
    print(f"  ({overdue:,} referrals overdue now)")

    today = timezone.localdate()
    period = reports.Filters(date_from=today - timedelta(days=730), date_to=today)
    for who in ("supervisor", "analyst"):
        user = users[who]
        for group in reports.GROUPS:
            _timed(
                f"services provided by {group}, 2 years, {who}",
                lambda u=user, g=group: _services(
                    reports.services_provided(user=u, filters=period, group=g)
                ),
                page=True,
            )
        _timed(
            f"performance report, 2 years, {who}",
            lambda u=user: _performance(reports.referral_performance(user=u, filters=period)),
            page=True,
        )
        _timed(
            f"satisfaction report, 2 years, {who}",
            lambda u=user: _satisfaction(reports.satisfaction(user=u, filters=period)),
            page=True,
        )

    coordinator, supervisor = users["coordinator"], users["supervisor"]
    worker, focal = users["worker"], users["focal"]
    _timed(
        "overdue list, coordinator 73.71 (count + 50)",
        lambda: _page(selectors.overdue_for_supervisor(user=coordinator)),
        page=True,
    )
    _timed(
        "overdue list, supervisor of all cases (count + 50)",
        lambda: _page(selectors.overdue_for_supervisor(user=supervisor)),
        page=True,
    )
    _timed(
        "referral list, worker 73.71 (count + 50)",
        lambda: _page(selectors.referral_list(user=worker)),
        page=True,
    )
    _timed(
        "referral list, open (count + 50)",
        lambda: _page(selectors.referral_list(user=worker, status="open")),
        page=True,
    )
    _timed(
        "referral list, overdue (count + 50)",
        lambda: _page(selectors.referral_list(user=worker, overdue=True)),
        page=True,
    )
    number = (
        Referral.objects.filter(area__code__startswith="73.71.")
        .values_list("number", flat=True)[REFERRALS // 3 :][:1]
        .get()
    )
    _timed(
        f"referral list, search {number}",
        lambda: _page(selectors.referral_list(user=worker, q=number)),
        page=True,
    )
    case = Case.objects.filter(area__code__startswith="73.71.").order_by("id")[CASES // 2]
    _timed(
        f"referral list, search case number {case.number}",
        lambda: _page(selectors.referral_list(user=worker, q=case.number)),
        page=True,
    )
    inbox_total = selectors.inbox(user=focal).count()
    _timed(
        f"focal person's inbox, {inbox_total:,} referrals (count + 50)",
        lambda: _page(selectors.inbox(user=focal)),
        page=True,
    )
    _timed(
        "worker's declined/delivered queue (count + 50)",
        lambda: _page(selectors.to_handle(user=worker)),
        page=True,
    )
    _timed(
        "providers for a case (referral form)",
        lambda: f"{len(selectors.providers_for_case(user=worker, case=case))} providers",
        page=True,
    )

    alerts = Alert.objects.count()
    _timed(
        "alert_overdue_referrals (once; writes)",
        lambda: (
            f"{services.alert_overdue_referrals():,} escalated, "
            f"{Alert.objects.count() - alerts:,} alerts"
        ),
        repeat=1,
    )

    with tempfile.TemporaryDirectory(prefix="pksai-bench-providers-") as directory:
        path = Path(directory) / "providers.csv"
        _directory_file(path, rng)
        _timed(
            f"provider import, {IMPORT_ROWS:,} new rows (once)",
            lambda: _imported(provider_import(by=None, path=path)),
            repeat=1,
        )
        _timed(
            f"provider import, {IMPORT_ROWS:,} rows unchanged",
            lambda: _imported(provider_import(by=None, path=path)),
        )
    _timed(
        "provider directory, coordinator 73.71 (count + 50)",
        lambda: _page(selectors.provider_list(user=coordinator)),
        page=True,
    )
    _timed(
        "provider export CSV, national",
        lambda: (
            f"{len(provider_export(selectors.provider_list(user=users['analyst']), 'csv')):,} bytes"
        ),
    )
