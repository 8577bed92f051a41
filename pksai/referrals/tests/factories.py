"""Providers and referrals for tests (the directory importer is tested on its own)."""

from __future__ import annotations

from django.utils import timezone

from pksai.accounts.models import Organisation
from pksai.accounts.tests.factories import make_user
from pksai.cases import selectors as case_selectors
from pksai.cases import services as case_services
from pksai.cases.tests.factories import move, register
from pksai.privacy.tests.factories import give_consent
from pksai.referrals import services
from pksai.referrals.models import Provider, Service


def make_provider(
    name: str = "Dinas Dukcapil Kota Makassar",
    *,
    area: str = "73.71",
    sector: str = "civil_registry",
    services_offered=("birth_certificate",),
    focal: str = "",
    kind: str = Organisation.Kind.SERVICE_PROVIDER,
) -> Provider:
    """A provider; with ``focal`` also a focal-person user of that name."""
    organisation = Organisation.objects.create(name=name, kind=kind, area_id=area)
    provider = Provider.objects.create(organisation=organisation, sector=sector)
    provider.services.set(Service.objects.filter(code__in=services_offered))
    if focal:
        make_user(focal, roles=["focal_person"], scope=[area], organisation=organisation)
    return provider


def case_in_planning(team: dict):
    """A registered case moved through triage and assessment into planning."""
    case = register(team)
    worker = team["worker"]
    move(case, "triage", worker, response="at_risk")
    move(case, "complete_assessment", worker)
    return case_selectors.case_get(user=worker, pk=case.pk)


def refer(
    team: dict,
    provider: Provider,
    *,
    case=None,
    service="birth_certificate",
    consent: bool = True,
    **kw,
):
    """A referral from a plan action of the case (in planning) to ``provider``; with
    ``consent`` (the default) the guardian's consent for referrals is recorded first, as the
    consent ledger requires before identifying data are shared."""
    case = case or case_in_planning(team)
    worker = team["worker"]
    if consent and services.privacy.active_consent(person=case.child, purpose="referral") is None:
        give_consent(case, worker, purpose="referral")
    action = case_services.plan_action_add(
        case=case,
        by=worker,
        kind="referral",
        description="Akta kelahiran",
        responsible=str(provider),
        due_date=timezone.localdate(),
    )
    kw.setdefault("urgency", "routine")
    kw.setdefault("reason", "Anak belum memiliki akta kelahiran.")
    return services.referral_send(
        by=worker,
        case=case,
        organisation=provider.organisation,
        service=Service.objects.get(code=service),
        plan_action=action,
        **kw,
    )
