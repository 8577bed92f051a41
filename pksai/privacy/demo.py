"""Demo data protection records: the consents the demo's referrals rest on, a legal ground,
requests from data subjects (one overdue) and a breach with one notice done, per pilot site."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from pksai.accounts.demo import PILOT_SITES
from pksai.accounts.models import User
from pksai.cases.models import Case
from pksai.cases.workflow import OPEN_STAGES
from pksai.privacy import services
from pksai.privacy.models import Breach, BreachNotice, LegalBasis, SubjectRequest


def demo_consent(*, case: Case, by: User, purpose: str, at: datetime | None = None) -> None:
    """A consent for ``purpose`` from the child's first guardian, unless one is in force."""
    if services.active_consent(person=case.child, purpose=purpose) is not None:
        return
    guardian = case.guardians.order_by("pk").first()
    services.consent_record(
        by=by,
        case=case,
        data=services.ConsentInput(
            purpose=purpose,
            given_by_name=guardian.name if guardian else "Orang tua anak",
            relationship="mother" if guardian is None else _relationship(guardian.relation),
            given_at=at or timezone.now(),
            how="Formulir persetujuan ditandatangani saat kunjungan rumah",
        ),
    )


def _relationship(relation: str) -> str:
    text = relation.lower()
    if "ibu" in text or "mother" in text:
        return "mother"
    if "ayah" in text or "bapak" in text or "father" in text:
        return "father"
    return "guardian"


@dataclass
class DemoPrivacy:
    requests: int = 0
    breaches: int = 0
    legal_grounds: int = 0


@transaction.atomic
def demo_privacy() -> DemoPrivacy:
    made = DemoPrivacy()
    now = timezone.now()
    for slug, code, _name in PILOT_SITES:
        officer = User.objects.filter(username=f"{slug}.data_protection_officer").first()
        supervisor = User.objects.filter(username=f"{slug}.supervisor").first()
        if officer is None or supervisor is None:
            continue
        if SubjectRequest.objects.filter(area__code__startswith=code + ".").exists():
            continue
        cases = list(
            Case.objects.filter(regency_id=code, stage__in=OPEN_STAGES, restricted=False)
            .select_related("child")
            .order_by("pk")[:3]
        )
        if not cases:
            continue
        services.legal_ground_record(
            by=supervisor,
            case=cases[0],
            purpose=services.REFERRAL,
            basis=LegalBasis.CHILD_PROTECTION,
            explanation="Anak dalam bahaya; rujukan darurat ke rumah aman tanpa menunggu wali.",
        )
        made.legal_grounds += 1
        for index, (kind, hours_ago) in enumerate(
            (("access", 12), ("correction", 100), ("deletion", 30))
        ):
            case = cases[index % len(cases)]
            guardian = case.guardians.order_by("pk").first()
            services.subject_request_create(
                by=officer,
                data=services.RequestInput(
                    kind=kind,
                    person=case.child,
                    requester_name=guardian.name if guardian else "Wali anak",
                    requester_relationship="guardian",
                    requester_contact="0812-0000-0000",
                    channel=SubjectRequest.Channel.IN_PERSON,
                    details={
                        "access": "Meminta salinan data anak yang disimpan.",
                        "correction": "Tanggal lahir anak salah di data.",
                        "deletion": "Meminta data anak dihapus.",
                    }[kind],
                    received_at=now - timedelta(hours=hours_ago),
                ),
            )
            made.requests += 1
        breach = services.breach_record(
            by=officer,
            data=services.BreachInput(
                area_code=code,
                discovered_at=now - timedelta(hours=30),
                discovered_by="Petugas data",
                what_happened="Daftar penjangkauan dicetak tertinggal di kantor kelurahan.",
                data_kinds="nama anak, alamat, tingkat risiko",
                people_affected=42,
                containment="Cetakan diambil kembali dan dimusnahkan.",
            ),
        )
        notice = breach.notices.get(kind=BreachNotice.Kind.AGENCY)
        services.breach_notice_mark(
            by=officer,
            notice=notice,
            expected_version=notice.version,
            status=BreachNotice.Status.DONE,
            note="Surat ke Lembaga PDP dikirim lewat e-mail resmi.",
        )
        made.breaches += Breach.objects.filter(pk=breach.pk).count()
    return made
