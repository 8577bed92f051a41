"""Reports: services provided, referral performance and satisfaction — counted in the database
within the user's scope, shown as tables and downloaded as CSV/XLSX (audited)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from itertools import count

import polars as pl
import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from pksai.accounts.models import User
from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.cases.tests.factories import make_child, register
from pksai.referrals import reports
from pksai.referrals.models import Referral, Satisfaction, Service, Status
from pksai.referrals.services import Answer, referral_move
from pksai.referrals.tests.factories import case_in_planning, make_provider, refer

URL = "/referrals/reports/"
EXPORT = "/referrals/reports/export/"
YEAR = timezone.localdate().year
THIS_YEAR = reports.Filters(date_from=date(YEAR, 1, 1), date_to=date(YEAR, 12, 31))
LAST_YEAR = reports.Filters(date_from=date(YEAR - 1, 1, 1), date_to=date(YEAR - 1, 12, 31))
_numbers = count(1)


def login(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en"})


def act(referral, by, name, **answer):
    return referral_move(
        referral=referral,
        by=by,
        name=name,
        expected_version=Referral.objects.get(pk=referral.pk).version,
        answer=Answer(**answer),
    )


def at(day: date, hour: int = 3) -> datetime:
    """A moment on ``day`` (03:00 UTC is the same day in WIB, WITA and WIT)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def make_referral(
    case,
    provider,
    *,
    sent: date,
    status: str = Status.SENT,
    service: str = "birth_certificate",
    answered: bool = False,
    decline: str = "",
    delivered_after: int | None = None,
    respond_by: datetime | None = None,
    due: date | None = None,
) -> Referral:
    """A referral row as the lifecycle would have left it (for aggregate tests)."""
    referral = Referral.objects.create(
        number=f"T-{next(_numbers)}",
        kind=Referral.Kind.REFERRAL,
        case=case,
        area_id=case.area_id,
        to_organisation=provider.organisation,
        service=Service.objects.get(code=service),
        urgency="routine",
        reason="-",
        due_date=due or sent + timedelta(days=30),
        respond_by=respond_by or at(sent) + timedelta(hours=72),
        status=status,
        sent_by=case.owner,
        responded_at=at(sent) + timedelta(hours=5) if answered or decline else None,
        decline_reason=decline,
        delivered_on=sent + timedelta(days=delivered_after)
        if delivered_after is not None
        else None,
    )
    Referral.objects.filter(pk=referral.pk).update(sent_at=at(sent))  # auto_now_add on create
    return referral


@pytest.fixture
def gowa(team):
    """A case in Gowa (outside the Makassar team's scope) and a provider there."""
    supervisor = make_user("gspv", roles=["supervisor"], scope=["73.06"])
    case = register(
        {"staff": team["gowa_worker"], "worker": team["gowa_worker"], "supervisor": supervisor},
        child=make_child("Anak Gowa", village="73.06.01.2001"),
    )
    provider = make_provider("Dinas Dukcapil Kabupaten Gowa", area="73.06")
    return {"case": case, "provider": provider, "supervisor": supervisor}


@pytest.fixture
def analyst(team):
    return make_user("pusdatin", roles=["national_analyst"], national=True)


def delivered_referral(team, provider, **kw):
    """A referral sent, accepted and delivered today through the services."""
    referral = refer(team, provider, **kw)
    focal = User.objects.get(username="dukcapil")
    act(referral, focal, "accept")
    act(referral, focal, "deliver", delivered_on=timezone.localdate(), provided="Akta")
    return Referral.objects.get(pk=referral.pk)


# --- 1. services provided ----------------------------------------------------------------


