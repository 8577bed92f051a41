"""A field worker's caseload for the field app's tests: open cases she owns (guardians with
phones, a completed assessment, an open plan action, three visits) and active beneficiaries
she facilitates (a few visits each)."""

from __future__ import annotations

from datetime import date, timedelta

from pksai.cases import records, services
from pksai.cases.models import PlanAction
from pksai.cases.tests.factories import assess, make_child
from pksai.programs.models import Beneficiary, BenefitRule, FacilitationVisit, Program
from pksai.programs.tests.factories import make_person

OBSERVATIONS = (
    "Anak tampak sehat dan bersekolah; ibu menyampaikan bahwa ayah sudah tidak tinggal "
    "bersama. Rumah bersih, ada makanan. Tetangga bersedia membantu mengawasi anak. "
    "Disepakati kunjungan berikutnya dua minggu lagi bersama guru kelas."
)


def field_cases(*, worker, supervisor, staff, count: int, village: str = "73.71.01.1001"):
    cases = []
    for n in range(count):
        case = services.case_register(
            by=staff,
            child=make_child(f"Anak Lapangan {n:03d}", village=village),
            channel="phone",
            summary="Tetangga melaporkan anak dipukul.",
            concerns=["physical_violence", "neglect"],
            owner=worker,
            supervisor=supervisor,
            consent_given=True,
            guardians=[
                {"name": f"Ibu {n:03d}", "relation": "ibu", "phone": f"0812{n:08d}"},
                {"name": f"Nenek {n:03d}", "relation": "nenek", "phone": ""},
            ],
        )
        assess(case, worker)
        PlanAction.objects.create(
            case=case,
            kind="other",
            description="Kunjungan rumah bersama guru kelas",
            responsible=worker.get_username(),
            due_date=date(2026, 12, 20) + timedelta(days=n % 10),
        )
        for k in range(3):
            records.visit_record(
                case=case,
                by=worker,
                visited_on=date(2026, 11, 1) + timedelta(days=7 * k),
                place="Rumah anak, Jl. Poros Bontorannu",
                seen="Anak, ibu, nenek",
                observations=OBSERVATIONS,
            )
        cases.append(case)
    return cases


def field_beneficiaries(*, worker, count: int, village: str = "73.71.01.1001"):
    pksa = Program.objects.get(code="pksa")
    rule = BenefitRule.objects.get(program=pksa)
    program = Program.objects.get(code="pks_anjal")
    made = []
    for n in range(count):
        made.append(
            Beneficiary.objects.create(
                program=program,
                person=make_person(f"Penerima {n:03d}", birth=date(2014, 1, 1), village=village),
                area_id=village,
                start_date=date(2025, 1, 1),
                benefit_rule=rule,
                facilitator=worker,
            )
        )
    FacilitationVisit.objects.bulk_create(
        FacilitationVisit(
            beneficiary=b,
            area_id=village,
            facilitator=worker,
            visited_on=date(2026, 10, 1) + timedelta(days=k * 14),
            topics=["school"],
        )
        for b in made
        for k in range(2)
    )
    return made
