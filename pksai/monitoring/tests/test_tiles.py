"""Issue 18, points 1, 4 and 6: the dashboard at a glance (tiles with value, change against
the previous period, baseline and target, red/amber/green in words, a trend line; each opening
the indicator's page), filters that never answer 400, targets and baselines per indicator,
area and year (the pilot sites' before/after table), and the facilitation caseload
indicator."""

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone, translation

from pksai.accounts.tests.factories import make_user
from pksai.api.tests.helpers import bearer
from pksai.areas.tests.factories import make_areas
from pksai.cases.models import Case
from pksai.cases.tests.factories import make_child
from pksai.monitoring.forms import Period
from pksai.monitoring.indicators import active_indicators, indicator_values
from pksai.monitoring.measures import GROUPS
from pksai.monitoring.models import Indicator, IndicatorTarget
from pksai.monitoring.targets import Goal, targets_for, targets_import
from pksai.monitoring.tests.test_views import THIS_YEAR, analyst, makassar, monitoring_cases
from pksai.monitoring.tiles import previous_period, rag
from pksai.programs.models import Beneficiary, Program
from pksai.programs.tests.factories import make_person

__all__ = ["analyst", "makassar", "monitoring_cases"]  # fixtures used here
PILOT_CSV = Path(settings.BASE_DIR) / "pksai" / "monitoring" / "data" / "pilot_baselines_2016.csv"


def tile(page, code):
    return next(t for t in page.context["tiles"] if t.code == code)


# --- tiles ------------------------------------------------------------------------------------


def test_coordinator_sees_one_tile_per_indicator(client, monitoring_cases, makassar):
    client.force_login(makassar)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(f"/monitoring/?start={THIS_YEAR}-01&end={THIS_YEAR}-03")
    assert page.status_code == 200
    assert [t.code for t in page.context["tiles"]] == [i.code for i in active_indicators()]
    reported = tile(page, "cases_reported")
    # Jan–Mar this year: 7 in Makassar; Oct–Dec last year (the same length before): none
    assert (reported.value, reported.previous, reported.shown_change) == (7, 0, "+7")
    assert reported.dated and len(reported.trend) == 12
    assert reported.trend[-3:] == [
        (f"{THIS_YEAR}-01", 4),
        (f"{THIS_YEAR}-02", 3),
        (f"{THIS_YEAR}-03", 0),
    ]
    assert reported.spark is not None and "<script" not in reported.spark.svg
    responded = tile(page, "cases_responded")
    assert responded.value == Decimal("57.1") and responded.previous is None  # 4 of 7; 0 of 0
    # the tile opens the indicator's page, with the same filters
    assert f'href="/monitoring/indicators/cases_reported/?start={THIS_YEAR}-01' in page.text
    # no target: said in words, not a bare dash
    assert reported.status == "" and "No target or baseline set" in page.text
    # figures for today (no dates): no change, no trend
    caseload = tile(page, "caseload_in_target")
    assert not caseload.dated and caseload.previous is None and caseload.spark is None


def test_previous_period_has_the_same_length():
    period = Period(date(2026, 1, 1), date(2026, 11, 1))  # Jan–Oct
    assert previous_period(period) == Period(date(2025, 3, 1), date(2026, 1, 1))


@pytest.mark.parametrize(
    ("value", "higher", "status"),
    [
        ("90", True, "green"),
        ("85", True, "amber"),  # within 10 % of 90
        ("80", True, "red"),
        ("5", False, "green"),
        ("5.4", False, "amber"),
        ("6", False, "red"),
    ],
)
def test_red_amber_green(value, higher, status):
    target = Decimal("90") if higher else Decimal("5")
    assert rag(Decimal(value), Goal(target=target), higher_is_better=higher) == status
    assert rag(Decimal(value), Goal(), higher_is_better=higher) == ""