def test_services_provided_counts_a_delivered_referral_by_service_sector_provider_area_month(
    team, dukcapil, gowa, analyst
):
    delivered = delivered_referral(team, dukcapil)
    assert delivered.status == Status.DELIVERED
    # delivered last year: outside the period
    old = delivered_referral(team, dukcapil)
    Referral.objects.filter(pk=old.pk).update(delivered_on=date(YEAR - 1, 6, 1))
    # sent and accepted but not delivered: not a service provided
    act(refer(team, dukcapil), User.objects.get(username="dukcapil"), "accept")
    # delivered in Gowa: outside the Makassar coordinator's scope
    make_referral(
        gowa["case"],
        gowa["provider"],
        sent=timezone.localdate(),
        status=Status.DELIVERED,
        answered=True,
        delivered_after=0,
    )
    coordinator = team["coordinator"]

    def report(group, user=coordinator, filters=THIS_YEAR):
        return reports.services_provided(user=user, filters=filters, group=group)

    with translation.override("en"):
        by_service = report("service")
        assert [(r.key, r.label, r.delivered, r.children) for r in by_service.rows] == [
            ("birth_certificate", "Birth certificate", 1, 1)
        ]
        assert by_service.total.delivered == 1
        by_sector = report("sector")
        assert [(r.key, r.label, r.delivered) for r in by_sector.rows] == [
            ("civil_registry", "civil registry (Dukcapil)", 1)
        ]
    with translation.override("id"):
        assert report("service").row("Akta kelahiran").delivered == 1
    by_provider = report("provider")
    assert [(r.key, r.label, r.delivered) for r in by_provider.rows] == [
        (str(dukcapil.organisation_id), "Dinas Dukcapil Kota Makassar", 1)
    ]
    by_area = report("area")
    assert [(r.key, r.label, r.delivered) for r in by_area.rows] == [("73.71", "Kota Makassar", 1)]
    by_month = report("month")
    assert [(r.key, r.delivered) for r in by_month.rows] == [(f"{timezone.localdate():%Y-%m}", 1)]
    # the year before holds only the old delivery
    assert report("service", filters=LAST_YEAR).total.delivered == 1
    # the nation sees Gowa too; a Gowa supervisor sees only Gowa
    assert [(r.key, r.delivered) for r in report("area", user=analyst).rows] == [
        ("73.06", 1),
        ("73.71", 1),
    ]
    assert report("provider", user=gowa["supervisor"]).total.delivered == 1
    assert report("provider", user=gowa["supervisor"]).rows[0].label.endswith("Gowa")
    # area and sector filters
    gowa_only = reports.Filters(THIS_YEAR.date_from, THIS_YEAR.date_to, area="73.06")
    assert report("service", user=analyst, filters=gowa_only).total.delivered == 1
    assert report("service", user=coordinator, filters=gowa_only).total.delivered == 0
    health = reports.Filters(THIS_YEAR.date_from, THIS_YEAR.date_to, sector="health_centre")
    assert report("service", filters=health).rows == []


def test_closed_referral_with_a_delivery_counts_and_a_transfer_does_not(team, dukcapil):
    referral = delivered_referral(team, dukcapil)
    act(referral, team["worker"], "close")
    report = reports.services_provided(user=team["supervisor"], filters=THIS_YEAR)
    assert report.total.delivered == 1
    Referral.objects.filter(pk=referral.pk).update(kind=Referral.Kind.TRANSFER)
    assert reports.services_provided(user=team["supervisor"], filters=THIS_YEAR).rows == []


def test_children_are_counted_once_however_many_services_they_got(team, dukcapil, puskesmas):
    case = case_in_planning(team)
    day = timezone.localdate()
    for provider, service in ((dukcapil, "birth_certificate"), (puskesmas, "health_check")):
        make_referral(
            case, provider, sent=day, status=Status.CLOSED, answered=True, delivered_after=0,
            service=service,
        )  # fmt: skip
    report = reports.services_provided(user=team["coordinator"], filters=THIS_YEAR)
    assert (report.total.delivered, report.total.children) == (2, 1)
    assert len(report.rows) == 2


# --- 2. referral performance -------------------------------------------------------------


