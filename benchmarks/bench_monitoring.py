"""National roll-up: the pilot indicator set over BENCH_CASES cases and BENCH_PEOPLE people.

Issue 9, point 5. On BENCH_DATABASE_URL (PostgreSQL only; skipped on SQLite) this generates,
once, BENCH_PEOPLE registry people (default 10,000,000, four per household, half of them
children, spread over every village of the Kemendagri area list), a vulnerability score for
every child, BENCH_CASES cases (default 1,000,000) over two years (2024 and 2025) with triage,
emergency actions for most immediate-response cases and approved plans for most cases, a
service referral for half the cases and a programme enrolment for a tenth of the children.
The rows are made by the database itself (``INSERT … SELECT … FROM generate_series``), the
fastest bulk path there is: nothing crosses the wire, no ORM call per row. A second run finds
the rows (marked source ``BENCHMON`` / number prefix ``BM-``) and skips the generation.

Then, as a national analyst, it times every active indicator of the pilot set
(``indicators.indicator_values``) for 2025 at national, province and regency level, and the
period comparison (cases reported and responded per regency, 2024 vs 2025). Each figure is the
best of BENCH_REPEAT runs (default 2; the first warms the cache).

Quick run: BENCH_PEOPLE=200000 BENCH_CASES=20000 BENCH_DATABASE_URL=postgres://…
.venv/bin/python -m benchmarks bench_monitoring

Figures, 2026-11-23: 2 vCPU shared with other jobs (load average ~6), 23 GB RAM, PostgreSQL 15
with default settings (shared_buffers 128 MB, work_mem 4 MB, 2 parallel workers); best of 2.

Generation at full size (once): 2.5M households 46 s, 10M people 370 s, 5M scores 102 s,
1M cases 43 s, 270k emergency actions 1 s, 686k plan approvals 3 s, 6M other case events
19 s, 500k referrals 20 s, 500k enrolments 15 s — about 16 minutes; the database is 7.5 GB.

Pilot set for 2025 over 1M cases / 10M people, seconds (national / province / regency):
  cases_reported 0.09 / 0.19 / 0.26    cases_responded 0.21 / 0.47 / 0.57
  immediate_24h 0.34 / 0.41 / 0.44     plan_30d 0.52 / 0.75 / 0.84
  referral_completion 0.14 / 0.17 / 0.19  birth_certificates 0.06 / 0.07 / 0.07
  vulnerable_reached 2.6 / 2.9 / 3.3   beneficiaries 0.07 / 0.07 / 0.08
  facilitator_caseload 0.14 / 0.38 / 0.49  (payments, complaints, satisfaction: no rows)
  comparison 2024 vs 2025 per regency (reported + responded): 0.9–1.4 s
  total, the twelve indicators at three levels plus the comparison: 17–21 s
  (before the tuning, and before the 6M other events were added: 24.5 s, vulnerable_reached
  3.9–5.8 s each; plan_30d 0.7–1.0 s without the partial index once the events were there).
Disaggregations (not in the total): cases_reported by month 0.29 s; by sex or age group
2.9 s (a hash join to the 10M-person table for sex and birth date); vulnerable_reached by
age group 2.8 s. Runs vary by ±30 % with the other jobs' load.
Quick size (200k people, 20k cases): total 0.7 s.
Each indicator view completes in under 4.5 s; the whole national roll-up in ~20 s.
"""

from __future__ import annotations

import os
import time
from datetime import date

PEOPLE = int(os.environ.get("BENCH_PEOPLE", 10_000_000))
CASES = int(os.environ.get("BENCH_CASES", 1_000_000))
REPEAT = int(os.environ.get("BENCH_REPEAT", 2))
SOURCE = "BENCHMON"
YEARS = ((date(2024, 1, 1), date(2025, 1, 1)), (date(2025, 1, 1), date(2026, 1, 1)))
LEVELS = ("national", "province", "regency")


