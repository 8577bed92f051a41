"""The referral pages and the provider portal, denials first: a focal person sees only the
referrals addressed to their organisation and nothing of the case or of anyone else."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from pksai.accounts.models import User
from pksai.audit.models import AuditEvent
from pksai.cases.models import PlanAction
from pksai.privacy.tests.factories import give_consent
from pksai.referrals import services
from pksai.referrals.models import Referral, Satisfaction, Status
from pksai.referrals.services import Answer
from pksai.referrals.tests.factories import case_in_planning, refer


def english(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en"})
    return client


def act(referral, by, name, **answer):
    return services.referral_move(
        referral=referral,
        by=by,
        name=name,
        expected_version=Referral.objects.get(pk=referral.pk).version,
        answer=Answer(**answer),
    )


@pytest.fixture
def referral(team, dukcapil, puskesmas):
    return refer(team, dukcapil)


@pytest.mark.django_db
def test_focal_person_gets_404_for_the_case_other_referrals_and_any_person(
    client, team, referral, puskesmas
):
    other = refer(team, puskesmas, service="health_check")
    child = referral.case.child
    focal = User.objects.get(username="dukcapil")
    english(client, focal)
    # the case, in the UI and the API
    assert client.get(f"/cases/{referral.case_id}/").status_code == 404
    assert client.get(f"/api/v1/cases/{referral.case_id}/").status_code == 404
    # another organisation's referral
    assert client.get(f"/referrals/{other.pk}/").status_code == 404
    # any person — the referred child included: the provider sees only what was shared
    for person in (child, other.case.child):
        assert client.get(f"/vulnerability/children/{person.pk}/").status_code == 404
        assert client.get(f"/api/v1/registry/people/{person.pk}/").status_code == 404
    # and no way to make a referral or send one's own
    assert client.get(f"/cases/{referral.case_id}/refer/").status_code == 403
    assert client.get("/cases/").status_code == 403
    denied = AuditEvent.objects.filter(action="permission_denied", actor=focal)
    assert denied.filter(object_type="cases.case").exists() or denied.exists()


@pytest.mark.django_db
def test_focal_person_sees_only_their_referrals_and_only_the_shared_part(
    client, team, referral, puskesmas
):
    other = refer(team, puskesmas, service="health_check")
    english(client, User.objects.get(username="dukcapil"))
    home = client.get("/")
    assert home.status_code == 302 and home["Location"] == "/portal/"
    inbox = client.get("/portal/")
    assert referral.number in inbox.text and other.number not in inbox.text
    page = client.get(f"/referrals/{referral.pk}/")
    assert page.status_code == 200
    assert "Anak belum memiliki akta kelahiran." in page.text  # the reason
    assert "Anak" in page.text  # the shared name
    case = referral.case
    assert case.summary not in page.text  # never the case itself
    assert f'href="/cases/{case.pk}/' not in page.text
    assert "Accept" in page.text and "Cancel the referral" not in page.text
    assert AuditEvent.objects.filter(
        action="view", object_type="referrals.referral", object_id=str(referral.pk)
    ).exists()


@pytest.mark.django_db
def test_focal_person_accepts_and_delivers_and_it_reaches_the_case_timeline(client, team, referral):
    english(client, User.objects.get(username="dukcapil"))
    r = client.post(f"/referrals/{referral.pk}/move/", {"name": "accept", "version": 1})
    assert r.status_code == 302
    # a stale version: 409, nothing changed
    stale = client.post(f"/referrals/{referral.pk}/move/", {"name": "start", "version": 1})
    assert stale.status_code == 409
    assert Referral.objects.get(pk=referral.pk).status == Status.ACCEPTED
    bad = client.post(
        f"/referrals/{referral.pk}/move/",
        {"name": "deliver", "version": 2, "delivered_on": "", "provided": ""},
    )
    assert bad.status_code == 400
    done = client.post(
        f"/referrals/{referral.pk}/move/",
        {
            "name": "deliver",
            "version": 2,
            # the date in Makassar (WITA), where the referral was sent: not the server's zone
            "delivered_on": timezone.localdate(timezone=ZoneInfo("Asia/Makassar")).isoformat(),
            "provided": "Akta kelahiran No. 7371-LT-2026-0042",
            "outcome": "Diserahkan kepada ibu",
        },
    )
    assert done.status_code == 302
    english(client, team["worker"])
    case_page = client.get(f"/cases/{referral.case_id}/")
    assert "Referral: service delivered" in case_page.text
    assert "Akta kelahiran No. 7371-LT-2026-0042" in case_page.text
    assert PlanAction.objects.get(pk=referral.plan_action_id).status == "done"


@pytest.mark.django_db
def test_declined_referral_shows_in_the_workers_queue_with_its_reason(client, team, referral):
    act(
        referral,
        User.objects.get(username="dukcapil"),
        "decline",
        reason="Butuh KK asli orang tua.",
    )
    english(client, team["worker"])
    home = client.get("/")
    assert home.status_code == 200
    assert referral.number in home.text and "Butuh KK asli orang tua." in home.text
    english(client, team["other_worker"])
    assert referral.number not in client.get("/").text


@pytest.mark.django_db
def test_overdue_referral_in_the_supervisors_overdue_list(client, team, referral):
    Referral.objects.filter(pk=referral.pk).update(respond_by=timezone.now() - timedelta(hours=2))
    english(client, team["supervisor"])
    home = client.get("/")
    assert home.text.count('id="overdue-referrals"') == 1
    assert "<title>Home · PKSAI</title>" in home.text
    section = home.text.split('id="overdue-referrals"')[1]
    assert referral.number in section
    listed = client.get("/referrals/?overdue=1")
    assert referral.number in listed.text
    english(client, team["gowa_worker"])
    assert referral.number not in client.get("/referrals/").text


@pytest.mark.django_db
def test_worker_refers_from_a_plan_action_sharing_only_what_is_ticked(client, team, dukcapil):
    case = case_in_planning(team)
    english(client, team["worker"])
    added = client.post(
        f"/cases/{case.pk}/plan-actions/",
        {
            "action-kind": "referral",
            "action-description": "Akta kelahiran",
            "action-responsible": "Dukcapil",
            "action-due_date": timezone.localdate().isoformat(),
        },
    )
    assert added.status_code == 302, added.text.split('role="alert"')[1][:300]
    action = case.plan_actions.get()
    page = client.get(f"/cases/{case.pk}/refer/?action={action.pk}")
    assert page.status_code == 200 and dukcapil.organisation.name in page.text
    give_consent(case, team["worker"])
    r = client.post(
        f"/cases/{case.pk}/refer/",
        {
            "plan_action": action.pk,
            "provider": dukcapil.pk,
            "service": "birth_certificate",
            "urgency": "routine",
            "reason": "Belum punya akta.",
            "share": ["name", "birth_date"],
        },
    )
    assert r.status_code == 302
    sent = Referral.objects.get(case=case)
    assert sent.shared == {"name": "Anak", "birth_date": "2014-05-01"}
    assert sent.plan_action == action
    # a provider outside the list, or no reason: refused, nothing sent
    bad = client.post(
        f"/cases/{case.pk}/refer/",
        {"provider": 999, "service": "birth_certificate", "urgency": "routine", "reason": ""},
    )
    assert bad.status_code == 400
    assert Referral.objects.filter(case=case).count() == 1


@pytest.mark.django_db
def test_one_time_satisfaction_link_over_http(client, team, referral):
    focal = User.objects.get(username="dukcapil")
    act(referral, focal, "accept")
    act(referral, focal, "deliver", delivered_on=timezone.localdate(), provided="Akta")
    english(client, team["worker"])
    shown = client.post(f"/cases/{referral.case_id}/satisfaction/link/", {"referral": referral.pk})
    assert shown.status_code == 200
    link = shown.context["link"]
    path = link.split("testserver", 1)[1]
    client.logout()
    assert client.get(path).status_code == 200
    bad = client.post(path, {"respondent": "guardian", "score": "9"})
    assert bad.status_code == 400
    ok = client.post(path, {"respondent": "guardian", "score": "4", "comment": "Terima kasih"})
    assert ok.status_code == 200 and Satisfaction.objects.get().score == 4
    again = client.get(path)
    assert again.status_code == 410
    assert client.post(path, {"respondent": "guardian", "score": "1"}).status_code == 410
    assert Satisfaction.objects.get().score == 4
    assert client.get("/s/forged-token/").status_code == 410


@pytest.mark.django_db
def test_transfer_through_the_pages(client, team):
    from pksai.accounts.models import Organisation
    from pksai.accounts.tests.factories import make_user

    case = case_in_planning(team)
    gowa = Organisation.objects.create(
        name="Sekretariat PKSAI Gowa", kind="secretariat", area_id="73.06"
    )
    receiving = make_user("gspv", roles=["supervisor"], scope=["73.06"])
    english(client, team["worker"])  # a worker may not transfer a case
    assert client.get(f"/cases/{case.pk}/transfer/").status_code == 403
    english(client, team["supervisor"])
    form = client.get(f"/cases/{case.pk}/transfer/")
    assert "Sekretariat PKSAI Gowa" in form.text
    no_consent = client.post(
        f"/cases/{case.pk}/transfer/",
        {"organisation": gowa.pk, "urgency": "urgent", "reason": "Pindah", "share": ["name"]},
    )
    assert no_consent.status_code == 400 and "consent" in no_consent.text
    # the refusal links to where the consent is recorded
    assert f"/cases/{case.pk}/consents/?purpose=transfer" in no_consent.text
    give_consent(case, team["worker"], purpose="transfer")
    sent = client.post(
        f"/cases/{case.pk}/transfer/",
        {
            "organisation": gowa.pk,
            "urgency": "urgent",
            "reason": "Keluarga pindah ke Gowa",
            "share": ["name"],
        },
    )
    assert sent.status_code == 302
    transfer = Referral.objects.get(kind="transfer")
    english(client, receiving)
    page = client.get(f"/referrals/{transfer.pk}/")
    assert page.status_code == 200 and "Keluarga pindah ke Gowa" in page.text
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    accepted = client.post(
        f"/referrals/{transfer.pk}/move/",
        {"name": "accept", "version": transfer.version, "owner": "gw"},
    )
    assert accepted.status_code == 302
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    english(client, team["worker"])
    assert client.get(f"/cases/{case.pk}/").status_code == 404


@pytest.mark.django_db
def test_satisfaction_at_closure_entered_by_staff(client, team):
    from pksai.cases.tests.factories import move

    case = case_in_planning(team)
    english(client, team["worker"])
    refused = client.post(
        f"/cases/{case.pk}/satisfaction/", {"respondent": "guardian", "score": "5"}
    )
    assert refused.status_code == 302 and not Satisfaction.objects.exists()  # not closing yet
    move(case, "submit_plan", team["worker"])
    move(case, "approve_plan", team["supervisor"])
    move(case, "request_closure", team["worker"])
    page = client.get(f"/cases/{case.pk}/")
    assert "Client satisfaction at closure" in page.text
    client.post(
        f"/cases/{case.pk}/satisfaction/",
        {"respondent": "guardian", "score": "5", "comment": "Sangat membantu"},
    )
    record = Satisfaction.objects.get()
    assert (record.moment, record.score, record.entered_by) == ("closure", 5, team["worker"])
    english(client, User.objects.create(username="nobody"))
    assert (
        client.post(
            f"/cases/{case.pk}/satisfaction/", {"respondent": "guardian", "score": "1"}
        ).status_code
        == 404
    )


@pytest.mark.django_db
def test_an_answer_recorded_for_the_provider_says_so_in_each_readers_language(
    client, team, referral
):
    """Case staff record the provider's answer given by phone: the history keeps the words
    as said and flags the entry; the flag is read in the reader's language, not the writer's."""
    act(referral, team["worker"], "decline", reason="Kuota penuh bulan ini")
    event = referral.events.get(status=Status.DECLINED)
    assert event.on_behalf and event.text == "Kuota penuh bulan ini"
    client.force_login(team["worker"])
    indonesian = client.get(f"/referrals/{referral.pk}/").text
    assert "dicatat oleh petugas kasus atas nama penyedia layanan" in indonesian
    english(client, team["worker"])
    assert (
        "recorded by case staff for the provider" in client.get(f"/referrals/{referral.pk}/").text
    )
