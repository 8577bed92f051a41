"""The case summary PDF reads cleanly: names and notes with dashes and letters outside Latin-1
print as themselves, every coded value as its label in the reader's language, a table that
runs onto the next page repeats its headings there, every page is numbered and watermarked,
and no text is drawn over other text or beyond the margins."""

from datetime import date, timedelta

import pytest
from django.utils import timezone, translation
from django.utils.text import capfirst

from pksai.cases import records, services
from pksai.cases.models import Concern, EmergencyAction, PlanAction
from pksai.cases.pdf import case_summary_pdf
from pksai.cases.tests.factories import make_child, move
from pksai.core.tests.pdf_text import outside, overlapping, pdf_runs, pdf_text

ACCENTED = "Nguyễn Thị Ánh – Łucja Ćwik"  # outside Latin-1, an en dash inside
REPORTED = "Tetangga melaporkan — anak dipukul ayahnya; ibunya (Ṣafiyah) tidak di rumah."
LONG_OBSERVATION = (
    "Anak tampak sehat dan sudah kembali bersekolah; ibu mengatakan ayah tidak lagi tinggal "
    "di rumah — pendamping memeriksa buku rapor, jadwal makan dan tempat tidur anak, lalu "
    "membicarakan rencana bulan depan dengan ibu dan nenek."
)
VISITS = 30
WATERMARK = "Diekspor oleh sw — 2026-03-02 10:00 WITA — tujuan: konferensi kasus"
MM = 72 / 25.4


@pytest.fixture
def full_case(team):
    """A case in implementation with an emergency action, a completed assessment, a plan
    with an action, a conference, a note and 30 long visits (the visits run over pages)."""
    worker = team["worker"]
    child = make_child(ACCENTED, nik="7371014505140001", sex="F")
    case = services.case_register(
        by=team["staff"],
        child=child,
        channel="phone",
        summary=REPORTED,
        concerns=["physical_violence", "neglect"],
        owner=worker,
        supervisor=team["supervisor"],
        reporter_name="Pak Budi Pelapor",
        reporter_relation="tetangga",
        consent_given=True,
        guardians=[{"name": "Ibu Ṣafiyah", "relation": "ibu", "phone": "0811-2222-333"}],
    )
    move(case, "triage", worker, response="immediate")
    services.emergency_action_record(
        case=case, by=worker, kind="medical", started=True, notes="Visum — Puskesmas Mariso"
    )
    move(case, "complete_assessment", worker)
    case.refresh_from_db()
    records.conference_record(
        case=case,
        by=worker,
        held_on=timezone.localdate(),
        agenda="Rencana pengasuhan",
        decisions="Konseling keluarga — ibu dan anak",
        participants=[records.Participant(name="Bu Ani", organisation="SDN 1", role="guru")],
    )
    services.plan_action_add(
        case=case,
        by=worker,
        kind="service",
        description="Konseling keluarga",
        responsible="Psikolog P2TP2A",
        due_date=timezone.localdate(),
    )
    records.note_add(case=case, by=worker, text="Catatan rahasia — jangan dibagikan")
    for n in range(VISITS):
        records.visit_record(
            case=case,
            by=worker,
            visited_on=timezone.localdate() - timedelta(days=VISITS - n),
            place=f"Rumah nenek, Jl. Kunjungan {n:02d}",
            seen="Anak, ibu dan nenek",
            observations=LONG_OBSERVATION,
        )
    case.refresh_from_db()
    return case


def summary(case, user, language="id", watermark=WATERMARK) -> bytes:
    with translation.override(language):
        return case_summary_pdf(case=case, user=user, watermark=watermark)


@pytest.mark.django_db
def test_dashes_and_letters_outside_latin1_print_as_themselves(full_case, team):
    pdf = summary(full_case, team["worker"])
    text = pdf_text(pdf)
    assert "?" not in text and "\ufffd" not in text
    lines = text.splitlines()
    assert ACCENTED in lines and WATERMARK in lines
    assert "Ibu Ṣafiyah (ibu), 0811-2222-333" in lines
    assert " ".join(lines).count("Visum — Puskesmas Mariso") == 1
    assert REPORTED in " ".join(lines)  # wrapped over lines, whole


