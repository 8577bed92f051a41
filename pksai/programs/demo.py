"""Demo programs for the pilot sites: 2026 quotas for JSPACA, JSLU and PKSA per regency;
nominees (PKSA children from the vulnerability database, a few people with disabilities and
elderly people from the demo registry with an enumerator's profile); one JSPACA selection round
per site, verified, approved under a decree and enrolled; and a PKSA round in Makassar whose
children matching several sub-programs are given one, with the reason, before enrolment.

Everything goes through the services, with the site's demo program officer
(``<site>.program_officer``, pksai.accounts.demo) as the actor, so the audit trail and the flags
exist; the lists are approved by the ministry's demo program officer
(``national.program_officer``: four eyes, who ran a round does not approve it). Running it
again creates nothing new: a site's nominees are only added while it has none for that program
and year, and a round only runs while the program, year and regency have no approved one.
"""

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When

from pksai.accounts.demo import PILOT_SITES
from pksai.accounts.models import User
from pksai.areas.models import Area
from pksai.programs import services
from pksai.programs.models import Nomination, Program, Quota, SelectionRound
from pksai.registry.models import Person
from pksai.vulnerability.services import ruleset_active

YEAR = 2026
# Places per regency: small, as the demo registry is small (real quotas are in the hundreds).
QUOTAS = {"jspaca": 5, "jslu": 10, "pksa": 25}
NOMINEES = 8  # JSPACA and JSLU nominees per site, at most
SEED = 2026  # the verification sample's seed: the same demo draws the same sample
DECREE_DATE = date(2026, 3, 2)
START_DATE = date(2026, 4, 1)
PKSA_ROUND_SITE = "makassar"
APPROVER = "national.program_officer"  # four eyes: not the site's officer who runs the rounds

DISABILITY_NOTES = (
    "Kunjungan rumah oleh TKSK: butuh bantuan keluarga untuk makan dan mandi.",
    "Dikunjungi bersama kepala dusun; tinggal dengan adik, tidak bekerja.",
    "Pendamping mencatat kursi roda rusak; keluarga bergantian merawat.",
    "Tidak bisa keluar rumah sendiri; orang tua sudah lanjut usia.",
)
ELDERLY_NOTES = (
    "Tinggal sendiri; tetangga membantu memasak.",
    "Dirawat anak perempuan; sering sakit sejak tahun lalu.",
    "Masih bisa berjalan dengan tongkat; tidak punya penghasilan tetap.",
    "Terbaring di tempat tidur; cucu yang merawat.",
)
# A PKSA child matching several sub-programs gets the first of these it matches, and why.
SUBPROGRAM_CHOICE = (
    (
        "pks_ampk",
        "Perlindungan khusus didahulukan: kekerasan atau eksploitasi harus ditangani lebih dulu.",
    ),
    ("pks_abh", "Pendampingan anak berhadapan dengan hukum paling mendesak saat ini."),
    ("pks_adk", "Kebutuhan terapi dan alat bantu anak dengan disabilitas paling mendesak."),
    ("pks_abt", "Balita: gizi dan pengasuhan didahulukan."),
    ("pks_anjal", "Anak perlu kembali ke keluarga dan sekolah lebih dulu."),
)


@dataclass
class DemoPrograms:
    quotas: int = 0
    nominations: int = 0
    rounds: int = 0
    beneficiaries: int = 0


def demo_programs() -> DemoPrograms:
    """Quotas, nominees, approved rounds and beneficiaries for every pilot site."""
    result = DemoPrograms()
    programs = {p.code: p for p in Program.objects.filter(code__in=QUOTAS)}
    if set(programs) != set(QUOTAS):
        return result  # the programs migration did not run
    approver = User.objects.filter(username=APPROVER, is_active=True).first()
    for index, (slug, code, _name) in enumerate(PILOT_SITES):
        officer = User.objects.filter(username=f"{slug}.program_officer", is_active=True).first()
        if officer is None or approver is None or not Area.objects.filter(code=code).exists():
            continue
        with transaction.atomic():
            _site(result, programs, officer, approver, slug=slug, code=code, index=index)
    return result


def _site(
    result: DemoPrograms,
    programs: dict[str, Program],
    officer: User,
    approver: User,
    *,
    slug,
    code,
    index,
) -> None:
    for program_code, places in QUOTAS.items():
        _quota, created = Quota.objects.get_or_create(
            program=programs[program_code],
            year=YEAR,
            area_id=code,
            defaults={"places": places},
        )
        result.quotas += created
    jspaca, jslu, pksa = programs["jspaca"], programs["jslu"], programs["pksa"]
    if not _nominees(jspaca, code).exists():
        result.nominations += _nominate_disabled(officer, jspaca, code)
    if not _nominees(jslu, code).exists():
        result.nominations += _nominate_elderly(officer, jslu, code)
    # the children at high risk only: the medium-risk ones would swamp the demo lists
    scored = ruleset_active()
    at_risk = scored is not None and (
        scored.scores.filter(risk_level="high", village__code__startswith=f"{code}.").exists()
    )
    if at_risk and not _nominees(pksa, code).exists():
        result.nominations += services.nominate_from_vulnerability(
            by=officer, program=pksa, year=YEAR, area_code=code, risk_levels=("high",)
        )
    decree = f"{12 + index}/HUK/{YEAR}"
    _round(result, officer, approver, jspaca, code, decree=decree)
    if slug == PKSA_ROUND_SITE:
        _round(result, officer, approver, pksa, code, decree=f"{40 + index}/HUK/{YEAR}")


