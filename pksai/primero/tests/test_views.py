"""The case page's Primero block, "Send to Primero" and the import page, through HTTP."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from pksai.audit.models import AuditEvent
from pksai.primero.models import CaseLink
from pksai.primero.tests.factories import full_case

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def test_send_from_the_case_page(team, primero):
    case = full_case(team)
    client = _client(team["supervisor"])
    page = client.get(f"/cases/{case.pk}/")
    assert b'id="primero-send"' in page.content
    answer = client.post(f"/cases/{case.pk}/primero/", follow=True)
    link = CaseLink.objects.get(case=case)
    assert link.short_id.encode() in answer.content
    assert link.primero_id in primero.cases


def test_send_refused_by_primero_says_so_and_keeps_nothing(team, primero):
    case = full_case(team)
    primero.fail[("POST", "/api/v2/cases")] = 500
    with translation.override("en"):
        answer = _client(team["supervisor"]).post(f"/cases/{case.pk}/primero/", follow=True)
    assert b"Nothing was sent to Primero" in answer.content and b"HTTP 500" in answer.content
    assert not CaseLink.objects.filter(case=case).exists()


def test_send_without_legal_basis_points_to_the_consents(team, primero):
    case = full_case(team, consent=False)
    answer = _client(team["worker"]).post(f"/cases/{case.pk}/primero/", follow=True)
    assert f"/cases/{case.pk}/consents/".encode() in answer.content
    assert not primero.calls


def test_send_outside_scope_is_404_and_audited(team, primero):
    case = full_case(team)
    answer = _client(team["gowa_worker"]).post(f"/cases/{case.pk}/primero/")
    assert answer.status_code == 404
    assert AuditEvent.objects.filter(
        action="permission_denied", actor=team["gowa_worker"], object_id=str(case.pk)
    ).exists()
    assert not primero.calls


def test_the_button_is_hidden_without_a_configured_server(team, settings):
    settings.PKSAI_PRIMERO_URL = ""
    case = full_case(team)
    page = _client(team["supervisor"]).get(f"/cases/{case.pk}/")
    assert b'id="primero-send"' not in page.content


def test_import_page(team, primero):
    case = full_case(team)
    client = _client(team["supervisor"])
    client.post(f"/cases/{case.pk}/primero/")
    primero_id = CaseLink.objects.get(case=case).primero_id
    assert client.get("/primero/import/").status_code == 200
    answer = client.post("/primero/import/", {"primero_id": primero_id})
    assert answer.status_code == 200 and case.number.encode() in answer.content
    assert client.post("/primero/import/", {}).status_code == 400
    assert _client(team["worker"]).get("/primero/import/").status_code == 403
