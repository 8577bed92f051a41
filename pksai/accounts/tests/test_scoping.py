"""The denials: a record outside the user's area scope is a 404 in the UI and the API."""

import re

import pytest

from pksai.accounts.models import Organisation
from pksai.accounts.scoping import Scope, scope_for
from pksai.accounts.services import api_token_issue
from pksai.accounts.tests.factories import OrganisationFactory, make_user
from pksai.audit.models import AuditEvent


@pytest.fixture
def orgs(pilot_areas):
    return {
        "makassar": OrganisationFactory(name="Sekretariat Makassar", area_id="73.71"),
        "mariso": OrganisationFactory(name="Puskesmas Mariso", area_id="73.71.01"),
        "gowa": OrganisationFactory(name="Sekretariat Gowa", area_id="73.06"),
        "surakarta": OrganisationFactory(name="Sekretariat Surakarta", area_id="33.72"),
    }


def bearer(user):
    _token, raw = api_token_issue(user=user, name="t", by=None)
    return {"Authorization": f"Bearer {raw}"}


def test_scope_covers_descendants_only():
    scope = Scope(national=False, area_codes=("73.71",))
    assert scope.covers("73.71") and scope.covers("73.71.01.1001")
    assert not scope.covers("73.06") and not scope.covers("73") and not scope.covers("73.710")
    assert Scope(national=True, area_codes=()).covers("33.72")


def test_scope_drops_codes_covered_by_an_ancestor(pilot_areas):
    user = make_user(scope=["73.71.01", "73", "33.72"])
    assert scope_for(user).area_codes == ("33.72", "73")


def test_makassar_user_gets_404_for_gowa_object_in_view(client, orgs):
    client.force_login(make_user(scope=["73.71"]))
    assert client.get(f"/organisations/{orgs['makassar'].pk}/").status_code == 200
    assert client.get(f"/organisations/{orgs['mariso'].pk}/").status_code == 200
    response = client.get(f"/organisations/{orgs['gowa'].pk}/")
    assert response.status_code == 404
    # Out of scope and non-existent look the same.
    assert client.get("/organisations/999999/").status_code == 404


def test_makassar_user_gets_404_for_gowa_object_in_api(client, orgs):
    headers = bearer(make_user(scope=["73.71"]))
    ok = client.get(f"/api/v1/organisations/{orgs['makassar'].pk}/", headers=headers)
    assert ok.status_code == 200 and ok.json()["area_code"] == "73.71"
    denied = client.get(f"/api/v1/organisations/{orgs['gowa'].pk}/", headers=headers)
    missing = client.get("/api/v1/organisations/999999/", headers=headers)
    assert denied.status_code == missing.status_code == 404
    # the same answer as a missing id, in the caller's language (Indonesian by default)
    assert denied.json() == missing.json() == {"detail": "Tidak ditemukan."}


def test_out_of_scope_attempt_is_audited(client, orgs):
    client.force_login(make_user("mks", scope=["73.71"]))
    client.get(f"/organisations/{orgs['gowa'].pk}/")
    event = AuditEvent.objects.get(action="permission_denied")
    assert event.actor_username == "mks"
    assert event.object_type == "accounts.organisation"
    assert event.object_id == str(orgs["gowa"].pk)


def test_lists_show_only_the_scope(client, orgs):
    client.force_login(make_user(scope=["73.71"]))
    page = client.get("/organisations/").text
    assert "Sekretariat Makassar" in page and "Puskesmas Mariso" in page
    assert "Sekretariat Gowa" not in page and "Sekretariat Surakarta" not in page
    api = client.get("/api/v1/organisations/", headers=bearer(make_user(scope=["73"]))).json()
    assert {o["name"] for o in api["items"]} == {
        "Sekretariat Makassar",
        "Puskesmas Mariso",
        "Sekretariat Gowa",
    }


def test_national_user_sees_everything(client, orgs):
    headers = bearer(make_user(roles=["national_analyst"], national=True))
    body = client.get("/api/v1/organisations/", headers=headers).json()
    assert body["count"] == Organisation.objects.count()


def test_user_without_scope_sees_nothing(client, orgs):
    user = make_user(scope=["73.71"])
    user.scope_areas.clear()
    client.force_login(user)
    assert client.get(f"/organisations/{orgs['makassar'].pk}/").status_code == 404


def test_role_without_permission_is_denied_and_audited(client, orgs):
    focal = make_user("focal", roles=["focal_person"], scope=["73.71"])
    client.force_login(focal)
    assert client.get("/organisations/").status_code == 403
    response = client.get("/api/v1/organisations/", headers=bearer(focal))
    assert response.status_code == 403
    assert (
        AuditEvent.objects.filter(action="permission_denied", actor_username="focal").count() == 2
    )


# --- get_visible_or_404: the one lookup of one record -----------------------------------------


def _lookup_queries(queries) -> list[str]:
    """The queries of a lookup, without those of the audit row it may write."""
    skip = ("audit_auditevent", "auth_group", "SAVEPOINT", "RELEASE")
    return [q["sql"] for q in queries if not any(s in q["sql"] for s in skip)]


def test_visible_or_404_refuses_a_missing_and_a_hidden_record_alike(orgs):
    from django.db import connection
    from django.http import Http404
    from django.test.utils import CaptureQueriesContext

    from pksai.accounts.scoping import get_visible_or_404

    visible = Organisation.objects.filter(area__code__startswith="73.71")
    assert get_visible_or_404(visible, pk=orgs["mariso"].pk) == orgs["mariso"]

    answers, queries = [], []
    for pk in (orgs["gowa"].pk, 999_999):
        with CaptureQueriesContext(connection) as ctx, pytest.raises(Http404) as refused:
            get_visible_or_404(visible, pk=pk)
        answers.append(str(refused.value))
        queries.append(_lookup_queries(ctx.captured_queries))
    # the same message and the same queries (the existence check runs for a missing id too)
    assert answers[0] == answers[1] and answers[0].endswith(" matches the given query.")
    assert len(queries[0]) == len(queries[1]) == 2
    assert [re.sub(r"= \d+", "= ?", q) for q in queries[0]] == [
        re.sub(r"= \d+", "= ?", q) for q in queries[1]
    ]
    # only the existing record is audited, by its primary key
    rows = AuditEvent.objects.filter(action="permission_denied")
    assert list(rows.values_list("object_type", "object_id", "detail")) == [
        ("accounts.organisation", str(orgs["gowa"].pk), {"reason": "out of scope"})
    ]


def test_visible_or_404_audits_a_lookup_by_another_field_under_the_primary_key(orgs):
    from django.http import Http404

    from pksai.accounts.scoping import get_visible_or_404

    with pytest.raises(Http404):
        get_visible_or_404(Organisation.objects.none(), name="Sekretariat Gowa")
    row = AuditEvent.objects.get(action="permission_denied")
    assert row.object_id == str(orgs["gowa"].pk)


def test_visible_or_404_turns_a_missing_permission_into_the_same_404(orgs):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from pksai.accounts.scoping import get_visible_or_404

    def refuse():
        raise PermissionDenied("missing permission x")

    for pk in (orgs["gowa"].pk, 999_999):
        with pytest.raises(Http404, match=" matches the given query"):
            get_visible_or_404(refuse, base=Organisation.objects.all(), pk=pk)
    row = AuditEvent.objects.get(action="permission_denied")
    assert row.detail == {"reason": "missing permission"}
    assert row.object_id == str(orgs["gowa"].pk)
