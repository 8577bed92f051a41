"""Demo service providers and referrals for the pilot sites.

Each site gets its network of providers (the civil registry, the Puskesmas whose focal person
pksai.accounts.demo created, the regional hospital, the police PPA unit, legal aid or the
women's and children's service centre, a psychologist service, an LKSA, the education office,
PKH), a focal person for the civil registry (``<slug>.dukcapil``), and referrals from the demo
cases (pksai.cases.demo) in every status of the lifecycle: told through the services, then
dated like weeks of work. Running it again creates nothing new.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.db import transaction
from django.utils import timezone

from pksai.accounts.demo import DEMO_PASSWORD, PILOT_SITES, demo_name
from pksai.accounts.models import Organisation, User
from pksai.accounts.services import user_create
from pksai.areas.models import Area
from pksai.cases import services as case_services
from pksai.cases.models import Case, CaseEvent, PlanAction
from pksai.privacy.demo import demo_consent
from pksai.referrals import services
from pksai.referrals.models import Provider, Referral, ReferralEvent, Satisfaction, Service
from pksai.referrals.services import Answer

GOVERNMENT = Organisation.Kind.GOVERNMENT
PROVIDER = Organisation.Kind.SERVICE_PROVIDER


@dataclass(frozen=True)
class _Site:
    phone_code: str
    hospital: str
    police: str
    legal: tuple[str, str]  # name, sector (legal_aid or shelter)
    lksa: str
    street: str  # the main road where the offices are


SITES: dict[str, _Site] = {
    "makassar": _Site(
        "0411",
        "RSUD Daya Kota Makassar",
        "Unit PPA Satreskrim Polrestabes Makassar",
        ("LBH Makassar", "legal_aid"),
        "LKSA Panti Asuhan Bina Harapan Makassar",
        "Jl. Urip Sumoharjo",
    ),
    "gowa": _Site(
        "0411",
        "RSUD Syekh Yusuf Gowa",
        "Unit PPA Satreskrim Polres Gowa",
        ("UPTD PPA Kabupaten Gowa", "shelter"),
        "LKSA Darul Ihsan Sungguminasa",
        "Jl. Masjid Raya",
    ),
    "surakarta": _Site(
        "0271",
        "RSUD Ibu Fatmawati Soekarno Surakarta",
        "Unit PPA Satreskrim Polresta Surakarta",
        ("PTPAS Kota Surakarta", "shelter"),
        "LKSA Pamardi Putra Surakarta",
        "Jl. Slamet Riyadi",
    ),
    "klaten": _Site(
        "0272",
        "RSUD Bagas Waras Klaten",
        "Unit PPA Satreskrim Polres Klaten",
        ("P2TP2A Kabupaten Klaten", "shelter"),
        "LKSA Al Hikmah Klaten",
        "Jl. Pemuda",
    ),
    "tulungagung": _Site(
        "0355",
        "RSUD dr. Iskak Tulungagung",
        "Unit PPA Satreskrim Polres Tulungagung",
        ("P2TP2A Kabupaten Tulungagung", "shelter"),
        "LKSA Kasih Ibu Tulungagung",
        "Jl. Ahmad Yani",
    ),
}

CONTACTS = (  # one name per site, by provider
    ("Ibu Sitti Aminah", "Bapak Rusli Hamid", "Ibu Nurhayati", "Bapak Andi Baso"),
    ("Ibu Hasnah Daeng Ngai", "Bapak Syamsul Bahri", "Ibu Rosmini", "Bapak Arifin"),
    ("Ibu Endang Sulistyowati", "Bapak Bambang Hartono", "Ibu Sri Wahyuni", "Bapak Joko"),
    ("Ibu Tri Lestari", "Bapak Sugeng Riyadi", "Ibu Wulan Sari", "Bapak Agus Santoso"),
    ("Ibu Dwi Handayani", "Bapak Heru Prasetyo", "Ibu Siti Maesaroh", "Bapak Imam Mahmudi"),
)


@dataclass(frozen=True)
class _Kind:
    """One provider of a site: what it is and offers."""

    key: str
    sector: str
    org_kind: str
    services: tuple[str, ...]
    hours: str
    contact_role: str
    number: int  # house number on the site's main road


def _kinds(site: _Site) -> list[_Kind]:
    legal_sector = site.legal[1]
    legal_services = (
        ("legal_aid", "legal_accompaniment")
        if legal_sector == "legal_aid"
        else ("temporary_shelter", "legal_accompaniment", "psychosocial_counselling")
    )
    return [
        _Kind(
            "dukcapil",
            "civil_registry",
            GOVERNMENT,
            ("birth_certificate", "family_card", "child_id_card"),
            "Senin–Jumat 08.00–15.00",
            "Kepala Seksi Pencatatan Kelahiran",
            12,
        ),
        _Kind(
            "puskesmas",
            "health_centre",
            GOVERNMENT,
            ("health_check", "immunisation", "nutrition", "health_insurance"),
            "Senin–Kamis 07.30–14.00, Jumat 07.30–11.00, Sabtu 07.30–12.30",
            "Penanggung jawab program kesehatan anak",
            45,
        ),
        _Kind(
            "rsud",
            "hospital",
            PROVIDER,
            ("medical_treatment", "visum"),
            "IGD 24 jam; poliklinik Senin–Sabtu 08.00–14.00",
            "Koordinator Pusat Pelayanan Terpadu (PPT)",
            120,
        ),
        _Kind(
            "ppa",
            "police",
            GOVERNMENT,
            ("police_report",),
            "24 jam",
            "Kanit PPA",
            8,
        ),
        _Kind(
            "legal",
            legal_sector,
            PROVIDER,
            legal_services,
            "Senin–Jumat 08.00–16.00; hotline pengaduan 24 jam",
            "Koordinator pendampingan",
            77,
        ),
        _Kind(
            "psikolog",
            "psychosocial",
            GOVERNMENT,
            ("psychosocial_counselling", "psychological_assessment"),
            "Senin–Jumat 08.00–15.00, dengan janji temu",
            "Psikolog klinis",
            30,
        ),
        _Kind(
            "lksa",
            "lksa",
            Organisation.Kind.LKSA,
            ("alternative_care", "family_reunification"),
            "Setiap hari 08.00–17.00",
            "Ketua pengurus",
            161,
        ),
        _Kind(
            "disdik",
            "education",
            GOVERNMENT,
            ("school_enrolment", "return_to_school", "non_formal_education"),
            "Senin–Jumat 08.00–15.00",
            "Kepala Bidang Pembinaan SD",
            5,
        ),
        _Kind(
            "pkh",
            "social_assistance",
            GOVERNMENT,
            ("pkh", "food_assistance"),
            "Senin–Jumat 08.00–15.00",
            "Koordinator pendamping PKH",
            19,
        ),
    ]


def _short(area: Area) -> str:
    return area.name.removeprefix("Kota ").removeprefix("Kabupaten ")


def _name(kind: _Kind, site: _Site, area: Area) -> str:
    return {
        "dukcapil": f"Dinas Kependudukan dan Pencatatan Sipil {area.name}",
        "puskesmas": f"Puskesmas {_short(area)}",  # as pksai.accounts.demo names it
        "rsud": site.hospital,
        "ppa": site.police,
        "legal": site.legal[0],
        "psikolog": f"Layanan Psikologi PUSPAGA {area.name}",
        "lksa": site.lksa,
        "disdik": f"Dinas Pendidikan {area.name}",
        "pkh": f"Program Keluarga Harapan (PKH) {area.name}",
    }[kind.key]


CATCHMENT = {"makassar": {"rsud": ["73.06"]}}  # the city hospital also serves Gowa


def _providers(index: int, slug: str, area: Area) -> tuple[dict[str, Organisation], int]:
    """The site's providers by key (created where missing), and how many were created."""
    site = SITES[slug]
    catalogue = {s.code: s for s in Service.objects.all()}
    found: dict[str, Organisation] = {}
    created = 0
    for n, kind in enumerate(_kinds(site)):
        organisation, _ = Organisation.objects.get_or_create(
            name=_name(kind, site, area),
            area=area,
            defaults={
                "kind": kind.org_kind,
                "address": f"{site.street} No. {kind.number}, {area.name}",
                "phone": f"({site.phone_code}) {851_200 + 1_317 * n + 71 * index}",
                "email": f"{kind.key}.{slug}@pksai.example",
            },
        )
        if not organisation.address:  # the Puskesmas made by the accounts demo
            organisation.address = f"{site.street} No. {kind.number}, {area.name}"
            organisation.phone = f"({site.phone_code}) {851_200 + 1_317 * n + 71 * index}"
            organisation.email = f"{kind.key}.{slug}@pksai.example"
            organisation.save(update_fields=["address", "phone", "email"])
        provider, made = Provider.objects.get_or_create(
            organisation=organisation,
            defaults={
                "sector": kind.sector,
                "opening_hours": kind.hours,
                "contact_person": f"{CONTACTS[index][n % 4]} ({kind.contact_role})",
            },
        )
        if made:
            created += 1
            provider.services.set([catalogue[c] for c in kind.services if c in catalogue])
            codes = CATCHMENT.get(slug, {}).get(kind.key, [])
            provider.catchment.set(Area.objects.filter(code__in=codes))
        found[kind.key] = organisation
    return found, created


