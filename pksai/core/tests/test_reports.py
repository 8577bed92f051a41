"""The shared report table: page cells, CSV/XLSX/PDF files, the median and rates, and the
audited download every report page uses (here through each app's export URL as PDF)."""

from datetime import date

import polars as pl
import pytest

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.core.reports import Table, display, median, rate, table_file

TABLE = Table(
    columns=[("key", "Code"), ("label", "Regency"), ("n", "Referrals"), ("share", "Share (%)")],
    rows=[["73.71", "Kota Makassar", 1200, 66.7], ["73.06", "Kabupaten Gowa", 600, None]],
    total=["", "Total", 1800, 100.0],
)


def test_the_table_on_the_page_and_in_files():
    page = display(TABLE)
    assert page["columns"] == ["Regency", "Referrals", "Share (%)"]  # codes only in files
    assert page["rows"][1][2] == "—"
    csv = table_file(TABLE, "csv", sheet="x").decode().splitlines()
    assert csv[0] == "key,label,n,share" and csv[-1] == '"",Total,1800,100.0'
    assert table_file(TABLE, "xlsx", sheet="x")[:2] == b"PK"
    pdf = table_file(TABLE, "pdf", sheet="x", title="Rujukan — 2026")
    assert pdf.startswith(b"%PDF")
    assert pl.read_csv(table_file(TABLE, "csv", sheet="x")).height == 3


def test_median_and_rate():
    assert median({1.0: 1, 3.0: 1}) == 2.0
    assert median({2.0: 3, 9.0: 1}) == 2.0
    assert median({}) is None
    assert rate(1, 3) == 33.3 and rate(1, 0) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/referrals/reports/export/?report=services&format=pdf",
        "/complaints/reports/export/?report=volume&format=pdf",
        "/payments/reports/export/?report=timeliness&format=pdf",
    ],
)
def test_every_report_page_downloads_a_pdf_on_the_audit_log(client, pilot_areas, url):
    user = make_user("kadis", roles=["coordinator", "program_officer"], scope=["73.71"])
    client.force_login(user)
    year = date.today().year  # noqa: DTZ011
    response = client.get(f"{url}&date_from={year}-01-01&date_to={year}-12-31")
    assert response.status_code == 200, response.content[:300]
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("attachment")
    assert AuditEvent.objects.filter(action="export", actor=user).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("page", "report"),
    [
        ("/referrals/reports/", "services"),
        ("/complaints/reports/", "volume"),
        ("/payments/reports/", "timeliness"),
    ],
)
def test_report_pages_offer_the_three_downloads_with_their_filters(
    client, pilot_areas, page, report
):
    user = make_user("kadis", roles=["coordinator", "program_officer"], scope=["73.71"])
    client.force_login(user)
    html = client.get(page, {"area": "73.71"}).text
    for fmt in ("csv", "xlsx", "pdf"):
        assert f"report={report}&amp;format={fmt}" in html.replace("area=73.71&amp;", "")
    assert "area=73.71" in html


def test_latin1_keeps_plain_forms_of_dashes():
    from pksai.core.reports import latin1

    assert latin1("Diekspor oleh budi — tujuan: kunjungan ≤ 4") == (
        "Diekspor oleh budi - tujuan: kunjungan <= 4"
    )
    assert latin1("Café 日本") == "Café ??"
