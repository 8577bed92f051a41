"""Staff and focal persons who chose to receive their work by WhatsApp get it there: a new
referral and its overdue reminder (focal persons), case alerts (workers, supervisors). Those
who did not choose it get nothing by message (their alerts stay in the app and e-mail)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from pksai.accounts.models import User
from pksai.cases.tests.conftest import team  # noqa: F401  (the case-work team fixture)
from pksai.messaging import services
from pksai.messaging.models import ContactConsent, Message, Purpose
from pksai.referrals import services as referrals
from pksai.referrals.models import Referral
from pksai.referrals.tests.factories import make_provider, refer


def wants_whatsapp(user, number):
    services.consent_give(
        address=number,
        channel="sms",
        purpose=Purpose.WORK,
        source=ContactConsent.Source.SELF,
        user=user,
    )


@pytest.mark.django_db
def test_focal_persons_and_supervisors_get_their_work_by_message(
    team,  # noqa: F811
    channels,
    django_capture_on_commit_callbacks,  # noqa: F811
):
    dukcapil = make_provider(focal="dukcapil")
    focal = User.objects.get(username="dukcapil")
    wants_whatsapp(focal, "081277770001")
    wants_whatsapp(team["supervisor"], "081277770002")
    with django_capture_on_commit_callbacks(execute=True):
        referral = refer(team, dukcapil, urgency="emergency")
    new = Message.objects.get(template="referral_new")
    assert new.referral_id == referral.pk and new.recipient == "+6281277770001"
    assert f"/referrals/{referral.pk}/" in channels.sent[-1].body
    Referral.objects.filter(pk=referral.pk).update(respond_by=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert referrals.alert_overdue_referrals() == 1
    overdue = Message.objects.get(template="referral_overdue")
    assert overdue.recipient == "+6281277770001" and overdue.status == "sent"
    # the supervisor's overdue alert, as a work message with the case link
    alert = Message.objects.get(template="work_alert")
    assert alert.recipient == "+6281277770002" and alert.case_id == referral.case_id
    assert f"/cases/{referral.case_id}/" in channels.sent[-1].body or any(
        f"/cases/{referral.case_id}/" in m.body for m in channels.sent
    )
    # the owner (a worker) did not choose messages: nothing recorded for them
    assert not Message.objects.filter(template="work_alert", recipient_hash="").exists()
    assert Message.objects.filter(template="work_alert").count() == 1


@pytest.mark.django_db
def test_the_family_gets_the_satisfaction_link_after_delivery_only_with_consent(
    team,  # noqa: F811
    channels,
    client,
    django_capture_on_commit_callbacks,  # noqa: F811
):
    from pksai.cases.models import Guardian
    from pksai.referrals.tests.test_lifecycle import act

    dukcapil = make_provider(focal="dukcapil")
    focal = User.objects.get(username="dukcapil")
    referral = refer(team, dukcapil)
    Guardian.objects.create(
        case=referral.case, name="Ibu Rina", relation="ibu", phone="0812 5555 0001"
    )
    Guardian.objects.create(
        case=referral.case, name="Pak Rudi", relation="ayah", phone="0812 5555 0002"
    )
    services.consent_give(
        address="081255550001",
        channel="sms",
        purpose=Purpose.REFERRAL,
        source=ContactConsent.Source.STAFF,
        by=team["worker"],
    )
    act(referral, focal, "accept")
    with django_capture_on_commit_callbacks(execute=True):
        act(referral, focal, "deliver", delivered_on=timezone.localdate(), provided="Akta")
    [link] = Message.objects.filter(template="referral_satisfaction")
    assert link.recipient == "+6281255550001" and link.referral_id == referral.pk  # not Pak Rudi
    body = channels.sent[-1].body
    assert body.startswith("Layanan dari Dinas Dukcapil")
    path = body[body.index("/s/") :]
    assert client.get(path).status_code == 200  # the one-time page opens


@pytest.mark.django_db
def test_no_family_consent_no_link(team, channels):  # noqa: F811
    from pksai.cases.models import Guardian
    from pksai.referrals.models import Satisfaction
    from pksai.referrals.tests.test_lifecycle import act

    dukcapil = make_provider(focal="dukcapil")
    focal = User.objects.get(username="dukcapil")
    referral = refer(team, dukcapil)
    Guardian.objects.create(
        case=referral.case, name="Ibu Rina", relation="ibu", phone="081255550001"
    )
    act(referral, focal, "accept")
    act(referral, focal, "deliver", delivered_on=timezone.localdate(), provided="Akta")
    assert not Message.objects.filter(template="referral_satisfaction").exists()
    assert not Satisfaction.objects.filter(referral=referral).exists()
