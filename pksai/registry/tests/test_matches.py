"""The linkage review queue: scoped, audited, decisions reversible; the child's page shows
every record behind the person."""

from datetime import date

import pytest

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.registry.identities import _split_off, ensure_identities, refresh_identities
from pksai.registry.models import LinkCandidate, Person
from pksai.registry.services import registry_import
from pksai.registry.tests.test_import import GOOD, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(pilot_areas, tmp_path):
    registry_import(path=write_csv(tmp_path / "e1.csv", GOOD), source="DTKS-2026-03", score="no")
    # The school data spells her name another way and has no NIK: not linked automatically.
    row = [*GOOD[1][:9], "", "Nur Aisya", *GOOD[1][11:]]
    row[0], row[1], row[3], row[12] = "S-77", "", "", "2015-05-07"
    registry_import(path=write_csv(tmp_path / "s.csv", [row]), source="SEKOLAH", score="no")
    ensure_identities()
    left = Person.objects.get(source="DTKS", name="Nur Aisyah")
    right = Person.objects.get(source="SEKOLAH")
    # Whatever the engine decided, this test puts the pair in the queue itself.
    LinkCandidate.objects.all().delete()
    if left.identity_id == right.identity_id:
        refresh_identities(_split_off(right))
    right.refresh_from_db()
    assert left.identity_id != right.identity_id
    return LinkCandidate.objects.create(
        left=left,
        right=right,
        method="probabilistic",
        probability=0.93,
        village_id=left.village_id,
    )


def test_data_officer_compares_and_links_then_undoes(client, pair):
    officer = make_user("data", roles=["data_officer"], scope=["73.71"])
    client.force_login(officer)
    queue = client.get("/registry/matches/")
    assert queue.status_code == 200 and "Nur Aisya" in queue.text
    page = client.get(f"/registry/matches/{pair.pk}/")
    assert page.status_code == 200
    assert "Nur Aisyah" in page.text and "Nur Aisya" in page.text and "Daeng Baso" in page.text
    assert AuditEvent.objects.filter(
        action="view", object_type="registry.linkcandidate", object_id=str(pair.pk)
    ).exists()

    response = client.post(f"/registry/matches/{pair.pk}/decide/", {"decision": "link"})
    assert response.status_code == 302
    left, right = Person.objects.get(pk=pair.left_id), Person.objects.get(pk=pair.right_id)
    assert left.identity_id == right.identity_id
    # The child's page lists both records.
    child = client.get(f"/vulnerability/children/{right.pk}/")
    assert child.status_code == 200 and "SEKOLAH" in child.text and "DTKS" in child.text

    client.post(f"/registry/matches/{pair.pk}/decide/", {"decision": "reopen"})
    left.refresh_from_db(), right.refresh_from_db()
    assert left.identity_id != right.identity_id
    assert LinkCandidate.objects.get(pk=pair.pk).status == LinkCandidate.Status.PENDING
    decisions = AuditEvent.objects.filter(object_type="registry.linkcandidate", action="update")
    assert [e.detail["decision"] for e in decisions.order_by("pk")] == ["linked", "reopened"]


def test_queue_is_scoped_and_needs_the_role(client, pair):
    gowa = make_user("gowa.data", roles=["data_officer"], scope=["73.06"])
    client.force_login(gowa)
    assert "Nur Aisya" not in client.get("/registry/matches/").text
    assert client.get(f"/registry/matches/{pair.pk}/").status_code == 404
    assert (
        client.post(f"/registry/matches/{pair.pk}/decide/", {"decision": "link"}).status_code == 404
    )
    worker = make_user("sw", roles=["social_worker"], scope=["73.71"])
    client.force_login(worker)
    assert client.get(f"/registry/matches/{pair.pk}/").status_code == 404
    assert AuditEvent.objects.filter(action="permission_denied").count() >= 2
    assert LinkCandidate.objects.get(pk=pair.pk).status == LinkCandidate.Status.PENDING


def test_retired_person_page_says_why(client, pilot_areas, tmp_path):
    registry_import(path=write_csv(tmp_path / "e1.csv", GOOD), source="DTKS-2026-03", score="no")
    registry_import(
        path=write_csv(tmp_path / "e2.csv", GOOD[:2]), source="DTKS-2026-09", score="no"
    )
    andi = Person.objects.get(name="Andi")
    client.force_login(make_user("data", roles=["data_officer"], scope=["73.71"]))
    page = client.get(f"/vulnerability/children/{andi.pk}/")
    assert page.status_code == 200 and "2026-09" in page.text
    assert andi.birth_date == date(2012, 1, 30)