@pytest.mark.django_db
def test_codes_are_printed_as_labels_in_the_readers_language(full_case, team):
    for language, words in (
        ("id", ["Perempuan", "Telepon / hotline", "Penanganan segera", "Perawatan medis"]),
        ("en", ["Female", "Phone / hotline", "Immediate response", "Medical care"]),
    ):
        lines = pdf_text(summary(full_case, team["worker"], language)).splitlines()
        for word in words:
            assert word in lines, (language, word)
        with translation.override(language):
            stage = capfirst(full_case.get_stage_display())
            concerns = ", ".join(
                capfirst(str(c.label)) for c in (Concern.NEGLECT, Concern.PHYSICAL_VIOLENCE)
            )
            status = capfirst(str(PlanAction.Status.PLANNED.label))
            kind = capfirst(str(EmergencyAction.Kind.MEDICAL.label))
        assert stage in lines and concerns in lines and status in lines and kind in lines
        for code in ("F", "phone", "immediate", "medical", "implementation", "planned", "high"):
            assert code not in lines, (language, code)
        assert "neglect" not in " ".join(lines) and "physical_violence" not in " ".join(lines)
    assert "Halaman 1 dari" in pdf_text(summary(full_case, team["worker"], "id"))
    assert "Page 1 of" in pdf_text(summary(full_case, team["worker"], "en"))


@pytest.mark.django_db
def test_a_table_over_two_pages_repeats_its_headings_and_every_page_is_numbered(full_case, team):
    pdf = summary(full_case, team["worker"])
    runs = pdf_runs(pdf)
    pages = max(run.page for run in runs)
    assert pages >= 3
    for page in range(1, pages + 1):
        on_page = [run for run in runs if run.page == page]
        [number] = [run for run in on_page if run.text.startswith("Halaman")]
        assert number.text == f"Halaman {page} dari {pages}"
        [watermark] = [run for run in on_page if run.text == WATERMARK]
        assert watermark.y == max(run.y for run in on_page)  # above everything else
        assert number.y == min(run.y for run in on_page)  # below everything else
    places = [run for run in runs if run.text.startswith("Rumah nenek, Jl. Kunjungan")]
    assert len(places) == VISITS  # every visit once
    continued = sorted({run.page for run in places})[1:]
    assert continued  # the visits go on over a page…
    for page in continued:  # …and there the table's headings stand above them
        [heading] = [r for r in runs if r.page == page and r.text == "Tempat"]
        assert heading.y > max(r.y for r in places if r.page == page)
        assert [r for r in runs if r.page == page and r.text == "Hasil pengamatan"]


@pytest.mark.django_db
def test_nothing_is_drawn_over_anything_else_or_beyond_the_margins(full_case, team):
    runs = pdf_runs(summary(full_case, team["worker"]))
    assert overlapping(runs) == []
    body = [r for r in runs if r.text != WATERMARK]
    assert outside(body, page_width=210 * MM, margin=10 * MM) == []


@pytest.mark.django_db
def test_restricted_fields_only_for_readers_who_may_see_them(full_case, team):
    def lines(user) -> str:
        return pdf_text(summary(full_case, user, watermark=""))

    owner, other = lines(team["worker"]), lines(team["other_worker"])
    assert ACCENTED in owner and ACCENTED in other
    for secret in ("7371014505140001", "Pak Budi Pelapor", "0811-2222-333", "Catatan rahasia"):
        assert secret in owner and secret not in other
    assert "7371014505140001" in lines(team["coordinator"])


@pytest.mark.django_db
def test_dates_are_written_out(full_case, team):
    lines = pdf_text(summary(full_case, team["worker"])).splitlines()
    assert "1 Mei 2014" in lines  # the child's birth date (make_child), Indonesian month
    assert date(2014, 5, 1).isoformat() not in lines