def test_targets_per_area_and_year(client, monitoring_cases, makassar, analyst):
    responded = Indicator.objects.get(code="cases_responded")
    reported = Indicator.objects.get(code="cases_reported")
    IndicatorTarget.objects.create(indicator=responded, area=None, year=THIS_YEAR, target=90)
    IndicatorTarget.objects.create(indicator=reported, area=None, year=THIS_YEAR, target=100)
    IndicatorTarget.objects.create(
        indicator=responded, area_id="73.71", year=THIS_YEAR - 1, baseline=40, source="hand"
    )
    IndicatorTarget.objects.create(
        indicator=responded, area_id="73.71", year=THIS_YEAR + 1, target=60
    )
    goals = targets_for([responded, reported], area="73.71", year=THIS_YEAR)
    # the city's own rows: the latest baseline before, the first target after
    assert goals["cases_responded"] == Goal(
        baseline=40,
        baseline_year=THIS_YEAR - 1,
        target=60,
        target_year=THIS_YEAR + 1,
        source="hand",
        area="73.71",
    )
    # a national count target does not apply to a city
    assert goals["cases_reported"] == Goal()
    client.force_login(makassar)
    page = client.get(f"/monitoring/?start={THIS_YEAR}-01&end={THIS_YEAR}-03")
    mine = tile(page, "cases_responded")
    assert mine.status == "amber"  # 57.1 vs 60
    with translation.override("en"):
        assert mine.status_label == "Close to target"
    client.force_login(analyst)
    page = client.get(f"/monitoring/?start={THIS_YEAR}-01&end={THIS_YEAR}-03")
    national = tile(page, "cases_responded")
    assert national.goal.target == 90 and national.status == "red"  # 11 of 14: 78.6
    assert tile(page, "cases_reported").status == "red"  # 14 of 100


def test_no_target_says_so_and_links_for_those_who_may_set_one(client, monitoring_cases, makassar):
    client.force_login(makassar)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/monitoring/")
    assert "No target or baseline set" in page.text
    assert "On target" not in page.text  # no target anywhere: no status claimed
    assert "/admin/monitoring/indicatortarget/add/" not in page.text  # may not set one
    officer = make_user("planner", roles=["program_officer"], scope=["73.71"])
    type(officer).objects.filter(pk=officer.pk).update(is_staff=True)
    client.force_login(officer)
    page = client.get("/monitoring/")
    assert "/admin/monitoring/indicatortarget/add/?indicator=" in page.text
    detail = client.get("/monitoring/indicators/cases_reported/")
    assert "No target or baseline set for this area and year." in detail.text


# --- the indicator's page ---------------------------------------------------------------------


def test_indicator_page(client, monitoring_cases, makassar):
    client.force_login(makassar)
    page = client.get(f"/monitoring/indicators/cases_responded/?start={THIS_YEAR}-01")
    assert page.status_code == 200
    card = page.context["card"]
    assert card.group == "district"
    assert page.context["table"].columns[0] == "Kecamatan"
    assert [row[0] for row in page.context["table"].rows] == ["Mariso"]
    definition = page.context["definition"]
    assert definition["denominator"] is not None and "÷" in definition["formula"]
    assert page.context["trend_chart"] is not None
    # breakdowns: sex as words, age groups in order
    others = {t.columns[0]: t for t in page.context["others"]}
    assert set(others) == {"Bulan", "Jenis kelamin", "Kelompok usia"}
    assert [row[0] for row in others["Jenis kelamin"].rows] == ["Perempuan"]  # not "F"
    assert [row[0] for row in others["Kelompok usia"].rows] == ["5-12"]
    assert client.get("/monitoring/indicators/nope/").status_code == 404
    assert client.get("/monitoring/indicators/cases_reported/?area=73.06").status_code == 404


def test_column_titles_name_the_level(client, monitoring_cases, analyst):
    client.force_login(analyst)
    for group, title in (
        ("province", "Provinsi"),
        ("regency", "Kabupaten/kota"),
        ("district", "Kecamatan"),
    ):
        page = client.get(f"/monitoring/indicators/cases_reported/?group={group}")
        assert page.context["table"].columns[0] == title, group
    rows = client.get("/monitoring/indicators/cases_reported/?group=regency").context["table"]
    assert {row[0] for row in rows.rows} == {"Kota Makassar", "Kabupaten Gowa", "Kota Surakarta"}


def test_services_by_type_are_grouped_by_type(client, analyst, monitoring_cases):
    client.force_login(analyst)
    page = client.get("/monitoring/indicators/services_by_type/")
    assert page.status_code == 200 and page.context["card"].group == "type"


