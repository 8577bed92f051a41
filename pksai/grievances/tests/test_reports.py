"""Complaint reports: hand-counted volume, time to resolution, levels and satisfaction; the
scope (Gowa vs Makassar, national analyst); restricted complaints counted only for the
restricted queue's officers; the page and the audited CSV/XLSX downloads; a constant number
of queries."""

import io
from datetime import date, datetime, time, timedelta

import polars as pl
import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.grievances import reports, services
from pksai.grievances.models import Complaint, Level, Status
from pksai.grievances.services import ComplaintInput
from pksai.payments.tests.test_views import login

URL = "/complaints/reports/"
EXPORT = "/complaints/reports/export/"
PERIOD = reports.Filters(date_from=date(2026, 3, 1), date_to=date(2026, 4, 30))
QUERY = "date_from=2026-03-01&date_to=2026-04-30"
TEXT = "Tetangga saya kaya tetapi menerima bantuan setiap bulan."


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def people(pilot_areas):
    return {
        "desk": make_user("desk", roles=["registration_staff"], scope=["73.71"]),
        "coord": make_user("coord", roles=["coordinator"], scope=["73.71"]),
        "gowa": make_user("gowacoord", roles=["coordinator"], scope=["73.06"]),
        "inspector": make_user("insp", roles=["complaints_officer"], scope=["73.71"]),
        "analyst": make_user("analyst", roles=["national_analyst"], national=True),
    }


def add(people, category, channel, area, received, **fields) -> Complaint:
    """A complaint entered by staff, then dated and moved on by hand (the reports only read
    the stored fields)."""
    desk = people["gowa"] if area.startswith("73.06") else people["inspector"]
    c = services.complaint_create(
        by=desk,
        data=ComplaintInput(
            category=category,
            description=TEXT,
            area_code=area,
            name="Ibu Sari Wulandari",
            about_staff=category == "misconduct",
        ),
        channel=channel,
    )
    values = {"created_at": at(received), "due_at": at(received + timedelta(days=14))}
    values.update(fields)
    Complaint.objects.filter(pk=c.pk).update(**values)
    return c


@pytest.fixture
def complaints(people):
    """Makassar: two resolved mistargeting complaints (3 days within the SLA, rated 4; 20 days
    past it, rated 2), a late payment overdue at the district, a restricted misconduct
    complaint at the province, an exclusion escalated to the province, one received after the
    period. Gowa: one open exclusion."""
    closed = {"status": Status.CLOSED}
    add(people, "mistargeting", "phone", "73.71.01", date(2026, 3, 2),
        resolved_at=at(date(2026, 3, 5)), rating=4, **closed)  # fmt: skip
    add(people, "mistargeting", "letter", "73.71.01", date(2026, 3, 10),
        resolved_at=at(date(2026, 3, 30)), rating=2, **closed)  # fmt: skip
    add(people, "payment_late", "sms", "73.71.01", date(2026, 4, 1),
        due_at=timezone.now() - timedelta(days=1))  # fmt: skip
    add(people, "misconduct", "phone", "73.71.01", date(2026, 4, 2),
        due_at=timezone.now() + timedelta(days=3))  # fmt: skip
    add(people, "exclusion", "walk_in", "73.71", date(2026, 4, 3), level=Level.PROVINCE,
        escalated_at=at(date(2026, 4, 20)), due_at=timezone.now() + timedelta(days=9))  # fmt: skip
    add(people, "mistargeting", "phone", "73.71.01", date(2026, 5, 10))
    add(people, "exclusion", "phone", "73.06.01", date(2026, 3, 15),
        due_at=timezone.now() + timedelta(days=9))  # fmt: skip


def test_volume_hand_counted(people, complaints):
    v = reports.volume(user=people["coord"], filters=PERIOD)
    assert [r["key"] for r in v.rows] == ["exclusion", "mistargeting", "payment_late"]
    assert (v.row("mistargeting")["received"], v.row("mistargeting")["resolved"]) == (2, 2)
    assert v.row("mistargeting")["share"] == 50.0
    assert (v.total["received"], v.total["open"], v.total["resolved"]) == (4, 2, 2)
    by_channel = reports.volume(user=people["coord"], filters=PERIOD, group="channel")
    assert {r["key"]: r["received"] for r in by_channel.rows} == {
        "phone": 1,
        "sms": 1,
        "walk_in": 1,
        "letter": 1,
    }
    by_area = reports.volume(user=people["coord"], filters=PERIOD, group="area")
    assert [(r["key"], r["label"], r["received"]) for r in by_area.rows] == [
        ("73.71", "Kota Makassar", 4)
    ]
    by_month = reports.volume(user=people["coord"], filters=PERIOD, group="month")
    assert [(r["key"], r["received"]) for r in by_month.rows] == [("2026-03", 2), ("2026-04", 2)]
    only = reports.Filters(date_from=PERIOD.date_from, date_to=PERIOD.date_to, channel="sms")
    assert reports.volume(user=people["coord"], filters=only).total["received"] == 1


