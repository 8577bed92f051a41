"""The World Bank review's Table 4 (JSPACA and JSLU, 2008–2010, benefits and every non-benefit
category — world_bank_table4.py) imported through ``pksai import-spending``: the multi-year
efficiency table shows each year's unit cost, administrative cost per beneficiary, both
ratios and the "of which" rows; with a price index, every amount at constant prices. Expected
values are computed by hand from the file's integers (exact fractions, half up) and checked
against the figures the review prints."""

import io
from decimal import Decimal
from fractions import Fraction

import polars as pl
import pytest
from django.core.management import call_command

from pksai.accounts.tests.factories import make_user
from pksai.api.tests.helpers import bearer, english_messages  # noqa: F401  (English messages)
from pksai.monitoring import finance_tables, finance_years
from pksai.monitoring.finance import half_up
from pksai.monitoring.models import PriceIndex
from pksai.monitoring.tests import world_bank_table4 as table4
from pksai.programs.models import Program

PAGE = "/monitoring/finance/?year=2010&from_year=2008&program={program}&base_year=2010"


@pytest.fixture
def officer(pilot_areas):
    return make_user("finance", roles=["program_officer"], national=True)


@pytest.fixture
def table4_imported(officer, tmp_path, capsys):
    path = table4.write_spending_file(tmp_path / "table4.csv")
    call_command("import_spending", str(path), "--user", "finance")
    assert "accepted 48" in capsys.readouterr().out  # 2 programs × 3 years × 8 categories
    PriceIndex.objects.bulk_create(
        [PriceIndex(year=y, value=v) for y, v in table4.PRICE_INDEX.items()]
    )
    return path


def rows_by_key(trend):
    return {row.key: row for row in trend.rows}


@pytest.mark.parametrize("program", ["jspaca", "jslu"])
def test_multi_year_efficiency_reproduces_table4(table4_imported, program):
    trend = finance_years.efficiency_trend(
        program=Program.objects.get(code=program), first_year=2008, last_year=2010
    )
    rows = rows_by_key(trend)
    assert trend.years == [2008, 2009, 2010] and trend.base_year is None
    published = table4.PUBLISHED[program]
    # unit cost and administrative cost per beneficiary: the review's figures, to the rupiah
    assert rows["unit_cost"].values == [published[y][0] for y in table4.YEARS]
    assert rows["admin_cost_per_beneficiary"].values == [published[y][1] for y in table4.YEARS]
    assert rows["beneficiaries"].values == [published[y][2] for y in table4.YEARS]
    for index, year in enumerate(table4.YEARS):
        parts = table4.amounts(program, year)
        total, benefits = sum(parts.values()), parts["benefits"]
        non_benefits = total - benefits
        # both ratios, one decimal half up, from the exact sums
        overhead = rows["admin_overhead_ratio"].values[index]
        delivering = rows["cost_of_delivering_benefits"].values[index]
        assert overhead == half_up(Fraction(100 * non_benefits, total), 1)
        assert delivering == half_up(Fraction(100 * non_benefits, benefits), 1)
        # … which the review prints in whole percent
        assert (
            int(half_up(Fraction(100 * non_benefits, total))),
            int(half_up(Fraction(100 * non_benefits, benefits))),
        ) == table4.PUBLISHED_RATIOS[program][year]
        # the "of which" rows: every non-benefit category as imported
        for category in table4.CATEGORIES + ("administration",):
            assert rows[f"of_which:{category}"].values[index] == parts[category]
        assert rows["non_benefits"].values[index] == non_benefits
        assert rows["total_spending"].values[index] == total