def test_performance_rates_days_and_overdue_per_provider_and_overall(team, dukcapil, puskesmas):
    case = case_in_planning(team)
    march = date(YEAR, 3, 2)
    past = timezone.now() - timedelta(days=1)
    done = {"answered": True, "status": Status.DELIVERED}
    make_referral(case, dukcapil, sent=march, delivered_after=4, **done)
    make_referral(case, dukcapil, sent=march, delivered_after=10, **done)
    make_referral(case, dukcapil, sent=march, status=Status.DECLINED, decline="KK asli")
    make_referral(case, dukcapil, sent=march, status=Status.CLOSED, decline="Bukan wilayah")
    make_referral(case, dukcapil, sent=march, respond_by=past)  # not answered in time
    make_referral(case, dukcapil, sent=march, status=Status.CANCELLED)  # before an answer
    make_referral(  # accepted, not delivered by the due date
        case, dukcapil, sent=march, status=Status.IN_SERVICE, answered=True, due=march
    )
    make_referral(case, dukcapil, sent=march, status=Status.CANCELLED, answered=True)
    make_referral(case, puskesmas, sent=march, delivered_after=3, service="health_check", **done)
    make_referral(case, dukcapil, sent=date(YEAR - 1, 3, 2), respond_by=past)  # last year

    with translation.override("en"):
        report = reports.referral_performance(user=team["supervisor"], filters=THIS_YEAR)
    row = report.row("Dinas Dukcapil Kota Makassar")
    assert (row.sent, row.accepted, row.declined, row.delivered, row.overdue) == (8, 4, 2, 2, 2)
    assert (row.acceptance_rate, row.completion_rate) == (66.7, 50.0)
    assert (row.avg_days, row.median_days) == (7.0, 7.0)
    assert row.sector == "civil registry (Dukcapil)"
    pkm = report.row("Puskesmas Mariso")
    assert (pkm.sent, pkm.accepted, pkm.delivered, pkm.avg_days, pkm.median_days) == (
        1, 1, 1, 3.0, 3.0,
    )  # fmt: skip
    assert (pkm.acceptance_rate, pkm.completion_rate) == (100.0, 100.0)
    total = report.total
    assert (total.sent, total.accepted, total.declined, total.delivered, total.overdue) == (
        9, 5, 2, 3, 2,
    )  # fmt: skip
    assert (total.avg_days, total.median_days) == (5.7, 4.0)
    assert [r.label for r in report.rows] == ["Dinas Dukcapil Kota Makassar", "Puskesmas Mariso"]
    # nothing sent in a period: no rates rather than a division by zero
    empty = reports.referral_performance(
        user=team["supervisor"], filters=reports.Filters(date(2001, 1, 1), date(2001, 12, 31))
    )
    assert empty.rows == []
    assert (empty.total.sent, empty.total.acceptance_rate, empty.total.median_days) == (
        0, None, None,
    )  # fmt: skip


def test_median_of_an_even_number_of_values():
    assert reports._median({2.0: 1, 4.0: 1, 9.0: 2}) == 6.5
    assert reports._median({5.0: 3}) == 5.0
    assert reports._median({}) is None


# --- 3. satisfaction ---------------------------------------------------------------------


def test_satisfaction_by_moment_and_provider(team, dukcapil, gowa, analyst):
    referral = delivered_referral(team, dukcapil)
    case = referral.case
    now = timezone.now()

    def answer(score, *, moment="service", on=referral, when=now, case=case):
        return Satisfaction.objects.create(
            case=case,
            referral=on,
            area_id=case.area_id,
            moment=moment,
            score=score,
            created_by=team["worker"],
            answered_at=when if score else None,
        )

    answer(5)
    answer(4)
    answer(3, moment="closure", on=None)
    answer(None)  # a link not answered yet
    answer(1, when=now - timedelta(days=400))  # another period
    answer(1, moment="closure", on=None, case=gowa["case"])  # Gowa

    with translation.override("en"):
        report = reports.satisfaction(user=team["supervisor"], filters=THIS_YEAR)
    assert [(r.key, r.label, r.answers, r.average, r.distribution) for r in report.by_moment] == [
        ("service", "after a service", 2, 4.5, [0, 0, 0, 1, 1]),
        ("closure", "at case closure", 1, 3.0, [0, 0, 1, 0, 0]),
    ]
    assert [(r.label, r.answers, r.average) for r in report.by_provider] == [
        ("Dinas Dukcapil Kota Makassar", 2, 4.5)
    ]
    assert (report.total.answers, report.total.average) == (3, 4.0)
    national = reports.satisfaction(user=analyst, filters=THIS_YEAR)
    assert (national.total.answers, national.total.average) == (4, 3.2)  # 13 / 4 = 3.25
    civil = reports.Filters(THIS_YEAR.date_from, THIS_YEAR.date_to, sector="civil_registry")
    assert reports.satisfaction(user=team["supervisor"], filters=civil).total.answers == 2


# --- permissions and scope ---------------------------------------------------------------


