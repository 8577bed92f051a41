"""Payment reports: a small hand-built dataset (two JSLU cycles, eight Makassar and two Gowa
beneficiaries, two batch versions and a return file's events) with every figure counted by
hand — timeliness, held/undelivered, lump sums, the payer's delivery report — then the scope
(a Gowa officer sees only Gowa, a social worker is refused), the pages, the audited CSV/XLSX
downloads and the API.

January (due 15 Jan), Makassar: m0 paid 15 Jan (0 days), m1 paid 20 Jan (5), m2 paid 4 Feb
(20), m3 held after two failed attempts, m4 failed once, m5 carried into February, m6 sent
with no result (post office), m7 not sent. Gowa: g0 paid 100 days late.
February (due 15 Feb), Makassar: m0 paid 13 Feb (−2), m5 a 2-period lump sum paid 20 Mar
(64 days after 15 Jan), m1 a 3-period lump sum not sent, m2 a 4-period lump sum held. Gowa:
g1 a 2-period lump sum paid 40 days late."""

import csv
import io
from datetime import date

import polars as pl
import pytest
from django.core.exceptions import PermissionDenied

from pksai.accounts.tests.factories import make_user
from pksai.api.tests.helpers import bearer, english_messages  # noqa: F401  (autouse)
from pksai.audit.models import AuditEvent
from pksai.cases.tests.conftest import team  # noqa: F401  (the case-work team fixture)
from pksai.payments import reports
from pksai.payments.models import (
    BatchLine,
    DeliveryEvent,
    Entitlement,
    PayerBatch,
    PaymentCycle,
)
from pksai.payments.tests.test_views import login, make_beneficiaries
from pksai.programs.models import Program

FULL = 300_000
AS_OF = date(2026, 3, 1)
MKS = "73.71.01.1001"
GOWA = "73.06.01.2001"


def _ent(cycle, b, status, *, periods=1, paid_on=None, days_late=None, channel="post_home"):
    months = [f"2026-{m:02d}" for m in range(cycle.period.month - periods + 1, 13)][:periods]
    return Entitlement.objects.create(
        cycle=cycle,
        beneficiary=b,
        area_id=b.area_id,
        own_amount=FULL,
        arrears=FULL * (periods - 1),
        amount=FULL * periods,
        months=months,
        periods=periods,
        channel=channel,
        status=status,
        paid_on=paid_on,
        days_late=days_late,
        late=bool(days_late and days_late > 0),
        failed_attempts={"held": 2, "failed": 1}.get(status, 0),
    )