def _civil_registry_user(slug: str, area: Area, dukcapil: Organisation) -> User:
    username = f"{slug}.dukcapil"
    user = User.objects.filter(username=username).first()
    if user is None:
        first_name, last_name = demo_name(username)
        user = user_create(
            username=username,
            password=None,
            roles=["focal_person"],
            scope_areas=[area.code],
            organisation=dukcapil,
            first_name=first_name,
            last_name=last_name,
        )
    return user


# --- referrals -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plot:
    """One referral to tell: from which demo case, to whom, and its steps (move, days ago,
    who: "focal" for the provider's focal person where it has one, else the worker)."""

    case: str  # planning, violence, law, closing, monitoring
    to: str  # provider key
    service: str
    urgency: str
    reason: str
    sent: float  # days ago
    steps: tuple[tuple[str, float, dict], ...] = ()
    share: tuple[str, ...] = ("name", "sex", "birth_date")
    action: str = ""  # a plan action of kind referral: found by this text, else added
    due_in: int | None = None  # days from sending; the service level when None
    satisfaction: tuple[str, int, str] | None = None
    overdue: bool = False


PLOTS: tuple[_Plot, ...] = (
    _Plot(
        "planning",
        "disdik",
        "return_to_school",
        "routine",
        "Anak putus sekolah sejak kelas 4 SD dan ingin kembali bersekolah semester ini; mohon "
        "difasilitasi pendaftaran kembali serta bantuan seragam dan buku (PIP).",
        1,
        share=("name", "sex", "birth_date", "address"),
        action="Pendaftaran kembali ke sekolah",
        due_in=30,
    ),
    _Plot(
        "planning",
        "dukcapil",
        "birth_certificate",
        "routine",
        "Anak belum memiliki akta kelahiran; akta diperlukan untuk pendaftaran kembali ke "
        "sekolah. Orang tua memiliki KK.",
        4,
        share=("name", "sex", "birth_date", "kk_number", "guardians"),
        action="Pengurusan akta kelahiran",
        overdue=True,
    ),
    _Plot(
        "violence",
        "rsud",
        "visum",
        "emergency",
        "Luka bakar ringan akibat penganiayaan; visum et repertum diminta penyidik Unit PPA, "
        "dan perawatan luka.",
        39.8,
        (
            ("accept", 39.75, {}),
            (
                "deliver",
                39.5,
                {
                    "provided": "Visum et repertum dan perawatan luka bakar derajat I",
                    "outcome": "Luka membaik; hasil visum diserahkan kepada penyidik.",
                },
            ),
        ),
        share=("name", "sex", "birth_date", "concerns"),
        satisfaction=("guardian", 4, "Pelayanan IGD cepat, tetapi antre lama di poliklinik."),
    ),
    _Plot(
        "violence",
        "psikolog",
        "psychosocial_counselling",
        "urgent",
        "Anak takut pulang dan sulit tidur setelah kekerasan di rumah; mohon konseling trauma "
        "(8 sesi) dan asesmen psikologis.",
        27,
        (("accept", 26.5, {}), ("start", 24, {})),
        share=("name", "sex", "birth_date", "concerns", "guardians"),
        action="Rujukan konseling trauma ke psikolog",
        due_in=60,
    ),
    _Plot(
        "violence",
        "legal",
        "legal_accompaniment",
        "urgent",
        "Pendampingan hukum anak korban dalam proses pidana terhadap ibu tiri.",
        27,
        (("acknowledge", 26, {}), ("accept", 25, {})),
        share=("name", "sex", "birth_date", "concerns"),
        action="Pendampingan hukum proses pidana",
        due_in=90,
    ),
    _Plot(
        "law",
        "lksa",
        "alternative_care",
        "routine",
        "Anak memerlukan pembinaan di LKSA selama proses diversi; keluarga mendukung.",
        15,
        (
            (
                "decline",
                13,
                {
                    "reason": "Kapasitas asrama penuh sampai akhir semester; kami sarankan LKSA "
                    "lain di kabupaten tetangga."
                },
            ),
        ),
        action="Rujukan pembinaan ke LKSA",
    ),
    _Plot(
        "law",
        "legal",
        "legal_accompaniment",
        "urgent",
        "Pendampingan hukum anak dalam proses diversi bersama Bapas.",
        16,
        (("accept", 15.5, {}), ("start", 14, {})),
        action="Pendampingan diversi",
        due_in=60,
    ),
    _Plot(
        "closing",
        "rsud",
        "medical_treatment",
        "routine",
        "Anak dengan disabilitas fisik membutuhkan kursi roda dan terapi fisik rutin.",
        105,
        (
            ("accept", 104, {}),
            ("start", 100, {}),
            (
                "deliver",
                60,
                {
                    "provided": "Kursi roda dan 12 sesi fisioterapi",
                    "outcome": "Anak dapat duduk mandiri dan bergerak dengan kursi roda.",
                },
            ),
            ("close", 55, {}),
        ),
        share=("name", "sex", "birth_date", "address", "guardians"),
        action="Kursi roda dan terapi fisik",
        due_in=60,
        satisfaction=("guardian", 5, "Terapisnya sabar; anak senang berlatih."),
    ),
    _Plot(
        "closing",
        "dukcapil",
        "child_id_card",
        "routine",
        "Anak belum memiliki Kartu Identitas Anak (KIA); diperlukan untuk layanan kesehatan "
        "dan bantuan sosial.",
        100,
        (
            ("accept", 99, {}),
            ("deliver", 95, {"provided": "Kartu Identitas Anak diterbitkan dan diserahkan."}),
            ("close", 94, {}),
        ),
        share=("name", "sex", "birth_date", "nik", "kk_number"),
    ),
    _Plot(
        "closing",
        "pkh",
        "pkh",
        "routine",
        "Keluarga miskin dengan anak penyandang disabilitas; mohon dinilai untuk kepesertaan "
        "PKH komponen disabilitas.",
        100,
        (
            ("acknowledge", 98, {}),
            ("accept", 97, {}),
            (
                "deliver",
                70,
                {
                    "provided": "Keluarga ditetapkan sebagai peserta PKH (komponen disabilitas).",
                    "outcome": "Bantuan tahap pertama sudah diterima.",
                },
            ),
        ),
        share=("name", "sex", "birth_date", "address", "kk_number"),
        due_in=45,
        satisfaction=("guardian", 4, "Terbantu, tetapi prosesnya lama."),
    ),
    _Plot(
        "monitoring",
        "puskesmas",
        "health_check",
        "routine",
        "Pemeriksaan kesehatan dan konseling kesehatan reproduksi remaja setelah rencana "
        "pernikahan anak dibatalkan.",
        2,
        (("acknowledge", 1, {}),),
    ),
)