@pytest.mark.parametrize("role", ["worker", "focal"])
def test_workers_and_focal_persons_may_not_see_reports(client, team, dukcapil, role):
    user = team["worker"] if role == "worker" else User.objects.get(username="dukcapil")
    with pytest.raises(PermissionDenied):
        reports.services_provided(user=user, filters=THIS_YEAR)
    with pytest.raises(PermissionDenied):
        reports.satisfaction(user=user, filters=THIS_YEAR)
    login(client, user)
    assert client.get(URL).status_code == 403
    assert client.get(EXPORT + "?report=services&format=csv").status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("role", ["coordinator", "supervisor", "program_officer"])
def test_report_roles_open_the_page(client, team, role):
    user = team.get(role) or make_user("po", roles=[role], scope=["73.71"])
    login(client, user)
    response = client.get(URL)
    assert response.status_code == 200
    assert "Services provided" in response.text and "Referral performance" in response.text


def test_makassar_supervisor_does_not_see_gowa_referrals_on_the_page(
    client, team, dukcapil, gowa, analyst
):
    delivered_referral(team, dukcapil)
    day = timezone.localdate()
    for _ in range(2):
        make_referral(
            gowa["case"], gowa["provider"], sent=day, status=Status.DELIVERED, answered=True,
            delivered_after=0,
        )  # fmt: skip
    login(client, team["supervisor"])
    response = client.get(URL + "?group=provider")
    services = response.context["services"]
    assert services["rows"] == [["Dinas Dukcapil Kota Makassar", "1", "1"]]
    assert services["total"][1:] == ["1", "1"]
    assert "Gowa" not in response.text
    performance = response.context["performance"]
    assert [r[0] for r in performance["rows"]] == ["Dinas Dukcapil Kota Makassar"]
    login(client, analyst)
    response = client.get(URL + "?group=area")
    assert response.context["services"]["rows"] == [
        ["Kabupaten Gowa", "2", "1"],
        ["Kota Makassar", "1", "1"],
    ]


# --- the page ----------------------------------------------------------------------------


def test_page_defaults_to_this_year_and_filters(client, team, dukcapil):
    delivered_referral(team, dukcapil)
    login(client, team["coordinator"])
    response = client.get(URL)
    assert response.context["filters"] == THIS_YEAR
    assert response.context["services"]["rows"] == [["Birth certificate", "1", "1"]]
    assert "Birth certificate" in response.text
    response = client.get(URL + f"?date_from={YEAR - 1}-01-01&date_to={YEAR - 1}-12-31")
    assert response.context["services"]["rows"] == []
    assert "No service was delivered in the period." in response.text
    response = client.get(URL + "?area=7371&sector=civil_registry&group=sector")
    assert response.context["filters"].area == "73.71"
    assert response.context["services"]["rows"] == [["civil registry (Dukcapil)", "1", "1"]]
    response = client.get(URL + "?group=month")
    assert response.context["services"]["rows"][0][1] == "1"


@pytest.mark.parametrize(
    "query",
    ["date_from=2026-05-01&date_to=2026-01-01", "area=abc", "group=child", "date_from=soon"],
)
def test_bad_filters_are_refused_with_the_reason(client, team, query):
    login(client, team["coordinator"])
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert "services" not in response.context
    assert client.get(f"{EXPORT}?report=services&format=csv&{query}").status_code == 400


# --- downloads ---------------------------------------------------------------------------


