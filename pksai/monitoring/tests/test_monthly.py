"""Issue 18 point 3: one report to hand over — the indicators of an area for a month or a
quarter as one PDF and one XLSX workbook, from the page and from ``pksai report monthly``
(tests/test_commands.py); internal copies unsuppressed for staff in scope, publication copies
suppressed and saying so; audited; bounded queries."""

from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.http import Http404
from django.utils import translation

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.core.tests.pdf_text import pdf_text
from pksai.core.tests.xlsx_cells import beside, find, read_cells
from pksai.monitoring.indicators import active_indicators
from pksai.monitoring.monthly import (
    SYSTEM,
    _hide_months,
    monthly_report,
    monthly_report_file,
    report_period,
)
from pksai.monitoring.tests.test_views import THIS_YEAR, analyst, makassar, monitoring_cases

__all__ = ["analyst", "makassar", "monitoring_cases"]  # fixtures used here
JANUARY = f"{THIS_YEAR}-01"


def section(report, code):
    return next(s for s in report.sections if s.indicator.code == code)


def test_periods():
    march = report_period("2026-03")
    assert (march.kind, march.period.start, march.period.end) == (
        "month",
        date(2026, 3, 1),
        date(2026, 4, 1),
    )
    q4 = report_period("2025-q4")
    assert (q4.kind, q4.code, q4.period.start, q4.period.end) == (
        "quarter",
        "2025-Q4",
        date(2025, 10, 1),
        date(2026, 1, 1),
    )
    with translation.override("en"):
        assert q4.label() == "Quarter 4 2025"
        assert march.label() == "March 2026"
    for wrong in ("2026-13", "2026-Q5", "26-03", "2026/03", ""):
        with pytest.raises(ValueError, match="2026-Q1"):
            report_period(wrong)


def test_internal_report_has_the_real_counts(monitoring_cases, makassar):
    report = monthly_report(
        reader=makassar, area="73.71", period=report_period(JANUARY), publication=False
    )
    assert report.area_name == "Kota Makassar" and report.group == "district"
    assert [s.indicator.code for s in report.sections] == [i.code for i in active_indicators()]
    reported = section(report, "cases_reported")
    assert reported.value == 4 and reported.numerator == 4  # January: 4 in Makassar
    assert len(reported.months) == 12 and reported.months[-1].month == JANUARY
    # June last year: 6 cases, inside the twelve months
    june = next(m for m in reported.months if m.month == f"{THIS_YEAR - 1}-06")
    assert (june.numerator, june.value) == (6, 6)
    assert reported.table.rows == [["Mariso", 4, 4]]
    responded = section(report, "cases_responded")
    assert (responded.numerator, responded.denominator, responded.value) == (4, 4, Decimal(100))
    assert report.hidden == 0 and "Jangan dipublikasikan" in " ".join(report.notes())
    # a figure for today has no months and no change
    caseload = section(report, "caseload_in_target")
    assert caseload.change is None and len(caseload.months) == 12  # at each month's end
    assert all(m.value is None for m in caseload.months)  # no facilitator here


def test_publication_hides_small_counts_internal_does_not(monitoring_cases, analyst):
    gowa = {"reader": analyst, "area": "73.06", "period": report_period(JANUARY)}
    internal = section(monthly_report(**gowa, publication=False), "cases_reported")
    published_report = monthly_report(**gowa, publication=True)
    published = section(published_report, "cases_reported")
    assert internal.value == 2 and internal.table.rows == [["Bontonompo", 2, 2]]
    assert published.value == "≤4" and published.numerator == "≤4"  # a count: its numerator
    assert published.status == "" and published.table.rows == [["Bontonompo", "≤4", "—"]]
    assert published.change == "—"  # the change would give January's count away
    # March last year (1 case) is hidden in the trend as well
    march = next(m for m in published.months if m.month == f"{THIS_YEAR - 1}-03")
    assert (march.numerator, march.value) == ("≤4", "≤4")
    responded = section(published_report, "cases_responded")  # a share: 2 of 2
    assert (responded.numerator, responded.denominator, responded.value) == ("≤4", "≤4", "—")
    assert published_report.hidden > 0
    with translation.override("en"):
        assert "Counts below 5" in published_report.notes()[0]


def test_a_quarter_never_gives_one_month_away():
    """The period's months add up to its figure: one small month hides a second one."""
    counts = {"2026-01": 2, "2026-02": 9, "2026-03": 7, "2025-12": 0}
    hidden, previous_ok = _hide_months(
        counts, ["2026-01", "2026-02", "2026-03"], ["2025-10", "2025-11", "2025-12"], 18
    )
    assert hidden == {"2026-01": "≤4", "2026-03": "—"}  # the smallest other month
    assert previous_ok
    hidden, previous_ok = _hide_months(counts | {"2025-11": 3}, ["2026-02"], ["2026-01"], 9)
    assert not previous_ok  # January (the previous month) is hidden: no change published


