"""The finance demo: budget lines through the real importer and a price index, idempotent."""

from datetime import date

import pytest

from pksai.accounts.tests.factories import make_user
from pksai.monitoring import finance, population
from pksai.monitoring.demo import ELIGIBLE, LOCAL, PROGRAMS, SPLIT, demo_finance
from pksai.monitoring.models import BudgetLine, EligiblePopulation, PriceIndex
from pksai.programs.models import Program

TODAY = date(2026, 5, 20)


@pytest.mark.django_db
def test_demo_finance_is_idempotent_and_feeds_the_reports(pilot_areas):
    make_user("officer", roles=["program_officer"], national=True)
    first = demo_finance(TODAY)
    assert first.rejected == 0
    national = 2 * len(PROGRAMS) * len(SPLIT)
    local = 2 * len(PROGRAMS) * 3 * len(LOCAL)  # the pilot_areas fixture has 3 of the sites
    assert first.created == BudgetLine.objects.count() == national + local
    assert BudgetLine.objects.filter(source="apbd_regency", area_id="73.71").count() == 12
    assert EligiblePopulation.objects.count() == 3 * len(ELIGIBLE)
    assert PriceIndex.objects.filter(year__in=[2025, 2026]).count() == 2
    again = demo_finance(TODAY)
    assert (again.created, again.updated, again.rejected, again.index_years) == (0, 0, 0, 0)
    efficiency = {row.program: row for row in finance.efficiency(year=2025)}
    assert set(efficiency) == set(PROGRAMS)
    assert efficiency["pksa"].beneficiaries == 150_000
    months = finance.execution_by_month(year=2026, program=Program.objects.get(code="pksa"))
    assert [m["realised"] > 0 for m in months] == [True] * 5 + [False] * 7
    # the national lines carry months (the regencies' own lines only the year's figure)
    realised = BudgetLine.objects.filter(year=2026, program__code="pksa", area=None).values_list(
        "realised", flat=True
    )
    assert sum(realised) == months[-1]["cumulative"]  # the months add up to the year
    makassar = make_user("makassar.officer", roles=["program_officer"], scope=["73.71"])
    table = population.coverage(program=Program.objects.get(code="jslu"), year=2026, user=makassar)
    assert [(r.area, r.eligible) for r in table.rows] == [("73.71", ELIGIBLE["jslu"] + 1000)]


@pytest.mark.django_db
def test_demo_finance_without_an_importer_only_loads_the_index(pilot_areas):
    result = demo_finance(TODAY)
    assert result.created == 0 and result.index_years > 0
    assert not BudgetLine.objects.exists()