def test_age_groups_in_order(pilot_areas):
    owner = make_user("owner", roles=["social_worker"], scope=["73.71"])
    today = timezone.localdate()
    for i, age in enumerate((15, 2, 8, 40)):
        child = make_child(f"Anak {i}", birth=date(today.year - age, 1, 1))
        Case.objects.create(
            number=f"A-{i}",
            regency_id="73.71",
            area_id="73.71.01",
            child=child,
            channel="phone",
            summary="-",
            stage="triage",
            owner=owner,
            created_by=owner,
        )
    analyst = make_user("pusdatin", roles=["national_analyst"], national=True)
    values = indicator_values(
        Indicator.objects.get(code="cases_reported"),
        user=analyst,
        start=date(today.year, 1, 1),
        end=date(today.year + 1, 1, 1),
        group="age_group",
    )
    assert [v.key for v in values] == ["0-4", "5-12", "13-17", "18-59"]


# --- filters never answer 400 -----------------------------------------------------------------

AREAS_OF = {
    "makassar": ["", "73.71", "73.71.01", "73.71.01.1001"],
    "analyst": ["", "73", "73.71", "73.71.01", "73.71.01.1001", "33.72"],
}


@pytest.mark.parametrize("who", ["makassar", "analyst"])
def test_any_grouping_with_any_area_in_scope(client, monitoring_cases, makassar, analyst, who):
    user = {"makassar": makassar, "analyst": analyst}[who]
    client.force_login(user)
    for area in AREAS_OF[who]:
        for group in GROUPS:
            query = f"?area={area}&group={group}"
            for page in ("/monitoring/", "/monitoring/indicators/cases_responded/"):
                answer = client.get(page + query)
                assert answer.status_code == 200, (page, query, answer.status_code)
            answer = client.get("/monitoring/compare/" + query)
            assert answer.status_code == 200, ("compare", query, answer.status_code)
            api = client.get(
                f"/api/v1/monitoring/indicators/cases_responded/values{query}",
                headers=bearer(user),
            )
            assert api.status_code == 200, ("api", query, api.status_code)
    # one kecamatan grouped by kecamatan or by city: that kecamatan's own row
    page = client.get("/monitoring/indicators/cases_reported/?area=73.71.01&group=regency")
    assert page.context["card"].group == "district"
    assert [row[0] for row in page.context["table"].rows] == ["Mariso"]


# --- targets: import, and the before/after table ----------------------------------------------


def test_pilot_before_and_after_from_data(client, pilot_areas):
    make_areas(
        [("33.10", "Kabupaten Klaten"), ("35", "Jawa Timur"), ("35.04", "Kabupaten Tulungagung")]
    )
    officer = make_user("planner", roles=["program_officer"], national=True)
    result = targets_import(by=officer, path=PILOT_CSV)
    assert (result.created, result.rejected) == (5, 0)
    # PKSAI, January–October 2017: cases responded in Makassar and Gowa
    owner = make_user("owner", roles=["social_worker"], scope=["73.71", "73.06"])
    child = make_child()
    places = [("73.71", "73.71.01")] * 7 + [("73.06", "73.06.01")] * 5
    made = Case.objects.bulk_create(
        [
            Case(
                number=f"P-{i}",
                regency_id=regency,
                area_id=district,
                child=child,
                channel="phone",
                summary="-",
                stage="assessment",
                response="at_risk",
                owner=owner,
                created_by=owner,
            )
            for i, (regency, district) in enumerate(places)
        ]
    )
    Case.objects.filter(pk__in=[c.pk for c in made]).update(
        created_at=datetime(2017, 3, 10, 2, tzinfo=UTC)
    )
    client.force_login(make_user("analyst", roles=["national_analyst"], national=True))
    page = client.get(
        "/monitoring/indicators/cases_responded_count/?start=2017-01&end=2017-10&group=regency"
    )
    assert page.status_code == 200
    rows = {row[0]: row[1:] for row in page.context["before_after"].rows}
    assert rows["Kota Makassar"][:4] == ["2016", "60", "7", "-53"]
    assert rows["Kabupaten Gowa"][1:3] == ["56", "5"]
    # a site with a baseline and no record in the period is listed too
    assert rows["Kabupaten Tulungagung"][:4] == ["2016", "160", "0", "-160"]
    assert len(rows) == 5
    assert "PKSA 2016 (MoSA data)" in page.text


