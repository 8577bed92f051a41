import time
from datetime import timedelta

import pytest
from django.utils import timezone

from pksai.accounts.demo import PILOT_SITES, demo_accounts
from pksai.areas.tests.factories import make_areas
from pksai.cases import selectors
from pksai.cases.demo import demo_cases
from pksai.cases.models import Case, CaseEvent, FollowUp
from pksai.cases.workflow import OPEN_STAGES, Stage
from pksai.registry.demo import demo_registry


@pytest.fixture
def pilot_sites(db):
    """The five pilot regencies with one village each (as the demo command test has them)."""
    regencies = [code for _slug, code, _name in PILOT_SITES]
    make_areas(
        [("31", "DKI Jakarta"), ("73", "Sulawesi Selatan"), ("33", "Jawa Tengah")]
        + [("35", "Jawa Timur")]
        + [(code, f"Kabupaten {code}") for code in regencies]
        + [(f"{code}.01", f"Kecamatan {code}") for code in regencies]
        + [(f"{code}.01.2001", f"Desa {code}") for code in regencies]
    )
    demo_accounts()
    demo_registry(households=80)


def test_demo_cases_in_every_stage_for_every_site(pilot_sites):
    started = time.perf_counter()
    created = demo_cases()
    elapsed = time.perf_counter() - started
    assert set(created) == set(Stage.values)
    assert created.total() == Case.objects.count() == 13 * len(PILOT_SITES)
    # about 2 s alone on SQLite; the bound only catches a per-row regression (timings are
    # measured in benchmarks/, and a busy machine running the suite in parallel is slow)
    assert elapsed < 60

    makassar = Case.objects.filter(regency_id="73.71")
    assert {c.stage for c in makassar} == set(Stage.values)
    assert {c.owner.username for c in makassar} == {"makassar.social_worker"}
    assert {c.supervisor.username for c in makassar} == {"makassar.supervisor"}
    assert {c.created_by.username for c in makassar} == {"makassar.registration_staff"}
    assert makassar.filter(restricted=True, concerns__category="conflict_with_law").exists()

    now, today = timezone.now(), timezone.localdate()
    overdue_triage = makassar.filter(stage="triage", stage_due_at__lt=now)
    assert overdue_triage.count() == 2
    immediate = makassar.get(stage="implementation", response="immediate")
    assert immediate.emergency_actions.filter(started_at__isnull=False).count() == 2
    assert immediate.plan_actions.filter(kind="enrolment", conference__isnull=False).exists()
    assert makassar.filter(stage="implementation").filter(plan_actions__isnull=False).exists()
    soon = FollowUp.objects.filter(
        case__in=makassar.filter(stage="follow_up"), done_at__isnull=True
    ).first()
    assert today <= soon.due_date <= today + timedelta(days=7)
    closed = makassar.get(stage="closed")
    assert closed.follow_ups.filter(done_at__isnull=False).count() == 3
    reopened = makassar.get(events__kind="reopen")
    assert reopened.stage == "assessment"

    # Dated like months of work: registered in the past, the timeline in order.
    oldest = makassar.order_by("created_at").first()
    assert oldest.created_at < now - timedelta(days=250)
    times = list(CaseEvent.objects.filter(case=oldest).values_list("at", flat=True))
    assert times == sorted(times) and times[0] == oldest.created_at
    # Open cases other than the overdue ones are not overdue.
    open_overdue = makassar.filter(stage__in=OPEN_STAGES, stage_due_at__lt=now)
    assert {c.stage for c in open_overdue} == {"triage", "plan_review"}

    # The demo worker sees their queue; the site's registration staff sees the cases listed.
    worker = makassar.first().owner
    assert selectors.work_queue(user=worker)
    staff = makassar.first().created_by
    assert selectors.case_list(user=staff).count() == 12  # the restricted case is hidden

    assert demo_cases().total() == 0  # idempotent
    assert Case.objects.count() == 13 * len(PILOT_SITES)