@pytest.fixture
def data(team):  # noqa: F811
    officer = make_user("po", roles=["program_officer"], scope=["73.71"])
    jslu = Program.objects.get(code="jslu")
    m = make_beneficiaries(8, MKS, "Mks")
    g = make_beneficiaries(2, GOWA, "Gowa")
    jan = PaymentCycle.objects.create(
        program=jslu, period=date(2026, 1, 1), due_date=date(2026, 1, 15), created_by=officer
    )
    feb = PaymentCycle.objects.create(
        program=jslu, period=date(2026, 2, 1), due_date=date(2026, 2, 15), created_by=officer
    )
    S = Entitlement.Status
    j = [
        _ent(jan, m[0], S.PAID, paid_on=date(2026, 1, 15), days_late=0),
        _ent(jan, m[1], S.PAID, paid_on=date(2026, 1, 20), days_late=5),
        _ent(jan, m[2], S.PAID, paid_on=date(2026, 2, 4), days_late=20),
        _ent(jan, m[3], S.HELD),
        _ent(jan, m[4], S.FAILED),
        _ent(jan, m[5], S.CARRIED),
        _ent(jan, m[6], S.SENT, channel="post_office"),
        _ent(jan, m[7], S.DUE),
    ]
    g0 = _ent(jan, g[0], S.PAID, paid_on=date(2026, 4, 25), days_late=100)
    _ent(feb, m[0], S.PAID, paid_on=date(2026, 2, 13), days_late=-2)
    _ent(feb, m[5], S.PAID, periods=2, paid_on=date(2026, 3, 20), days_late=64)
    _ent(feb, m[1], S.DUE, periods=3)
    _ent(feb, m[2], S.HELD, periods=4)
    _ent(feb, g[1], S.PAID, periods=2, paid_on=date(2026, 3, 27), days_late=40)

    def batch(version, entitlements):
        b = PayerBatch.objects.create(
            cycle=jan,
            version=version,
            reference=f"JAN-v{version}",
            checksum="-",
            rows=len(entitlements),
            total=sum(e.amount for e in entitlements),
            created_by=officer,
        )
        BatchLine.objects.bulk_create(
            BatchLine(
                batch=b,
                line=i + 1,
                entitlement=e,
                name="x",
                area_code=e.area_id,
                months=";".join(e.months),
                amount=e.amount,
                channel=e.channel,
            )
            for i, e in enumerate(entitlements)
        )
        return b

    batch(1, j[:2])  # an older version: not counted
    v2 = batch(2, [*j[:5], j[6], g0])
    events = [
        (j[0], "paid", date(2026, 1, 15), "", True),
        (j[1], "paid", date(2026, 1, 20), "", False),
        (j[2], "paid", date(2026, 2, 4), "", True),
        (j[3], "failed", date(2026, 1, 10), "not at home", False),
        (j[3], "failed", date(2026, 1, 12), "moved", False),
        (j[4], "failed", date(2026, 1, 11), "not at home", False),
        (g0, "paid", date(2026, 4, 25), "", True),
    ]
    DeliveryEvent.objects.bulk_create(
        DeliveryEvent(
            entitlement=e,
            batch=v2,
            result=result,
            on=on,
            channel=e.channel,
            reason=reason,
            countersigned=signed,
            row_key=f"k{i}",
        )
        for i, (e, result, on, reason, signed) in enumerate(events)
    )
    return {
        **team,
        "officer": officer,
        "gowa_officer": make_user("gpo", roles=["program_officer"], scope=["73.06"]),
        "province_officer": make_user("ppo", roles=["program_officer"], scope=["73"]),
        "jan": jan,
        "feb": feb,
    }


ALL = reports.Filters()


# --- the figures -------------------------------------------------------------------------


@pytest.mark.django_db
def test_timeliness_counted_by_hand(data):
    r = reports.timeliness(user=data["officer"], filters=ALL, as_of=AS_OF)
    assert [row["key"] for row in r.rows] == ["jslu"]
    expected = {
        "paid": 5,
        "paid_amount": 1_800_000,
        "on_time": 2,
        "on_time_share": 40.0,
        "late_1_7": 1,
        "late_8_30": 1,
        "late_31_90": 1,  # the February lump sum: 64 days after 15 January
        "late_over_90": 0,
        "avg_days_late": 29.7,  # (5 + 20 + 64) / 3
        "unpaid_overdue": 6,  # Jan held, failed, sent, due; Feb due, held
        "unpaid_overdue_amount": 3_300_000,
    }
    assert {k: r.rows[0][k] for k in expected} == expected
    assert {k: r.total[k] for k in expected} == expected

    by_month = reports.timeliness(user=data["officer"], filters=ALL, group="month", as_of=AS_OF)
    assert [(x["key"], x["paid"], x["on_time"], x["unpaid_overdue"]) for x in by_month.rows] == [
        ("2026-01", 3, 1, 4),
        ("2026-02", 2, 1, 2),
    ]
    # before February's due date, February's open entitlements are not yet overdue
    early = reports.timeliness(user=data["officer"], filters=ALL, as_of=date(2026, 2, 10))
    assert early.total["unpaid_overdue"] == 4
    feb_only = reports.Filters(period_from=date(2026, 2, 1), period_to=date(2026, 2, 1))
    assert reports.timeliness(user=data["officer"], filters=feb_only).total["paid"] == 2