def test_time_to_resolution_levels_and_satisfaction(people, complaints):
    r = reports.resolution_time(user=people["coord"], filters=PERIOD)
    assert (r.total["resolved"], r.total["avg_days"], r.total["median_days"]) == (2, 11.5, 11.5)
    assert (r.total["within_sla"], r.total["within_sla_rate"]) == (1, 50.0)
    assert [row["key"] for row in r.rows] == ["mistargeting"]

    levels = reports.levels(user=people["coord"], filters=PERIOD)
    district, province, ministry = levels.rows
    assert (district["open"], district["overdue"], district["resolved"]) == (1, 1, 2)
    assert (province["open"], province["escalated"], province["overdue"]) == (1, 1, 0)
    assert ministry["open"] == 0
    assert levels.total["open"] == 2

    s = reports.satisfaction(user=people["coord"], filters=PERIOD)
    assert (s.total["ratings"], s.total["average"]) == (2, 3.0)
    assert (s.total["score_2"], s.total["score_4"], s.total["score_5"]) == (1, 1, 0)


def test_scope_and_the_restricted_queue(people, complaints):
    def received(who, **kw):
        filters = reports.Filters(date_from=PERIOD.date_from, date_to=PERIOD.date_to, **kw)
        return reports.volume(user=people[who], filters=filters).total["received"]

    assert received("gowa") == 1  # Gowa sees only Gowa
    assert received("gowa", area="73.71") == 0  # another area is not in scope
    # the restricted misconduct complaint counts only for the restricted queue's officers
    assert received("coord") == 4
    assert received("inspector") == 5
    assert received("inspector", category="misconduct") == 1
    assert received("coord", category="misconduct") == 0
    province = reports.levels(user=people["inspector"], filters=PERIOD).rows[1]
    assert province["open"] == 2
    # the national analyst cannot open a complaint but sees the figures (not the restricted)
    assert received("analyst") == 5
    assert received("analyst", area="73.71") == 4
    with pytest.raises(PermissionDenied):
        reports.volume(user=people["desk"], filters=PERIOD)


def test_the_page_and_the_audited_downloads(client, people, complaints):
    login(client, people["desk"])
    assert client.get(URL).status_code == 403
    assert client.get(f"{EXPORT}?report=volume&format=csv").status_code == 403
    login(client, people["analyst"])
    page = client.get(f"{URL}?{QUERY}")
    assert page.status_code == 200
    assert "Complaint reports" in page.text and "Ibu Sari" not in page.text
    assert "Mistargeting" in page.text or "mistargeting" in page.text
    assert client.get(f"{URL}?date_from=2026-05-01&date_to=2026-04-01").status_code == 400
    assert client.get(f"{URL}?area=abc").status_code == 400

    response = client.get(f"{EXPORT}?report=volume&format=csv&group=channel&{QUERY}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "complaints-volume-20260301-20260430.csv" in response["Content-Disposition"]
    frame = pl.read_csv(io.BytesIO(response.content))
    assert frame.columns == ["group", "key", "label", "received", "share", "open", "resolved"]
    assert frame.row(-1)[0] == "total" and frame["received"].to_list()[-1] == 5
    assert "Sari" not in response.text
    event = AuditEvent.objects.get(action="export")
    assert event.object_type == "grievances.report.volume"
    assert event.actor_username == "analyst"
    assert (event.detail["format"], event.detail["group"], event.detail["from"]) == (
        "csv",
        "channel",
        "2026-03-01",
    )
    for name in ("resolution", "levels", "satisfaction"):
        response = client.get(f"{EXPORT}?report={name}&format=xlsx&{QUERY}")
        assert response.status_code == 200
        frame = pl.read_excel(io.BytesIO(response.content))
        assert frame["group"].to_list()[-1] == "total"
    assert AuditEvent.objects.filter(action="export").count() == 4
    assert client.get(f"{EXPORT}?report=people&format=csv").status_code == 404
    assert client.get(f"{EXPORT}?report=volume&format=doc").status_code == 404


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


@pytest.mark.parametrize("group", reports.GROUPS)
def test_reports_run_a_constant_number_of_queries(client, people, group):
    login(client, people["inspector"])
    url = f"{URL}?group={group}"
    today = timezone.localdate()

    def more(n):
        for i in range(n):
            category, channel = ["exclusion", "other"][i % 2], ["phone", "sms"][i % 2]
            done = {"status": Status.CLOSED, "resolved_at": timezone.now(), "rating": 1 + i % 5}
            add(people, category, channel, "73.71.01", today, **done)

    more(2)
    few = count_queries(client, url)
    more(12)
    assert count_queries(client, url) == few


def test_service_levels_are_added_in_the_admin_never_edited(client, pilot_areas):
    from pksai.grievances.models import ComplaintSla

    admin_user = make_user("admin1", roles=["administrator"], national=True)
    admin_user.is_staff = True
    admin_user.save()
    login(client, admin_user)
    response = client.post(
        "/admin/grievances/complaintsla/add/",
        {"category": "payment_late", "priority": "urgent", "days": "3", "valid_from": "2031-06-01"},
    )
    assert response.status_code == 302
    sla = ComplaintSla.objects.get(
        category="payment_late", priority="urgent", valid_from=date(2031, 6, 1)
    )
    assert AuditEvent.objects.filter(action="create", object_id=str(sla.pk)).exists()
    assert services.sla_days("payment_late", "urgent", date(2031, 7, 1)) == 3
    change = client.post(
        f"/admin/grievances/complaintsla/{sla.pk}/change/",
        {
            "category": "payment_late",
            "priority": "urgent",
            "days": "30",
            "valid_from": "2026-01-01",
        },
    )
    assert change.status_code == 403 or ComplaintSla.objects.get(pk=sla.pk).days == 3
    assert client.get("/admin/grievances/complaintsla/").status_code == 200
