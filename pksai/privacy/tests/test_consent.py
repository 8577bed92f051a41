"""The consent ledger in front of referrals and transfers: identifying data leave only with an
active consent for the purpose (or a recorded legal ground), and the receiver sees which."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from pksai.accounts.models import Organisation
from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.cases.services import ConflictError
from pksai.privacy import services
from pksai.privacy.models import Disclosure
from pksai.privacy.tests.factories import give_consent
from pksai.referrals import services as referral_services
from pksai.referrals.models import Referral, Service
from pksai.referrals.services import Answer
from pksai.referrals.tests.factories import case_in_planning, refer

pytestmark = pytest.mark.django_db


def _send(team, provider, case, share=("name", "sex", "birth_date")):
    return referral_services.referral_send(
        by=team["worker"],
        case=case,
        organisation=provider.organisation,
        service=Service.objects.get(code="birth_certificate"),
        urgency="routine",
        reason="Belum punya akta.",
        share=list(share),
    )


def test_no_identifying_data_leave_without_consent(team, dukcapil):
    case = case_in_planning(team)
    with pytest.raises(services.BasisMissing) as refused:
        _send(team, dukcapil, case)
    assert refused.value.record_url == f"/cases/{case.pk}/consents/?purpose=referral"
    assert not Referral.objects.exists()
    # sex and the concerns alone identify nobody: no consent needed, no disclosure recorded
    anonymous = _send(team, dukcapil, case, share=("sex", "concerns"))
    assert not anonymous.consent and not Disclosure.objects.exists()


def test_a_consent_allows_it_and_the_disclosure_names_it(team, dukcapil):
    case = case_in_planning(team)
    consent = give_consent(case, team["worker"])
    referral = _send(team, dukcapil, case, share=("name", "nik", "sex"))
    assert referral.consent
    disclosure = Disclosure.objects.get(referral=referral)
    assert disclosure.consent == consent and disclosure.legal_ground is None
    assert disclosure.fields == ["name", "nik"]
    assert disclosure.organisation == dukcapil.organisation
    row = AuditEvent.objects.get(action="create", object_type="referrals.referral")
    assert row.detail["basis"] == f"consent:{consent.pk}"


def test_withdrawn_expired_or_other_receiver_consents_do_not_count(team, dukcapil, puskesmas):
    case = case_in_planning(team)
    other = give_consent(case, team["worker"], organisation=puskesmas.organisation)
    with pytest.raises(services.BasisMissing):
        _send(team, dukcapil, case)  # given only for the Puskesmas
    old = give_consent(
        case,
        team["worker"],
        given_at=timezone.now() - timedelta(days=40),
        expires_on=timezone.localdate() - timedelta(days=1),
    )
    with pytest.raises(services.BasisMissing):
        _send(team, dukcapil, case)  # expired yesterday
    assert not old.is_active() and other.is_active()
    consent = give_consent(case, team["worker"])
    services.consent_withdraw(
        by=team["worker"],
        consent=consent,
        expected_version=consent.version,
        withdrawn_by_name="Ibu Sari",
        reason="Tidak ingin data dibagikan",
    )
    with pytest.raises(services.BasisMissing):
        _send(team, dukcapil, case)
    # a withdrawal with a stale version changes nothing
    again = give_consent(case, team["worker"])
    with pytest.raises(ConflictError):
        services.consent_withdraw(
            by=team["worker"],
            consent=again,
            expected_version=again.version + 1,
            withdrawn_by_name="x",
            reason="",
        )
    assert services.active_consent(person=case.child, purpose="referral") == again


def test_a_legal_ground_instead_of_consent_is_what_the_receiver_sees(client, team, dukcapil):
    case = case_in_planning(team)
    with pytest.raises(PermissionDenied):  # a social worker may not record a legal ground
        services.legal_ground_record(
            by=team["worker"],
            case=case,
            purpose="referral",
            basis="child_protection",
            explanation="Anak dalam bahaya, wali tidak dapat dihubungi.",
        )
    ground = services.legal_ground_record(
        by=team["supervisor"],
        case=case,
        purpose="referral",
        basis="child_protection",
        explanation="Anak dalam bahaya, wali tidak dapat dihubungi.",
    )
    referral = _send(team, dukcapil, case)
    assert not referral.consent
    assert Disclosure.objects.get(referral=referral).legal_ground == ground
    focal = dukcapil.organisation.members.get()
    client.force_login(focal)
    client.post("/i18n/setlang/", {"language": "en"})
    page = client.get(f"/referrals/{referral.pk}/")
    assert page.status_code == 200
    assert "Shared without consent, on the legal ground: child protection emergency" in page.text
    assert "wali tidak dapat dihubungi" not in page.text  # the explanation stays inside
    api = client.get(f"/api/v1/referrals/{referral.pk}/")
    assert api.json()["sharing_basis"] == {
        "kind": "legal_ground",
        "purpose": "referral",
        "given_by_relationship": None,
        "given_at": None,
        "withdrawn_at": None,
        "legal_ground": "child_protection",
    }
    services.legal_ground_end(by=team["supervisor"], ground=ground, expected_version=1)
    with pytest.raises(services.BasisMissing):
        _send(team, dukcapil, case)


def test_the_receiver_sees_the_consent(client, team, dukcapil):
    referral = refer(team, dukcapil)  # the factory records the guardian's consent first
    focal = dukcapil.organisation.members.get()
    client.force_login(focal)
    assert client.get(f"/referrals/{referral.pk}/").status_code == 200  # Indonesian
    client.post("/i18n/setlang/", {"language": "en"})
    page = client.get(f"/referrals/{referral.pk}/")
    assert "Shared with the consent of Ibu Sari (mother)" in page.text


def test_a_transfer_needs_a_transfer_consent_still_in_force_when_accepted(team):
    case = case_in_planning(team)
    gowa = Organisation.objects.create(
        name="Sekretariat PKSAI Gowa", kind="secretariat", area_id="73.06"
    )
    gowa_spv = make_user("gspv", roles=["supervisor"], scope=["73.06"])
    consent = give_consent(case, team["worker"], purpose="transfer")
    transfer = referral_services.transfer_send(
        by=team["supervisor"],
        case=case,
        organisation=gowa,
        urgency="urgent",
        reason="Keluarga pindah.",
    )
    assert Disclosure.objects.get(referral=transfer).fields == ["case"]
    services.consent_withdraw(
        by=team["worker"],
        consent=consent,
        expected_version=consent.version,
        withdrawn_by_name="Ibu Sari",
        reason="Batal pindah",
    )
    with pytest.raises(ValidationError, match="ditarik"):
        referral_services.referral_move(
            referral=transfer,
            by=gowa_spv,
            name="accept",
            expected_version=Referral.objects.get(pk=transfer.pk).version,
            answer=Answer(owner=team["gowa_worker"]),
        )
    case.refresh_from_db()
    assert case.area_id.startswith("73.71")  # the case did not move


def test_consent_pages_record_and_withdraw(client, team, dukcapil):
    case = case_in_planning(team)
    client.force_login(team["worker"])
    client.post("/i18n/setlang/", {"language": "en"})
    refused = client.post(
        f"/cases/{case.pk}/refer/",
        {
            "provider": dukcapil.pk,
            "service": "birth_certificate",
            "urgency": "routine",
            "reason": "Belum punya akta.",
            "share": ["name"],
        },
    )
    assert refused.status_code == 400
    assert "No consent for a referral is recorded for this child" in refused.text
    assert f'href="/cases/{case.pk}/consents/?purpose=referral"' in refused.text
    page = client.get(f"/cases/{case.pk}/consents/?purpose=referral")
    assert page.status_code == 200 and "No consent is recorded for this child yet" in page.text
    form = client.get(f"/cases/{case.pk}/consents/new/?purpose=referral")
    assert form.status_code == 200
    bad = client.post(f"/cases/{case.pk}/consents/new/", {"purpose": "referral"})
    assert bad.status_code == 400 and "There is a problem" in bad.text
    done = client.post(
        f"/cases/{case.pk}/consents/new/",
        {
            "purpose": "referral",
            "given_by_name": "Bapak Amir",
            "relationship": "father",
            "given_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "how": "Lisan saat kunjungan",
        },
    )
    assert done.status_code == 302
    consent = services.active_consent(person=case.child, purpose="referral")
    assert consent.given_by_name == "Bapak Amir" and consent.recorded_by == team["worker"]
    assert AuditEvent.objects.filter(action="create", object_type="privacy.consent").exists()
    stale = client.post(
        f"/cases/{case.pk}/consents/{consent.pk}/withdraw/",
        {"version": consent.version + 5, "withdrawn_by_name": "Bapak Amir"},
    )
    assert stale.status_code == 409
    withdrawn = client.post(
        f"/cases/{case.pk}/consents/{consent.pk}/withdraw/",
        {"version": consent.version, "withdrawn_by_name": "Bapak Amir", "reason": "Berubah"},
    )
    assert withdrawn.status_code == 302
    assert services.active_consent(person=case.child, purpose="referral") is None
    # another regency's worker: the case and its consents are not found, and that is audited
    client.force_login(team["gowa_worker"])
    assert client.get(f"/cases/{case.pk}/consents/").status_code == 404
    assert client.get(f"/cases/{case.pk}/consents/{consent.pk}/withdraw/").status_code == 404
    assert AuditEvent.objects.filter(action="permission_denied", actor=team["gowa_worker"]).exists()
