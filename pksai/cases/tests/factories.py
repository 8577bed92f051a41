from datetime import date

from django.db import transaction
from django.utils import timezone

from pksai.cases import selectors, services
from pksai.registry.models import Household, Identity, Person


def make_child(
    name: str = "Anak",
    *,
    village: str = "73.71.01.1001",
    birth: date = date(2014, 5, 1),
    sex: str = "F",
    nik: str = "",
) -> Person:
    """A registry person for case tests (the importer is tested elsewhere)."""
    n = Person.objects.count() + 1
    household = Household.objects.create(
        source="TEST", registry_id=f"T{n}", village_id=village, row_hash="-"
    )
    person = Person.objects.create(
        household=household,
        source="TEST",
        household_key=f"T{n}",
        person_key="1",
        village_id=village,
        nik=nik,
        name=name,
        sex=sex,
        birth_date=birth,
        relationship="child",
        row_hash="-",
    )
    person.identity = Identity.objects.create(primary=person)
    person.save(update_fields=["identity"])
    return person


def assess(case, by, *, risk: str = "high"):
    """A completed comprehensive assessment with every domain rated (what
    ``complete_assessment`` requires)."""
    from pksai.cases import records
    from pksai.cases.models import Domain

    domains = {key: {"rating": "medium", "notes": ""} for key in Domain.values}
    domains["safety"] = {"rating": risk, "notes": "Rumah tidak aman."}
    return records.assessment_save(
        case=case, by=by, kind="comprehensive", domains=domains, risk=risk, complete=True
    )


def write_plan(case, by, goals: str = "Anak aman di rumah\nAnak kembali sekolah"):
    """Plan goals (``submit_plan`` also needs at least one plan action)."""
    from pksai.cases import records

    plan = getattr(case, "plan", None) if hasattr(case, "plan") else None
    return records.plan_save(
        case=case, by=by, goals=goals, expected_version=plan.version if plan else None
    )


def register(team: dict, concerns=("physical_violence",), child=None, **extra):
    """A phone report of violence, registered by staff, owned by the worker."""
    return services.case_register(
        by=team["staff"],
        child=child or make_child(),
        channel="phone",
        summary="Tetangga melaporkan anak dipukul.",
        concerns=list(concerns),
        owner=team["worker"],
        supervisor=team["supervisor"],
        consent_given=True,
        **extra,
    )


def move(case, name, by, prepare=True, **kw):
    """Make a transition; with ``prepare``, first record what it requires (a completed
    assessment, a plan with a goal and an action) if the test has not. Runs in one
    transaction, as the views do: the row lock needs one (PostgreSQL refuses it outside,
    which a live-server test, without the test case's wrapping transaction, would meet)."""
    with transaction.atomic():
        return _move(case, name, by, prepare, **kw)


def _move(case, name, by, prepare, **kw):
    with_lock = selectors.case_get_for_update(user=by, pk=case.pk)
    if (
        prepare
        and name == "complete_assessment"
        and not with_lock.assessments.filter(
            kind="comprehensive", completed_at__isnull=False
        ).exists()
    ):
        assess(with_lock, by)
    if prepare and name == "submit_plan":
        if not hasattr(with_lock, "plan"):
            write_plan(with_lock, by)
        if not with_lock.plan_actions.exists():
            services.plan_action_add(
                case=with_lock,
                by=by,
                kind="service",
                description="Konseling keluarga",
                responsible="Psikolog",
                due_date=timezone.localdate(),
            )
    return services.case_transition(
        case=with_lock, name=name, by=by, expected_version=with_lock.version, **kw
    )
