"""Demo cases for the pilot sites: a dozen realistic stories per site, one or more in every
stage of the SOP, told through the services (so the timeline, alerts and audit rows exist)
and then moved back in time so that the dates read like months of work.

Each site's cases are owned by its demo social worker, supervised by its supervisor and
registered by its registration staff (pksai.accounts.demo). Children come from the demo
registry of the site's regency. A site that already has cases is left as it is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from pksai.accounts.demo import PILOT_SITES
from pksai.accounts.models import User
from pksai.cases import records, services
from pksai.cases.models import Case, CaseEvent, Domain, FollowUp
from pksai.registry.models import Person


@dataclass(frozen=True)
class _Team:
    worker: User
    supervisor: User
    staff: User
    psychologist: User | None


@dataclass
class _Story:
    """One case told step by step. Every step remembers when it "happened" (days ago), so
    that afterwards its events and records can be dated."""

    team: _Team
    now: datetime
    start: float  # days ago the report came in
    child: Person
    case: Case | None = None
    started: datetime | None = None
    # (real time the step began, when it "happened"): dates the events each step wrote
    marks: list[tuple[datetime, datetime]] = field(default_factory=list)
    stamps: list[tuple[type, int, dict[str, datetime]]] = field(default_factory=list)
    due_shift: timedelta = timedelta(0)
    follow_up_shift: int = 0

    def when(self, days_ago: float) -> datetime:
        return self.now - timedelta(days=days_ago)

    def _mark(self, when: datetime) -> None:
        self.marks.append((timezone.now(), when))

    def register(self, **kwargs) -> _Story:
        when = self.when(self.start)
        self._mark(when)
        self.case = services.case_register(
            by=self.team.staff,
            child=self.child,
            owner=self.team.worker,
            supervisor=self.team.supervisor,
            consent_given=True,
            # a small demo registry gives some children two stories: say why (one open case
            # per child otherwise; ignored for a child without one)
            duplicate_reason="Demo: the registry has fewer children than stories.",
            **kwargs,
        )
        self.started = when
        self.due_shift = when - timezone.now()
        return self

    def move(self, days_ago: float, name: str, by: User | None = None, **kwargs) -> _Story:
        when = self.when(days_ago)
        by = by or self.team.worker
        self._mark(when)
        # The demo's team is in the case's area by construction: no scoped re-read needed.
        services.case_transition(
            case=self.case, name=name, by=by, expected_version=self.case.version, **kwargs
        )
        self.due_shift = when - timezone.now()
        if name == "approve_closure":
            self.follow_up_shift = (timezone.localdate(when) - timezone.localdate()).days
        return self

    def do(self, days_ago: float, fn: Callable, *stamp: str, **kwargs) -> _Story:
        """Call a service with ``case`` and ``by`` (the worker unless given); date the
        ``stamp`` fields of what it returns."""
        when = self.when(days_ago)
        kwargs.setdefault("by", self.team.worker)
        self._mark(when)
        obj = fn(case=self.case, **kwargs)
        if stamp:
            self.stamps.append((type(obj), obj.pk, dict.fromkeys(stamp, when)))
        return self

    def assess(self, days_ago: float, kind: str, risk: str, summary: str, **ratings) -> _Story:
        domains = {d: {"rating": "low", "notes": ""} for d in Domain.values}
        for key, (rating, notes) in ratings.items():
            domains[key] = {"rating": rating, "notes": notes}
        return self.do(
            days_ago,
            records.assessment_save,
            "created_at",
            "updated_at",
            "completed_at",
            kind=kind,
            domains=domains,
            risk=risk,
            summary=summary,
            complete=True,
        )

    def plan(self, days_ago: float, goals: str, *actions: tuple[str, str, str, int]) -> _Story:
        """Goals, then actions (kind, description, responsible, due in days from the plan)."""
        self.do(days_ago, records.plan_save, "updated_at", goals=goals)
        for kind, description, responsible, due_in in actions:
            self.do(
                days_ago,
                services.plan_action_add,
                kind=kind,
                description=description,
                responsible=responsible,
                due_date=timezone.localdate(self.when(days_ago)) + timedelta(days=due_in),
            )
        return self

    def emergency(self, days_ago: float, kind: str, notes: str, *, started: bool) -> _Story:
        stamp = ("recorded_at", "started_at") if started else ("recorded_at",)
        return self.do(
            days_ago,
            services.emergency_action_record,
            *stamp,
            kind=kind,
            started=started,
            notes=notes,
        )

    def start_emergencies(self, days_ago: float) -> _Story:
        self._mark(self.when(days_ago))
        for action in self.case.emergency_actions.filter(started_at__isnull=True):
            services.emergency_action_start(action=action, by=self.team.worker)
            self.stamps.append((type(action), action.pk, {"started_at": self.when(days_ago)}))
        return self

    def visit(self, days_ago: float, place: str, seen: str, observations: str) -> _Story:
        return self.do(
            days_ago,
            records.visit_record,
            "at",
            visited_on=timezone.localdate(self.when(days_ago)),
            place=place,
            seen=seen,
            observations=observations,
        )

    def note(self, days_ago: float, text: str) -> _Story:
        return self.do(days_ago, records.note_add, "at", text=text)

    def follow_ups_done(self, *days_ago: float, notes: str) -> _Story:
        follow_ups = self.case.follow_ups.order_by("due_date")
        for follow_up, ago in zip(follow_ups, days_ago, strict=False):
            self._mark(self.when(ago))
            services.follow_up_complete(follow_up=follow_up, by=self.team.worker, notes=notes)
            self.stamps.append((FollowUp, follow_up.pk, {"done_at": self.when(ago)}))
        return self

    def through_plan(self, risk: str, summary: str, goals: str, *actions) -> _Story:
        """Triage (at risk), a completed comprehensive assessment and a plan sent for approval
        and approved, over the two weeks after the report."""
        start = self.start
        return (
            self.move(start - 1, "triage", response="at_risk")
            .assess(start - 8, "comprehensive", risk, summary)
            .move(start - 8, "complete_assessment")
            .plan(start - 12, goals, *actions)
            .move(start - 13, "submit_plan")
            .move(start - 14, "approve_plan", self.team.supervisor)
        )


def _date_everything(stories: list[_Story]) -> None:
    """Move each story's events, records, due dates and follow-ups to when they happened."""
    by_case = {story.case.pk: story for story in stories}
    events = list(CaseEvent.objects.filter(case__in=by_case))
    for event in events:
        # The step that wrote the event is the last one begun before it was written.
        marks = by_case[event.case_id].marks
        event.at = next((when for begun, when in reversed(marks) if begun <= event.at), marks[0][1])
    CaseEvent.objects.bulk_update(events, ["at"], batch_size=500)
    follow_ups = list(FollowUp.objects.filter(case__in=by_case))
    for follow_up in follow_ups:
        follow_up.due_date += timedelta(days=by_case[follow_up.case_id].follow_up_shift)
    FollowUp.objects.bulk_update(follow_ups, ["due_date"], batch_size=500)
    for story in stories:
        for model, pk, values in story.stamps:
            model.objects.filter(pk=pk).update(**values)
        case = story.case
        values = {"created_at": story.started, "updated_at": story.marks[-1][1]}
        if case.stage_due_at is not None:
            values["stage_due_at"] = case.stage_due_at + story.due_shift
        Case.objects.filter(pk=case.pk).update(**values)