def test_hand_computed_values_change_and_constant_prices(table4_imported):
    jspaca = Program.objects.get(code="jspaca")
    trend = finance_years.efficiency_trend(
        program=jspaca, first_year=2008, last_year=2010, base_year=2010
    )
    rows = rows_by_key(trend)
    assert trend.base_year == 2010
    # 4,919,300,000 ÷ 40,919,300,000 = 12.02 %; 7,651,700,000 ÷ 68,851,700,000 = 11.11 %;
    # 6,223,666,000 ÷ 68,076,075,000 = 9.14 %
    assert rows["admin_overhead_ratio"].values == [Decimal("12.0"), Decimal("11.1"), Decimal("9.1")]
    # 4,919,300,000 ÷ 36,000,000,000 = 13.66 %; ÷ 61,200,000,000 = 12.50 %;
    # 6,223,666,000 ÷ 61,852,409,000 = 10.06 %
    assert rows["cost_of_delivering_benefits"].values == [
        Decimal("13.7"),
        Decimal("12.5"),
        Decimal("10.1"),
    ]
    # 16 civil servants per 17,000 beneficiaries; none given for 2008
    assert rows["civil_servants_per_10000"].values == [None, Decimal("9.4"), Decimal("9.4")]
    # of which: salaries and M&E as printed, administration the rest of the non-benefits
    assert rows["of_which:salaries"].values == [600_000_000, 700_000_000, 500_000_000]
    assert rows["of_which:monitoring"].values == [500_000_000, 1_000_000_000, 800_000_000]
    assert rows["of_which:administration"].values == [1_719_300_000, 3_251_700_000, 2_723_666_000]
    # change 2008 → 2010: unit cost (4,004,475 − 4,091,930) ÷ 4,091,930 = −2.14 %;
    # beneficiaries 10,000 → 17,000 = +70 %; ratios have no change column
    assert rows["unit_cost"].change == Decimal("-2.1")
    assert rows["beneficiaries"].change == Decimal("70.0")
    assert rows["total_spending"].change == Decimal("66.4")
    assert rows["admin_overhead_ratio"].change is None
    # constant 2010 prices (index 100 → 108 → 115.56): 4,091,930 × 115.56 ÷ 100 = 4,728,634.3;
    # 4,050,100 × 115.56 ÷ 108 = 4,333,607
    assert rows["unit_cost"].constant == [4_728_634, 4_333_607, 4_004_475]
    assert rows["unit_cost"].real_change == Decimal("-15.3")
    assert rows["total_spending"].constant == [47_286_343_080, 73_671_319_000, 68_076_075_000]
    assert rows["total_spending"].real_change == Decimal("44.0")
    assert rows["beneficiaries"].constant == []  # not money
    # the table: a column per year, the change, the constant-price columns and the real change
    table = finance_tables.trend_table(trend)
    assert table.columns[1:4] == ["2008", "2009", "2010"]
    assert table.columns[4] == "Change 2008–2010 (%)"
    assert table.columns[5:8] == [f"{y} at 2010 prices (Rp)" for y in table4.YEARS]
    assert table.columns[8] == "Real change 2008–2010 at 2010 prices (%)"
    unit = next(r for r in table.rows if r[0].startswith("Unit cost"))
    assert unit[1:] == [
        4_091_930,
        4_050_100,
        4_004_475,
        Decimal("-2.1"),
        4_728_634,
        4_333_607,
        4_004_475,
        Decimal("-15.3"),
    ]
    labels = [r[0] for r in table.rows]
    assert "— of which targeting (Rp)" in labels and "— of which training (Rp)" in labels


def test_page_xlsx_and_api_show_the_table(client, table4_imported, officer):
    client.force_login(officer)
    page = client.get(PAGE.format(program="jspaca"))
    assert page.status_code == 200
    shown = page.context["tables"]["efficiency_years"]
    assert shown.title == "Efficiency JSPACA, 2008–2010"
    unit = next(r for r in shown.rows if r[0].startswith("Unit cost"))
    assert unit[1] == "4,091,930"  # grouped for the page
    assert "of which socialisation" in page.text and 'class="table-scroll"' in page.text
    # XLSX: numbers are number cells (ints and one-decimal ratios), not text
    xlsx = client.get(
        "/monitoring/export/?report=efficiency_years&format=xlsx&year=2010&from_year=2008"
        "&program=jspaca&base_year=2010"
    )
    assert xlsx.status_code == 200
    frame = pl.read_excel(io.BytesIO(xlsx.content), read_options={"header_row": 3})
    assert frame.schema["2008"] == pl.Float64 and frame.schema["2010 at 2010 prices (Rp)"]
    first = frame.row(0, named=True)
    assert first["2008"] == 4_091_930 and first["2010 at 2010 prices (Rp)"] == 4_004_475
    overhead = frame.row(2, named=True)
    assert overhead["2008"] == pytest.approx(12.0) and overhead["2010"] == pytest.approx(9.1)
    pdf = client.get(
        "/monitoring/export/?report=efficiency_years&format=pdf&year=2010&from_year=2008"
        "&program=jspaca&base_year=2010"
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # the API: the same table
    answer = client.get(
        "/api/v1/monitoring/finance/efficiency-years?program=jslu&from_year=2008&to_year=2010"
        "&base_year=2010",
        headers=bearer(officer),
    ).json()
    single = client.get(
        "/api/v1/monitoring/finance/efficiency?year=2009&program=jspaca", headers=bearer(officer)
    ).json()
    of_which = dict(zip(single["columns"], single["rows"][0], strict=True))
    assert of_which["of which civil-servant salaries (Rp)"] == 700_000_000
    assert of_which["of which administration (Rp)"] == 3_251_700_000
    unit_row = next(r for r in answer["rows"] if r[0].startswith("Unit cost"))
    assert unit_row[1:4] == [4_268_472, 4_123_563, 3_913_598]
    assert unit_row[4] == "-8.3" and unit_row[-1] == "-20.7"


def test_page_in_indonesian_shows_labels_not_codes(client, table4_imported, officer):
    client.cookies["django_language"] = "id"
    client.force_login(officer)
    page = client.get(PAGE.format(program="jspaca"))
    assert page.status_code == 200
    text = page.text
    for code in ("apbn", "social_assistance", "goods_services", "of_which", "follow_up"):
        assert f">{code}<" not in text
    assert "APBN" in text


def test_api_refuses_a_backwards_or_too_long_run_of_years(client, table4_imported, officer):
    url = "/api/v1/monitoring/finance/efficiency-years?program=jspaca&from_year={}&to_year={}"
    assert client.get(url.format(2010, 2008), headers=bearer(officer)).status_code == 400
    assert client.get(url.format(2000, 2020), headers=bearer(officer)).status_code == 400
    assert client.get(url.format(2008, 2010), headers=bearer(officer)).status_code == 200
    worker = make_user("worker", roles=["social_worker"], scope=["73.71"])
    assert client.get(url.format(2008, 2010), headers=bearer(worker)).status_code == 403
