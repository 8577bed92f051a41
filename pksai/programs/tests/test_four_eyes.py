"""Four eyes on a selection round: whoever ran the round, or took a nominee off its list, does
not approve it — in the service, on the round page (no button, the reason shown; a forced
POST is a 403) and over the API (403 with the reason); every refusal is audited. Another
program officer of the area approves; with PKSAI_ALLOW_SELF_APPROVAL on, the runner may."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from pksai.accounts.four_eyes import SelfApprovalRefused
from pksai.accounts.tests.factories import make_user
from pksai.api.tests.helpers import bearer
from pksai.audit.models import AuditEvent
from pksai.programs import services
from pksai.programs.models import Program, Quota, SelectionRound
from pksai.programs.tests.factories import nominate_disabled

DECREE = {"decree_number": "12/HUK/2026", "decree_date": "2026-03-02"}
RAN = "You ran this round. Another program officer must approve this round."
CHANGED = "You changed this round's list. Another program officer must approve this round."


@pytest.fixture(autouse=True)
def english(client, settings):
    settings.PKSAI_ALLOW_SELF_APPROVAL = False  # the default, whatever the environment says
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def officers(pilot_areas):
    """Two program officers of Makassar: one runs the rounds, the other approves."""
    return (
        make_user("po", roles=["program_officer"], scope=["73.71"]),
        make_user("po2", roles=["program_officer"], scope=["73.71"]),
    )


@pytest.fixture
def selection(officers):
    runner, _other = officers
    for name, kw in [
        ("A Multiple", {"disability_type": "multiple"}),
        ("B Device", {"assistive_device_needed": True}),
        ("C Physical", {"decile": 1}),
    ]:
        nominate_disabled(runner, name, **kw)
    jspaca = Program.objects.get(code="jspaca")
    Quota.objects.create(program=jspaca, year=2026, area_id="73.71", places=2)
    return services.round_run(
        by=runner,
        program=jspaca,
        year=2026,
        area_code="73.71",
        seed=1,
        sample_share=Decimal("0"),
    ).round


def approve(user, selection):
    return services.round_approve(
        by=user, selection=selection, decree_number="12/HUK/2026", decree_date=date(2026, 3, 2)
    )


def refusals(selection):
    return AuditEvent.objects.filter(
        action="permission_denied",
        object_type="programs.selectionround",
        object_id=str(selection.pk),
    )


# --- the service ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_who_ran_the_round_cannot_approve_it_another_officer_can(officers, selection):
    runner, other = officers
    assert services.round_makers(selection) == {runner.pk}
    with pytest.raises(SelfApprovalRefused) as refused:
        approve(runner, selection)
    assert isinstance(refused.value, PermissionDenied)  # a denial like any other
    assert refused.value.message == RAN
    selection.refresh_from_db()
    assert selection.status == SelectionRound.Status.RANKED and selection.approved_by is None
    [event] = refusals(selection)  # the attempt is on record although nothing was approved
    assert event.actor == runner
    assert event.detail == {"reason": "four_eyes", "rule": "selection_round"}

    assert services.round_approval_refusal(selection=selection, user=other) == ""
    approve(other, selection)
    selection.refresh_from_db()
    assert (selection.status, selection.approved_by) == ("approved", other)
    assert refusals(selection).count() == 1


@pytest.mark.django_db
def test_who_took_a_nominee_off_the_list_cannot_approve_it_either(officers, selection):
    runner, other = officers
    entry = selection.entries.filter(selected=True).order_by("rank").first()
    services.entry_exclude(by=other, entry=entry, reason="Pindah ke luar kota")
    assert services.round_makers(selection) == {runner.pk, other.pk}
    with pytest.raises(SelfApprovalRefused, match="You changed this round's list"):
        approve(other, selection)
    with pytest.raises(SelfApprovalRefused, match="You ran this round"):
        approve(runner, selection)
    assert refusals(selection).count() == 2
    # a third officer, who neither ran nor changed it, approves
    third = make_user("po3", roles=["program_officer"], scope=["73.71"])
    approve(third, selection)
    assert SelectionRound.objects.get(pk=selection.pk).approved_by == third


@pytest.mark.django_db
def test_recording_the_field_verification_does_not_make_the_list(officers, pilot_areas):
    runner, other = officers
    for name in ("A One", "B Two", "C Three"):
        nominate_disabled(runner, name)
    jspaca = Program.objects.get(code="jspaca")
    selection = services.round_run(
        by=runner,
        program=jspaca,
        year=2026,
        area_code="73.71",
        places=2,
        seed=5,
        sample_share=Decimal("0.5"),
    ).round
    for entry in selection.entries.filter(in_sample=True):
        services.entry_verify(by=other, entry=entry, result="confirmed")
    assert services.round_makers(selection) == {runner.pk}
    approve(other, selection)
    assert SelectionRound.objects.get(pk=selection.pk).approved_by == other


@pytest.mark.django_db
def test_the_smallest_office_may_allow_self_approval(settings, officers, selection):
    runner, _other = officers
    settings.PKSAI_ALLOW_SELF_APPROVAL = True
    assert services.round_approval_refusal(selection=selection, user=runner) == ""
    approve(runner, selection)
    selection.refresh_from_db()
    assert (selection.status, selection.approved_by) == ("approved", runner)
    assert not refusals(selection).exists()


@pytest.mark.django_db
def test_the_four_eyes_check_comes_after_permission_and_area(officers, selection):
    """An officer of another regency is refused for the area (not told about four eyes),
    and the rule never lets in a role without the approval permission."""
    gowa = make_user("gpo", roles=["program_officer"], scope=["73.06"])
    worker = make_user("sw", roles=["social_worker"], scope=["73.71"])
    for user in (gowa, worker):
        with pytest.raises(PermissionDenied) as refused:
            approve(user, selection)
        assert not isinstance(refused.value, SelfApprovalRefused)
    assert not refusals(selection).exists()


# --- the round page --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_tells_the_runner_and_refuses_a_forced_post(client, officers, selection):
    runner, other = officers
    url = f"/programs/rounds/{selection.pk}/"
    client.force_login(runner)
    page = client.get(url)
    assert page.status_code == 200
    assert RAN in page.text
    assert f'action="{url}approve/"' not in page.text  # the button is not offered
    forced = client.post(url + "approve/", DECREE)
    assert forced.status_code == 403
    assert forced.text.count("Another program officer must approve this round.") == 1
    assert SelectionRound.objects.get(pk=selection.pk).status == "ranked"
    assert refusals(selection).filter(actor=runner).count() == 1

    client.force_login(other)
    page = client.get(url)
    assert f'action="{url}approve/"' in page.text and RAN not in page.text
    done = client.post(url + "approve/", DECREE)
    assert done.status_code == 302
    selection.refresh_from_db()
    assert (selection.status, selection.approved_by) == ("approved", other)


@pytest.mark.django_db
def test_the_page_offers_the_runner_the_button_when_self_approval_is_allowed(
    client, settings, officers, selection
):
    runner, _other = officers
    settings.PKSAI_ALLOW_SELF_APPROVAL = True
    url = f"/programs/rounds/{selection.pk}/"
    client.force_login(runner)
    page = client.get(url)
    assert f'action="{url}approve/"' in page.text and RAN not in page.text
    assert client.post(url + "approve/", DECREE).status_code == 302
    assert SelectionRound.objects.get(pk=selection.pk).approved_by == runner


@pytest.mark.django_db
def test_the_reason_is_in_the_users_language(client, settings, officers, selection):
    """Without the English cookie the page is Indonesian, and so is the reason."""
    runner, _other = officers
    url = f"/programs/rounds/{selection.pk}/"
    client.force_login(runner)
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    with translation.override("id"):
        expected = services.round_approval_refusal(selection=selection, user=runner)
    page = client.get(url)
    assert '<html lang="id"' in page.text
    assert expected and expected in page.text
    forced = client.post(url + "approve/", DECREE)
    assert forced.status_code == 403 and expected in forced.text


# --- the API ---------------------------------------------------------------------------------


def api_approve(client, user, selection):
    return client.post(
        f"/api/v1/programs/rounds/{selection.pk}/approve/",
        DECREE,
        content_type="application/json",
        headers=bearer(user),
    )


@pytest.mark.django_db
def test_the_api_refuses_the_runner_with_the_reason(client, officers, selection):
    runner, other = officers
    refused = api_approve(client, runner, selection)
    assert refused.status_code == 403
    assert refused.json() == {"detail": RAN}
    assert SelectionRound.objects.get(pk=selection.pk).status == "ranked"
    assert refusals(selection).filter(actor=runner).count() == 1  # audited once
    approved = api_approve(client, other, selection)
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved" and approved.json()["approved_by"] == "po2"


@pytest.mark.django_db
def test_the_api_lets_the_runner_approve_when_self_approval_is_allowed(
    client, settings, officers, selection
):
    runner, _other = officers
    settings.PKSAI_ALLOW_SELF_APPROVAL = True
    approved = api_approve(client, runner, selection)
    assert approved.status_code == 200 and approved.json()["approved_by"] == "po"