@pytest.mark.django_db
def test_held_and_lump_sums_counted_by_hand(data):
    held = reports.held(user=data["officer"], filters=ALL, as_of=AS_OF).total
    assert {k: held[k] for k in held if k not in {"key", "label"}} == {
        "held": 2,
        "held_amount": 1_500_000,
        "failed": 1,
        "failed_amount": FULL,
        "sent_overdue": 1,
        "sent_overdue_amount": FULL,
        "not_sent": 2,
        "not_sent_amount": 1_200_000,
        "oldest_due": date(2026, 1, 15),
        "carried": 1,
    }
    lump = reports.lump_sums(user=data["officer"], filters=ALL).total
    assert {k: lump[k] for k in lump if k not in {"key", "label"}} == {
        "entitlements": 11,  # the carried January one is not a payment
        "lump_sums": 3,
        "lump_share": 27.3,
        "lump_amount": 2_700_000,
        "lump_arrears": 1_800_000,
        "lump_paid": 1,
        "periods_2": 1,
        "periods_3": 1,
        "periods_4_plus": 1,
    }


@pytest.mark.django_db
def test_delivery_report_counted_by_hand(data):
    r = reports.delivery(user=data["officer"], cycle=data["jan"])
    assert [row["key"] for row in r.rows] == ["73.71/post_home", "73.71/post_office"]
    home = r.row("73.71/post_home")
    assert {k: home[k] for k in home if k not in {"key", "label", "channel"}} == {
        "lines": 5,  # the latest batch only
        "lines_amount": 1_500_000,
        "paid": 3,
        "paid_amount": 900_000,
        "paid_by_due": 1,
        "paid_by_due_share": 33.3,
        "failed_attempts": 3,
        "top_reasons": "not at home (2); moved (1)",
        "failed": 1,
        "held": 1,
        "no_result": 0,
        "countersigned": 2,
        "countersigned_share": 66.7,
    }
    office = r.row("73.71/post_office")
    assert (office["lines"], office["no_result"], office["paid"]) == (1, 1, 0)
    assert (r.total["lines"], r.total["paid"], r.total["failed_attempts"]) == (6, 3, 3)
    assert r.total["top_reasons"] == "not at home (2); moved (1)"


# --- scope -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_scope_limits_and_denials(data):
    gowa = reports.timeliness(user=data["gowa_officer"], filters=ALL, as_of=AS_OF).total
    assert (gowa["paid"], gowa["on_time"], gowa["late_31_90"], gowa["late_over_90"]) == (
        2,
        0,
        1,
        1,
    )
    assert gowa["on_time_share"] == 0.0
    delivery = reports.delivery(user=data["gowa_officer"], cycle=data["jan"])
    assert [row["key"] for row in delivery.rows] == ["73.06/post_home"]
    # an area filter never widens the scope
    outside = reports.Filters(area="73.71")
    assert reports.lump_sums(user=data["gowa_officer"], filters=outside).rows == []
    province = reports.timeliness(user=data["province_officer"], filters=ALL, group="regency")
    assert [(x["key"], x["paid"]) for x in province.rows] == [("73.06", 2), ("73.71", 5)]
    assert province.rows[1]["label"]  # the regency's name
    with pytest.raises(PermissionDenied):
        reports.held(user=data["worker"], filters=ALL)
    with pytest.raises(PermissionDenied):
        reports.delivery(user=data["worker"], cycle=data["jan"])


@pytest.mark.django_db
def test_pages_refuse_without_the_permission(client, data):
    login(client, data["worker"])
    for url in (
        "/payments/reports/",
        "/payments/reports/export/?report=held&format=csv",
        "/payments/reports/delivery/",
    ):
        assert client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()
    client.logout()
    assert client.get("/payments/reports/").status_code == 302


# --- pages and downloads -----------------------------------------------------------------


