"""The conflict inbox on the web: the worker's own conflicts and her supervisor's view of the
team's, both values side by side in the reader's language; choosing applies through the
versioned service; others get nothing (404 audited)."""

import pytest
from django.conf import settings
from django.utils import timezone

from pksai.audit.models import AuditEvent
from pksai.cases.models import Visit
from pksai.cases.records import visit_record
from pksai.field.kinds import KINDS
from pksai.field.models import FieldConflict
from pksai.field.services import record_update
from pksai.vulnerability.models import OutreachResult, Score
from pksai.vulnerability.services import ruleset_ensure_default

URL = "/field/conflicts/"


@pytest.fixture
def conflict(team, case):
    """The supervisor corrected a visit's observations; the worker's offline change of the
    same field, based on the first version, met it."""
    visit = visit_record(
        case=case,
        by=team["worker"],
        visited_on=timezone.localdate(),
        place="Rumah",
        seen="Ibu",
        observations="Anak sehat.",
    )
    kind = KINDS["visits"]
    record_update(
        kind=kind,
        by=team["supervisor"],
        pk=visit.pk,
        version=1,
        changes={"observations": "Anak demam."},
        base={},
    )
    result = record_update(
        kind=kind,
        by=team["worker"],
        pk=visit.pk,
        version=1,
        changes={"observations": "Anak batuk."},
        base={"observations": "Anak sehat."},
    )
    return result.conflicts[0]


def english(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.mark.django_db
def test_the_worker_sees_both_values_with_the_field_label(client, team, conflict):
    english(client, team["worker"])
    page = client.get(URL)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Anak demam." in text and "Anak batuk." in text and "Anak sehat." in text
    assert "Visit · Observations" in text
    assert AuditEvent.objects.filter(action="view", object_type="field.fieldconflict").exists()
    # the case list says a choice is waiting
    assert "1 change from the field app waits for your choice" in client.get("/cases/").text


@pytest.mark.django_db
def test_the_field_label_is_in_the_readers_language(client, team, conflict):
    """Bahasa Indonesia by default: the kind and field names come from the catalogue."""
    client.force_login(team["worker"])
    text = client.get(URL).content.decode()
    assert "Kunjungan · Hasil pengamatan" in text
    assert "Anak batuk." in text


@pytest.mark.django_db
def test_choosing_mine_applies_it_and_empties_the_inbox(client, team, conflict):
    english(client, team["worker"])
    r = client.post(f"/field/conflicts/{conflict.pk}/resolve/", {"choice": "mine", "version": 2})
    assert r.status_code == 302
    assert Visit.objects.get().observations == "Anak batuk."
    assert FieldConflict.objects.get().choice == "mine"
    assert "No conflicts" in client.get(URL).text


@pytest.mark.django_db
def test_a_stale_page_changes_nothing(client, team, conflict):
    english(client, team["worker"])
    client.post(
        f"/field/conflicts/{conflict.pk}/resolve/",
        {"choice": "edit", "version": 1, "value": "Baru"},
    )
    assert Visit.objects.get().observations == "Anak demam."
    assert FieldConflict.objects.get().resolved_at is None
    follow = client.get(URL)
    assert "changed again" in follow.text


@pytest.mark.django_db
def test_the_supervisor_settles_a_team_conflict_with_a_new_value(client, team, conflict):
    english(client, team["supervisor"])
    assert "Anak batuk." in client.get(URL).text
    client.post(
        f"/field/conflicts/{conflict.pk}/resolve/",
        {"choice": "edit", "version": 2, "value": "Anak demam dan batuk."},
    )
    assert Visit.objects.get().observations == "Anak demam dan batuk."
    assert FieldConflict.objects.get().resolved_by == team["supervisor"]


@pytest.mark.django_db
def test_another_worker_sees_nothing_and_cannot_choose(client, team, conflict):
    english(client, team["other_worker"])
    assert "Anak batuk." not in client.get(URL).text
    r = client.post(f"/field/conflicts/{conflict.pk}/resolve/", {"choice": "theirs", "version": 2})
    assert r.status_code == 404
    assert AuditEvent.objects.filter(
        action="permission_denied", object_id=str(conflict.pk)
    ).exists()
    assert FieldConflict.objects.get().resolved_at is None


@pytest.mark.django_db
def test_the_outreach_list_shows_who_was_visited(client, team):
    from pksai.cases.tests.factories import make_child

    child = make_child("Sari")
    Score.objects.create(
        person=child,
        identity=child.identity,
        ruleset=ruleset_ensure_default(),
        village_id=child.village_id,
        sex="F",
        age=12,
        scored_at=timezone.now(),
        criteria_count=3,
        pmt_score=20,
        risk_level="high",
    )
    english(client, team["worker"])
    page = client.get("/vulnerability/outreach/73.71.01.1001/")
    assert "not yet" in page.text
    OutreachResult.objects.create(
        person=child,
        village_id=child.village_id,
        outcome="moved",
        visited_at=timezone.now(),
        worker=team["worker"],
        note="Pindah ke Gowa",
    )
    page = client.get("/vulnerability/outreach/73.71.01.1001/")
    assert "Moved away" in page.text
    assert "Pindah ke Gowa" not in page.text  # the sealed note is not on the list