@dataclass(frozen=True)
class _Plot:
    """A story to tell: when the report came in (days ago), the age range and sex of the
    child it fits, and the steps (a function of the story)."""

    start: float
    ages: tuple[int, int]
    sex: str
    steps: Callable[[_Story], _Story]


class _Children:
    """Children (1 to 17 years old) of a regency's demo registry, handed out to the stories
    they fit: the right age and sex, a child not yet used, one per household where possible."""

    def __init__(self, code: str, today: date):
        self.today = today
        oldest = date(today.year - 18, today.month, min(today.day, 28))
        rows = Person.objects.filter(
            village__code__startswith=f"{code}.", birth_date__gt=oldest, birth_date__lte=today
        ).order_by("household_id", "-birth_date")[:600]
        seen: set[int] = set()
        first, others = [], []
        for person in rows:
            (others if person.household_id in seen else first).append(person)
            seen.add(person.household_id)
        self.pool = [*first, *others]
        self.used: set[int] = set()

    def _age(self, person: Person) -> int:
        born, today = person.birth_date, self.today
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    def pick(self, plot: _Plot) -> Person:
        low, high = plot.ages

        def fits(p: Person) -> bool:
            return low <= self._age(p) <= high and plot.sex in ("", p.sex)

        fresh = [p for p in self.pool if p.pk not in self.used]
        child = next(
            (p for p in fresh if fits(p)),
            next((p for p in self.pool if fits(p)), (fresh or self.pool)[0]),
        )
        self.used.add(child.pk)
        return child


def _team(slug: str) -> _Team | None:
    users = User.objects.in_bulk(
        [
            f"{slug}.{role}"
            for role in ("social_worker", "supervisor", "registration_staff", "psychologist")
        ],
        field_name="username",
    )
    try:
        return _Team(
            worker=users[f"{slug}.social_worker"],
            supervisor=users[f"{slug}.supervisor"],
            staff=users[f"{slug}.registration_staff"],
            psychologist=users.get(f"{slug}.psychologist"),
        )
    except KeyError:
        return None


