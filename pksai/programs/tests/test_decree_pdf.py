"""The decree list PDF reads cleanly: dashes and accented letters as themselves (never "?"),
long names wrapped inside their column, the column headings repeated at the top of every page
below the watermark, nothing drawn over anything else, and "Halaman n dari N" on every page."""

from datetime import date
from decimal import Decimal
from itertools import pairwise

import pytest
from django.utils import translation

from pksai.accounts.tests.factories import make_user
from pksai.core.tests.pdf_text import pdf_runs, pdf_text
from pksai.programs import exports, services
from pksai.programs.models import Program, Quota
from pksai.programs.tests.factories import nominate_disabled

LONG_NAME = "Andi Muhammad Fadhlurrahman Syamsuddin Daeng Mappasessu bin Haji Abdul Rahman"
ACCENTED = "Nguyễn Thị Ánh – Łucja Ćwik"  # outside Latin-1, an en dash inside
ROWS = 70
MM = 72 / 25.4  # points per millimetre


@pytest.fixture
def approved(pilot_areas):
    """An approved JSPACA round of 70 on the list (three pages), one name far too long for
    its column, one with letters outside Latin-1, a decree number with an en dash."""
    runner = make_user("po", roles=["program_officer"], scope=["73.71"])
    approver = make_user("po2", roles=["program_officer"], scope=["73.71"])
    nominate_disabled(runner, LONG_NAME, disability_type="multiple")
    nominate_disabled(runner, ACCENTED, disability_type="multiple")
    for n in range(ROWS - 2):
        nominate_disabled(runner, f"Penerima {n:02d}", nik=f"7371010101{n:06d}")
    jspaca = Program.objects.get(code="jspaca")
    Quota.objects.create(program=jspaca, year=2026, area_id="73.71", places=ROWS)
    selection = services.round_run(
        by=runner, program=jspaca, year=2026, area_code="73.71", seed=1, sample_share=Decimal(0)
    ).round
    return services.round_approve(
        by=approver,
        selection=selection,
        decree_number="12/HUK/2026 – 1",
        decree_date=date(2026, 3, 2),
    )


WATERMARK = "Diekspor oleh po — 2026-03-02 10:00 WITA — tujuan: penandatanganan SK"


@pytest.fixture
def pdf(approved):
    """The list in Indonesian (the default language), as a personal-data export."""
    with translation.override("id"):
        return exports.decree_pdf(approved, WATERMARK)


@pytest.mark.django_db
def test_dashes_and_letters_outside_latin1_print_as_themselves(pdf):
    text = pdf_text(pdf)
    assert "?" not in text and "\ufffd" not in text
    [title] = [run for run in pdf_runs(pdf) if run.size == 13]
    assert title.text.endswith(" 2026 — Kota Makassar")  # the title's em dash
    assert "12/HUK/2026 – 1" in text  # the decree number's en dash
    assert ACCENTED in text.splitlines()
    assert WATERMARK in text.splitlines()  # the watermark, dashes included, in the same font


@pytest.mark.django_db
def test_every_page_is_numbered_and_repeats_the_headings_below_the_watermark(pdf):
    runs = pdf_runs(pdf)
    pages = max(run.page for run in runs)
    assert pages == 3
    for page in range(1, pages + 1):
        on_page = [run for run in runs if run.page == page]
        [number] = [run for run in on_page if run.text.startswith("Halaman")]
        assert number.text == f"Halaman {page} dari {pages}"
        [heading] = [run for run in on_page if run.text == "NIK"]
        [watermark] = [run for run in on_page if run.text == WATERMARK]
        rows = [run for run in on_page if run.text.startswith("7371")]  # NIKs
        assert rows, page
        # top to bottom (y grows upwards): watermark, headings, rows, page number
        assert watermark.y > heading.y > max(r.y for r in rows)
        assert min(r.y for r in rows) > number.y
    # the title and the decree line only on the first page, above the headings
    first_heading = next(r for r in runs if r.text == "NIK")
    [decree] = [r for r in runs if "12/HUK/2026" in r.text]
    assert decree.page == 1 and decree.y > first_heading.y
    # every nominee on the list once, in rank order
    ranks = [int(r.text) for r in runs if r.x < 20 * MM and r.text.isdigit()]
    assert ranks == list(range(1, ROWS + 1))


@pytest.mark.django_db
def test_long_names_wrap_inside_their_column_and_rows_do_not_overlap(pdf):
    runs = pdf_runs(pdf)
    assert LONG_NAME not in [run.text for run in runs]  # not on one line, cut or overflowing…
    [name_heading] = [r for r in runs if r.page == 1 and r.text == "Nama"]
    [rank] = [r for r in runs if r.page == 1 and r.text == "1" and r.x < name_heading.x]
    [next_rank] = [r for r in runs if r.page == 1 and r.text == "2" and r.x == rank.x]
    lines = [
        r for r in runs if r.page == 1 and r.x == name_heading.x and next_rank.y < r.y <= rank.y
    ]
    assert len(lines) >= 2  # …but whole, over several lines of its own row
    assert " ".join(r.text for r in lines) == LONG_NAME
    assert lines[0].y == rank.y and all(a.y > b.y for a, b in pairwise(lines))
    # rows of a page never share a line: each NIK stands lower than the one before
    for page in (1, 2, 3):
        niks = [r.y for r in runs if r.page == page and r.text.startswith("7371")]
        assert all(upper - lower >= 4 * MM for upper, lower in pairwise(niks))
    # every run starts inside the page's margins
    assert all(10 * MM - 0.5 <= r.x <= (297 - 10) * MM for r in runs)


@pytest.mark.django_db
def test_the_sub_program_column_shows_names_only_when_there_are_sub_programs(approved, pdf):
    assert "Subprogram" not in pdf_text(pdf).splitlines()  # JSPACA has none
    first = approved.entries.get(rank=1).nomination
    type(first).objects.filter(pk=first.pk).update(chosen=Program.objects.get(code="pks_abh"))
    with translation.override("id"):
        lines = pdf_text(exports.decree_pdf(approved)).splitlines()
    assert "Subprogram" in lines
    name = Program.objects.get(code="pks_abh").name
    assert name in " ".join(lines) and "pks_abh" not in lines  # the name, never the code


@pytest.mark.django_db
def test_the_pdf_is_in_english_for_an_english_reader(approved):
    with translation.override("en"):
        lines = pdf_text(exports.decree_pdf(approved)).splitlines()
    assert "Page 1 of 3" in lines and "Birth date" in lines and "Male" in lines
    assert not any("?" in line for line in lines)
