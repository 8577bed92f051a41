import time

from pksai.accounts.demo import PILOT_SITES
from pksai.accounts.models import User
from pksai.audit.models import AuditEvent
from pksai.cases.tests.factories import register
from pksai.cases.tests.test_demo import pilot_sites  # noqa: F401  (the five pilot regencies)
from pksai.programs.demo import DECREE_DATE, PKSA_ROUND_SITE, QUOTAS, START_DATE, demo_programs
from pksai.programs.models import Beneficiary, Nomination, Quota, SelectionRound
from pksai.vulnerability.models import Score
from pksai.vulnerability.services import score_people


def makassar_street_child():
    """A high-risk Makassar child with a case about living on the street and violence: a PKSA
    nominee matching two sub-programs (PKS-Anjal and PKS-AMPK)."""
    score = Score.objects.filter(
        village__code__startswith="73.71.", risk_level="high", age__gte=5, age__lte=17
    ).first()
    users = {
        role: User.objects.get(username=f"makassar.{role}")
        for role in ("registration_staff", "social_worker", "supervisor")
    }
    team = {
        "staff": users["registration_staff"],
        "worker": users["social_worker"],
        "supervisor": users["supervisor"],
    }
    register(team, concerns=("street_child", "physical_violence"), child=score.person)
    return score.person


def test_demo_programs_for_every_site(pilot_sites):  # noqa: F811
    score_people()
    child = makassar_street_child()
    started = time.perf_counter()
    result = demo_programs()
    elapsed = time.perf_counter() - started
    assert elapsed < 60  # about a second alone; only a per-row regression should trip it
    sites = len(PILOT_SITES)
    assert result.quotas == Quota.objects.count() == len(QUOTAS) * sites
    assert result.nominations == Nomination.objects.count()
    assert result.rounds == SelectionRound.objects.count() == sites + 1  # and PKSA in Makassar
    assert result.beneficiaries == Beneficiary.objects.count() > 0

    for slug, code, _name in PILOT_SITES:
        officer = User.objects.get(username=f"{slug}.program_officer")
        quotas = Quota.objects.filter(year=2026, area_id=code)
        assert {q.program.code: q.places for q in quotas} == QUOTAS
        # nominees with the enumerator's profile, nominated by the site's officer
        nominees = Nomination.objects.filter(program__code="jspaca", area__code__startswith=code)
        assert nominees.exists()
        assert not nominees.filter(dependency="").exists()
        assert set(nominees.values_list("created_by", flat=True)) == {officer.pk}
        assert Nomination.objects.filter(program__code="jslu", area__code__startswith=code)
        # one approved JSPACA round: exactly min(quota, eligible) on the list, all enrolled
        [selection] = SelectionRound.objects.filter(program__code="jspaca", year=2026, area=code)
        assert selection.status == SelectionRound.Status.APPROVED
        # four eyes: run by the site's officer, approved by the ministry's
        assert selection.created_by == officer
        assert selection.approved_by.username == "national.program_officer"
        assert selection.decree_number.endswith("/HUK/2026")
        assert selection.decree_date == DECREE_DATE
        eligible = selection.entries.filter(eligible=True).count()
        assert selection.eligible == eligible
        on_list = selection.entries.filter(selected=True).count()
        assert on_list == selection.selected == min(QUOTAS["jspaca"], eligible)
        assert not selection.entries.filter(in_sample=True, verification="").exists()
        enrolled = Beneficiary.objects.filter(round=selection)
        assert enrolled.count() == on_list
        assert not enrolled.exclude(program__code="jspaca").exists()
        assert not enrolled.exclude(start_date=START_DATE).exists()

    # PKSA: children of the vulnerability database, one round (Makassar)
    [pksa] = SelectionRound.objects.filter(program__code="pksa")
    assert pksa.area.code == dict((s, c) for s, c, _n in PILOT_SITES)[PKSA_ROUND_SITE]
    assert pksa.status == SelectionRound.Status.APPROVED
    assert pksa.selected == min(QUOTAS["pksa"], pksa.eligible) > 0
    assert Nomination.objects.filter(program__code="pksa", source="vulnerability").count() > 10
    # the child matching two sub-programs was given one, with the reason, and enrolled in it
    nomination = Nomination.objects.get(program__code="pksa", person=child)
    assert nomination.matches == ["pks_anjal", "pks_ampk"]
    assert nomination.chosen.code == "pks_ampk"
    assert nomination.choice_reason.startswith("Perlindungan khusus")
    assert Beneficiary.objects.get(person=child).program.code == "pks_ampk"
    # those of one match are enrolled in it; nobody in the bare program
    pksa_enrolled = Beneficiary.objects.filter(round=pksa)
    assert pksa_enrolled.exists() and not pksa_enrolled.filter(program__code="pksa").exists()
    assert AuditEvent.objects.filter(  # the approval: the ministry's officer (four eyes)
        action="update",
        object_type="programs.selectionround",
        actor_username="national.program_officer",
    ).exists()
    assert not AuditEvent.objects.filter(action="permission_denied").exists()

    before = (
        Quota.objects.count(),
        Nomination.objects.count(),
        SelectionRound.objects.count(),
        Beneficiary.objects.count(),
        AuditEvent.objects.count(),
    )
    again = demo_programs()  # idempotent
    assert (again.quotas, again.nominations, again.rounds, again.beneficiaries) == (0, 0, 0, 0)
    after = (
        Quota.objects.count(),
        Nomination.objects.count(),
        SelectionRound.objects.count(),
        Beneficiary.objects.count(),
        AuditEvent.objects.count(),
    )
    assert after == before
