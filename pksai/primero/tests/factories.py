"""A case with everything the exchange maps: child with NIK, concerns, a completed
assessment, plan goals, plan actions and a referral, and a consent for transfers."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from pksai.cases import selectors
from pksai.cases import services as case_services
from pksai.cases.tests.factories import make_child, move, register, write_plan
from pksai.privacy.tests.factories import give_consent
from pksai.referrals.tests.factories import make_provider, refer

NIK = "7371014505140001"


def full_case(team: dict, *, consent: bool = True, nik: str = NIK):
    worker = team["worker"]
    child = make_child("Ani Lestari", nik=nik)
    case = register(team, concerns=("physical_violence", "trafficking"), child=child)
    move(case, "triage", worker, response="at_risk")
    move(case, "complete_assessment", worker)
    case = selectors.case_get(user=worker, pk=case.pk)
    write_plan(case, worker, goals="Anak aman di rumah\nAnak kembali sekolah")
    case_services.plan_action_add(
        case=case,
        by=worker,
        kind="service",
        description="Konseling keluarga",
        responsible="Psikolog Puskesmas",
        due_date=timezone.localdate() + timedelta(days=14),
    )
    provider = make_provider("LBH Makassar", sector="legal_aid", services_offered=("legal_aid",))
    refer(team, provider, case=case, service="legal_aid", reason="Pendampingan hukum anak.")
    if consent:
        give_consent(case, worker, purpose="transfer")
    return selectors.case_get(user=worker, pk=case.pk)