def _plots(team: _Team, now: datetime) -> list[_Plot]:
    """A site's stories, one or more in every stage of the SOP."""
    worker, supervisor = team.worker, team.supervisor
    return [
        # Triage, overdue: violence must be triaged within 24 hours.
        _Plot(
            3,
            (5, 12),
            "",
            lambda s: s.register(
                channel="phone",
                summary="Tetangga menelepon: anak sering terdengar menangis dan dipukul ayahnya "
                "pada malam hari. Ada memar di lengan.",
                concerns=["physical_violence"],
                reporter_name="Ibu Rahma",
                reporter_phone="0812-4455-1020",
                reporter_relation="tetangga",
            ),
        ),
        # Triage, overdue: neglect (72 hours).
        _Plot(
            4.5,
            (6, 12),
            "",
            lambda s: s.register(
                channel="outreach",
                summary="Pendamping PKH menemukan anak tinggal sendiri sejak ibunya bekerja di "
                "luar kota; makan sekali sehari dari tetangga.",
                concerns=["neglect", "out_of_school"],
                reporter_name="Pendamping PKH",
                reporter_relation="pendamping sosial",
            ).note(4, "Alamat sudah dicek di data DTKS; rumah di belakang pasar."),
        ),
        # Triage, fresh: anonymous report.
        _Plot(
            0.2,
            (6, 10),
            "",
            lambda s: s.register(
                channel="walk_in",
                summary="Warga melaporkan anak belum punya akta kelahiran dan tidak terdaftar di "
                "sekolah.",
                concerns=["no_birth_certificate", "out_of_school"],
                reporter_anonymous=True,
            ),
        ),
        # Comprehensive assessment under way.
        _Plot(
            6,
            (12, 16),
            "",
            lambda s: (
                s.register(
                    channel="school",
                    summary="Wali kelas melaporkan anak sering absen dan bekerja di bengkel "
                    "sepulang sekolah sampai malam.",
                    concerns=["child_labour"],
                    reporter_name="Bapak Hendra",
                    reporter_relation="wali kelas",
                )
                .move(5.5, "triage", response="at_risk")
                .assess(
                    5.5,
                    "initial",
                    "medium",
                    "Anak bekerja 5 jam sehari; orang tua membutuhkan penghasilan tambahan.",
                    economic=("high", "Ayah buruh harian, penghasilan tidak tetap."),
                    education=("medium", "Absen 12 hari bulan ini."),
                )
                .visit(
                    3,
                    "Rumah keluarga",
                    "anak dan ibu",
                    "Anak terlihat lelah; ibu bersedia bekerja sama.",
                )
            ),
        ),
        # Case plan being written.
        _Plot(
            16,
            (10, 14),
            "",
            lambda s: (
                s.register(
                    channel="school",
                    summary="Kepala sekolah: anak putus sekolah setelah kelas 4 SD, membantu orang "
                    "tua berjualan.",
                    concerns=["out_of_school"],
                    reporter_name="Ibu Kartini",
                    reporter_relation="kepala sekolah",
                )
                .move(15.5, "triage", response="at_risk")
                .assess(
                    9,
                    "comprehensive",
                    "medium",
                    "Anak ingin kembali sekolah; keluarga tidak mampu membeli seragam dan buku.",
                    education=("high", "Tidak bersekolah sejak 8 bulan."),
                    economic=("medium", "Penerima BPNT; belum menerima PIP."),
                )
                .move(9, "complete_assessment")
                .plan(4, "Anak kembali bersekolah pada semester ini\nKeluarga menerima PIP")
            ),
        ),
        # Plan awaiting approval, overdue (3 days allowed).
        _Plot(
            25,
            (1, 4),
            "",
            lambda s: (
                s.register(
                    channel="health",
                    summary="Puskesmas: balita gizi kurang, tidak punya akta kelahiran dan tidak "
                    "terdaftar di JKN.",
                    concerns=["neglect", "no_birth_certificate"],
                    reporter_name="Bidan desa",
                    reporter_relation="petugas kesehatan",
                )
                .move(24, "triage", response="at_risk")
                .assess(
                    15,
                    "comprehensive",
                    "medium",
                    "Gizi kurang; ibu tunggal tanpa dokumen kependudukan.",
                    health=("high", "Berat badan di bawah garis merah KMS."),
                    birth_registration=("high", "Tidak ada akta; ibu tidak punya KTP."),
                )
                .move(15, "complete_assessment")
                .plan(
                    10,
                    "Anak memperoleh akta kelahiran\nGizi anak membaik dalam 3 bulan",
                    ("referral", "Pengurusan akta kelahiran dan KK", "Dinas Dukcapil", 30),
                    ("service", "Pemberian makanan tambahan dan pemantauan gizi", "Puskesmas", 14),
                )
                .move(4, "submit_plan")
            ),
        ),
        # Implementation after an immediate response (emergency care first).
        _Plot(
            40,
            (6, 12),
            "",
            lambda s: (
                s.register(
                    channel="police",
                    summary="Unit PPA: anak dianiaya ibu tiri, dibawa ke IGD dengan luka bakar "
                    "ringan.",
                    concerns=["physical_violence"],
                    reporter_name="Bripka Andi",
                    reporter_relation="penyidik Unit PPA",
                )
                .move(39.9, "triage", response="immediate")
                .emergency(39.8, "shelter", "Rumah aman P2TP2A", started=True)
                .emergency(39.8, "medical", "Perawatan luka di RSUD", started=False)
                .start_emergencies(39.5)
                .assess(
                    32,
                    "comprehensive",
                    "high",
                    "Kekerasan berulang di rumah; nenek dari pihak ibu bersedia mengasuh.",
                    safety=("high", "Pelaku tinggal serumah."),
                    psychosocial=("high", "Anak takut pulang, sulit tidur."),
                    family_care=("medium", "Nenek sanggup mengasuh."),
                )
                .move(32, "complete_assessment")
                .plan(
                    28,
                    "Anak aman dalam pengasuhan nenek\nPemulihan psikososial\nAnak tetap "
                    "bersekolah",
                    ("service", "Konseling trauma 8 sesi", "Psikolog P2TP2A", 45),
                    ("referral", "Pendampingan hukum proses pidana", "UPTD PPA", 60),
                )
                .do(
                    27,
                    records.conference_record,
                    "recorded_at",
                    held_on=timezone.localdate(now - timedelta(days=27)),
                    agenda="Pengasuhan sementara dan pemulihan anak.",
                    decisions="Anak diasuh nenek; pengajuan PKSA setelah layanan darurat berjalan.",
                    participants=[
                        records.Participant(user=worker, role="pekerja sosial"),
                        records.Participant(user=supervisor, role="supervisor"),
                        *(
                            [records.Participant(user=team.psychologist, role="psikolog")]
                            if team.psychologist
                            else []
                        ),
                        records.Participant(name="Nenek anak", role="keluarga"),
                        records.Participant(
                            name="Bripka Andi", organisation="Unit PPA Polres", role="penyidik"
                        ),
                    ],
                    actions=[
                        records.ConferenceAction(
                            "enrolment",
                            "Pengajuan PKSA (PKS-AMPK)",
                            "Dinas Sosial",
                            timezone.localdate(now - timedelta(days=27)) + timedelta(days=30),
                        )
                    ],
                )
                .move(26, "submit_plan")
                .move(25, "approve_plan", supervisor)
                .visit(10, "Rumah nenek", "anak dan nenek", "Anak mulai ceria, kembali bersekolah.")
            ),
        ),
        # Implementation, restricted: a child in conflict with the law (UU SPPA).
        _Plot(
            30,
            (14, 17),
            "M",
            lambda s: s.register(
                channel="police",
                summary="Anak diamankan polisi karena terlibat pencurian sepeda motor bersama "
                "orang dewasa. Diversi diupayakan.",
                concerns=["conflict_with_law"],
                reporter_name="Bapas",
                reporter_relation="pembimbing kemasyarakatan",
            ).through_plan(
                "medium",
                "Anak dimanfaatkan orang dewasa; keluarga mendukung diversi.",
                "Diversi berhasil\nAnak kembali bersekolah dan ikut pembinaan",
                ("referral", "Pendampingan diversi", "Bapas dan LBH", 21),
                ("service", "Pembinaan di LKSA", "LKSA setempat", 60),
            ),
        ),
        # Closure awaiting approval.
        _Plot(
            120,
            (5, 14),
            "",
            lambda s: (
                s.register(
                    channel="health",
                    summary="Anak dengan disabilitas fisik tidak pernah keluar rumah; keluarga "
                    "tidak tahu layanan yang tersedia.",
                    concerns=["disability"],
                    reporter_name="Kader posyandu",
                    reporter_relation="kader",
                )
                .through_plan(
                    "medium",
                    "Butuh kursi roda dan terapi; keluarga sangat mendukung.",
                    "Anak mendapat alat bantu\nAnak ikut terapi rutin",
                    ("referral", "Kursi roda dan terapi fisik", "RSUD bagian rehabilitasi", 30),
                    ("enrolment", "Pengajuan PKSA (PKS-ADK)", "Dinas Sosial", 45),
                )
                .visit(
                    20,
                    "Rumah keluarga",
                    "anak dan ayah",
                    "Kursi roda sudah diterima; terapi rutin.",
                )
                .move(1, "request_closure")
            ),
        ),
        # Post-service monitoring, the first follow-up due in a few days.
        _Plot(
            150,
            (14, 16),
            "F",
            lambda s: (
                s.register(
                    channel="community",
                    summary="Tokoh masyarakat: anak perempuan di bawah umur akan dinikahkan "
                    "bulan depan.",
                    concerns=["child_marriage"],
                    reporter_name="Ustadz Hasan",
                    reporter_relation="tokoh masyarakat",
                )
                .through_plan(
                    "high",
                    "Orang tua setuju menunda pernikahan setelah mediasi dengan KUA.",
                    "Pernikahan anak dibatalkan\nAnak tetap bersekolah",
                    ("service", "Mediasi keluarga bersama KUA", "KUA dan penyuluh agama", 7),
                )
                .move(32, "request_closure")
                .move(28, "approve_closure", supervisor)
                .visit(27, "Sekolah", "anak dan wali kelas", "Anak rajin masuk sekolah.")
            ),
        ),
        # Closed after three follow-ups.
        _Plot(
            260,
            (9, 15),
            "",
            lambda s: (
                s.register(
                    channel="outreach",
                    summary="Anak jalanan di perempatan, mengamen sampai larut malam.",
                    concerns=["street_child", "out_of_school"],
                    reporter_name="Satpol PP",
                    reporter_relation="petugas",
                )
                .through_plan(
                    "medium",
                    "Anak kembali ke keluarga; orang tua butuh dukungan usaha.",
                    "Anak tinggal bersama keluarga\nAnak kembali sekolah",
                    ("enrolment", "Pengajuan PKSA (PKS-Anjal)", "Dinas Sosial", 30),
                )
                .move(222, "request_closure")
                .move(220, "approve_closure", supervisor)
                .follow_ups_done(189, 128, 38, notes="Anak di rumah dan bersekolah.")
                .move(37, "finish_follow_up")
            ),
        ),
        # Void: a duplicate report.
        _Plot(
            10,
            (5, 15),
            "",
            lambda s: s.register(
                channel="phone",
                summary="Laporan kekerasan yang sama diterima lagi dari kerabat lain.",
                concerns=["other"],
                reporter_name="Paman anak",
                reporter_relation="paman",
            ).move(9, "void", supervisor, reason="Laporan ganda: kasus yang sama sudah tercatat."),
        ),
        # Reopened: closed last year, a new report brought it back to assessment.
        _Plot(
            300,
            (8, 13),
            "",
            lambda s: (
                s.register(
                    channel="school",
                    summary="Anak sering tidak masuk sekolah; orang tua bekerja di luar daerah.",
                    concerns=["neglect"],
                    reporter_name="Guru BK",
                    reporter_relation="guru",
                )
                .through_plan(
                    "medium",
                    "Anak diasuh kakek yang sudah lanjut usia.",
                    "Pengasuhan yang memadai",
                    ("service", "Pendampingan pengasuhan", "Pekerja sosial", 30),
                )
                .move(250, "request_closure")
                .move(248, "approve_closure", supervisor)
                .follow_ups_done(217, 157, 65, notes="Kondisi stabil.")
                .move(60, "finish_follow_up")
                .move(
                    5,
                    "reopen",
                    reason="Laporan baru dari sekolah: anak kembali tidak masuk 2 minggu.",
                )
            ),
        ),
    ]


def demo_cases() -> Counter[str]:
    """Create the demo cases of every pilot site that has demo users, registry children and
    no cases yet. Returns how many cases were created per stage."""
    now = timezone.now()
    created: Counter[str] = Counter()
    for slug, code, _name in PILOT_SITES:
        if Case.objects.filter(regency_id=code).exists():
            continue
        team = _team(slug)
        children = _Children(code, timezone.localdate())
        if team is None or not children.pool:
            continue
        with transaction.atomic():
            stories = []
            # Oldest first, so that case numbers follow the dates of the reports.
            for plot in sorted(_plots(team, now), key=lambda p: -p.start):
                story = _Story(team=team, now=now, start=plot.start, child=children.pick(plot))
                stories.append(plot.steps(story))
            _date_everything(stories)
        created.update(str(story.case.stage) for story in stories)
    return created
