"""The referral lifecycle, the supervisor's overdue list, the worker's queue and the
one-time satisfaction link — through the services and selectors."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from pksai.accounts.models import User
from pksai.cases.models import Alert, PlanAction
from pksai.cases.services import ConflictError
from pksai.referrals import selectors, services
from pksai.referrals.models import Referral, Status
from pksai.referrals.services import Answer, LinkRefused
from pksai.referrals.tests.factories import refer


def act(referral, by, name, **answer):
    return services.referral_move(
        referral=referral,
        by=by,
        name=name,
        expected_version=Referral.objects.get(pk=referral.pk).version,
        answer=Answer(**answer),
    )


@pytest.mark.django_db
def test_full_lifecycle_flows_back_to_case_and_plan_action(team, dukcapil):
    referral = refer(team, dukcapil)
    focal = User.objects.get(username="dukcapil")
    assert referral.status == Status.SENT
    # counted per regency and year, apart from case numbers (the receiver never learns those)
    assert referral.number == f"RUJ-7371-{timezone.localdate().year}-000001"
    assert referral.shared == {
        "name": "Anak",
        "sex": referral.case.child.get_sex_display(),
        "birth_date": "2014-05-01",
    }
    assert referral.plan_action.status == PlanAction.Status.PLANNED  # object as passed in
    assert PlanAction.objects.get(pk=referral.plan_action_id).status == "in_progress"

    act(referral, focal, "acknowledge")
    act(referral, focal, "accept")
    act(referral, focal, "start")
    done = act(
        referral,
        focal,
        "deliver",
        delivered_on=timezone.localdate(),
        provided="Akta kelahiran No. 7371-LT-01",
        outcome="Akta diserahkan kepada ibu.",
    )
    assert done.status == Status.DELIVERED
    assert PlanAction.objects.get(pk=referral.plan_action_id).status == "done"
    kinds = list(referral.case.events.values_list("kind", flat=True))
    for kind in ("referral_sent", "referral_accepted", "referral_in_service", "referral_delivered"):
        assert kind in kinds
    delivered = referral.case.events.get(kind="referral_delivered")
    assert "Akta kelahiran No. 7371-LT-01" in delivered.text
    # the worker is told, and closes it
    assert Alert.objects.filter(
        user=team["worker"], code="referral_delivered", params__number=referral.number
    ).exists()
    closed = act(referral, team["worker"], "close")
    assert closed.status == Status.CLOSED
    assert [e.status for e in selectors.referral_events(referral)] == [
        "sent",
        "acknowledged",
        "accepted",
        "in_service",
        "delivered",
        "closed",
    ]
    # the outbound webhooks' outbox: sent, answered, delivered (decision 0035)
    from pksai.webhooks.models import Event

    outbox = Event.objects.filter(model="referrals.referral", object_id=referral.pk)
    assert list(outbox.order_by("id").values_list("kind", "data__status")) == [
        ("referral.sent", "sent"),
        ("referral.answered", "accepted"),
        ("referral.delivered", "delivered"),
    ]


@pytest.mark.django_db
def test_focal_person_cannot_make_worker_moves_nor_answer_for_others(team, dukcapil, puskesmas):
    referral = refer(team, dukcapil)
    with pytest.raises(Http404):  # another organisation's referral does not exist for pkm
        selectors.referral_get(user=User.objects.get(username="pkm"), pk=referral.pk)
    with pytest.raises(PermissionDenied):
        act(referral, User.objects.get(username="pkm"), "accept")
    with pytest.raises(PermissionDenied):
        act(referral, User.objects.get(username="dukcapil"), "cancel", reason="x")


@pytest.mark.django_db
def test_declined_referral_returns_to_the_workers_queue_with_its_reason(team, dukcapil):
    referral = refer(team, dukcapil)
    focal = User.objects.get(username="dukcapil")
    with pytest.raises(ValidationError):
        act(referral, focal, "decline")  # a reason is required
    act(referral, focal, "decline", reason="Orang tua harus datang membawa KK asli.")
    queue = list(selectors.to_handle(user=team["worker"]))
    assert [r.pk for r in queue] == [referral.pk]
    assert queue[0].decline_reason == "Orang tua harus datang membawa KK asli."
    assert Alert.objects.filter(
        user=team["worker"], code="referral_declined", params__reason__icontains="KK asli"
    ).exists()
    assert PlanAction.objects.get(pk=referral.plan_action_id).status == "planned"
    assert list(selectors.to_handle(user=team["other_worker"])) == []
    act(referral, team["worker"], "close")
    assert list(selectors.to_handle(user=team["worker"])) == []


@pytest.mark.django_db
def test_stale_version_is_a_conflict(team, dukcapil):
    referral = refer(team, dukcapil)
    focal = User.objects.get(username="dukcapil")
    stale = referral.version
    act(referral, focal, "acknowledge")
    with pytest.raises(ConflictError):
        services.referral_move(referral=referral, by=focal, name="accept", expected_version=stale)
    assert Referral.objects.get(pk=referral.pk).status == Status.ACKNOWLEDGED


@pytest.mark.django_db
def test_overdue_referral_appears_in_the_supervisors_overdue_list_and_is_escalated(team, dukcapil):
    referral = refer(team, dukcapil, urgency="emergency")
    supervisor = team["supervisor"]
    assert list(selectors.overdue_for_supervisor(user=supervisor)) == []
    later = timezone.now() + timedelta(hours=5)  # emergency: answer within 4 hours
    Referral.objects.filter(pk=referral.pk).update(respond_by=timezone.now() - timedelta(hours=1))
    assert [r.pk for r in selectors.overdue_for_supervisor(user=supervisor)] == [referral.pk]
    assert services.alert_overdue_referrals(now=later) == 1
    assert Alert.objects.filter(
        user=supervisor, code="referral_overdue_answer", params__number=referral.number
    ).exists()
    assert services.alert_overdue_referrals(now=later) == 0  # once per deadline
    # another supervisor's list does not show it; a worker has no overdue list
    other = User.objects.create(username="spv2")
    other.groups.add(*supervisor.groups.all())
    other.scope_areas.add(*supervisor.scope_areas.all())
    assert list(selectors.overdue_for_supervisor(user=other)) == []
    with pytest.raises(PermissionDenied):
        selectors.overdue_for_supervisor(user=team["worker"])


@pytest.mark.django_db
def test_one_time_satisfaction_link_works_once_then_refuses(team, dukcapil):
    referral = refer(team, dukcapil)
    focal = User.objects.get(username="dukcapil")
    with pytest.raises(ValidationError):  # not delivered yet
        services.satisfaction_link(by=team["worker"], case=referral.case, referral=referral)
    act(referral, focal, "accept")
    act(referral, focal, "deliver", delivered_on=timezone.localdate(), provided="Akta")
    referral.refresh_from_db()
    record, token = services.satisfaction_link(
        by=team["worker"], case=referral.case, referral=referral
    )
    assert record.token_digest != token
    assert services.satisfaction_by_link(token).pk == record.pk
    answered = services.satisfaction_answer(
        token=token, respondent="guardian", score=5, comment="Cepat dan ramah."
    )
    assert answered.score == 5 and answered.answered_at is not None
    with pytest.raises(LinkRefused):
        services.satisfaction_by_link(token)
    with pytest.raises(LinkRefused):
        services.satisfaction_answer(token=token, respondent="guardian", score=1, comment="")
    assert referral.case.satisfaction_records.get().score == 5
    with pytest.raises(LinkRefused):
        services.satisfaction_by_link("not-a-token")


@pytest.mark.django_db
def test_transfer_needs_consent_and_moves_the_case(team, pilot_areas):
    from pksai.accounts.models import Organisation
    from pksai.accounts.tests.factories import make_user
    from pksai.cases import selectors as case_selectors
    from pksai.privacy.tests.factories import give_consent
    from pksai.referrals.tests.factories import case_in_planning

    case = case_in_planning(team)
    gowa = Organisation.objects.create(
        name="Sekretariat PKSAI Gowa", kind="secretariat", area_id="73.06"
    )
    gowa_spv = make_user("gspv", roles=["supervisor"], scope=["73.06"])
    with pytest.raises(ValidationError):
        services.transfer_send(
            by=team["supervisor"],
            case=case,
            organisation=gowa,
            urgency="urgent",
            reason="Keluarga pindah ke Gowa.",
        )
    # a consent for referrals is not one for a transfer
    give_consent(case, team["worker"], purpose="referral")
    with pytest.raises(ValidationError):
        services.transfer_send(
            by=team["supervisor"],
            case=case,
            organisation=gowa,
            urgency="urgent",
            reason="Keluarga pindah ke Gowa.",
        )
    give_consent(case, team["worker"], purpose="transfer")
    transfer = services.transfer_send(
        by=team["supervisor"],
        case=case,
        organisation=gowa,
        urgency="urgent",
        reason="Keluarga pindah ke Gowa.",
    )
    assert transfer.consent and transfer.disclosure.consent.purpose.code == "transfer"
    # the receiving supervisor sees the transfer (shared data only), not the case yet
    assert selectors.referral_get(user=gowa_spv, pk=transfer.pk)
    assert not selectors.sees_case(gowa_spv, transfer)
    with pytest.raises(Http404):
        case_selectors.case_get(user=gowa_spv, pk=case.pk)
    assert [m.name for m in services.moves_for(gowa_spv, transfer)] == [
        "acknowledge",
        "accept",
        "decline",
    ]
    assert "accept" not in [m.name for m in services.moves_for(team["supervisor"], transfer)]
    act(transfer, gowa_spv, "accept", owner=team["gowa_worker"])
    moved = case_selectors.case_get(user=gowa_spv, pk=case.pk)
    assert moved.area_id == "73.06" and moved.owner == team["gowa_worker"]
    with pytest.raises(Http404):
        case_selectors.case_get(user=team["worker"], pk=case.pk)
    assert Referral.objects.get(pk=transfer.pk).status == Status.CLOSED


@pytest.mark.django_db
def test_a_restricted_cases_referrals_follow_the_case(team, dukcapil):
    from pksai.cases.tests.factories import move, register

    case = register(team, concerns=("sexual_violence",))
    assert case.restricted
    move(case, "triage", team["worker"], response="at_risk")
    move(case, "complete_assessment", team["worker"])
    case.refresh_from_db()
    referral = refer(team, dukcapil, case=case)
    # the owner and the supervisor see it in full; the focal person sees the shared part
    for user in (team["worker"], team["supervisor"]):
        assert selectors.sees_case(user, selectors.referral_get(user=user, pk=referral.pk))
    focal = User.objects.get(username="dukcapil")
    assert not selectors.sees_case(focal, selectors.referral_get(user=focal, pk=referral.pk))
    # another worker of the area, who may not open the case, does not see the referral
    with pytest.raises(Http404):
        selectors.referral_get(user=team["other_worker"], pk=referral.pk)
    assert referral not in selectors.referral_list(user=team["other_worker"])
    assert services.moves_for(team["other_worker"], referral) == []


@pytest.mark.django_db
def test_new_and_overdue_referrals_are_mailed_once_the_transaction_lands(
    team, dukcapil, mailoutbox, django_capture_on_commit_callbacks
):
    User.objects.filter(username="dukcapil").update(email="dukcapil@example.id")
    User.objects.filter(pk=team["supervisor"].pk).update(email="spv@example.id")
    with django_capture_on_commit_callbacks(execute=True):
        referral = refer(team, dukcapil, urgency="emergency")
    assert [m.to for m in mailoutbox] == [["dukcapil@example.id"]]
    Referral.objects.filter(pk=referral.pk).update(respond_by=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.alert_overdue_referrals()
    assert [m.to for m in mailoutbox[1:]] == [["spv@example.id"]]
    assert referral.number in mailoutbox[1].body