@pytest.mark.django_db
def test_reports_page_and_audited_downloads(client, data):
    login(client, data["officer"])
    cycles = client.get("/payments/").content.decode()
    assert 'href="/payments/reports/"' in cycles
    page = client.get("/payments/reports/", {"group": "month"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Payment timeliness" in html and "Lump sums" in html
    assert "January 2026" in html  # grouped by cycle month
    assert "40.0" in html or "40,0" in html  # the total share paid by the due date
    bad = client.get("/payments/reports/", {"period_from": "2026-13"})
    assert bad.status_code == 400

    response = client.get(
        "/payments/reports/export/",
        {"report": "timeliness", "format": "csv", "group": "month", "program": "jslu"},
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["key"], r["paid"]) for r in rows] == [("2026-01", "3"), ("2026-02", "2"), ("", "5")]
    event = AuditEvent.objects.get(action="export", object_type="payments.report.timeliness")
    assert event.detail["format"] == "csv" and event.detail["program"] == "jslu"
    assert event.detail["group"] == "month" and event.actor_id == data["officer"].pk

    xlsx = client.get("/payments/reports/export/", {"report": "lump_sums", "format": "xlsx"})
    assert xlsx.status_code == 200
    frame = pl.read_excel(io.BytesIO(xlsx.content))
    assert frame["lump_sums"].to_list() == [3, 3]  # jslu, then the total
    assert AuditEvent.objects.filter(object_type="payments.report.lump_sums").count() == 1
    assert client.get("/payments/reports/export/?report=nope&format=csv").status_code == 404


@pytest.mark.django_db
def test_delivery_page_and_download(client, data):
    login(client, data["gowa_officer"])
    page = client.get("/payments/reports/delivery/", {"cycle": data["jan"].pk})
    assert page.status_code == 200
    assert "Makassar" not in page.content.decode()
    response = client.get("/payments/reports/delivery/", {"cycle": data["jan"].pk, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["key"], r["lines"], r["paid"]) for r in rows] == [
        ("73.06/post_home", "1", "1"),
        ("", "1", "1"),
    ]
    event = AuditEvent.objects.get(object_type="payments.report.delivery")
    assert event.detail["cycle"] == data["jan"].pk
    xlsx = client.get("/payments/reports/delivery/", {"cycle": data["jan"].pk, "format": "xlsx"})
    assert pl.read_excel(io.BytesIO(xlsx.content)).height == 2


# --- API ---------------------------------------------------------------------------------

URL = "/api/v1/payments/reports/"


@pytest.mark.django_db
def test_api_reports(client, data):
    officer = bearer(data["officer"])
    body = client.get(URL + "timeliness", {"group": "month"}, headers=officer).json()
    assert [(r["key"], r["paid"]) for r in body["rows"]] == [("2026-01", 3), ("2026-02", 2)]
    assert body["total"]["on_time_share"] == 40.0 and body["group"] == "month"
    held = client.get(URL + "held", headers=officer).json()
    assert held["total"]["held_amount"] == 1_500_000
    lump = client.get(URL + "lump-sums", {"group": "regency"}, headers=officer).json()
    assert [(r["key"], r["lump_sums"]) for r in lump["rows"]] == [("73.71", 3)]
    delivery = client.get(URL + "delivery", {"cycle": data["jan"].pk}, headers=officer).json()
    assert delivery["total"]["lines"] == 6
    assert client.get(URL + "held", {"group": "x"}, headers=officer).status_code == 400
    assert client.get(URL + "held", {"period_to": "26-1"}, headers=officer).status_code == 400

    gowa = client.get(URL + "timeliness", headers=bearer(data["gowa_officer"])).json()
    assert gowa["total"]["paid"] == 2
    worker = bearer(data["worker"])
    for path in ("timeliness", "held", "lump-sums", f"delivery?cycle={data['jan'].pk}"):
        assert client.get(URL + path, headers=worker).status_code == 403
    assert client.get(URL + "timeliness").status_code == 401
