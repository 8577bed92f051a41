"""Downloads of the monitoring reports (CSV parses, XLSX opens, PDF is a PDF, each audited
with its filters, count tables suppressed), and the personal-data export rules (a stated
purpose, audited, watermarked)."""

import csv
import io
from datetime import date

import polars as pl
import pytest
from django.core.exceptions import ValidationError
from fpdf import FPDF

from pksai.accounts.tests.factories import make_user
from pksai.api.tests.helpers import english_messages  # noqa: F401  (messages asserted in English)
from pksai.audit.models import AuditEvent
from pksai.audit.personal_exports import (
    PersonalExport,
    export_purpose,
    watermark_pdf,
    xlsx_with_watermark,
)
from pksai.monitoring.demo import demo_finance
from pksai.monitoring.exports import suppressed_columns
from pksai.monitoring.suppression import recoverable, suppress
from pksai.monitoring.tests.test_views import THIS_YEAR, analyst, makassar, monitoring_cases

__all__ = ["analyst", "makassar", "monitoring_cases"]  # fixtures used here


def rows_of(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode())))


def test_comparison_downloads_are_suppressed_and_audited(client, monitoring_cases, analyst):
    client.force_login(analyst)
    base = "/monitoring/export/?report=comparison&measures=cases_reported"
    response = client.get(base + "&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = rows_of(response.content)
    table = {row[0]: row[1:] for row in rows}
    assert table["Kota Makassar"] == ["6", "7", "1"]
    assert table["Kabupaten Gowa"] == ["≤4", "≤4", "—"]  # 1 and 2: never published
    assert rows[-1][1:] == ["12", "14", "2"]  # the totals
    xlsx = client.get(base + "&format=xlsx")
    frame = pl.read_excel(io.BytesIO(xlsx.content), read_options={"header_row": 3})
    assert "≤4" in frame.row(by_predicate=pl.col(frame.columns[0]) == "Kabupaten Gowa")
    pdf = client.get(base + "&format=pdf")
    assert pdf.content.startswith(b"%PDF") and pdf["Content-Type"] == "application/pdf"
    events = AuditEvent.objects.filter(
        action="export", object_type="monitoring.report.comparison"
    ).order_by("pk")
    assert [e.detail["format"] for e in events] == ["csv", "xlsx", "pdf"]
    assert events[0].detail["measures"] == ["cases_reported"]
    assert events[0].detail["second"]["from"] == f"{THIS_YEAR}-01-01"
    assert events[0].detail["suppressed"] == 4
    assert client.get(base + "&format=doc").status_code == 404
    assert client.get("/monitoring/export/?report=nope&format=csv").status_code == 404


def test_indicator_download_is_suppressed_unlike_the_page(client, monitoring_cases, analyst):
    client.force_login(analyst)
    code = "cases_reported"
    response = client.get(
        f"/monitoring/export/?report=indicator&indicator={code}&format=csv&group=regency"
    )
    assert response.status_code == 200
    table = {row[0]: row[1:] for row in rows_of(response.content)}
    assert table["Kota Makassar"][0] == "7"
    assert table["Kabupaten Gowa"][0] == "≤4"
    event = AuditEvent.objects.get(object_type=f"monitoring.report.{code}")
    assert event.detail["group"] == "regency" and event.detail["indicator"] == code
    assert client.get(
        "/monitoring/export/?report=indicator&indicator=nope&format=csv"
    ).status_code == (404)


def test_finance_downloads(client, pilot_areas):
    officer = make_user("officer", roles=["program_officer"], national=True)
    demo_finance(date(THIS_YEAR, 6, 1))
    client.force_login(officer)
    page = client.get(f"/monitoring/finance/?year={THIS_YEAR - 1}&program=pksa")
    assert page.status_code == 200 and "data:image/svg+xml" in page.text
    for report in ("efficiency", "execution", "by_month", "real_benefits", "projection"):
        query = f"?report={report}&year={THIS_YEAR - 1}&program=pksa"
        response = client.get(f"/monitoring/export/{query}&format=csv")
        assert response.status_code == 200, report
        assert len(rows_of(response.content)) > 1, report
        assert client.get(f"/monitoring/export/{query}&format=xlsx").content[:2] == b"PK"
        assert client.get(f"/monitoring/export/{query}&format=pdf").content.startswith(b"%PDF")
    efficiency = rows_of(
        client.get(f"/monitoring/export/?report=efficiency&year={THIS_YEAR - 1}&format=csv").content
    )
    assert [row[0] for row in efficiency[1:]] == ["JSLU", "JSPACA", "PKSA"]
    assert AuditEvent.objects.filter(object_type="monitoring.report.projection").count() == 3


# --- suppression of published columns --------------------------------------------------------


def test_suppressed_columns_leave_nothing_recoverable():
    labels = ["a", "b", "c", "d"]
    counts = [[1, 9, 12, 0], [7, 3, 6, 8]]
    cells, totals, hidden = suppressed_columns(labels, counts)
    assert [row[0] for row in cells] == ["≤4", "—", 12, 0]
    assert totals == [22, 24] and hidden == 4
    for column in counts:
        assert not recoverable(suppress(labels, ["n"], [[n] for n in column]))


# --- personal data ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_personal_export_needs_a_purpose_and_is_watermarked(pilot_areas):
    user = make_user("clerk", roles=["program_officer"])
    with pytest.raises(ValidationError, match="purpose"):
        export_purpose({"purpose": "   "})
    export = PersonalExport(user=user, purpose=export_purpose({"purpose": " decree  signing "}))
    assert export.purpose == "decree signing"
    assert "clerk" in export.watermark and "decree signing" in export.watermark
    event = export.audit(object_type="programs.selectionround", object_id="1", detail={"x": 1})
    assert event.action == "export" and event.detail["purpose"] == "decree signing"
    assert event.detail["personal_data"] is True and event.detail["x"] == 1
    # PDF: on every page
    pdf = FPDF()
    pdf.set_compression(False)
    pdf.set_font("Helvetica", "", 10)
    for _page in range(3):
        pdf.add_page()
        pdf.cell(0, 10, "content")
    watermark_pdf(pdf, "WATERMARK clerk")
    assert bytes(pdf.output()).count(b"WATERMARK clerk") == 3
    # XLSX: first row, the table below
    data = xlsx_with_watermark(pl.DataFrame({"name": ["Siti"]}), text="WATERMARK clerk")
    top = pl.read_excel(io.BytesIO(data), has_header=False)
    assert top.row(0)[0] == "WATERMARK clerk"
    table = pl.read_excel(io.BytesIO(data), read_options={"header_row": 2})
    assert table["name"].to_list() == ["Siti"]


def test_monitoring_tables_quote_formula_like_labels_and_keep_numbers():
    from pksai.core.tests.spreadsheet import HOSTILE, assert_csv_safe, assert_xlsx_safe
    from pksai.monitoring.exports import Table, to_csv, to_xlsx

    table = Table(
        key="t",
        title="=title",
        columns=["area", "change"],
        rows=[[label, -i] for i, label in enumerate(HOSTILE)],
        total=["Total", -6],
        notes=["@note"],
    )
    rows = assert_csv_safe(to_csv(table), HOSTILE)
    assert rows[2] == ["'+1+1", "-1"] and rows[-1] == ["Total", "-6"]
    cells = assert_xlsx_safe(to_xlsx(table, subtitle="-subtitle"), HOSTILE)
    texts = {c.value for c in cells if c.is_text}
    assert {"=title", "-subtitle", "@note"} <= texts