def _columns(model, values: dict[str, str]) -> tuple[list[str], list[str], list]:
    """Every non-null column of ``model``: the SQL expression in ``values`` where given, else
    the field's default, an empty JSON object, now() or '' (raw inserts skip Django's
    defaults). Returns the columns, their expressions and the parameters they use."""
    from django.db import models

    names, exprs, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.column in values:
            names.append(field.column)
            exprs.append(values[field.column].replace("%", "%%"))  # % is modulo here
        elif field.primary_key or field.null:
            continue
        elif isinstance(field, models.JSONField):
            names.append(field.column)
            exprs.append("'{}'::jsonb")
        elif field.has_default() and not callable(field.default):
            names.append(field.column)
            exprs.append("%s")
            params.append(field.get_default())
        elif isinstance(field, models.DateTimeField):
            names.append(field.column)
            exprs.append("now()")
        else:
            names.append(field.column)
            exprs.append("''")
    return names, exprs, params


def _insert(model, values: dict[str, str], source: str, params: list | None = None) -> int:
    """One ``INSERT INTO model SELECT … FROM source`` — the rows are made in the database."""
    from django.db import connection

    names, exprs, defaults = _columns(model, values)
    # the default-value placeholders come first in the SELECT list, then those of ``source``
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) "  # noqa: S608
        f"SELECT {', '.join(exprs)} FROM {source.replace('%', '%%')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, defaults + (params or []))
        count = cursor.rowcount
        if model._meta.pk.column == "id":
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{model._meta.db_table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {model._meta.db_table}))"
            )
    return count


def _step(label: str, fn) -> None:
    started = time.perf_counter()
    result = fn()
    print(f"  {label}: {result:,} rows in {time.perf_counter() - started:.1f} s")


def _villages(household: str) -> str:
    """A SQL join fragment: the village ``v.code`` of the household numbered ``household``
    (spread over every village; a hash join, not an array lookup per row)."""
    from pksai.areas.models import Area

    count = Area.objects.filter(level=Area.Level.VILLAGE).count()
    return (
        f"JOIN (SELECT row_number() OVER (ORDER BY code) - 1 AS k, code "  # noqa: S608
        f"FROM {Area._meta.db_table} WHERE level = {Area.Level.VILLAGE}) v "
        f"ON v.k = (({household})::bigint * 7919) % {count}"
    )