def test_import_refuses_rows_outside_scope(tmp_path, pilot_areas):
    district = make_user("gowa", roles=["program_officer"], scope=["73.06"])
    path = tmp_path / "targets.csv"
    path.write_text(
        "indicator,area,year,baseline,target,source\n"
        'cases_responded,73.06,2026,40,"90,5",plan\n'
        "cases_responded,73.71,2026,,90,\n"
        "cases_responded,,2026,,90,\n"
        "cases_responded,73.06,2026,,80,\n"
        "nope,73.06,2026,1,,\n"
        "cases_responded,73.06,2027,,,\n",
        encoding="utf-8",
    )
    with translation.override("en"):
        result = targets_import(by=district, path=path)
    assert (result.created, result.rejected) == (1, 5)
    reasons = {(r["row"], r["column"]): r["reason"] for r in result.errors.iter_rows(named=True)}
    assert reasons[(3, "area")] == "outside your area"
    assert reasons[(4, "area")] == "a national row (empty area) needs a national scope"
    assert reasons[(5, "year")] == "the same indicator, area and year is on an earlier row"
    assert reasons[(6, "indicator")] == "unknown indicator code"
    assert reasons[(7, "baseline")] == "a baseline or a target is needed"
    row = IndicatorTarget.objects.get()
    assert (row.area_id, row.baseline, row.target, row.source) == (
        "73.06",
        40,
        Decimal("90.5"),
        "plan",
    )
    again = targets_import(by=district, path=path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


# --- facilitation caseload ---------------------------------------------------------------------


def test_caseload_indicator(client, pilot_areas):
    pksa = Program.objects.get(code="pksa")
    Program.objects.filter(pk=pksa.pk).update(caseload_min=2, caseload_target=3, caseload_max=4)
    rule = pksa.benefit_rules.first()
    facilitators = [make_user(f"f{n}", roles=["social_worker"], scope=["73.71"]) for n in range(3)]
    loads = {facilitators[0]: 3, facilitators[1]: 5, facilitators[2]: 1}  # in, over, below
    n = 0
    for facilitator, load in loads.items():
        for _i in range(load):
            n += 1
            person = make_person(f"Anak {n}", village="73.71.01.1001")
            Beneficiary.objects.create(
                program=pksa,
                person=person,
                area_id="73.71.01.1001",
                start_date=timezone.localdate(),
                benefit_rule=rule,
                status="active",
                facilitator=facilitator,
            )
    analyst = make_user("pusdatin", roles=["national_analyst"], national=True)
    within = indicator_values(
        Indicator.objects.get(code="caseload_in_target"), user=analyst, start=None, end=None
    )
    over = indicator_values(
        Indicator.objects.get(code="caseload_over_max"), user=analyst, start=None, end=None
    )
    assert (within[0].numerator, within[0].denominator, within[0].value) == (1, 3, Decimal("33.3"))
    assert (over[0].numerator, over[0].denominator) == (1, 3)
    # the range is data: a wider range takes the small caseload in
    Program.objects.filter(pk=pksa.pk).update(caseload_min=1)
    within = indicator_values(
        Indicator.objects.get(code="caseload_in_target"), user=analyst, start=None, end=None
    )
    assert within[0].numerator == 2
    # lower is better for the share above the maximum
    assert not Indicator.objects.get(code="caseload_over_max").higher_is_better
    client.force_login(analyst)
    page = client.get("/monitoring/indicators/caseload_over_max/?group=regency")
    assert page.status_code == 200 and "Kota Makassar" in page.text


# --- API ---------------------------------------------------------------------------------------


def test_api_tiles(client, monitoring_cases, makassar):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    worker = make_user("worker", roles=["social_worker"], scope=["73.71"])
    assert client.get("/api/v1/monitoring/tiles", headers=bearer(worker)).status_code == 403
    assert (
        client.get("/api/v1/monitoring/tiles?area=73.06", headers=bearer(makassar)).status_code
        == 404
    )
    IndicatorTarget.objects.create(
        indicator=Indicator.objects.get(code="cases_responded"),
        area_id="73.71",
        year=THIS_YEAR,
        target=50,
    )
    answer = client.get(
        f"/api/v1/monitoring/tiles?start={THIS_YEAR}-01-01&end={THIS_YEAR}-03-01",
        headers=bearer(makassar),
    )
    assert answer.status_code == 200
    body = answer.json()
    tiles = {t["code"]: t for t in body["tiles"]}
    assert tiles["cases_reported"]["value"] == "7" and tiles["cases_reported"]["change"] == "7"
    responded = tiles["cases_responded"]
    assert responded["status"] == "green" and responded["goal"]["target"] == "50"
    assert responded["status_label"] == "On target"
    assert len(responded["trend"]) == 12
    values = client.get(
        "/api/v1/monitoring/indicators/cases_responded/values", headers=bearer(makassar)
    ).json()
    assert values["goal"]["target"] == "50"
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/monitoring/tiles" in schema["paths"]


def test_caseload_trend_from_enrolment_and_exit_dates(pilot_areas):
    """Point 6: the caseload shares at the end of each past month, rebuilt in one grouped
    query from enrolment and exit dates (facilitators as assigned today)."""
    from pksai.monitoring.forms import next_month
    from pksai.monitoring.tiles import indicator_tile, shift_months

    pksa = Program.objects.get(code="pksa")
    Program.objects.filter(pk=pksa.pk).update(caseload_min=2, caseload_target=3, caseload_max=4)
    rule = pksa.benefit_rules.first()
    this_month = timezone.localdate().replace(day=1)

    def month(back):
        return shift_months(this_month, -back)

    a = make_user("fa", roles=["social_worker"], scope=["73.71"])
    b = make_user("fb", roles=["social_worker"], scope=["73.06"])
    n = 0

    def enrol(facilitator, village, start, exit_on=None):
        nonlocal n
        n += 1
        Beneficiary.objects.create(
            program=pksa,
            person=make_person(f"Anak {n}", village=village),
            area_id=village,
            start_date=start,
            benefit_rule=rule,
            status="exited" if exit_on else "active",
            exit_date=exit_on,
            facilitator=facilitator,
        )

    for _i in range(3):  # A: 3 from five months ago, a fourth from two months ago
        enrol(a, "73.71.01.1001", month(5))
    enrol(a, "73.71.01.1001", month(2))
    make_areas([("73.06.01.2001", "Bontonompo Desa")])
    for i in range(5):  # B: 5 from three months ago, 2 of them left last month
        enrol(b, "73.06.01.2001", month(3), exit_on=month(1) if i < 2 else None)
    analyst = make_user("pusdatin", roles=["national_analyst"], national=True)
    period = Period(shift_months(this_month, -11), next_month(this_month))
    within, over = (
        Indicator.objects.get(code=c) for c in ("caseload_in_target", "caseload_over_max")
    )
    tile = indicator_tile(within, user=analyst, period=period, area="", goal=Goal())
    trend = dict(tile.trend)
    key = lambda back: f"{month(back):%Y-%m}"  # noqa: E731
    assert len(tile.trend) == 12 and not tile.dated
    assert trend[key(6)] is None  # nobody enrolled yet
    assert [trend[key(k)] for k in (5, 4, 3, 2, 1, 0)] == [100, 100, 50, 0, 50, 50]
    assert tile.value == 50 == trend[key(0)]  # today's figure is the last month's
    assert tile.spark is not None and "tanggal pendaftaran" in tile.spark.description
    assert tile.monthly[key(3)] == (1, 2)  # A in target of A and B
    over_tile = indicator_tile(over, user=analyst, period=period, area="", goal=Goal())
    assert [dict(over_tile.trend)[key(k)] for k in (3, 2, 1, 0)] == [50, 50, 0, 0]
    # in a coordinator's scope: only A counts (B's enrolments are in Gowa)
    makassar = make_user("mks", roles=["coordinator"], scope=["73.71"])
    mine = dict(indicator_tile(within, user=makassar, period=period, area="", goal=Goal()).trend)
    assert [mine[key(k)] for k in (5, 3, 2, 0)] == [100, 100, 0, 0]