_CASE_PICKS = {
    "planning": lambda c: c.stage == "planning",
    "violence": lambda c: c.stage == "implementation" and c.response == Case.Response.IMMEDIATE,
    "law": lambda c: c.stage == "implementation" and c.restricted,
    "closing": lambda c: c.stage == "closure_review",
    "monitoring": lambda c: c.stage == "follow_up",
}


@dataclass
class _Told:
    referral: Referral
    times: list[datetime]  # when the sending and each move "happened"
    plot: _Plot
    action: PlanAction | None = None
    satisfaction: Satisfaction | None = None


@dataclass
class DemoReferrals:
    providers: int = 0
    referrals: Counter[str] = field(default_factory=Counter)
    users: list[tuple[str, str, str]] = field(default_factory=list)


def _plan_action(case: Case, plot: _Plot, worker: User, responsible: str) -> PlanAction | None:
    if not plot.action:
        return None
    found = case.plan_actions.filter(kind="referral", description__startswith=plot.action).first()
    if found or case.stage not in {"planning", "implementation"}:
        return found
    return case_services.plan_action_add(
        case=case,
        by=worker,
        kind="referral",
        description=plot.action,
        responsible=responsible,
        due_date=timezone.localdate() + timedelta(days=plot.due_in or 30),
    )