def _generate(users: dict) -> None:
    """People, households, scores, cases, emergency actions, plan approvals, referrals and
    enrolments, each in one statement; skipped when already there."""
    from django.db import connection, transaction

    from pksai.cases.models import Case, CaseEvent, EmergencyAction
    from pksai.programs.models import Beneficiary, BenefitRule
    from pksai.referrals.models import Referral, Service
    from pksai.registry.models import Household, Person
    from pksai.vulnerability.models import RuleSet, Score

    households = PEOPLE // 4
    people = households * 4
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.2026)")

    if not Household.objects.filter(source=SOURCE).exists():
        with transaction.atomic():
            base = Household.objects.order_by("-id").values_list("id", flat=True).first() or 0
            _step(
                "households",
                lambda: _insert(
                    Household,
                    {
                        "id": f"{base} + g.h",
                        "source": f"'{SOURCE}'",
                        "registry_id": "g.h::text",
                        "village_id": "v.code",
                        "welfare_decile": "1 + (g.h % 4)",
                        "row_hash": "'-'",
                    },
                    f"generate_series(1, {households}) AS g(h) {_villages('g.h')}",
                ),
            )
    hh_base = Household.objects.filter(source=SOURCE).order_by("id").values_list("id", flat=True)[0]
    if not Person.objects.filter(source=SOURCE).exists():
        # members 1-2 are adults, 3-4 children (0-17 at the end of 2025)
        with transaction.atomic():
            base = Person.objects.order_by("-id").values_list("id", flat=True).first() or 0
            _step(
                "people",
                lambda: _insert(
                    Person,
                    {
                        "id": f"{base} + g.i",
                        "household_id": f"{hh_base - 1} + (g.i + 3) / 4",
                        "source": f"'{SOURCE}'",
                        "household_key": "((g.i + 3) / 4)::text",
                        "person_key": "(1 + (g.i - 1) % 4)::text",
                        "village_id": "v.code",
                        "nik": "lpad(g.i::text, 16, '9')",
                        "name": "'Bench ' || g.i",
                        "sex": "CASE WHEN random() < 0.5 THEN 'F' ELSE 'M' END",
                        "birth_date": (
                            "CASE WHEN (g.i - 1) % 4 < 2 "
                            "THEN date '1960-01-01' + (random() * 12000)::int "
                            "ELSE date '2008-01-01' + (random() * 6500)::int END"
                        ),
                        "relationship": (
                            "CASE WHEN (g.i - 1) % 4 < 2 THEN 'head' ELSE 'child' END"
                        ),
                        "row_hash": "'-'",
                    },
                    f"generate_series(1, {people}) AS g(i) {_villages('(g.i + 3) / 4')}",
                ),
            )
    person_base = (
        Person.objects.filter(source=SOURCE).order_by("id").values_list("id", flat=True)[0] - 1
    )
    person_table = Person._meta.db_table

    ruleset = RuleSet.objects.filter(purpose="vulnerability", status="active").first()
    if ruleset is None:
        version = (
            RuleSet.objects.order_by("-version").values_list("version", flat=True).first()
        ) or 0
        ruleset = RuleSet.objects.create(
            version=version + 1,
            name="bench",
            source_text="# bench",
            spec={},
            status="active",
        )
    if not Score.objects.filter(person_id__gt=person_base, ruleset=ruleset).exists():
        with transaction.atomic():
            _step(
                "vulnerability scores (every child)",
                lambda: _insert(
                    Score,
                    {
                        "person_id": "p.id",
                        "ruleset_id": str(ruleset.pk),
                        "village_id": "p.village_id",
                        "sex": "p.sex",
                        "age": "date_part('year', age(date '2025-12-31', p.birth_date))::int",
                        "scored_at": "timestamptz '2025-06-01 00:00+00'",
                        "criteria_count": "(random() * 4)::int",
                        "neglect": "'none'",
                        "pmt_score": "(random() * 100)::int",
                        "risk_level": (
                            "CASE WHEN r < 0.1 THEN 'high' WHEN r < 0.3 THEN 'medium' "
                            "ELSE 'low' END"
                        ),
                    },
                    f"(SELECT *, random() AS r FROM {person_table} "  # noqa: S608
                    f"WHERE source = '{SOURCE}' AND relationship = 'child') p",
                ),
            )

    if not Case.objects.filter(number__startswith="BM-").exists():
        # a child of a random household; two years of reports, 2 % void; 30 % immediate
        # response, 50 % at risk, 20 % not yet triaged
        user = users["worker"].pk
        with transaction.atomic():
            base = Case.objects.order_by("-id").values_list("id", flat=True).first() or 0
            _step(
                "cases",
                lambda: _insert(
                    Case,
                    {
                        "id": f"{base} + g.i",
                        "number": "'BM-' || g.i",
                        "regency_id": "substr(v.code, 1, 5)",
                        "area_id": "v.code",
                        "child_id": f"{person_base} + (g.h - 1) * 4 + 3 + (g.i % 2)",
                        "channel": "'phone'",
                        "summary": "'laporan'",
                        "stage": (
                            "CASE WHEN g.r < 0.02 THEN 'void' WHEN g.r < 0.3 THEN 'closed' "
                            "WHEN g.r < 0.6 THEN 'implementation' ELSE 'assessment' END"
                        ),
                        "response": (
                            "CASE WHEN g.s < 0.3 THEN 'immediate' WHEN g.s < 0.8 THEN 'at_risk' "
                            "ELSE '' END"
                        ),
                        "owner_id": str(user),
                        "supervisor_id": str(user),
                        "created_by_id": str(user),
                        "created_at": (
                            "timestamptz '2024-01-01 00:00+00' + random() * interval '731 days'"
                        ),
                    },
                    f"(SELECT i, 1 + (random() * {households - 1})::bigint AS h, "  # noqa: S608
                    f"random() AS r, random() AS s "
                    f"FROM generate_series(1, {CASES}) AS i) g(i, h, r, s) {_villages('g.h')}",
                ),
            )
    case_table = Case._meta.db_table
    cases = f"(SELECT * FROM {case_table} WHERE number LIKE 'BM-%') c"  # noqa: S608
    if not EmergencyAction.objects.filter(case__number__startswith="BM-").exists():
        with transaction.atomic():
            _step(
                "emergency actions (90 % of immediate cases, 0-48 h)",
                lambda: _insert(
                    EmergencyAction,
                    {
                        "case_id": "c.id",
                        "kind": "'protection'",
                        "recorded_by_id": "c.owner_id",
                        "recorded_at": "c.created_at",
                        "started_at": "c.created_at + random() * interval '48 hours'",
                    },
                    cases + " WHERE c.response = 'immediate' AND random() < 0.9",
                ),
            )
            _step(
                "plan approvals (70 % of cases, 0-60 days)",
                lambda: _insert(
                    CaseEvent,
                    {
                        "case_id": "c.id",
                        "actor_id": "c.owner_id",
                        "kind": "'approve_plan'",
                        "at": "c.created_at + random() * interval '60 days'",
                    },
                    cases + " WHERE c.stage <> 'void' AND random() < 0.7",
                ),
            )
    if not CaseEvent.objects.filter(kind="note", case__number__startswith="BM-").exists():
        # the timeline's other events (triage, assignment, notes, visits): the approvals are a
        # small share of the events table, as in real use
        with transaction.atomic():
            _step(
                "other case events (6 per case)",
                lambda: _insert(
                    CaseEvent,
                    {
                        "case_id": "c.id",
                        "actor_id": "c.owner_id",
                        "kind": "(ARRAY['triage', 'assigned', 'note', 'visit', 'note', 'note'])"
                        "[e.k]",
                        "at": "c.created_at + e.k * interval '3 days'",
                    },
                    cases + " CROSS JOIN generate_series(1, 6) AS e(k)",
                ),
            )
    if not Referral.objects.filter(number__startswith="BM-R-").exists():
        with transaction.atomic():
            service = (
                Service.objects.filter(code="birth_certificate").first() or Service.objects.first()
            )
            other = Service.objects.exclude(pk=service.pk).values_list("pk", flat=True).first()
            organisation = users["organisation"].pk
            _step(
                "referrals (half the cases; a fifth for birth certificates)",
                lambda: _insert(
                    Referral,
                    {
                        "number": "'BM-R-' || c.id",
                        "kind": "'service'",
                        "case_id": "c.id",
                        "area_id": "c.area_id",
                        "to_organisation_id": str(organisation),
                        "service_id": f"CASE WHEN c.id % 5 = 0 THEN {service.pk} ELSE {other} END",
                        "urgency": "'routine'",
                        "reason": "'bench'",
                        "due_date": "(c.created_at + interval '30 days')::date",
                        "status": (
                            "CASE WHEN c.id % 10 < 6 THEN 'closed' WHEN c.id % 10 < 8 "
                            "THEN 'delivered' ELSE 'sent' END"
                        ),
                        "sent_at": "c.created_at + interval '2 days'",
                        "sent_by_id": "c.owner_id",
                    },
                    cases + " WHERE c.id % 2 = 0",
                ),
            )
    if not Beneficiary.objects.filter(person_id__gt=person_base).exists():
        rule = BenefitRule.objects.order_by("pk").first()
        if rule is not None:
            with transaction.atomic():
                _step(
                    "enrolments (a tenth of the children)",
                    lambda: _insert(
                        Beneficiary,
                        {
                            "program_id": str(rule.program_id),
                            "person_id": "p.id",
                            "area_id": "p.village_id",
                            "start_date": "date '2024-01-01' + (random() * 700)::int",
                            "benefit_rule_id": str(rule.pk),
                            "facilitator_id": str(users["worker"].pk),
                            "status": "'active'",
                        },
                        f"{person_table} p WHERE p.source = '{SOURCE}' "  # noqa: S608
                        f"AND p.relationship = 'child' AND p.id % 10 = 0",
                    ),
                )
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute("ANALYZE")
        print(f"  analyze: {time.perf_counter() - started:.1f} s")


