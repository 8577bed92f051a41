"""The shared PDF document (pksai.core.pdf) and the report table PDF every report downloads
(pksai.core.reports.grid_pdf): Unicode text, numbers in the reader's format and flush right,
codes left out, headings on every page, rows that wrap, rows taller than a page, page numbers
in the reader's language, nothing drawn over anything else — and 5,000 rows in seconds."""

import time
from itertools import pairwise

import pytest
from django.utils import translation

from pksai.accounts.tests.factories import make_user
from pksai.core.pdf import document, looks_numeric
from pksai.core.reports import Table, filters_line, grid_pdf, table_pdf
from pksai.core.tests.pdf_text import outside, overlapping, pdf_runs, pdf_text, width

MM = 72 / 25.4
LANDSCAPE = 297 * MM
ACCENTED = "Kabupaten Nguyễn – Łódź"  # outside Latin-1, an en dash inside
NOTE = "Angka di bawah 5 ditampilkan sebagai ≤4 — demi kerahasiaan."


def report(rows: int = 120, user=None) -> bytes:
    """A report of ``rows`` areas: names, counts, a rate, a missing value, a total."""
    body = [
        [ACCENTED if n == 3 else f"Kecamatan {n:04d}", 1234 * n, 12.5 if n % 2 else None, "≤4"]
        for n in range(rows)
    ]
    return grid_pdf(
        title="Rujukan menurut wilayah — 2026",
        headings=["Wilayah", "Rujukan terkirim", "Tingkat penyelesaian (%)", "Kecil"],
        rows=body,
        total=["Jumlah", 1234 * sum(range(rows)), 12.5, ""],
        subtitle="Periode 1 Jan 2026 – 31 Des 2026",
        notes=[NOTE],
        user=user,
    )


@pytest.mark.django_db
def test_report_text_prints_as_itself_with_numbers_in_the_readers_format():
    pdf = report(user=make_user("analis", roles=["national_analyst"], national=True))
    text = pdf_text(pdf)
    assert "?" not in text and "\ufffd" not in text
    lines = text.splitlines()
    assert "Rujukan menurut wilayah — 2026" in lines
    assert "Periode 1 Jan 2026 – 31 Des 2026" in lines
    assert ACCENTED in lines and NOTE in lines and "≤4" in lines
    assert "3.702" in lines and "12,5" in lines and "—" in lines  # 1234 × 3; None as a dash
    assert any(line.startswith("Dicetak oleh analis pada ") for line in lines)
    with translation.override("en"):
        english = pdf_text(report()).splitlines()
    assert "3,702" in english and "12.5" in english and "Page 1 of 5" in english


@pytest.mark.django_db
def test_report_headings_on_every_page_numbers_flush_right_total_in_bold():
    runs = pdf_runs(report())
    pages = max(run.page for run in runs)
    assert pages == 5
    for page in range(1, pages + 1):
        on_page = [run for run in runs if run.page == page]
        [number] = [run for run in on_page if run.text.startswith("Halaman")]
        assert number.text == f"Halaman {page} dari {pages}"
        [heading] = [run for run in on_page if run.text.startswith("Rujukan terkirim")]
        areas = [run for run in on_page if run.text.startswith("Kecamatan")]
        assert areas and heading.y > max(run.y for run in areas)
    # every area once, in order
    names = [run.text for run in runs if run.text.startswith("Kecamatan")]
    assert names == [f"Kecamatan {n:04d}" for n in range(120) if n != 3]
    # the counts end at one right edge (flush right); the names start at one left edge
    [column] = {run.x for run in runs if run.text.startswith("Kecamatan")}
    counts = [run for run in runs if run.text[:1].isdigit() and "." in run.text]
    assert len({round(run.x + width(run), 1) for run in counts}) == 1
    assert column == pytest.approx(10 * MM + 1 * MM, abs=0.5)
    [total] = [run for run in runs if run.text == "Jumlah"]
    assert total.font.endswith("Bold") and total.page == pages
    assert overlapping(runs) == []
    assert outside(runs, page_width=LANDSCAPE, margin=10 * MM) == []


@pytest.mark.django_db
def test_report_table_pdf_shows_labels_never_the_codes_the_downloads_carry():
    table = Table(
        columns=[("group", "Dikelompokkan"), ("key", "Kode"), ("label", "Layanan"), ("n", "n")],
        rows=[["service", "birth_certificate", "Akta kelahiran", 3]],
        total=["total", "", "Jumlah", 3],
    )
    lines = pdf_text(table_pdf(table, title="Layanan")).splitlines()
    assert "Akta kelahiran" in lines and "Jumlah" in lines
    assert not {"birth_certificate", "service", "total", "Kode", "Dikelompokkan"} & set(lines)


