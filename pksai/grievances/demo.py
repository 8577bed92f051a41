"""Demo complaints for the pilot sites, in every state of handling.

Each site gets: an anonymous complaint from the public web form (received), a late payment
assigned to the registration desk, a wrong amount being investigated, an exclusion resolved
(waiting for the complainant's rating), a data correction closed with a rating, a complaint
escalated to the province and one to the ministry, a restricted misconduct complaint (about
the district's own staff, so at the province, in the complaint officer's queue), and a child
at risk reported by a facilitator from a visit (with its report in the case intake queue).

Everything goes through the services with the site's demo users as the actors, then the
resolved ones are dated a few weeks back (so the reports show a time to resolution). Running
it again creates nothing new: each scenario is recognised by its description in its area.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from pksai.accounts.demo import PILOT_SITES
from pksai.accounts.models import User
from pksai.areas.models import Area
from pksai.grievances import services
from pksai.grievances.models import Complaint
from pksai.grievances.services import ComplaintInput


@dataclass
class DemoComplaints:
    by_status: Counter = field(default_factory=Counter)
    escalated: int = 0
    restricted: int = 0
    intake_reports: int = 0

    def total(self) -> int:
        return self.by_status.total()


@dataclass(frozen=True)
class _Actors:
    desk: User
    coordinator: User
    officer: User
    worker: User
    ministry: User | None


@dataclass(frozen=True)
class _Scenario:
    key: str
    category: str
    channel: str  # "web": the public form
    description: str
    steps: Callable[[Complaint, _Actors], Complaint]
    anonymous: bool = False
    about_staff: bool = False
    name: str = ""
    phone: str = ""
    days_ago: int = 0  # when it was received (for the resolved ones)
    took_days: int = 0  # received → resolved


def _assign(c: Complaint, a: _Actors) -> Complaint:
    return services.complaint_assign(by=a.coordinator, complaint=c, to=a.desk, expected_version=1)


def _investigate(c: Complaint, a: _Actors) -> Complaint:
    c = _assign(c, a)
    services.complaint_note(
        by=a.desk, complaint=c, text="Data pembayaran diminta dari Kantor Pos cabang."
    )
    c.refresh_from_db()
    return services.complaint_start(by=a.desk, complaint=c, expected_version=c.version)


def _resolve(c: Complaint, a: _Actors) -> Complaint:
    c = _assign(c, a)
    return services.complaint_resolve(
        by=a.desk,
        complaint=c,
        resolution=(
            "Anak sudah diverifikasi dan memenuhi syarat. Namanya diusulkan pada putaran "
            "seleksi berikutnya."
        ),
        remedy="Diusulkan pada putaran berikutnya",
        internal_notes="Kunjungan rumah oleh pendamping; dokumen lengkap.",
        expected_version=c.version,
    )


def _close(c: Complaint, a: _Actors) -> Complaint:
    c = services.complaint_resolve(
        by=a.desk,
        complaint=c,
        resolution="Tanggal lahir anak sudah diperbaiki sesuai akta kelahiran.",
        remedy="Data diperbaiki",
        expected_version=c.version,
    )
    return services.complaint_rate(code=c.code, rating=4, comment="Cepat ditangani, terima kasih.")


def _to_province(c: Complaint, a: _Actors) -> Complaint:
    return services.complaint_escalate(
        by=a.desk,
        complaint=c,
        reason="Lembaga penyalur di tingkat provinsi.",
        expected_version=c.version,
    )


def _to_ministry(c: Complaint, a: _Actors) -> Complaint:
    c = _to_province(c, a)
    return services.complaint_escalate(
        by=a.ministry or a.desk,
        complaint=c,
        reason="Menyangkut aturan program nasional.",
        expected_version=c.version,
    )


def _restricted(c: Complaint, a: _Actors) -> Complaint:
    return services.complaint_assign(by=a.officer, complaint=c, to=a.officer, expected_version=1)


def _as_is(c: Complaint, a: _Actors) -> Complaint:
    return c


SCENARIOS = (
    _Scenario(
        "received",
        "mistargeting",
        "web",
        "Tetangga kami punya mobil dan toko besar tetapi anaknya menerima bantuan tiap bulan.",
        _as_is,
        anonymous=True,
    ),
    _Scenario(
        "assigned",
        "payment_late",
        "phone",
        "Bantuan bulan lalu belum diterima di Kantor Pos, padahal tetangga sudah menerima.",
        _assign,
        name="Ibu Hasnah",
        phone="081234500001",
    ),
    _Scenario(
        "investigating",
        "wrong_amount",
        "walk_in",
        "Uang yang diterima lebih kecil dari yang tertulis di kartu penerima.",
        _investigate,
        name="Bapak Syamsul",
    ),
    _Scenario(
        "resolved",
        "exclusion",
        "sms",
        "Anak saya yatim dan tidak bersekolah tetapi tidak terdaftar sebagai penerima.",
        _resolve,
        phone="081234500002",
        days_ago=30,
        took_days=9,
    ),
    _Scenario(
        "closed",
        "data_correction",
        "web",
        "Tanggal lahir anak saya salah di data penerima, mohon diperbaiki.",
        _close,
        name="Ibu Rosmini",
        days_ago=50,
        took_days=5,
    ),
    _Scenario(
        "province",
        "service_quality",
        "letter",
        "Petugas Kantor Pos meminta kami datang tiga kali sebelum bantuan dibayarkan.",
        _to_province,
        name="Bapak Arifin",
    ),
    _Scenario(
        "ministry",
        "exclusion",
        "email",
        "Anak penyandang disabilitas ditolak karena usianya lewat satu bulan dari batas.",
        _to_ministry,
        name="Ibu Nurhayati",
    ),
    _Scenario(
        "misconduct",
        "misconduct",
        "phone",
        "Seorang pendamping meminta uang Rp50.000 dari setiap keluarga penerima.",
        _restricted,
        about_staff=True,
        name="Ibu Sitti",
        phone="081234500003",
    ),
    _Scenario(
        "child_protection",
        "child_protection",
        "facilitator",
        "Saat kunjungan, anak berusia 8 tahun terlihat memar dan tidak bersekolah sebulan.",
        _as_is,
    ),
)


def _actors(slug: str, ministry: User | None) -> _Actors | None:
    names = {
        "desk": f"{slug}.registration_staff",
        "coordinator": f"{slug}.coordinator",
        "officer": f"{slug}.complaints_officer",
        "worker": f"{slug}.social_worker",
    }
    found = {u.username: u for u in User.objects.filter(username__in=names.values())}
    if len(found) != len(names):
        return None
    return _Actors(**{k: found[v] for k, v in names.items()}, ministry=ministry)


def demo_complaints() -> DemoComplaints:
    result = DemoComplaints()
    ministry = User.objects.filter(username="national.complaints_officer").first()
    now = timezone.now()
    for slug, code, _name in PILOT_SITES:
        actors = _actors(slug, ministry)
        if actors is None:
            continue
        district = (
            Area.objects.filter(code__startswith=code + ".", level=Area.Level.DISTRICT)
            .order_by("code")
            .values_list("code", flat=True)
            .first()
        ) or code
        done = set(
            Complaint.objects.filter(
                area__code__startswith=code, description__in=[s.description for s in SCENARIOS]
            ).values_list("description", flat=True)
        )
        for scenario in SCENARIOS:
            if scenario.description in done:
                continue
            data = ComplaintInput(
                category=scenario.category,
                description=scenario.description,
                area_code=district,
                anonymous=scenario.anonymous,
                name=scenario.name,
                phone=scenario.phone,
                about_staff=scenario.about_staff,
            )
            if scenario.channel == "web":
                complaint = services.complaint_submit_public(
                    data, sender=f"demo:{slug}:{scenario.key}"
                )
            else:
                by = actors.worker if scenario.channel == "facilitator" else actors.desk
                complaint = services.complaint_create(by=by, data=data, channel=scenario.channel)
            complaint = scenario.steps(complaint, actors)
            if scenario.days_ago:
                received = now - timedelta(days=scenario.days_ago)
                shift = now - received
                Complaint.objects.filter(pk=complaint.pk).update(
                    created_at=received,
                    due_at=F("due_at") - shift,
                    resolved_at=received + timedelta(days=scenario.took_days),
                    rated_at=(
                        received + timedelta(days=scenario.took_days + 2)
                        if complaint.rating
                        else None
                    ),
                )
            result.by_status[complaint.status] += 1
            result.escalated += complaint.escalated_at is not None
            result.restricted += complaint.restricted
            result.intake_reports += complaint.intake_report_id is not None
    return result
