"""The finance page (issue 18, point 5) on a 390 × 844 phone and a 1366 × 768 laptop, with the
World Bank review's Table 4 imported for 2008–2010, a price index and eligible-population
estimates: the multi-year efficiency table, execution by funding source and economic class,
coverage and the coverage projection are all on the page, and nothing but the tables' own
scroll regions is wider than the screen. Screenshot: var/screenshots/finance-phone.png."""

from pathlib import Path

from django.core.management import call_command
from playwright.sync_api import Browser

from pksai.accounts.tests.factories import make_user
from pksai.monitoring.models import PriceIndex
from pksai.monitoring.tests import world_bank_table4 as table4
from tests.browser.helpers import sign_in
from tests.browser.test_phone import LAPTOP, MEASURE, PHONE, SCREENSHOTS

PAGE = (
    "/monitoring/finance/?year=2010&from_year=2008&program=jspaca&base_year=2010"
    "&coverage_targets=25,75,100"
)


def test_finance_page_fits_a_phone(browser: Browser, live_server, pilot_areas, tmp_path: Path):
    make_user("finance", roles=["program_officer"], national=True, password="pw-finance-123")
    call_command(
        "import_spending",
        str(table4.write_spending_file(tmp_path / "t4.csv")),
        "--user",
        "finance",
        verbosity=0,
    )
    population = tmp_path / "population.csv"
    population.write_text(
        "program,year,area,eligible\njspaca,2010,73.71,40000\njspaca,2010,73.06,60000\n"
    )
    call_command("import_population", str(population), "--user", "finance", verbosity=0)
    PriceIndex.objects.bulk_create(
        [PriceIndex(year=y, value=v) for y, v in table4.PRICE_INDEX.items()]
    )
    for viewport, name in ((PHONE, "phone"), (LAPTOP, "laptop")):
        page = browser.new_context(viewport=viewport).new_page()
        sign_in(page, live_server.url, "finance", "pw-finance-123")
        page.goto(live_server.url + PAGE)
        for section in ("efficiency-years", "by-source", "by-economic", "coverage", "projection"):
            assert page.locator(f"section#{section} table").count() == 1, section
        assert page.locator("#efficiency-years").get_by_text("4,091,930").count() or (
            page.locator("#efficiency-years").get_by_text("4.091.930").count()
        )
        measured = page.evaluate(MEASURE)
        assert measured["width"] <= viewport["width"] + 1, f"{name}: {measured}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"finance-{name}.png"), full_page=False)
        page.context.close()
