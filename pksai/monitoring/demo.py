"""Demo finance data: budget lines of PKSA, JSLU and JSPACA for last year and this year
(realised by month up to the current month), imported through the real importer from a
generated CSV, the pilot regencies' own APBD lines and eligible-population estimates (through
``pksai import-population``'s importer), and a yearly price-index series. Idempotent: the
importers write only what changed (by program, year, level, category, source and area; the
estimates by program, year and area), and the index by year."""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.utils import timezone

from pksai.accounts.models import User
from pksai.areas.models import Area
from pksai.monitoring import finance
from pksai.monitoring.models import PriceIndex
from pksai.monitoring.population import population_import
from pksai.monitoring.spending import COUNTS, REQUIRED
from pksai.programs.models import Program

BN = 1_000_000_000
# program → (final revised budget, beneficiaries, civil servants)
PROGRAMS = {
    "pksa": (200 * BN, 150_000, 60),
    "jslu": (90 * BN, 30_000, 25),
    "jspaca": (45 * BN, 20_000, 15),
}
# (level, category, share of the budget in per mille)
SPLIT = [
    ("central", "benefits", 800),
    ("central", "salaries", 30),
    ("central", "administration", 70),
    ("central", "monitoring", 15),
    ("community", "targeting", 30),
    ("community", "socialisation", 20),
    ("community", "follow_up", 15),
    ("institutions", "training", 20),
]
# consumer price index, 2018 = 100 (about 3 % a year)
INDEX_FROM = 2016


@dataclass
class DemoFinance:
    created: int = 0
    updated: int = 0
    rejected: int = 0
    index_years: int = 0


def _importer() -> User | None:
    """A national user who may import spending (national lines need one), else None."""
    perm = Permission.objects.filter(codename="add_budgetline").first()
    if perm is None:
        return None
    return (
        User.objects.filter(is_active=True)
        .filter(Q(groups__permissions=perm) | Q(user_permissions=perm) | Q(is_superuser=True))
        .filter(Q(is_national=True) | Q(is_superuser=True))
        .order_by("-is_superuser", "username")
        .first()
    )


def _months(realised: int, months: int) -> list[int]:
    """``realised`` spread over the first ``months`` months (the rest zero), whole rupiah,
    adding up exactly; spending runs slow early in the year and fast at its end."""
    weights = list(range(1, months + 1))
    parts = [realised * w // sum(weights) for w in weights]
    parts[-1] += realised - sum(parts)
    return parts + [0] * (12 - months)


def _rows(today: date) -> list[list[object]]:
    rows = []
    for year in (today.year - 1, today.year):
        months = 12 if year < today.year else today.month
        executed = 930 if year < today.year else 75 * months  # per mille of the budget
        for code, (budget, beneficiaries, servants) in PROGRAMS.items():
            for index, (level, category, share) in enumerate(SPLIT):
                line_budget = budget * share // 1000
                realised = min(line_budget, line_budget * executed // 1000)
                first = index == 0
                rows.append(
                    [
                        code,
                        year,
                        level,
                        category,
                        line_budget,
                        realised,
                        *_months(realised, months),
                        beneficiaries if first else "",
                        servants if first else "",
                    ]
                )
    return rows


# the pilot regencies' own money (APBD regency) and eligible-population estimates per program
SITES = ("73.71", "73.06", "33.72", "33.10", "35.04")
LOCAL = [("community", "socialisation", 4), ("community", "targeting", 6)]  # per mille
ELIGIBLE = {"pksa": 9_000, "jslu": 3_000, "jspaca": 1_500}  # per site, before the site's step


def _local_rows(today: date, sites: list[str]) -> list[list[object]]:
    """Each pilot regency's APBD lines (socialisation, targeting) for last year and this."""
    rows = []
    for year in (today.year - 1, today.year):
        for code, (budget, _people, _servants) in PROGRAMS.items():
            for step, site in enumerate(sites):
                for level, category, share in LOCAL:
                    line_budget = budget * share // 1000 // len(SITES) + step * 1_000_000
                    realised = line_budget * (9 if year < today.year else 4) // 10
                    rows.append(
                        [code, year, level, category, "apbd_regency", site, line_budget, realised]
                    )
    return rows


def _population(today: date, by: User, sites: list[str]) -> None:
    """Eligible-population estimates of each program for the pilot regencies (this year)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "population.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["program", "year", "area", "eligible", "source"])
            for code, eligible in ELIGIBLE.items():
                for step, site in enumerate(sites):
                    writer.writerow(
                        [code, today.year, site, eligible + 500 * step, "demo estimate"]
                    )
        population_import(by=by, path=path)


def demo_finance(today: date | None = None) -> DemoFinance:
    result = DemoFinance()
    today = today or timezone.localdate()
    for year in range(INDEX_FROM, today.year + 1):  # a dozen years
        value = (Decimal("100") * Decimal("1.03") ** (year - 2018)).quantize(Decimal("0.001"))
        _index, created = PriceIndex.objects.get_or_create(year=year, defaults={"value": value})
        result.index_years += created
    by = _importer()
    if by is None or Program.objects.filter(code__in=PROGRAMS).count() != len(PROGRAMS):
        return result  # no program officer or the programs migration did not run
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spending.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([*REQUIRED, *finance.MONTHS, *COUNTS])
            writer.writerows(_rows(today))
        imported = finance.spending_import(by=by, path=path)
        sites = sorted(Area.objects.filter(code__in=SITES).values_list("code", flat=True))
        local = Path(folder) / "local.csv"
        if sites:
            with local.open("w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(
                    ["program", "year", "level", "category", "source", "area", "budget"]
                    + ["realised"]
                )
                writer.writerows(_local_rows(today, sites))
            regional = finance.spending_import(by=by, path=local)
            imported.created += regional.created
            imported.updated += regional.updated
            imported.errors = pl.concat([imported.errors, regional.errors])
            _population(today, by, sites)
    result.created, result.updated = imported.created, imported.updated
    result.rejected = imported.rejected
    return result