@pytest.mark.django_db
def test_a_5000_row_report_is_made_in_seconds_and_keeps_every_row():
    rows = [
        [f"Desa {n:05d}", f"Kecamatan {n % 80:02d}", n, n * 7, 12.5, "Catatan " * (n % 4)]
        for n in range(5000)
    ]
    started = time.perf_counter()
    pdf = grid_pdf(
        title="Lima ribu baris",
        headings=["Desa", "Kecamatan", "A", "B", "Persen", "Catatan"],
        rows=rows,
    )
    elapsed = time.perf_counter() - started
    # about 2 s alone; the bound only catches a per-cell regression (fpdf2's cell tables
    # took about ten times longer) on a machine busy with the rest of the suite
    assert elapsed < 30
    runs = pdf_runs(pdf)
    villages = [run.text for run in runs if run.text.startswith("Desa ")]
    assert villages == [f"Desa {n:05d}" for n in range(5000)]
    last = max(run.page for run in runs)
    assert f"Halaman {last} dari {last}" in [run.text for run in runs]
    assert overlapping([run for run in runs if run.page in (1, 2, last)]) == []


@pytest.mark.django_db
def test_a_row_taller_than_a_page_goes_on_over_the_next_below_the_headings():
    with translation.override("en"):
        pdf = document()
        pdf.heading("Notes")
        pdf.data_table(
            ["When", "Note"],
            [["Monday", "A short note"], ["Tuesday", "\n".join(f"line {n}" for n in range(90))]],
            widths=(30, 160),
        )
        runs = pdf_runs(bytes(pdf.output()))
    lines = [run for run in runs if run.text.startswith("line ")]
    assert [run.text for run in lines] == [f"line {n}" for n in range(90)]  # none lost
    assert {run.page for run in lines} == {1, 2}
    for page in (1, 2):
        [heading] = [run for run in runs if run.page == page and run.text == "Note"]
        assert heading.y > max(run.y for run in lines if run.page == page)
        on_page = [run.y for run in lines if run.page == page]
        assert all(upper > lower for upper, lower in pairwise(on_page))
        [number] = [run for run in runs if run.page == page and run.text.startswith("Page")]
        assert number.text == f"Page {page} of 2" and number.y < min(on_page)
    assert overlapping(runs) == []


@pytest.mark.django_db
def test_long_words_and_cells_wrap_inside_their_column():
    pdf = document(landscape=True)
    long_name = "Andi Muhammad Fadhlurrahman Syamsuddin Daeng Mappasessu bin Haji Abdul Rahman"
    pdf.data_table(
        ["Nama", "NIK", "Alamat"],
        [[long_name, "7371010101000001", "Jl." + "x" * 300]],
        widths=(40, 40, 197),
    )
    runs = pdf_runs(bytes(pdf.output()))
    assert long_name not in [run.text for run in runs]
    names = [run for run in runs if run.x < 50 * MM and run.text[:1].isalpha()]
    assert " ".join(run.text for run in names if run.text != "Nama") == long_name
    assert overlapping(runs) == []
    assert outside(runs, page_width=LANDSCAPE, margin=10 * MM) == []  # the long word is cut


def test_the_overlap_check_finds_text_drawn_over_text():
    pdf = document()
    pdf.set_font(pdf.family, "", 10)
    pdf.text(20, 40, "Satu dua tiga")
    pdf.text(30, 40.5, "empat lima")
    pdf.text(20, 60, "jauh di bawah")
    found = overlapping(pdf_runs(bytes(pdf.output())))
    assert [{a.text, b.text} for a, b in found] == [{"Satu dua tiga", "empat lima"}]


def test_numbers_are_recognised_for_alignment():
    assert looks_numeric(["1.234", "12,5", "—", "≤4", "", "Rp 300.000", "-3", "50 %"])
    assert not looks_numeric(["1.234", "Kota Makassar"])
    assert not looks_numeric(["", ""])


@pytest.mark.django_db
def test_a_report_pdf_names_its_period_and_area_under_the_title(pilot_areas, client):
    with translation.override("en"):
        days = filters_line({"from": "2026-01-01", "to": "2026-12-31", "area": "73.71"})
        months = filters_line({"period_from": "2026-01", "period_to": "2026-03", "area": ""})
    assert days == "Period 1 Jan 2026 – 31 Dec 2026, area Kota Makassar"
    assert months == "Period Jan 2026 – Mar 2026, area all in scope"
    assert filters_line({"group": "service"}) == ""
    client.force_login(make_user("analis", roles=["national_analyst"], national=True))
    client.post("/i18n/setlang/", {"language": "en"})
    response = client.get(
        "/referrals/reports/export/",
        {"report": "services", "format": "pdf", "date_from": "2026-01-01", "date_to": "2026-06-30"},
    )
    lines = pdf_text(response.content).splitlines()
    assert "Period 1 Jan 2026 – 30 Jun 2026, area all in scope" in lines
