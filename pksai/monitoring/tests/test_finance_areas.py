"""Budget lines with a funding source, an economic classification and an area: what a regional
program officer may import and see (their areas only; lines without an area are national),
execution by funding source and by economic classification, the eligible-population import
(``pksai import-population``) with coverage and incidence, and projections driven by coverage
targets."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from pksai.accounts.tests.factories import make_user
from pksai.api.tests.helpers import bearer, english_messages  # noqa: F401  (English messages)
from pksai.monitoring import finance, population
from pksai.monitoring.models import BudgetLine, EligiblePopulation
from pksai.programs.models import Program

HEADER = "program,year,level,category,source,economic,area,budget,realised,beneficiaries\n"
LINES = (
    HEADER
    # national (no area): APBN benefits and salaries, 400 beneficiaries not attributed
    + "jspaca,2026,central,benefits,apbn,,,1000000,800000,400\n"
    + "jspaca,2026,central,salaries,APBN,,,100000,100000,\n"
    # Makassar: its own APBD money; 100 beneficiaries
    + "jspaca,2026,community,socialisation,APBD regency,goods_services,7371,50000,40000,100\n"
    + "jspaca,2026,community,benefits,apbd-regency,,73.71,300000,300000,\n"
    # Gowa: province money, capital
    + "jspaca,2026,institutions,training,apbd_province,capital,73.06,200000,100000,300\n"
)


@pytest.fixture
def officers(pilot_areas):
    return (
        make_user("national.finance", roles=["program_officer"], national=True),
        make_user("makassar.finance", roles=["program_officer"], scope=["73.71"]),
    )


@pytest.fixture
def lines(officers, tmp_path):
    path = tmp_path / "lines.csv"
    path.write_text(LINES)
    result = finance.spending_import(by=officers[0], path=path)
    assert (result.accepted, result.created, result.rejected) == (5, 5, 0)
    return path


def test_sources_classes_and_areas_are_stored(lines, officers):
    line = BudgetLine.objects.get(category="socialisation")
    assert (line.source, line.economic, line.area_id) == ("apbd_regency", "goods_services", "73.71")
    # no class given: benefits are social assistance, salaries personnel
    assert BudgetLine.objects.get(category="salaries", area=None).economic == "personnel"
    assert BudgetLine.objects.get(category="benefits", area=None).economic == "social_assistance"
    # a re-import writes nothing
    again = finance.spending_import(by=officers[0], path=lines)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)


def test_a_regional_officer_imports_and_sees_only_their_areas(lines, officers, tmp_path):
    _national, makassar = officers
    path = tmp_path / "regional.csv"
    path.write_text(
        HEADER
        + "jspaca,2026,community,targeting,apbd_regency,,73.71,10,10,\n"
        + "jspaca,2026,community,targeting,apbd_regency,,73.06,10,10,\n"  # Gowa: not theirs
        + "jspaca,2026,central,targeting,apbn,,,10,10,\n"  # national line: not theirs
        + "jspaca,2026,community,targeting,state_bank,,99.99,10,10,\n"
        + "jspaca,2026,community,targeting,apbd_regency,marketing,73.71.01,10,10,\n"
    )
    result = finance.spending_import(by=makassar, path=path)
    errors = {(e["row"], e["column"]): e["reason"] for e in result.errors.iter_rows(named=True)}
    assert result.accepted == 1
    assert errors[(3, "area")].startswith("outside your area")
    assert errors[(4, "area")].startswith("outside your area")
    assert errors[(5, "source")].startswith("one of: apbn, apbd_province")
    assert errors[(5, "area")] == "no such area"
    assert errors[(6, "economic")].startswith("one of: social_assistance")
    # what Makassar's officer sees: Makassar's lines only (socialisation 40,000, benefits
    # 300,000, the new targeting 10) and Makassar's 100 beneficiaries
    (row,) = finance.efficiency(year=2026, user=makassar)
    assert (row.total_spending, row.benefits, row.beneficiaries) == (340_010, 300_000, 100)
    assert row.categories["socialisation"] == 40_000 and row.categories["targeting"] == 10
    national = finance.efficiency(year=2026, user=officers[0])[0]
    assert (national.total_spending, national.beneficiaries) == (1_340_010, 800)


def test_execution_by_funding_source_and_economic_class(lines, officers, client):
    national, makassar = officers
    by_source = {
        (r.program, r.key): r for r in finance.execution_by(year=2026, by="source", user=national)
    }
    assert by_source[("jspaca", "")].realised == 1_340_000
    assert by_source[("jspaca", "apbn")].realised == 900_000
    assert by_source[("jspaca", "apbn")].ratio == Decimal("81.8")  # 900,000 ÷ 1,100,000
    assert by_source[("jspaca", "apbd_regency")].share == Decimal("25.4")  # 340 ÷ 1,340
    assert by_source[("jspaca", "apbd_province")].ratio == Decimal("50.0")
    by_class = {r.key: r for r in finance.execution_by(year=2026, by="economic", user=national)}
    assert by_class["social_assistance"].realised == 1_100_000
    assert by_class["capital"].realised == 100_000 and by_class["personnel"].realised == 100_000
    # the API in the caller's scope, with labels
    answer = client.get(
        "/api/v1/monitoring/finance/by-source?year=2026", headers=bearer(makassar)
    ).json()
    assert [row[1] for row in answer["rows"]] == ["all", "APBD regency / city"]
    assert answer["rows"][0][3] == 340_000
    economic = client.get(
        "/api/v1/monitoring/finance/by-economic?year=2026", headers=bearer(national)
    ).json()
    assert "capital" in [row[1] for row in economic["rows"]]
    assert "goods and services" in [row[1] for row in economic["rows"]]
    worker = make_user("worker", roles=["social_worker"], scope=["73.71"])
    assert (
        client.get(
            "/api/v1/monitoring/finance/by-source?year=2026", headers=bearer(worker)
        ).status_code
        == 403
    )
    assert (
        client.get(
            "/api/v1/monitoring/finance/coverage?year=2026&program=nope", headers=bearer(worker)
        ).status_code
        == 403
    )


POPULATION = (
    "program,year,area,eligible,source\n"
    "jspaca,2026,73.71,1000,BPS 2025 disability survey\n"
    "jspaca,2026,7306,3000,\n"
    "jspaca,2026,73.06,5,\n"  # the same area again
    "jspaca,2026,73.71.01,10,\n"  # another level in the same program-year
    "jspaca,2026,99.99,10,\n"
    "nope,2026,73.71,-1,\n"
)


def test_population_import_coverage_incidence_and_coverage_projection(
    lines, officers, tmp_path, capsys, client
):
    national, makassar = officers
    path = tmp_path / "population.csv"
    path.write_text(POPULATION)
    call_command("import_population", str(path), "--user", "national.finance")
    out = capsys.readouterr().out
    assert "accepted 2" in out and "rejected 4" in out
    assert "the same program, year and area is on an earlier row" in out
    assert "one area level" in out and "no such area" in out and "unknown program code" in out
    assert EligiblePopulation.objects.count() == 2
    call_command("import_population", str(path), "--user", "national.finance")
    assert "unchanged 2" in capsys.readouterr().out
    jspaca = Program.objects.get(code="jspaca")
    # imported beneficiaries: Makassar 100, Gowa 300
    table = population.coverage(program=jspaca, year=2026, user=national)
    rows = {r.area: r for r in table.rows}
    assert rows["73.71"].coverage == Decimal("10.0")  # 100 ÷ 1,000
    assert rows["73.06"].coverage == Decimal("10.0")  # 300 ÷ 3,000
    assert rows["73.71"].beneficiary_share == Decimal("25.0")  # 100 of 400
    assert rows["73.71"].eligible_share == Decimal("25.0")  # 1,000 of 4,000
    assert rows["73.71"].name == "Kota Makassar"
    assert (table.total.eligible, table.total.beneficiaries) == (4000, 400)
    # Makassar's officer sees Makassar only
    assert [r.area for r in population.coverage(program=jspaca, year=2026, user=makassar).rows] == [
        "73.71"
    ]
    # projection: national unit cost 1,340,000 ÷ 800 = 1,675; targets 25 / 75 / 100 % of 4,000
    plan = finance.projection(
        program=jspaca,
        from_year=2026,
        years=4,
        cost_growth=Decimal(0),
        coverage_targets=[Decimal(25), Decimal(75), Decimal(100)],
        user=national,
    )
    assert [p["coverage_beneficiaries"] for p in plan] == [1000, 3000, 4000, 4000]
    assert plan[0]["coverage_cost"] == 1000 * 1675 and plan[0]["unit_cost"] == 1675
    assert plan[1]["coverage_target"] == Decimal(75) and plan[1]["eligible"] == 4000
    # the page and the API show coverage and the coverage scenario
    client.force_login(national)
    page = client.get(
        "/monitoring/finance/?year=2026&program=jspaca&coverage_targets=25,75,100&years_ahead=3"
    )
    assert page.status_code == 200
    assert page.context["tables"]["coverage"].rows[0][0] == "Kabupaten Gowa"
    projection = page.context["tables"]["projection"]
    assert "Coverage: beneficiaries" in projection.columns
    assert (
        client.get(
            "/monitoring/finance/?year=2026&program=jspaca&coverage_targets=25,175"
        ).status_code
        == 400
    )
    answer = client.get(
        "/api/v1/monitoring/finance/projection?program=jspaca&year=2026&coverage=25,75",
        headers=bearer(makassar),
    ).json()
    # Makassar: 340,000 Rp ÷ 100 beneficiaries = 3,400 Rp, + 5 % = 3,570; 25 % of 1,000
    assert answer["rows"][0][1] == 3570 and answer["rows"][0][8] == 250
    coverage = client.get(
        "/api/v1/monitoring/finance/coverage?program=jspaca&year=2026", headers=bearer(makassar)
    ).json()
    assert [row[0] for row in coverage["rows"]] == ["Kota Makassar"]
