"""The DCI CRVS client against a local civil registry that speaks the standard's sync search:
it checks our signature, answers in the on-search envelope, refuses, or is too slow."""

from datetime import date

import pytest
from django.urls import reverse

from pksai.audit.models import AuditEvent
from pksai.cases.tests.factories import register
from pksai.dci import crvs as client
from pksai.dci import signing
from pksai.dci.models import BirthRegistration
from pksai.dci.tests.conftest import NIK_A, NIK_G
from pksai.dci.tests.helpers import new_key

pytestmark = pytest.mark.django_db


def birth(uin=NIK_A, name="Siti Aminah", born="2014-05-05"):
    return {
        "uin": uin,
        "brn": "7371-LT-05052014-0042",
        "name": name,
        "birth_date": born,
        "registered": "2014-06-01",
    }


def test_a_registered_birth_is_found_by_nik_and_sets_the_registry_flag(crvs, people):
    crvs.births[NIK_A] = birth()
    girl = people["girl"]
    record = client.birth_check(person=girl)
    assert crvs.signature_valid == [True]  # the registry verified our signature
    (asked,) = crvs.received
    assert asked["header"]["action"] == "search"
    assert asked["header"]["sender_id"] == "pksai"
    assert asked["header"]["receiver_id"] == crvs.receiver_id
    criteria = asked["message"]["search_request"][0]["search_criteria"]
    assert criteria["query_type"] == "idtype-value"
    assert criteria["query"] == {"type": "UIN", "value": NIK_A}
    assert record.outcome == BirthRegistration.Outcome.FOUND
    assert record.nik_verified is True
    assert record.certificate_number == "7371-LT-05052014-0042"
    assert record.registered_on == date(2014, 6, 1)
    assert record.transaction_id == asked["message"]["transaction_id"]
    girl.refresh_from_db()
    assert girl.birth_certificate is True
    assert AuditEvent.objects.filter(
        action="update", object_type="registry.person", object_id=str(girl.pk)
    ).exists()


def test_a_nik_the_registry_does_not_know_is_not_verified(crvs, people):
    record = client.birth_check(person=people["girl"])
    assert record.outcome == BirthRegistration.Outcome.NOT_FOUND
    assert record.nik_verified is False
    people["girl"].refresh_from_db()
    assert people["girl"].birth_certificate is None


def test_a_record_with_another_birth_date_does_not_verify_the_nik(crvs, people):
    crvs.births[NIK_A] = birth(born="2013-01-01")
    record = client.birth_check(person=people["girl"])
    assert record.outcome == BirthRegistration.Outcome.FOUND
    assert record.nik_verified is False


def test_without_a_nik_the_child_is_looked_up_by_name_and_birth_date(crvs, people):
    child = people["retired"]  # no NIK
    crvs.births[("Lama", "2013-01-01")] = birth(uin="7371010101130009", name="Lama")
    record = client.birth_check(person=child)
    criteria = crvs.received[0]["message"]["search_request"][0]["search_criteria"]
    assert criteria["query_type"] == "predicate"
    assert record.outcome == BirthRegistration.Outcome.FOUND
    assert record.nik_verified is None


def test_a_refusal_is_recorded_as_an_error(crvs, people):
    crvs.mode = "error"
    record = client.birth_check(person=people["girl"])
    assert record.outcome == BirthRegistration.Outcome.ERROR
    assert "401" in record.error and "err.sender_id.invalid" in record.error
    assert people["girl"].birth_certificate is None


def test_our_signature_is_checked_by_the_registry(crvs, people, settings, tmp_path):
    from pksai.dci.tests.helpers import write_private_key

    settings.PKSAI_DCI_PRIVATE_KEY_FILE = write_private_key(new_key(), tmp_path / "other.pem")
    record = client.birth_check(person=people["girl"])
    assert crvs.signature_valid == [False]
    assert record.outcome == BirthRegistration.Outcome.ERROR
    assert "err.signature.invalid" in record.error


def test_a_slow_registry_times_out(crvs, people, settings):
    crvs.mode, crvs.delay = "slow", 2.0
    settings.PKSAI_DCI_TIMEOUT_SECONDS = 0.5
    record = client.birth_check(person=people["girl"])
    assert record.outcome == BirthRegistration.Outcome.ERROR
    assert "in time" in record.error


def test_the_registrys_answer_must_carry_its_signature(crvs, people, settings, tmp_path):
    crvs.births[NIK_A] = birth()
    known = tmp_path / "crvs.pub"
    known.write_text(signing.public_pem(crvs.key))
    settings.PKSAI_DCI_CRVS_PUBLIC_KEY_FILE = str(known)
    assert client.birth_check(person=people["girl"]).outcome == BirthRegistration.Outcome.FOUND
    known.write_text(signing.public_pem(new_key()))  # someone else's key
    record = client.birth_check(person=people["girl"])
    assert record.outcome == BirthRegistration.Outcome.ERROR
    assert "not signed" in record.error


def test_nothing_is_asked_without_a_registry(settings, people, our_key):
    settings.PKSAI_DCI_CRVS_URL = ""
    with pytest.raises(client.CrvsNotConfigured):
        client.birth_check(person=people["girl"])
    assert not BirthRegistration.objects.exists()


# --- the case page -----------------------------------------------------------------------


@pytest.fixture
def case_team(people):
    from pksai.accounts.tests.factories import make_user

    return {
        "staff": make_user("reg", roles=["registration_staff"], scope=["73.71"]),
        "worker": make_user("sw", roles=["social_worker"], scope=["73.71"]),
        "supervisor": make_user("spv", roles=["supervisor"], scope=["73.71"]),
        "gowa_worker": make_user("gw", roles=["social_worker"], scope=["73.06"]),
    }


def test_staff_check_the_birth_registration_from_the_case_page(client, crvs, people, case_team):
    crvs.births[NIK_A] = birth()
    case = register(case_team, child=people["girl"])
    client.force_login(case_team["worker"])
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="birth-registration"' in page and 'id="birth-check"' in page
    response = client.post(reverse("dci:birth_check", args=[case.pk]))
    assert response.status_code == 302
    record = BirthRegistration.objects.get(person=people["girl"])
    assert record.by == case_team["worker"] and record.outcome == "found"
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "7371-LT-05052014-0042" in page


def test_staff_outside_the_area_cannot_check(client, crvs, people, case_team):
    case = register(case_team, child=people["girl"])
    client.force_login(case_team["gowa_worker"])
    assert client.post(reverse("dci:birth_check", args=[case.pk])).status_code == 404
    assert crvs.received == []
    assert AuditEvent.objects.filter(
        action="permission_denied", object_type="cases.case", object_id=str(case.pk)
    ).exists()


def test_no_button_without_a_registry(client, settings, people, case_team):
    settings.PKSAI_DCI_CRVS_URL = ""
    case = register(case_team, child=people["girl"])
    client.force_login(case_team["worker"])
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="birth-registration"' in page and 'id="birth-check"' not in page


def test_gowa_child_unchanged(crvs, people):
    crvs.births[NIK_G] = birth(uin=NIK_G)
    assert client.birth_check(person=people["gowa"]).nik_verified is False  # birth date differs