def _tell(
    plot: _Plot, case: Case, to: Organisation, worker: User, focal: User | None, now: datetime
) -> _Told:
    action = _plan_action(case, plot, worker, to.name)
    demo_consent(case=case, by=worker, purpose="referral", at=now - timedelta(days=plot.sent + 1))
    referral = services.referral_send(
        by=worker,
        case=case,
        organisation=to,
        service=Service.objects.get(code=plot.service),
        urgency=plot.urgency,
        reason=plot.reason,
        share=plot.share,
        plan_action=action,
    )
    told = _Told(referral, [now - timedelta(days=plot.sent)], plot, action)
    for name, days_ago, answer in plot.steps:
        by = worker if name in {"close", "cancel"} or focal is None else focal
        if name == "deliver":
            answer = {**answer, "delivered_on": timezone.localdate()}
        referral = services.referral_move(
            referral=referral,
            by=by,
            name=name,
            expected_version=referral.version,
            answer=Answer(**answer),
        )
        told.times.append(now - timedelta(days=days_ago))
        if name == "deliver" and plot.satisfaction:
            respondent, score, comment = plot.satisfaction
            told.satisfaction = services.satisfaction_record(
                by=worker,
                case=case,
                referral=referral,
                respondent=respondent,
                score=score,
                comment=comment,
            )
    told.referral = referral
    return told


