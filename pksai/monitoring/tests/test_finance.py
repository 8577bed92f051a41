"""Spending lines → the efficiency indicators exactly per DOMAIN.md's definitions (the
World Bank review's Table 7 figures for child services, 2009), the import's row-level errors
and idempotence, budget execution by level and month, real values and projections."""

import json
from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.management import call_command

from pksai.accounts.tests.factories import make_user
from pksai.api.tests.helpers import english_messages  # noqa: F401  (messages asserted in English)
from pksai.monitoring import finance
from pksai.monitoring.models import BudgetLine, PriceIndex, ProgramYear
from pksai.programs.models import Program

BN = 1_000_000_000
HEADER = "program,year,level,category,budget,realised,beneficiaries,civil_servants\n"
PKSA_2009 = (
    HEADER
    + f"pksa,2009,central,benefits,{180 * BN},{169 * BN},169306,69\n"
    + f"pksa,2009,central,salaries,{3 * BN},{29 * BN // 10},,\n"
    + f"pksa,2009,central,administration,{35 * BN},{311 * BN // 10},,\n"
)


@pytest.fixture
def officer(pilot_areas):
    return make_user("finance", roles=["program_officer"], national=True)


def half_up(fraction: Fraction, places: int = 0) -> Decimal:
    return (Decimal(fraction.numerator) / Decimal(fraction.denominator)).quantize(
        Decimal(1).scaleb(-places), rounding="ROUND_HALF_UP"
    )


@pytest.mark.django_db
def test_efficiency_exactly_per_the_definitions(officer, tmp_path, capsys):
    path = tmp_path / "pksa-2009.csv"
    path.write_text(PKSA_2009)
    call_command("import_spending", str(path), "--user", "finance")
    assert "accepted 3" in capsys.readouterr().out
    call_command("report", "efficiency", "--year", "2009", "--format", "json")
    (row,) = json.loads(capsys.readouterr().out)
    total, benefits, people = 203 * BN, 169 * BN, 169_306
    non_benefits = total - benefits
    # unit cost = total ÷ beneficiaries; administrative cost = non-benefits ÷ beneficiaries
    assert row["unit_cost"] == int(half_up(Fraction(total, people))) == 1_199_012
    assert row["admin_cost_per_beneficiary"] == int(half_up(Fraction(non_benefits, people)))
    assert row["admin_cost_per_beneficiary"] == 200_820
    # ratios in percent: non-benefits ÷ total, non-benefits ÷ benefits
    assert row["admin_overhead_ratio"] == "16.7" == str(half_up(Fraction(100 * 34, 203), 1))
    assert row["cost_of_delivering_benefits"] == "20.1"
    assert row["civil_servants_per_10000"] == "4.1"
    assert (row["beneficiaries"], row["beneficiaries_source"]) == (people, "imported")
    assert (row["total_spending"], row["benefits"], row["non_benefits"]) == (
        total,
        benefits,
        non_benefits,
    )
    call_command("report", "efficiency", "--year", "2009", "--format", "csv")
    csv = capsys.readouterr().out.splitlines()
    assert csv[0].startswith("program,year,beneficiaries") and csv[1].startswith("pksa,2009")


@pytest.mark.django_db
def test_bad_rows_are_reported_good_rows_kept_and_a_rerun_changes_nothing(officer, tmp_path):
    path = tmp_path / "lines.csv"
    path.write_text(
        "program,year,level,category,budget,realised,jan,feb,mar,apr,may,jun,jul,aug,sep,oct,"
        "nov,dec,beneficiaries\n"
        "jslu,2026,central,benefits,1.000.000,600000,50000,50000,50000,50000,50000,50000,"
        "50000,50000,50000,50000,50000,50000,1000\n"
        "jslu,2026,community,targeting,200000,100000,,,,,,,,,,,,,\n"
        "jslu,2026,central,benefits,1,1,,,,,,,,,,,,,\n"  # the same key again
        "nope,2026,moon,bribes,-5,12.5,,,,,,,,,,,,,\n"
        "jspaca,2026,central,training,100,90,10,10,,,,,,,,,,,5\n"  # months add to 20, not 90
        "jslu,2026,institutions,training,100,50,,,,,,,,,,,,,999\n"  # beneficiaries differ
        'jspaca,2026,central,benefits,"1,250,000",600000,50000,50000,50000,50000,50000,50000,'
        "50000,50000,50000,50000,50000,50000,\n"
    )
    result = finance.spending_import(by=officer, path=path)
    assert (result.rows_read, result.accepted, result.created) == (7, 2, 2)
    errors = {(e["row"], e["column"]): e["reason"] for e in result.errors.iter_rows(named=True)}
    assert errors[(4, "category")].startswith("the same program")
    for column in ("program", "level", "category", "budget", "realised"):
        assert (5, column) in errors
    assert "add up" in errors[(6, "realised")]
    assert "differs" in errors[(7, "beneficiaries")] and "differs" in errors[(2, "beneficiaries")]
    line = BudgetLine.objects.get(program__code="jspaca", category="benefits")
    assert (line.budget, line.realised, line.monthly) == (1_250_000, 600_000, [50_000] * 12)
    # rows 2 and 7 give the program-year two beneficiary counts: both rejected, none stored
    assert not ProgramYear.objects.exists()
    again = finance.spending_import(by=officer, path=path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert BudgetLine.objects.count() == 2


@pytest.mark.django_db
def test_execution_by_level_and_month_real_value_and_projection(officer, tmp_path):
    months = ",".join(["10"] * 6 + ["0"] * 6)
    path = tmp_path / "exec.csv"
    path.write_text(
        "program,year,level,category,budget,realised,jan,feb,mar,apr,may,jun,jul,aug,sep,oct,"
        "nov,dec,beneficiaries\n"
        f"jslu,2010,central,benefits,100,60,{months},10\n"
        "jslu,2010,community,administration,100,90,,,,,,,,,,,,,\n"
    )
    finance.spending_import(by=officer, path=path)
    rows = {(r.program, r.level): r.ratio for r in finance.execution(year=2010)}
    assert rows == {
        ("jslu", ""): Decimal("75.0"),
        ("jslu", "central"): Decimal("60.0"),
        ("jslu", "community"): Decimal("90.0"),
    }
    by_month = finance.execution_by_month(year=2010)
    assert [m["cumulative_share"] for m in by_month][:6] == [
        Decimal(x) for x in (10, 20, 30, 40, 50, 60)
    ]
    assert by_month[-1]["cumulative"] == 60
    jslu = Program.objects.get(code="jslu")
    PriceIndex.objects.bulk_create(
        [PriceIndex(year=2026, value=Decimal("100")), PriceIndex(year=2027, value=Decimal("125"))]
    )
    real = finance.real_benefits(program=jslu, base_year=2026)
    assert real == [
        {"year": 2026, "nominal": 3_600_000, "real": 3_600_000},
        {"year": 2027, "nominal": 3_600_000, "real": 2_880_000},
    ]
    plan = finance.projection(program=jslu, from_year=2010, years=2, cost_growth=Decimal(0))
    unit = 15  # (60 + 90) ÷ 10 beneficiaries
    assert plan[0]["unit_cost"] == unit and plan[0]["baseline_cost"] == 10 * unit
    assert plan[1]["expansion_beneficiaries"] == 14  # 10 × 1.2² = 14.4
    assert ProgramYear.objects.get(program=jslu, year=2010).beneficiaries == 10
