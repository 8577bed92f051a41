"""Reassigning a case is its own page (the case page only links to it): the supervisor finds
a colleague by name, a submitted choice is checked against the colleague themselves (not the
list it was picked from), a stale version is a visible conflict, and those who may not
reassign or do not see the case are refused."""

import pytest

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.cases.models import Case
from pksai.cases.tests.factories import register

from .test_views import login


def _url(case: Case) -> str:
    return f"/cases/{case.pk}/assign/"


def test_the_case_page_links_to_the_reassign_page_and_lists_nobody(client, team):
    case = register(team)
    login(client, team["supervisor"])
    page = client.get(f"/cases/{case.pk}/")
    assert page.status_code == 200
    assert _url(case) in page.text
    assert 'name="assign-owner"' not in page.text  # the lists live on their own page

    page = client.get(_url(case))
    assert page.status_code == 200
    assert 'value="sw2"' in page.text and 'value="gw"' not in page.text  # Gowa is elsewhere
    assert AuditEvent.objects.filter(action="view", object_id=str(case.pk)).exists()


def test_find_a_colleague_by_name_then_reassign(client, team):
    case = register(team)
    make_user(
        "ani", roles=["social_worker"], scope=["73.71"], first_name="Ani", last_name="Lestari"
    )
    login(client, team["supervisor"])
    page = client.get(_url(case), {"q": "lestari"})
    assert 'value="ani"' in page.text and 'value="sw2"' not in page.text
    assert 'value="sw"' in page.text  # the current owner stays listed

    # picked from the narrowed list; the form is checked against Ani herself
    done = client.post(
        _url(case), {"assign-owner": "ani", "assign-supervisor": "", "assign-version": case.version}
    )
    assert done.status_code == 302 and done["Location"] == f"/cases/{case.pk}/"
    case.refresh_from_db()
    assert case.owner.username == "ani"


def test_a_stale_version_is_a_conflict_and_nothing_changes(client, team):
    case = register(team)
    login(client, team["supervisor"])
    stale = case.version
    client.post(_url(case), {"assign-owner": "sw2", "assign-version": stale})
    again = client.post(_url(case), {"assign-owner": "sw", "assign-version": stale})
    assert again.status_code == 409
    case.refresh_from_db()
    assert case.owner.username == "sw2"


def test_someone_who_is_not_a_colleague_cannot_be_chosen(client, team):
    case = register(team)
    login(client, team["supervisor"])
    refused = client.post(_url(case), {"assign-owner": "gw", "assign-version": case.version})
    assert refused.status_code == 400
    case.refresh_from_db()
    assert case.owner.username == "sw"


@pytest.mark.parametrize("who", ["worker", "gowa_worker"])
def test_refused_without_the_right_or_the_scope(client, team, who):
    case = register(team)
    login(client, team[who])
    page = client.get(_url(case))
    # the owner may see the case but not reassign it (403); another regency's worker gets 404
    assert page.status_code == (403 if who == "worker" else 404)
    posted = client.post(_url(case), {"assign-owner": "sw2", "assign-version": case.version})
    assert posted.status_code == page.status_code
    case.refresh_from_db()
    assert case.owner.username == "sw"