_STAMP = {  # the referral's field a status sets when it happens
    "acknowledged": "acknowledged_at",
    "accepted": "responded_at",
    "declined": "responded_at",
    "in_service": "service_started_at",
    "closed": "closed_at",
}


def _date(told: _Told, started: datetime, now: datetime) -> None:
    """Move the referral, its history and its copy on the case timeline to when they
    "happened"; the answer deadline and the service due date move with the sending."""
    referral, times, plot = told.referral, told.times, told.plot
    sent = times[0]
    shift = sent - referral.sent_at
    values: dict = {
        "sent_at": sent,
        "respond_by": referral.respond_by + shift,
        "due_date": (
            timezone.localdate(sent) + timedelta(days=plot.due_in)
            if plot.due_in
            else referral.due_date + timedelta(days=shift.days)
        ),
        "updated_at": times[-1],
    }
    if plot.overdue:  # no answer within the service level
        values["respond_by"] = min(values["respond_by"], now - timedelta(hours=6))
    events = list(ReferralEvent.objects.filter(referral=referral).order_by("id"))
    copies = list(
        CaseEvent.objects.filter(
            case_id=referral.case_id,
            kind__startswith="referral_",
            params__referral=referral.pk,
            at__gte=started,
        ).order_by("id")
    )
    delivered = sent
    for event, copy, when in zip(events, copies, times, strict=False):
        event.at = copy.at = when
        stamp = _STAMP.get(event.status)
        if stamp:
            values[stamp] = when
        if event.status in {"accepted", "declined"}:
            values.setdefault("acknowledged_at", when)
        if event.status == "delivered":
            delivered = when
            values["delivered_on"] = timezone.localdate(when)
            values.setdefault("service_started_at", when)
    ReferralEvent.objects.bulk_update(events, ["at"])
    CaseEvent.objects.bulk_update(copies, ["at"])
    Referral.objects.filter(pk=referral.pk).update(**values)
    if told.action is not None:
        _events_saying(referral.case_id, "plan_action", told.action.description, started).update(
            at=sent - timedelta(hours=2)
        )
    record = told.satisfaction
    if record is not None:
        answered = min(now, delivered + timedelta(days=2))
        Satisfaction.objects.filter(pk=record.pk).update(created_at=answered, answered_at=answered)
        _events_saying(
            referral.case_id, "satisfaction", f"{record.score}/5 {record.comment}", started
        ).update(at=answered)


