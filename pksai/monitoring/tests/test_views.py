"""The monitoring pages: who may open them (403 without the role, 404 for an area outside the
scope), what a regency user and a national analyst see, charts rendered as SVG with their
tables, and suppression of small counts on the period comparison."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from pksai.accounts.tests.factories import make_user
from pksai.api.tests.helpers import english_messages  # noqa: F401  (messages asserted in English)
from pksai.cases.models import Case
from pksai.cases.tests.factories import make_child

THIS_YEAR = timezone.localdate().year
# (regency, district, year, month, triaged?)
CASES = (
    [("73.71", "73.71.01", THIS_YEAR, 1, True)] * 4
    + [("73.71", "73.71.01", THIS_YEAR, 2, False)] * 3
    + [("73.71", "73.71.01", THIS_YEAR - 1, 6, True)] * 6
    + [("73.06", "73.06.01", THIS_YEAR, 1, True)] * 2  # small: suppressed when published
    + [("73.06", "73.06.01", THIS_YEAR - 1, 3, True)] * 1
    + [("33.72", "33.72", THIS_YEAR, 3, True)] * 5
    + [("33.72", "33.72", THIS_YEAR - 1, 3, True)] * 5
)


@pytest.fixture
def monitoring_cases(pilot_areas):
    owner = make_user("owner", roles=["social_worker"], scope=["73.71"])
    child = make_child()
    made = Case.objects.bulk_create(
        [
            Case(
                number=f"M-{i}",
                regency_id=regency,
                area_id=district,
                child=child,
                channel="phone",
                summary="-",
                stage="assessment" if triaged else "triage",
                response="at_risk" if triaged else "",
                owner=owner,
                created_by=owner,
            )
            for i, (regency, district, _y, _m, triaged) in enumerate(CASES)
        ]
    )
    for case, (_r, _d, year, month, _t) in zip(made, CASES, strict=True):
        Case.objects.filter(pk=case.pk).update(created_at=datetime(year, month, 10, 2, tzinfo=UTC))
    return made


@pytest.fixture
def analyst(pilot_areas):
    return make_user("analyst", roles=["national_analyst"], national=True)


@pytest.fixture
def makassar(pilot_areas):
    return make_user("makassar", roles=["coordinator"], scope=["73.71"])


def test_denials(client, monitoring_cases, makassar):
    assert client.get("/monitoring/").status_code == 302  # to the login page
    client.force_login(make_user("worker", roles=["social_worker"], scope=["73.71"]))
    for url in ("/monitoring/", "/monitoring/compare/", "/monitoring/finance/"):
        assert client.get(url).status_code == 403
    assert client.get("/monitoring/export/?report=comparison&format=csv").status_code == 403
    client.force_login(makassar)
    assert client.get("/monitoring/finance/").status_code == 403  # no finance role
    assert client.get("/monitoring/export/?report=efficiency&format=csv").status_code == 403
    # another regency's area: as if it did not exist
    assert client.get("/monitoring/?area=73.06").status_code == 404
    assert client.get("/monitoring/compare/?area=7306").status_code == 404
    assert client.get(
        "/monitoring/export/?report=comparison&format=csv&area=73.06"
    ).status_code == (404)
    assert client.get("/monitoring/?area=73.71.01").status_code == 200
    assert client.get("/monitoring/?area=nonsense").status_code == 400


def test_regency_user_sees_districts_of_own_regency_only(client, monitoring_cases, makassar):
    client.force_login(makassar)
    tiles = client.get("/monitoring/").context["tiles"]
    assert next(t for t in tiles if t.code == "cases_reported").numerator == 7  # Makassar only
    page = client.get("/monitoring/indicators/cases_reported/")
    assert page.status_code == 200
    card = page.context["card"]
    assert card.group == "district"
    assert card.overall.numerator == 7  # this year, Makassar only
    assert [row[0] for row in card.table.rows] == ["Mariso"]
    assert "Bontonompo" not in page.text
    assert "data:image/svg+xml;base64," in page.text


def test_national_analyst_dashboard_charts_and_tables(client, monitoring_cases, analyst):
    client.force_login(analyst)
    page = client.get("/monitoring/indicators/cases_reported/?group=regency")
    assert page.status_code == 200
    card = page.context["card"]
    assert card.overall.numerator == 14
    assert {row[0]: row[1] for row in page.context["table"].rows} == {
        "Kabupaten Gowa": "2",  # the dashboard is not published: the real counts in scope
        "Kota Makassar": "7",
        "Kota Surakarta": "5",
    }
    assert card.chart is not None and "<title>" in card.chart.svg and "<desc>" in card.chart.svg
    assert "<script" not in card.chart.svg
    # by month: a line over the months of the period
    page = client.get(
        f"/monitoring/indicators/cases_reported/?group=month&start={THIS_YEAR}-01&end={THIS_YEAR}-02"
    )
    card = page.context["card"]
    assert [row[0] for row in card.table.rows] == [f"{THIS_YEAR}-01", f"{THIS_YEAR}-02"]
    assert card.chart.svg.count("pygal") > 0
    # national default: provinces
    assert client.get("/monitoring/indicators/cases_reported/").context["card"].group == "province"
    assert client.get("/monitoring/?start=2026-05&end=2026-01").status_code == 400


def test_comparison_page_suppresses_small_counts(client, monitoring_cases, analyst):
    client.force_login(analyst)
    page = client.get("/monitoring/compare/")
    assert page.status_code == 200
    table = page.context["table"]
    rows = {row[0]: row for row in table.rows}
    # Gowa's 1 and 2 are hidden; Surakarta (the smallest other) hides with them, so that
    # the published totals do not give Gowa away
    assert rows["Kota Makassar"][1:4] == ["6", "7", "1"]
    assert rows["Kabupaten Gowa"][1:4] == ["≤4", "≤4", "—"]
    assert rows["Kota Surakarta"][1:4] == ["—", "—", "—"]
    assert table.total[1:4] == ["12", "14", "2"]
    assert table.suppressed == 8  # 2 measures × 2 periods × 2 cells
    assert "Counts below 5" in page.text


def test_comparison_for_a_regency_user(client, monitoring_cases, makassar):
    client.force_login(makassar)
    page = client.get(
        f"/monitoring/compare/?first_start={THIS_YEAR - 1}-01&first_end={THIS_YEAR - 1}-12"
        "&measures=cases_reported"
    )
    assert page.status_code == 200
    assert [row[0] for row in page.context["table"].rows] == ["Mariso"]


def test_finance_page(client, analyst, pilot_areas):
    client.force_login(analyst)
    page = client.get("/monitoring/finance/")
    assert page.status_code == 200
    assert "Efficiency indicators" in page.text


def test_dashboard_queries_do_not_grow_with_the_records(
    client, monitoring_cases, analyst, django_assert_max_num_queries
):
    """A few grouped queries per indicator, whatever the number of cases: the tiles (period,
    previous period and trend from one month-grouped query per measure) and a detail page."""
    client.force_login(analyst)
    with django_assert_max_num_queries(50):
        assert client.get("/monitoring/").status_code == 200
    with django_assert_max_num_queries(30):
        assert (
            client.get("/monitoring/indicators/cases_responded/?group=regency").status_code == 200
        )
