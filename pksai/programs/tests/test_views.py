"""Program pages: who sees what (403 without the role, 404 out of area), a selection round run,
verified, corrected, approved, exported and enrolled through the forms, nominations with their
filters and the bulk nomination, the sub-program choice and the enrol button's refusals, the
case staff's nominate button, and the audit of every page that shows people."""

import io
from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from django.utils import timezone

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.cases import selectors as case_selectors
from pksai.cases.tests.factories import make_child, move, register
from pksai.programs import services
from pksai.programs.models import (
    Beneficiary,
    Nomination,
    Program,
    Quota,
    RoundEntry,
    SelectionRound,
)
from pksai.programs.tests.factories import make_person, nominate_disabled
from pksai.vulnerability.models import Score
from pksai.vulnerability.services import ruleset_ensure_default


def login(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en"})


@pytest.fixture
def officer(team):
    return make_user("po", roles=["program_officer"], scope=["73.71"])


@pytest.fixture
def gowa_officer(team):
    return make_user("gpo", roles=["program_officer"], scope=["73.06"])


@pytest.fixture
def focal(team):
    return make_user("focal", roles=["focal_person"], scope=["73.71"])


@pytest.fixture
def jspaca_round(officer):
    """Six JSPACA nominees in Makassar (five eligible), a quota of three, a round run with a
    sample of two."""
    nominate_disabled(officer, "A Multiple", disability_type="multiple")
    nominate_disabled(officer, "B Device", assistive_device_needed=True)
    nominate_disabled(officer, "C Physical", decile=1)
    nominate_disabled(officer, "D Visual", disability_type="visual")
    nominate_disabled(officer, "E Visual poorer", disability_type="visual", decile=1)
    nominate_disabled(officer, "X Income", fixed_income=True)
    jspaca = Program.objects.get(code="jspaca")
    Quota.objects.create(program=jspaca, year=2026, area_id="73.71", places=3)
    return services.round_run(
        by=officer,
        program=jspaca,
        year=2026,
        area_code="73.71",
        seed=5,
        sample_share=Decimal("0.5"),
    ).round


def _pksa_case_nomination(team, officer, *, response="at_risk", concerns=("physical_violence",)):
    child = make_child("Rudi", birth=date(2015, 3, 1), sex="M")
    case = register(team, concerns=concerns, child=child)
    move(case, "triage", team["worker"], response=response)
    nomination = services.nominate(
        by=officer,
        program=Program.objects.get(code="pksa"),
        year=2026,
        person=child,
        source=Nomination.Source.OFFICE,
    )
    return case, nomination


# --- the programs page ----------------------------------------------------------------


def test_index_shows_benefits_quotas_and_the_links(client, officer, team, focal):
    Quota.objects.create(
        program=Program.objects.get(code="jslu"), year=2026, area_id="73.71", places=1200
    )
    Quota.objects.create(
        program=Program.objects.get(code="jslu"), year=2026, area_id="73.06", places=999
    )
    login(client, officer)
    page = client.get("/programs/?year=2026")
    assert page.status_code == 200
    text = page.text
    assert "Social assistance for the elderly (JSLU)" in text
    assert "Rp 300,000" in text and "monthly" in text and "Rp 1,500,000" in text
    assert "Neglected children under five (PKS-ABT)" in text and "Rp 400,000" in text
    assert "1,200" in text and "Kota Makassar" in text
    assert "Kabupaten Gowa" not in text  # Gowa's quota: outside the officer's area
    assert "/programs/jslu/nominations/?year=2026" in text
    assert "/programs/jslu/rounds/" in text and "/programs/jslu/beneficiaries/" in text
    assert 'href="/programs/"' in text  # the navigation link
    login(client, team["worker"])  # case staff: the page, not the round links or the nav
    page = client.get("/programs/")
    assert page.status_code == 200
    assert "/programs/jslu/rounds/" not in page.text and 'href="/programs/"' not in page.text
    login(client, focal)
    assert client.get("/programs/").status_code == 403


# --- nominations ----------------------------------------------------------------------


def test_nominations_page_filters_and_is_audited(client, officer, gowa_officer, focal):
    first = nominate_disabled(officer, "Siti Twin", nik="7371010101800001")
    second = nominate_disabled(officer, "Siti Twin Again", nik="7371010101800001")
    other = nominate_disabled(officer, "Budi Alone")
    login(client, officer)
    page = client.get("/programs/jspaca/nominations/?year=2026")
    assert page.status_code == 200
    for name in ("Siti Twin", "Budi Alone"):
        assert name in page.text
    assert "possible duplicate" in page.text and "Bontorannu" in page.text
    audit = AuditEvent.objects.filter(action="view", object_type="programs.nomination").last()
    assert sorted(audit.detail["list"]) == sorted([first.pk, second.pk, other.pk])
    page = client.get("/programs/jspaca/nominations/?year=2026&flag=duplicate")
    assert "Siti Twin Again" in page.text and "Budi Alone" not in page.text
    page = client.get("/programs/jspaca/nominations/?year=2026&flag=several")
    assert "No nominations match." in page.text
    page = client.get("/programs/jspaca/nominations/?year=2026&area=73.71.01&source=office")
    assert "Budi Alone" in page.text
    page = client.get("/programs/jspaca/nominations/?year=2026&source=case")
    assert "Budi Alone" not in page.text
    assert "Budi Alone" not in client.get("/programs/jspaca/nominations/?year=2025").text
    assert client.get("/programs/pks_abt/nominations/").status_code == 404  # a sub-program
    login(client, gowa_officer)
    page = client.get("/programs/jspaca/nominations/?year=2026")
    assert page.status_code == 200 and "Budi Alone" not in page.text
    login(client, focal)
    assert client.get("/programs/jspaca/nominations/?year=2026").status_code == 403


def test_several_sub_programs_flag_filter(client, team, officer):
    case, nomination = _pksa_case_nomination(
        team, officer, concerns=("street_child", "physical_violence")
    )
    services.round_run(
        by=officer,
        program=Program.objects.get(code="pksa"),
        year=2026,
        area_code="73.71",
        places=10,
        seed=1,
    )
    login(client, officer)
    page = client.get("/programs/pksa/nominations/?year=2026&flag=several")
    assert "Rudi" in page.text
    assert "Street and neglected children (PKS-Anjal/Antar)" in page.text
    assert "Children in need of special protection (PKS-AMPK)" in page.text


def test_nominate_from_the_vulnerability_database(client, officer):
    ruleset = ruleset_ensure_default()
    now = timezone.now()
    for name, risk, village in [
        ("High", "high", "73.71.01.1001"),
        ("Medium", "medium", "73.71.01.1001"),
        ("Low", "low", "73.71.01.1001"),
    ]:
        person = make_person(name, birth=date(2016, 1, 1))
        Score.objects.create(
            person=person,
            ruleset=ruleset,
            village_id=village,
            sex="M",
            age=10,
            scored_at=now,
            criteria_count=2,
            neglect="nearly_neglected",
            pmt_score=10,
            risk_level=risk,
        )
    login(client, officer)
    url = "/programs/pksa/nominations/from-vulnerability/"
    response = client.post(url, {"year": 2026, "area": "73.71", "risk_levels": ["high"]})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "1 child nominated from the vulnerability database." in page.text
    response = client.post(
        url, {"year": 2026, "area": "73.71", "risk_levels": ["high", "medium"]}, follow=True
    )
    assert "1 child nominated" in response.text  # the high-risk child is already there
    assert set(
        Nomination.objects.filter(program__code="pksa").values_list("person__name", flat=True)
    ) == {"High", "Medium"}
    response = client.post(url, {"year": 2026, "area": "73.06", "risk_levels": ["high"]})
    assert response.status_code == 400 and "outside your area of work" in response.text
    response = client.post(url, {"year": 2026, "area": "99.99", "risk_levels": ["high"]})
    assert response.status_code == 400 and "Unknown area code" in response.text


# --- one nomination -------------------------------------------------------------------


def test_nomination_page_profile_choice_and_enrolment(client, team, officer):
    case, nomination = _pksa_case_nomination(
        team, officer, concerns=("street_child", "physical_violence")
    )
    services.round_run(
        by=officer,
        program=Program.objects.get(code="pksa"),
        year=2026,
        area_code="73.71",
        places=10,
        seed=1,
    )
    login(client, officer)
    url = f"/programs/nominations/{nomination.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Street and neglected children (PKS-Anjal/Antar)" in page.text
    assert "Children in need of special protection (PKS-AMPK)" in page.text
    assert "Choose the sub-program" in page.text
    assert AuditEvent.objects.filter(
        action="view", object_type="programs.nomination", object_id=str(nomination.pk)
    ).exists()
    # the profile, with the version it was loaded at; a stale version is a 409
    loaded = nomination.version
    edit = {"dependency": "partial", "bedridden": "false", "fixed_income": "true", "notes": "Ok"}
    response = client.post(url + "profile/", {**edit, "version": loaded})
    assert response.status_code == 302
    stale = client.post(url + "profile/", {**edit, "notes": "Overwrite?", "version": loaded})
    assert stale.status_code == 409 and "Someone else changed this nomination" in stale.text
    nomination.refresh_from_db()
    assert (nomination.dependency, nomination.bedridden, nomination.fixed_income) == (
        "partial",
        False,
        True,
    )
    assert nomination.assistive_device_needed is None and nomination.notes == "Ok"
    assert Nomination.objects.filter(person=nomination.person).count() == 1
    # enrolling before the choice is refused
    response = client.post(url + "enrol/", {"start_date": "2026-04-01"})
    assert response.status_code == 400 and "Choose the sub-program for Rudi first" in response.text
    # two matches: the reason is required
    response = client.post(url + "choose/", {"subprogram": "pks_ampk", "reason": ""})
    assert response.status_code == 400 and "give the reason" in response.text
    response = client.post(url + "choose/", {"subprogram": "pks_abh", "reason": "x"})
    assert response.status_code == 400  # not one of the matches
    response = client.post(
        url + "choose/", {"subprogram": "pks_ampk", "reason": "Kekerasan fisik di rumah."}
    )
    assert response.status_code == 302
    nomination.refresh_from_db()
    assert nomination.chosen.code == "pks_ampk"
    assert nomination.choice_reason == "Kekerasan fisik di rumah."
    response = client.post(url + "enrol/", {"start_date": "2026-04-01"}, follow=True)
    assert "Rudi is enrolled in Children in need of special protection" in response.text
    beneficiary = Beneficiary.objects.get(person=nomination.person)
    assert beneficiary.program.code == "pks_ampk" and beneficiary.start_date == date(2026, 4, 1)
    response = client.post(url + "enrol/", {"start_date": "2026-04-01"})
    assert response.status_code == 400  # already enrolled: the button is gone, the POST refused
    # case staff may see the nomination but not enrol
    login(client, team["worker"])
    assert client.get(url).status_code == 200
    assert client.post(url + "enrol/", {"start_date": "2026-04-01"}).status_code == 403


def test_the_enrol_button_says_immediate_response_first(client, team, officer):
    case, nomination = _pksa_case_nomination(team, officer, response="immediate")
    assert case_selectors.case_get(user=team["worker"], pk=case.pk).emergency_pending
    services.nomination_choose(
        by=officer, nomination=nomination, subprogram=Program.objects.get(code="pks_ampk")
    )
    login(client, officer)
    response = client.post(
        f"/programs/nominations/{nomination.pk}/enrol/", {"start_date": "2026-04-01"}
    )
    assert response.status_code == 400
    assert "Immediate response first" in response.text
    assert not Beneficiary.objects.exists()


def test_nomination_detail_out_of_area_is_404(client, team, officer, gowa_officer, focal):
    nomination = nominate_disabled(officer, "Makassar Person")
    url = f"/programs/nominations/{nomination.pk}/"
    for user in (gowa_officer, team["gowa_worker"], focal):
        login(client, user)
        assert client.get(url).status_code == 404
    login(client, gowa_officer)
    assert client.post(url + "enrol/", {"start_date": "2026-04-01"}).status_code == 404
    assert client.post(url + "profile/", {"notes": "x"}).status_code == 404
    assert AuditEvent.objects.filter(
        action="permission_denied", object_type="programs.nomination"
    ).exists()


# --- selection rounds -----------------------------------------------------------------


def test_round_denials(client, team, officer, gowa_officer, focal, jspaca_round):
    url = f"/programs/rounds/{jspaca_round.pk}/"
    login(client, gowa_officer)
    assert client.get(url).status_code == 404
    assert client.get(url + "decree/?format=pdf").status_code == 404
    assert client.post(url + "approve/", {"decree_number": "1"}).status_code == 404
    login(client, team["worker"])
    assert client.get("/programs/rounds/new/").status_code == 403
    assert client.get(url).status_code == 403
    assert client.get("/programs/jspaca/rounds/").status_code == 403
    login(client, focal)
    assert client.get("/programs/rounds/new/").status_code == 403
    assert client.get(url).status_code == 403
    assert client.get("/programs/jspaca/beneficiaries/").status_code == 403
    # the Gowa officer's list does not show Makassar's round
    login(client, gowa_officer)
    page = client.get("/programs/jspaca/rounds/")
    assert page.status_code == 200 and "Kota Makassar" not in page.text


def test_round_new_form_errors_are_400_with_the_reason(client, officer, jspaca_round):
    login(client, officer)
    form = {"program": "jspaca", "year": 2027, "area": "73.71", "sample_share": "0.1"}
    response = client.post("/programs/rounds/new/", form)
    assert response.status_code == 400 and "No quota for" in response.text
    response = client.post("/programs/rounds/new/", {**form, "places": 3})
    assert response.status_code == 400
    assert "Nobody is nominated for this program, year and area." in response.text
    response = client.post("/programs/rounds/new/", {**form, "area": "73.06", "places": 3})
    assert response.status_code == 400 and "outside your area of work" in response.text
    response = client.post("/programs/rounds/new/", {**form, "program": "pks_abt"})
    assert response.status_code == 400  # sub-programs are not offered
    assert SelectionRound.objects.count() == 1


def test_a_round_through_the_pages(client, officer):
    for name, kw in [
        ("A Multiple", {"disability_type": "multiple"}),
        ("B Device", {"assistive_device_needed": True}),
        ("C Physical", {"decile": 1}),
        ("D Visual", {"disability_type": "visual"}),
        ("E Visual poorer", {"disability_type": "visual", "decile": 1}),
        ("X Income", {"fixed_income": True}),
    ]:
        nominate_disabled(officer, name, **kw)
    Quota.objects.create(
        program=Program.objects.get(code="jspaca"), year=2026, area_id="73.71", places=3
    )
    login(client, officer)
    page = client.get("/programs/rounds/new/?program=jspaca&year=2026&area=73.71")
    assert page.status_code == 200 and 'data-code="73.71"' in page.text  # the area picker
    response = client.post(
        "/programs/rounds/new/",
        {"program": "jspaca", "year": 2026, "area": "73.71", "sample_share": "0.5", "seed": 11},
    )
    assert response.status_code == 302
    selection = SelectionRound.objects.get()
    assert response["Location"] == f"/programs/rounds/{selection.pk}/"
    assert (selection.places, selection.seed, selection.selected) == (3, 11, 3)
    url = response["Location"]
    page = client.get(url)
    assert page.status_code == 200
    text = page.text
    assert "Round done: 6 nominees, 5 eligible, 3 selected. Next step: verify 2 of them" in text
    assert "JSPACA default 2026 v1" in text
    assert "Type and condition of disability (incl. assistive devices)" in text  # a tier
    assert "Level of dependency" in text
    assert "X Income" in text and "No fixed income" in text  # ineligible, with the label
    # four eyes: who ran the round is told another officer approves it, with no button
    assert "You ran this round. Another program officer must approve this round." in text
    assert f'action="{url}approve/"' not in text
    assert AuditEvent.objects.filter(
        action="view", object_type="programs.selectionround", object_id=str(selection.pk)
    ).exists()
    # another officer: approving before the sample is verified is refused with the reason
    approver = make_user("po2", roles=["program_officer"], scope=["73.71"])
    login(client, approver)
    text = client.get(url).text
    assert "Approve the list" in text and "2 nominees of the verification sample" in text
    response = client.post(
        url + "approve/", {"decree_number": "12/HUK/2026", "decree_date": "2026-03-01"}
    )
    assert response.status_code == 400 and "not verified yet" in response.text
    login(client, officer)
    # verify the sample: one not confirmed, taken off the list; the next one takes the place
    sampled = list(selection.entries.filter(in_sample=True).order_by("rank"))
    response = client.post(
        url + f"entries/{sampled[0].pk}/verify/", {"result": "confirmed", "notes": ""}
    )
    assert response.status_code == 302
    response = client.post(
        url + f"entries/{sampled[1].pk}/verify/", {"result": "not_confirmed", "notes": "Pindah"}
    )
    assert response.status_code == 302
    response = client.post(url + f"entries/{sampled[1].pk}/verify/", {"result": "maybe"})
    assert response.status_code == 400
    successor = selection.entries.filter(eligible=True, selected=False).order_by("rank").first()
    response = client.post(
        url + f"entries/{sampled[1].pk}/exclude/", {"reason": "Tidak ditemukan"}, follow=True
    )
    name = sampled[1].nomination.person.name
    next_name = successor.nomination.person.name
    assert f"{name} was taken off the list; {next_name} (rank 4) takes the place." in (
        response.text
    )
    assert "Takes the place of rank" in response.text
    response = client.post(url + f"entries/{sampled[1].pk}/exclude/", {"reason": "again"})
    assert response.status_code == 400 and "not on the list" in response.text
    response = client.post(url + f"entries/{sampled[0].pk}/exclude/", {"reason": ""})
    assert response.status_code == 400
    # approve under a decree: not by who ran the round (403, the reason), by another officer
    decree = {"decree_number": "12/HUK/2026", "decree_date": "2026-03-01"}
    response = client.post(url + "approve/", decree)
    assert response.status_code == 403 and "Another program officer" in response.text
    login(client, approver)
    response = client.post(url + "approve/", decree)
    assert response.status_code == 302
    selection.refresh_from_db()
    assert selection.status == "approved" and selection.decree_number == "12/HUK/2026"
    page = client.get(url)
    assert "Approve the list" not in page.text and "Enrol the approved list" in page.text
    assert "Take off the list" not in page.text
    # the decree list, PDF and XLSX, audited as exports
    refused = client.get(url + "decree/?format=pdf")  # personal data: a purpose is required
    assert refused.status_code == 302 and refused["Location"] == url
    pdf = client.get(url + "decree/?format=pdf&purpose=decree+signing")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("attachment;")
    assert "decree-jspaca-2026-73.71.pdf" in pdf["Content-Disposition"]
    xlsx = client.get(url + "decree/?format=xlsx&purpose=decree+signing")
    assert "purpose: decree signing" in xlsx["X-PKSAI-Watermark"]
    assert (
        xlsx.status_code == 200 and "decree-jspaca-2026-73.71.xlsx" in (xlsx["Content-Disposition"])
    )
    table = pl.read_excel(io.BytesIO(xlsx.content), read_options={"header_row": 2})
    assert table.height == 3 and name not in table["name"].to_list()
    assert next_name in table["name"].to_list()
    assert client.get(url + "decree/?format=doc").status_code == 404
    assert (
        AuditEvent.objects.filter(
            action="export", object_type="programs.selectionround", object_id=str(selection.pk)
        ).count()
        == 2
    )
    # enrol the approved list
    response = client.post(url + "enrol/", {"start_date": "2026-04-01"})
    assert response.status_code == 302  # post/redirect/get: the result shows once
    shown = client.get(response["Location"])
    assert "3 beneficiaries enrolled." in shown.text
    assert "beneficiaries enrolled." not in client.get(response["Location"]).text
    assert Beneficiary.objects.filter(round=selection).count() == 3
    response = client.post(url + "enrol/", {"start_date": "2026-04-01"}, follow=True)
    assert "0 beneficiaries enrolled." in response.text  # never twice
    # the beneficiaries page
    page = client.get("/programs/jspaca/beneficiaries/?status=active")
    assert page.status_code == 200 and next_name in page.text and "Rp 300,000" in page.text
    assert name not in page.text
    audit = AuditEvent.objects.filter(action="view", object_type="programs.beneficiary").last()
    assert len(audit.detail["list"]) == 3
    assert "No beneficiaries." in client.get("/programs/jspaca/beneficiaries/?status=exited").text


def test_round_enrol_lists_who_waits_with_the_reason(client, team, officer):
    case, nomination = _pksa_case_nomination(
        team, officer, concerns=("street_child", "physical_violence")
    )
    pksa = Program.objects.get(code="pksa")
    selection = services.round_run(
        by=officer,
        program=pksa,
        year=2026,
        area_code="73.71",
        places=5,
        seed=1,
        sample_share=Decimal("0"),
    ).round
    login(client, make_user("po2", roles=["program_officer"], scope=["73.71"]))  # four eyes
    url = f"/programs/rounds/{selection.pk}/"
    response = client.post(
        url + "approve/", {"decree_number": "7/2026", "decree_date": "2026-03-01"}
    )
    assert response.status_code == 302
    response = client.post(url + "enrol/", {"start_date": "2026-04-01"}, follow=True)
    assert response.status_code == 200 and "0 beneficiaries enrolled." in response.text
    assert "Rudi" in response.text and "a sub-program must be chosen" in response.text


def test_round_pages_paginate_entries(client, officer, jspaca_round):
    login(client, officer)
    page = client.get(f"/programs/rounds/{jspaca_round.pk}/?page=2&ipage=9")
    assert page.status_code == 200  # past the end: the last page
    entries = RoundEntry.objects.filter(round=jspaca_round).count()
    assert entries == 6


# --- from a case ----------------------------------------------------------------------


def test_case_staff_nominate_the_case_child(client, team, focal):
    case = register(team, concerns=("street_child",))
    move(case, "triage", team["worker"], response="at_risk")
    login(client, team["worker"])
    url = f"/programs/nominate-case/{case.pk}/"
    response = client.post(url, {"program": "pksa"})
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    nomination = Nomination.objects.get()
    assert (nomination.source, nomination.case_id) == ("case", case.pk)
    assert nomination.year == timezone.localdate().year
    response = client.post(url, {"program": "pksa", "year": 2026}, follow=True)
    assert "is nominated for Child Social Welfare Program (PKSA) 2026" in response.text
    response = client.post(url, {"program": "pks_abt"}, follow=True)
    assert "Choose the program." in response.text
    assert client.get(url).status_code == 405
    login(client, team["gowa_worker"])
    assert client.post(url, {"program": "pksa"}).status_code == 404
    login(client, focal)
    assert client.post(url, {"program": "pksa"}).status_code == 403


def test_nominating_an_immediate_response_child_says_why_not(client, team):
    case = register(team, concerns=("physical_violence",))
    move(case, "triage", team["worker"], response="immediate")
    login(client, team["worker"])
    response = client.post(f"/programs/nominate-case/{case.pk}/", {"program": "pksa"}, follow=True)
    assert response.status_code == 200
    assert "Immediate response first" in response.text
    assert not Nomination.objects.exists()


def test_approval_is_offered_only_with_the_approval_permission(client, team, jspaca_round):
    from django.contrib.auth.models import Permission

    viewer = make_user("viewer", roles=["social_worker"], scope=["73.71"])
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_selectionround", content_type__app_label="programs")
    )
    login(client, viewer)
    url = f"/programs/rounds/{jspaca_round.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Approve the list" not in page.text and "Take off the list" not in page.text
    response = client.post(url + "approve/", {"decree_number": "1", "decree_date": "2026-03-01"})
    assert response.status_code == 403
    entry = jspaca_round.entries.filter(selected=True).first()
    response = client.post(url + f"entries/{entry.pk}/exclude/", {"reason": "x"})
    assert response.status_code == 403
    jspaca_round.refresh_from_db()
    assert jspaca_round.status == "ranked"