def _events_saying(case_id: int, kind: str, text: str, since):
    """The case's timeline entries of ``kind`` since ``since`` whose text is ``text`` (compared
    once opened: the text is stored encrypted, decision 0024)."""
    rows = CaseEvent.objects.filter(case_id=case_id, kind=kind, at__gte=since).only("pk", "text")
    return CaseEvent.objects.filter(pk__in=[e.pk for e in rows if e.text == text])


def _site_referrals(
    slug: str, code: str, organisations: dict[str, Organisation], focal: dict[str, User]
) -> Counter[str]:
    worker = User.objects.filter(username=f"{slug}.social_worker").first()
    cases = list(
        Case.objects.filter(
            regency_id=code,
            stage__in=["planning", "implementation", "closure_review", "follow_up"],
        ).order_by("id")
    )
    if worker is None or not cases:
        return Counter()
    picked = {key: next((c for c in cases if fits(c)), None) for key, fits in _CASE_PICKS.items()}
    now = started = timezone.now()
    told = []
    for plot in PLOTS:
        case = picked[plot.case]
        if case is None or plot.to not in organisations:
            continue
        case.refresh_from_db()  # the case's version moves as referrals are written
        told.append(_tell(plot, case, organisations[plot.to], worker, focal.get(plot.to), now))
    for story in told:
        _date(story, started, now)
    return Counter(str(story.referral.status) for story in told)


def demo_referrals() -> DemoReferrals:
    """Create the pilot sites' providers (where missing), the civil registries' focal persons,
    and referrals from the demo cases of every site that has none yet."""
    result = DemoReferrals()
    for index, (slug, code, _name) in enumerate(PILOT_SITES):
        area = Area.objects.filter(code=code).first()
        if area is None:
            continue
        with transaction.atomic():
            organisations, created = _providers(index, slug, area)
            result.providers += created
            registry_focal = _civil_registry_user(slug, area, organisations["dukcapil"])
            result.users.append(
                (registry_focal.username, "focal_person", f"{code} {area.name} (Dukcapil)")
            )
            focal = {
                "dukcapil": registry_focal,
                "puskesmas": User.objects.filter(
                    username=f"{slug}.focal_person", organisation=organisations["puskesmas"]
                ).first(),
            }
            if not Referral.objects.filter(case__regency_id=code).exists():
                result.referrals.update(_site_referrals(slug, code, organisations, focal))
    # One hash for the new users (Argon2 is deliberately slow), as pksai.accounts.demo does.
    without = User.objects.filter(
        username__in=[u for u, _r, _s in result.users],
        password__startswith=UNUSABLE_PASSWORD_PREFIX,
    )
    if without.exists():
        without.update(password=make_password(DEMO_PASSWORD))
    return result