def _nominees(program: Program, code: str):
    return Nomination.objects.filter(program=program, year=YEAR, area__code__startswith=f"{code}.")


def _adults(code: str, *, older_than: int, program: Program):
    """Registry people of the regency at least ``older_than`` years old who do not already
    receive the program (the registry's other_programs)."""
    born_by = date(YEAR - older_than, 1, 1)
    return Person.objects.filter(
        village__code__startswith=f"{code}.", birth_date__lte=born_by
    ).exclude(other_programs__contains=program.code)


def _nominate_disabled(officer: User, program: Program, code: str) -> int:
    """Adults with a disability, the most severe first, with the enumerator's profile. Where
    the registry has none (a tiny extract), the village proposed its two oldest people, who
    will not be eligible."""
    adults = _adults(code, older_than=18, program=program)
    severity = Case(
        When(disability_severity="severe", then=Value(0)),
        When(disability_severity="moderate", then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    # An enumerator proposes first those no income support reaches yet (Table 3: JSPACA is
    # for people "not already receiving income support"); a few covered ones stay on the list
    # and are excluded by the rules, as in the field.
    supported = Case(
        When(
            Q(other_programs__contains="pkh")
            | Q(other_programs__contains="bpnt")
            | Q(other_programs__contains="blt"),
            then=Value(1),
        ),
        default=Value(0),
        output_field=IntegerField(),
    )
    people = list(
        adults.filter(disability_severity__in=["severe", "moderate", "mild"])
        .annotate(severity_rank=severity, supported=supported)
        .order_by("severity_rank", "supported", "birth_date", "id")[:NOMINEES]
    )
    people = people or list(adults.order_by("birth_date", "id")[:2])
    for i, person in enumerate(people):
        severe = person.disability_severity == "severe"
        services.nominate(
            by=officer,
            program=program,
            year=YEAR,
            person=person,
            source=Nomination.Source.OFFICE,
            profile={
                "dependency": "total" if severe else ("partial" if i % 2 else "none"),
                "assistive_device_needed": person.disability_type in {"physical", "multiple"},
                "bedridden": severe and i % 3 == 0,
                "fixed_income": i % 7 == 6,  # one of them has a small pension: not eligible
                "in_institution": False,
                "notes": DISABILITY_NOTES[i % len(DISABILITY_NOTES)],
            },
        )
    return len(people)


def _nominate_elderly(officer: User, program: Program, code: str) -> int:
    """The oldest people of the regency (60+), with the enumerator's profile."""
    people = list(_adults(code, older_than=60, program=program).order_by("birth_date", "id"))
    for i, person in enumerate(people[:NOMINEES]):
        services.nominate(
            by=officer,
            program=program,
            year=YEAR,
            person=person,
            source=Nomination.Source.OFFICE,
            profile={
                "dependency": ("total", "partial", "none", "partial")[i % 4],
                "bedridden": i % 4 == 0,
                "fixed_income": i % 4 == 2,  # a retired civil servant's pension: not eligible
                "in_institution": False,
                "notes": ELDERLY_NOTES[i % len(ELDERLY_NOTES)],
            },
        )
    return min(len(people), NOMINEES)


def _round(
    result: DemoPrograms, officer: User, approver: User, program: Program, code: str, *, decree
) -> None:
    """Run, verify the sample, approve under ``decree`` (by ``approver``) and enrol the list,
    unless the program already has an approved round for the year and regency (or has no
    nominees)."""
    approved = SelectionRound.objects.filter(
        program=program, year=YEAR, area_id=code, status=SelectionRound.Status.APPROVED
    )
    if approved.exists() or not _nominees(program, code).exists():
        return
    selection = services.round_run(
        by=officer, program=program, year=YEAR, area_code=code, seed=SEED
    ).round
    result.rounds += 1
    for entry in selection.entries.filter(in_sample=True).select_related("round"):
        services.entry_verify(
            by=officer,
            entry=entry,
            result="confirmed",
            notes="Dikunjungi pendamping; kondisi sesuai profil.",
        )
    _choose_subprograms(officer, selection)
    services.round_approve(
        by=approver, selection=selection, decree_number=decree, decree_date=DECREE_DATE
    )
    enrolled = services.round_enrol(by=officer, selection=selection, start_date=START_DATE)
    result.beneficiaries += enrolled["enrolled"]


def _choose_subprograms(officer: User, selection: SelectionRound) -> None:
    """A nominee of the round matching several sub-programs gets one, with the reason
    (children matching none wait for the officer: round_enrol lists them)."""
    subprograms = {p.code: p for p in Program.objects.filter(parent=selection.program)}
    if not subprograms:
        return
    nominations = Nomination.objects.filter(entries__round=selection, chosen__isnull=True)
    for nomination in nominations.select_related("program"):
        if len(nomination.matches) < 2:
            continue
        choice = next(
            ((c, r) for c, r in SUBPROGRAM_CHOICE if c in nomination.matches and c in subprograms),
            None,
        )
        if choice is not None:
            services.nomination_choose(
                by=officer,
                nomination=nomination,
                subprogram=subprograms[choice[0]],
                reason=choice[1],
            )