def _users() -> dict:
    from pksai.accounts.models import Organisation, User
    from pksai.accounts.tests.factories import make_user

    def user(username: str, **kwargs) -> User:
        found = User.objects.filter(username=username).first()
        return found or make_user(username, **kwargs)

    organisation, _ = Organisation.objects.get_or_create(
        name="Bench monitoring provider",
        defaults={"kind": Organisation.Kind.SERVICE_PROVIDER, "area_id": "73"},
    )
    return {
        "analyst": user("bench.mon.analyst", roles=["national_analyst"], national=True),
        "worker": user("bench.mon.sw", roles=["social_worker"], scope=["73"]),
        "organisation": organisation,
    }


def _timed(label: str, fn) -> float:
    best, result = float("inf"), None
    for _ in range(REPEAT):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    print(f"  {label}: {best:.3f} s ({result})")
    return best


def run() -> None:
    from django.db import connection

    from pksai.areas.models import Area
    from pksai.monitoring.indicators import active_indicators, compare_periods, indicator_values

    if connection.vendor != "postgresql":
        print("  skipped: needs PostgreSQL (BENCH_DATABASE_URL=postgres://…)")
        return
    if not Area.objects.filter(level=Area.Level.VILLAGE).exists():
        from pksai.areas.services import areas_load

        started = time.perf_counter()
        areas_load()
        print(f"  (loaded the area list first: {time.perf_counter() - started:.1f} s)")
    users = _users()
    started = time.perf_counter()
    _generate(users)
    print(f"  data ready in {time.perf_counter() - started:.1f} s")
    analyst = users["analyst"]
    start, end = YEARS[1]
    total = 0.0
    for indicator in active_indicators().order_by("position"):
        for level in LEVELS:

            def values(indicator=indicator, level=level) -> str:
                rows = indicator_values(indicator, user=analyst, start=start, end=end, group=level)
                return f"{len(rows)} rows, {sum(r.numerator for r in rows):,} numerator"

            total += _timed(f"{indicator.code} by {level}", values)

    by_code = {i.code: i for i in active_indicators()}
    for code, group in (
        ("cases_reported", "month"),
        ("cases_reported", "sex"),
        ("cases_reported", "age_group"),
        ("vulnerable_reached", "age_group"),
    ):
        if code not in by_code:
            continue

        def disaggregated(indicator=by_code[code], group=group) -> str:
            rows = indicator_values(indicator, user=analyst, start=start, end=end, group=group)
            return f"{len(rows)} rows"

        # dashboards' disaggregations: reported apart from the national roll-up's total
        _timed(f"(disaggregation) {code} by {group}", disaggregated)

    def comparison() -> str:
        rows = compare_periods(
            user=analyst,
            measures=["cases_reported", "cases_responded"],
            first=YEARS[0],
            second=YEARS[1],
            group="regency",
        )
        return f"{len(rows)} regencies"

    total += _timed("compare 2024 vs 2025 per regency (reported, responded)", comparison)
    print(f"  total (pilot set x 3 levels + comparison): {total:.2f} s")
