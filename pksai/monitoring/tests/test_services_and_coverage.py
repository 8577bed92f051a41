"""Referral measures (sent and delivered, by type of service) and program coverage (active
beneficiaries ÷ eligible people identified), counted by hand."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from pksai.accounts.tests.factories import make_user
from pksai.cases.tests.conftest import team  # noqa: F401  (the case-work team fixture)
from pksai.monitoring.indicators import indicator_values
from pksai.monitoring.measures import measure_counts
from pksai.monitoring.models import Indicator
from pksai.programs.models import Beneficiary, Nomination, Program
from pksai.referrals.models import Referral
from pksai.referrals.tests.factories import make_provider, refer


@pytest.mark.django_db
def test_services_provided_by_type(team, client):  # noqa: F811
    dukcapil = make_provider()
    puskesmas = make_provider(
        "Puskesmas Mariso",
        area="73.71.01",
        sector="health_centre",
        services_offered=("health_check",),
    )
    akta = [refer(team, dukcapil) for _ in range(3)]
    checks = [refer(team, puskesmas, service="health_check") for _ in range(2)]
    Referral.objects.filter(pk__in=[akta[0].pk, akta[1].pk, checks[0].pk]).update(
        status="delivered"
    )
    analyst = make_user("pusdatin", roles=["national_analyst"], national=True)
    today = timezone.localdate()
    period = {"start": today - timedelta(days=1), "end": today + timedelta(days=1)}
    sent = measure_counts("referrals_sent", user=analyst, group="type", **period)
    assert sent == {"birth_certificate": 3, "health_check": 2}
    by_type = indicator_values(
        Indicator.objects.get(code="services_by_type"), user=analyst, group="type", **period
    )
    assert [(v.key, v.numerator) for v in by_type] == [
        ("birth_certificate", 2),
        ("health_check", 1),
    ]
    assert by_type[0].label != "birth_certificate"  # the service's name, not its code
    (completion,) = indicator_values(
        Indicator.objects.get(code="referral_completion"), user=analyst, **period
    )
    assert (completion.numerator, completion.denominator, str(completion.value)) == (3, 5, "60.0")
    client.force_login(analyst)
    page = client.get("/monitoring/indicators/services_by_type/")  # by type unless told
    assert page.status_code == 200 and "Akta kelahiran" in page.text


@pytest.mark.django_db
def test_program_coverage(team):  # noqa: F811
    from pksai.programs.tests.factories import make_person

    jslu = Program.objects.get(code="jslu")
    people = [make_person(f"Lansia {i}", village="73.71.01.1001") for i in range(4)]
    for person in people:
        Nomination.objects.create(
            program=jslu,
            year=2026,
            person=person,
            area_id="73.71.01.1001",
            source="vulnerability",
            created_by=team["staff"],
        )
    Nomination.objects.create(  # the same person nominated again next year: counted once
        program=jslu,
        year=2027,
        person=people[0],
        area_id="73.71.01.1001",
        source="vulnerability",
        created_by=team["staff"],
    )
    rule = jslu.benefit_rules.first()
    for person, status in ((people[0], "active"), (people[1], "exited")):
        Beneficiary.objects.create(
            program=jslu,
            person=person,
            area_id="73.71.01.1001",
            start_date=date(2026, 1, 1),
            benefit_rule=rule,
            status=status,
        )
    analyst = make_user("pusdatin", roles=["national_analyst"], national=True)
    (coverage,) = indicator_values(
        Indicator.objects.get(code="program_coverage"),
        user=analyst,
        start=None,
        end=None,
        group="program",
    )
    assert (coverage.key, coverage.numerator, coverage.denominator) == ("jslu", 1, 4)
    assert str(coverage.value) == "25.0"