def test_csv_and_xlsx_downloads_are_audited_aggregates(client, team, dukcapil):
    referral = delivered_referral(team, dukcapil)
    login(client, team["coordinator"])
    response = client.get(EXPORT + "?report=services&format=csv&group=provider&area=73.71")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="services-{YEAR}0101-{YEAR}1231.csv"' in response["Content-Disposition"]
    frame = pl.read_csv(io.BytesIO(response.content))
    assert frame.columns == ["group", "key", "label", "delivered", "children"]
    assert frame.row(0)[2:] == (dukcapil.organisation.name, 1, 1)
    assert (frame.row(0)[0], str(frame.row(0)[1])) == ("provider", str(dukcapil.organisation_id))
    assert frame.row(-1)[0] == "total"
    assert referral.case.child.name not in response.text  # no personal data
    event = AuditEvent.objects.get(action="export")
    assert event.object_type == "referrals.report.services"
    assert event.actor_username == "coord"
    assert event.detail["format"] == "csv" and event.detail["area"] == "73.71"
    assert event.detail["group"] == "provider"

    response = client.get(EXPORT + "?report=performance&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    frame = pl.read_excel(io.BytesIO(response.content))
    assert frame["label"].to_list() == ["Dinas Dukcapil Kota Makassar", "All providers"]
    assert frame["delivered"].to_list() == [1, 1]
    assert frame["completion_rate"].to_list() == [100.0, 100.0]

    Satisfaction.objects.create(
        case=referral.case,
        referral=referral,
        area_id=referral.area_id,
        moment="service",
        score=4,
        created_by=team["worker"],
        answered_at=timezone.now(),
    )
    for fmt in ("csv", "xlsx"):
        response = client.get(f"{EXPORT}?report=satisfaction&format={fmt}")
        assert response.status_code == 200
        raw = io.BytesIO(response.content)
        frame = pl.read_csv(raw) if fmt == "csv" else pl.read_excel(raw)
        assert frame["group"].to_list() == ["moment", "provider", "total"]
        assert frame["score_4"].to_list() == [1, 1, 1]
    assert AuditEvent.objects.filter(action="export").count() == 4


@pytest.mark.parametrize("report", reports.REPORTS)
def test_downloads_of_an_empty_period_hold_only_the_total(client, team, report):
    login(client, team["coordinator"])
    query = f"?report={report}&format=xlsx&date_from=2001-01-01&date_to=2001-12-31"
    response = client.get(EXPORT + query)
    assert response.status_code == 200
    frame = pl.read_excel(io.BytesIO(response.content))
    assert frame["group"].to_list() == ["total"]
    response = client.get(EXPORT + query.replace("xlsx", "csv"))
    assert pl.read_csv(io.BytesIO(response.content))["group"].to_list() == ["total"]


@pytest.mark.parametrize("query", ["report=people&format=csv", "report=services&format=doc", ""])
def test_unknown_report_or_format_is_not_found(client, team, query):
    login(client, team["coordinator"])
    assert client.get(f"{EXPORT}?{query}").status_code == 404


# --- constant query counts ---------------------------------------------------------------


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


@pytest.mark.parametrize("group", reports.GROUPS)
def test_reports_run_a_constant_number_of_queries(client, team, dukcapil, group):
    case = case_in_planning(team)
    day = timezone.localdate()

    def add(n: int) -> None:
        for i in range(n):
            provider = make_provider(f"Penyedia {next(_numbers)}", sector="legal_aid")
            referral = make_referral(
                case,
                provider,
                sent=day - timedelta(days=i % 3),
                status=Status.DELIVERED,
                answered=True,
                delivered_after=i % 3,
                service="family_card" if i % 2 else "birth_certificate",
            )
            Satisfaction.objects.create(
                case=case,
                referral=referral,
                area_id=case.area_id,
                moment="service",
                score=1 + i % 5,
                created_by=team["worker"],
                answered_at=timezone.now(),
            )

    login(client, team["coordinator"])
    add(2)
    page, export = URL + f"?group={group}", EXPORT + f"?group={group}&format=csv&report="
    few = [count_queries(client, page)] + [
        count_queries(client, export + r) for r in reports.REPORTS
    ]
    add(20)
    many = [count_queries(client, page)] + [
        count_queries(client, export + r) for r in reports.REPORTS
    ]
    assert few == many, (few, many)
    assert many[0] <= 20  # session, user, permissions, scope and 9 report queries


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_report_downloads_write_a_formula_like_provider_name_as_text(client, team, dukcapil, fmt):
    from pksai.core.tests.spreadsheet import assert_csv_safe, assert_xlsx_safe, xlsx_cells

    delivered_referral(team, dukcapil)
    hostile = '=HYPERLINK("http://x","y")'
    type(dukcapil.organisation).objects.filter(pk=dukcapil.organisation_id).update(name=hostile)
    login(client, team["coordinator"])
    response = client.get(f"{EXPORT}?report=services&format={fmt}&group=provider&area=73.71")
    assert response.status_code == 200
    if fmt == "csv":
        rows = assert_csv_safe(response.content, [hostile])
        assert rows[1][3:] == ["1", "1"]
    else:
        cells = assert_xlsx_safe(response.content, [hostile])
        assert {c.ref: c for c in cells}["D2"].type == "n"  # the counts stay numbers
        assert xlsx_cells(response.content)
