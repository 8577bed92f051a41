"""A birth-certificate referral that comes back delivered records the certificate's number and
date and sets the child's birth-certificate flag in the registry."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from pksai.accounts.models import User
from pksai.api.tests.helpers import bearer
from pksai.cases.tests.conftest import team  # noqa: F401  (the case-work team fixture)
from pksai.dci.models import BirthRegistration
from pksai.referrals import services
from pksai.referrals.models import Referral, Service, Status
from pksai.referrals.services import Answer
from pksai.referrals.tests.factories import make_provider, refer

pytestmark = pytest.mark.django_db


@pytest.fixture
def dukcapil(team):  # noqa: F811
    return make_provider(focal="dukcapil")


def in_service(team, provider, service="birth_certificate"):  # noqa: F811
    referral = refer(team, provider, service=service)
    focal = User.objects.get(username="dukcapil")
    for name in ("accept", "start"):
        referral = services.referral_move(
            referral=referral, by=focal, name=name, expected_version=referral.version
        )
    return referral, focal


def deliver(referral, by, **answer):
    return services.referral_move(
        referral=referral,
        by=by,
        name="deliver",
        expected_version=Referral.objects.get(pk=referral.pk).version,
        answer=Answer(delivered_on=timezone.localdate(), provided="Akta kelahiran", **answer),
    )


def test_a_delivered_birth_certificate_records_number_and_date(team, dukcapil):  # noqa: F811
    referral, focal = in_service(team, dukcapil)
    child = referral.case.child
    assert child.birth_certificate is None
    deliver(referral, focal, certificate_number="7371-LT-99", certificate_date=date(2026, 1, 2))
    record = BirthRegistration.objects.get(person=child)
    assert record.source == "referral" and record.outcome == "found"
    assert record.certificate_number == "7371-LT-99"
    assert record.registered_on == date(2026, 1, 2)
    assert record.referral_id == referral.pk and record.by == focal
    child.refresh_from_db()
    assert child.birth_certificate is True


def test_without_the_number_the_flag_still_follows_the_delivery(team, dukcapil):  # noqa: F811
    referral, focal = in_service(team, dukcapil)
    deliver(referral, focal)
    record = BirthRegistration.objects.get(person=referral.case.child)
    assert record.certificate_number == "" and record.registered_on is None
    referral.case.child.refresh_from_db()
    assert referral.case.child.birth_certificate is True


def test_a_number_needs_its_date_and_a_birth_certificate_service(team, dukcapil):  # noqa: F811
    referral, focal = in_service(team, dukcapil)
    with pytest.raises(ValidationError):
        deliver(referral, focal, certificate_number="7371-LT-99")
    with pytest.raises(ValidationError):
        deliver(
            referral,
            focal,
            certificate_number="7371-LT-99",
            certificate_date=timezone.localdate() + timedelta(days=1),
        )
    assert Referral.objects.get(pk=referral.pk).status == Status.IN_SERVICE
    assert not BirthRegistration.objects.exists()


def test_other_services_take_no_certificate(team, dukcapil):  # noqa: F811
    dukcapil.services.add(Service.objects.get(code="family_card"))
    referral, focal = in_service(team, dukcapil, service="family_card")
    with pytest.raises(ValidationError):
        deliver(referral, focal, certificate_number="X", certificate_date=date(2026, 1, 2))
    deliver(referral, focal)
    assert not BirthRegistration.objects.exists()


def test_the_delivery_page_and_the_api_take_the_certificate(client, team, dukcapil):  # noqa: F811
    referral, focal = in_service(team, dukcapil)
    client.force_login(focal)
    page = client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert 'name="certificate_number"' in page and 'name="certificate_date"' in page
    response = client.post(
        reverse("referrals:move", args=[referral.pk]),
        {
            "name": "deliver",
            "version": Referral.objects.get(pk=referral.pk).version,
            "delivered_on": timezone.localdate().isoformat(),
            "provided": "Akta kelahiran",
            "certificate_number": "7371-LT-77",
            "certificate_date": "2026-02-03",
        },
    )
    assert response.status_code == 302
    assert BirthRegistration.objects.get().certificate_number == "7371-LT-77"

    second, _ = in_service(team, dukcapil)
    answer = client.post(
        f"/api/v1/referrals/{second.pk}/moves/deliver/",
        {
            "version": Referral.objects.get(pk=second.pk).version,
            "delivered_on": timezone.localdate().isoformat(),
            "provided": "Akta kelahiran",
            "certificate_number": "7371-LT-78",
            "certificate_date": "2026-02-04",
        },
        content_type="application/json",
        headers=bearer(focal),
    )
    assert answer.status_code == 200, answer.content
    record = BirthRegistration.objects.get(referral=second)
    assert record.certificate_number == "7371-LT-78" and record.registered_on == date(2026, 2, 4)