def test_out_of_scope_area_is_not_found_and_audited(monitoring_cases, makassar, client):
    with pytest.raises(Http404):
        monthly_report(
            reader=makassar, area="73.06", period=report_period(JANUARY), publication=False
        )
    refused = AuditEvent.objects.filter(action="permission_denied", object_id="73.06")
    assert refused.count() == 1
    client.force_login(makassar)
    url = f"/monitoring/report/?period={JANUARY}&area=73.06&edition=internal&format=pdf"
    assert client.get(url).status_code == 404
    assert refused.count() == 2
    assert client.get("/monitoring/report/?area=7306").status_code == 404
    # a role without the dashboard: refused outright
    client.force_login(make_user("worker", roles=["social_worker"], scope=["73.71"]))
    assert client.get("/monitoring/report/").status_code == 403


def test_page_downloads_pdf_and_xlsx(monitoring_cases, makassar, client):
    client.force_login(makassar)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/monitoring/report/")
    assert page.status_code == 200
    assert 'name="format" value="pdf"' in page.text and JANUARY in page.text
    query = f"/monitoring/report/?period={JANUARY}&area=73.71&edition=internal"
    pdf = client.get(query + "&format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert f"laporan-bulanan-73.71-{JANUARY}-internal.pdf" in pdf["Content-Disposition"]
    text = pdf_text(pdf.content)
    for expected in (
        "Monthly report",
        "Kota Makassar",
        f"January {THIS_YEAR}",
        "Generated by",
        "makassar",
        "Summary",
        "Definitions",
        "Mariso",
        "Internal copy",
        "Page 1 of",
    ):
        assert expected in text, expected
    assert "Counts below" not in text
    xlsx = client.get(query + "&format=xlsx")
    assert xlsx.status_code == 200
    sheets = read_cells(xlsx.content)
    names = list(sheets)
    assert names[0] == "Summary" and names[-1] == "Definitions"
    assert len(names) == len(active_indicators()) + 2
    summary = sheets["Summary"]
    reported = find(summary, "Cases reported")
    value = beside(summary, reported, 2)
    assert value.is_number and value.value == 4 and value.number_format == "#,##0"
    responded = find(summary, "Cases responded (triaged)")
    share = beside(summary, responded, 2)
    assert share.is_number and share.value == 1.0 and share.number_format == "0.0%"
    sheet = sheets[beside(summary, reported, 8).value]
    mariso = beside(sheet, find(sheet, "Mariso"))
    assert mariso.is_number and mariso.value == 4 and mariso.number_format == "#,##0"
    june = beside(sheet, find(sheet, f"{THIS_YEAR - 1}-06"))
    assert june.is_number and june.value == 6
    definitions = sheets["Definitions"]
    assert "cases reported" in beside(definitions, find(definitions, "cases_reported"), 1).value
    exports = AuditEvent.objects.filter(action="export", object_type="monitoring.report.monthly")
    assert exports.count() == 2
    assert exports.first().detail["edition"] == "internal"
    assert exports.first().actor == makassar


def test_publication_copy_says_so_and_hides(monitoring_cases, analyst, client):
    client.force_login(analyst)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    query = f"/monitoring/report/?period={JANUARY}&area=73.06&edition=publication"
    text = pdf_text(client.get(query + "&format=pdf").content)
    assert "Publication copy" in text and "Counts below 5 are shown as ≤4" in text
    assert "Bontonompo" in text
    sheets = read_cells(client.get(query + "&format=xlsx").content)
    summary = sheets["Summary"]
    reported = find(summary, "Cases reported")
    assert beside(summary, reported, 2).value == "≤4"  # text, not a number
    assert beside(summary, reported, 6).value == "≤4"
    internal = read_cells(
        client.get(query.replace("publication", "internal") + "&format=xlsx").content
    )["Summary"]
    assert beside(internal, find(internal, "Cases reported"), 2).value == 2
    edition = AuditEvent.objects.filter(object_type="monitoring.report.monthly")
    editions = sorted(e.detail["edition"] for e in edition)
    assert editions == ["internal", "publication", "publication"]


def test_bad_choices_answer_400(monitoring_cases, makassar, client):
    client.force_login(makassar)
    assert client.get("/monitoring/report/?period=1999-01&format=pdf").status_code == 400
    assert client.get(f"/monitoring/report/?period={JANUARY}&format=doc").status_code == 400


def test_indonesian_by_default(monitoring_cases, makassar):
    _report, name, body = monthly_report_file(
        reader=makassar, area="", period=report_period(JANUARY), publication=False, fmt="pdf"
    )
    assert name == f"laporan-bulanan-73.71-{JANUARY}-internal.pdf"  # the one scope area
    text = pdf_text(body)
    assert "Halaman 1 dari" in text and f"Januari {THIS_YEAR}" in text


def test_queries_do_not_grow_with_areas(monitoring_cases, analyst, django_assert_max_num_queries):
    """Per indicator a handful of grouped queries (as the tiles), never one per area or
    month: the national report (three provinces' rows) costs what a district's does."""
    indicators = len(active_indicators())
    with django_assert_max_num_queries(7 * indicators + 12):
        national = monthly_report(
            reader=SYSTEM, area="", period=report_period(JANUARY), publication=True
        )
    assert section(national, "cases_reported").table.total[1] == 6  # 4 + 2, Surakarta in March


def test_pdf_text_stays_inside_the_page_and_apart(monitoring_cases, analyst):
    from pksai.core.tests.pdf_text import outside, overlapping, pdf_runs

    mm = 72 / 25.4
    for publication in (False, True):
        _report, _name, body = monthly_report_file(
            reader=analyst,
            area="",
            period=report_period(f"{THIS_YEAR}-Q1"),
            publication=publication,
            fmt="pdf",
        )
        runs = pdf_runs(body)
        assert overlapping(runs) == []
        assert outside(runs, page_width=210 * mm, margin=10 * mm) == []
        text = pdf_text(body)
        assert "Kota Surakarta" not in text  # national: by province
        assert "Jawa Tengah" in text and "Sulawesi Selatan" in text


def test_published_quarter_hides_a_second_month(monitoring_cases, analyst):
    """Sulawesi Selatan, Q1: January 6 (Makassar 4, Gowa 2), February 3, the quarter 9. February
    is small; January is hidden with it, or 9 − 0 − 0 − … would give February away."""
    report = monthly_report(
        reader=analyst, area="73", period=report_period(f"{THIS_YEAR}-Q1"), publication=True
    )
    reported = section(report, "cases_reported")
    months = {m.month: m.numerator for m in reported.months}
    assert reported.value == 9
    assert (months[f"{THIS_YEAR}-01"], months[f"{THIS_YEAR}-02"]) == ("—", "≤4")
    assert months[f"{THIS_YEAR}-03"] == 0
    assert reported.table.rows == [["Kabupaten Gowa", "≤4", "—"], ["Kota Makassar", "—", "—"]]
    internal = monthly_report(
        reader=analyst, area="73", period=report_period(f"{THIS_YEAR}-Q1"), publication=False
    )
    months = {m.month: m.numerator for m in section(internal, "cases_reported").months}
    assert (months[f"{THIS_YEAR}-01"], months[f"{THIS_YEAR}-02"]) == (6, 3)


def test_api_report(client, monitoring_cases, makassar, analyst):
    from pksai.api.tests.helpers import bearer

    url = f"/api/v1/monitoring/report?period={JANUARY}"
    worker = make_user("worker", roles=["social_worker"], scope=["73.71"])
    assert client.get(url, headers=bearer(worker)).status_code == 403
    assert client.get(url + "&area=73.06", headers=bearer(makassar)).status_code == 404
    assert (
        client.get("/api/v1/monitoring/report?period=2026-13", headers=bearer(makassar)).status_code
        == 400
    )
    got = client.get(url, headers=bearer(makassar)).json()  # the coordinator's one area
    assert (got["area"], got["kind"], got["edition"]) == ("73.71", "month", "internal")
    reported = next(s for s in got["sections"] if s["code"] == "cases_reported")
    assert (reported["numerator"], reported["value"]) == (4, "4")
    assert reported["months"][-1] == {
        "month": JANUARY,
        "numerator": 4,
        "denominator": None,
        "value": "4",
    }
    assert reported["table"]["rows"] == [["Mariso", 4, "4"]]
    published = client.get(url + "&area=73.06&edition=publication", headers=bearer(analyst)).json()
    gowa = next(s for s in published["sections"] if s["code"] == "cases_reported")
    assert (gowa["numerator"], gowa["value"]) == ("≤4", "≤4") and published["hidden"] > 0
    rows = AuditEvent.objects.filter(object_type="monitoring.report.monthly", detail__format="json")
    assert rows.count() == 2
