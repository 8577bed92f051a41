"""Sources and editions, one identity per person across them, scoring after every import."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.cases.intake import child_create
from pksai.registry.identities import candidate_keep_apart, candidate_link, person_unlink
from pksai.registry.importer import ExtractError
from pksai.registry.models import Identity, ImportBatch, LinkCandidate, Person, Source
from pksai.registry.selectors import nik_q
from pksai.registry.services import registry_import, split_source
from pksai.registry.tests.test_import import GOOD, write_csv
from pksai.vulnerability.models import Score
from pksai.vulnerability.selectors import estimates_for_scope
from pksai.vulnerability.services import ruleset_active

pytestmark = pytest.mark.django_db

# Edition 1: the three people of GOOD. Edition 2: Andi (H2) is gone; Nur Aisyah's name is
# corrected; a new baby is born into H1.
BABY = [*GOOD[1][:8], "3", "", "Baso Kecil", "M", "2025-02-01", "child", "", "", "", ""]
EDITION_2 = [GOOD[0], [*GOOD[1][:10], "Nur Aisyah Baso", *GOOD[1][11:]], BABY]


def test_edition_in_the_source_name_is_split_off():
    assert split_source("DTKS-2026-09") == ("DTKS", "2026-09")
    assert split_source("DTKS", "2026-09-30") == ("DTKS", "2026-09-30")
    assert split_source("Sekolah Makassar") == ("Sekolah Makassar", "")
    with pytest.raises(ValidationError):
        split_source("DTKS", "September")


def test_next_edition_updates_retires_and_links_without_duplicates(pilot_areas, tmp_path):
    first = registry_import(path=write_csv(tmp_path / "e1.csv", GOOD), source="DTKS-2026-03")
    assert (first.source, first.edition, first.created) == ("DTKS", "2026-03", 3)
    assert first.coverage == ["73.71"] and first.scoring == ImportBatch.Scoring.QUEUED
    assert Source.objects.get(code="DTKS").kind == Source.Kind.OFFICIAL
    assert Source.objects.get(code="DTKS").current_edition == "2026-03"

    second = registry_import(path=write_csv(tmp_path / "e2.csv", EDITION_2), source="DTKS-2026-09")
    assert (second.created, second.updated, second.unchanged, second.retired) == (1, 1, 1, 1)
    # One row per person of the source: the same member id is the same row, not a second one.
    assert Person.objects.filter(source="DTKS").count() == 4
    andi = Person.objects.get(name="Andi")
    assert not andi.in_registry and andi.retired_edition == "2026-09"
    assert not andi.identity.in_registry
    aisyah = Person.objects.get(nik_q("7371014507150003"))
    assert aisyah.name == "Nur Aisyah Baso" and aisyah.edition == "2026-09"
    assert Identity.objects.count() == 4

    # Importing edition 2 again writes nothing.
    stamps = dict(Person.objects.values_list("pk", "updated_at"))
    again = registry_import(path=write_csv(tmp_path / "e2b.csv", EDITION_2), source="DTKS-2026-09")
    assert (again.created, again.updated, again.retired, again.unchanged) == (0, 0, 0, 3)
    assert again.scoring == ImportBatch.Scoring.NONE
    assert dict(Person.objects.values_list("pk", "updated_at")) == stamps

    # An older edition for the same regency is refused, nothing written.
    with pytest.raises(ExtractError, match="2025-09.*2026-09"):  # "older than" in any language
        registry_import(path=write_csv(tmp_path / "e0.csv", GOOD), source="DTKS-2025-09")
    assert Person.objects.count() == 4

    # Andi comes back in edition 3: the same row, back in the registry.
    registry_import(
        path=write_csv(tmp_path / "e3.csv", [*EDITION_2, GOOD[2]]), source="DTKS-2027-03"
    )
    andi.refresh_from_db()
    assert andi.in_registry and andi.retired_edition == "" and andi.identity.in_registry


def test_import_scores_what_it_brought_in_and_estimates_count_current_people_once(
    pilot_areas, tmp_path
):
    registry_import(path=write_csv(tmp_path / "e1.csv", GOOD), source="DTKS-2026-03", score="now")
    ruleset = ruleset_active()
    assert ruleset is not None  # the shipped default was activated: scoring always runs
    scored = set(Score.objects.filter(ruleset=ruleset).values_list("person__name", flat=True))
    assert {"Nur Aisyah", "Andi"} <= scored
    # The same children again under another source (school data) with the same NIK: linked,
    # still counted once.
    school = [[*GOOD[1][:2], *GOOD[1][2:]]]
    registry_import(path=write_csv(tmp_path / "s.csv", school), source="SEKOLAH", score="now")
    aisyah_rows = Person.objects.filter(nik_q("7371014507150003"))
    assert aisyah_rows.count() == 2
    assert len({p.identity_id for p in aisyah_rows}) == 1
    assert (
        Score.objects.filter(nik_q("7371014507150003", path="person__"), ruleset=ruleset).count()
        == 1
    )

    registry_import(
        path=write_csv(tmp_path / "e2.csv", EDITION_2), source="DTKS-2026-09", score="now"
    )
    from pksai.accounts.scoping import Scope

    rows = estimates_for_scope(Scope(national=True, area_codes=()), level=2)
    children = sum(r.total for r in rows)
    # Current children: Nur Aisyah (once, although in two sources) and the baby; Andi is gone.
    assert children == 2
    assert not Score.objects.filter(ruleset=ruleset, person__name="Andi").exists()


def test_a_child_recorded_at_intake_is_linked_when_the_registry_brings_them(pilot_areas, tmp_path):
    from pksai.cases.tests.factories import register

    team = {
        "staff": make_user("reg", roles=["registration_staff"], scope=["73.71"]),
        "worker": make_user("sw", roles=["social_worker"], scope=["73.71"]),
        "supervisor": make_user("spv", roles=["supervisor"], scope=["73.71"]),
    }
    child = child_create(
        by=team["staff"],
        name="Nur Aisyah",
        sex="F",
        birth_date=date(2015, 7, 5),
        village="73.71.01.1001",
        nik="7371014507150003",
    )
    case = register(team, child=child)
    assert Person.objects.get(pk=child.pk).identity_id is not None

    registry_import(path=write_csv(tmp_path / "e1.csv", GOOD), source="DTKS-2026-03", score="now")
    child.refresh_from_db()
    official = Person.objects.get(nik_q("7371014507150003"), source="DTKS")
    assert child.identity_id == official.identity_id
    # Survivorship: the official row gives the identity its attributes; the case record is
    # never overwritten.
    assert official.identity.primary_id == official.pk
    assert child.source == "CASE" and child.name == "Nur Aisyah"
    case.refresh_from_db()
    assert case.child.identity_id == official.identity_id
    link = LinkCandidate.objects.get()
    assert (link.method, link.status) == ("nik", LinkCandidate.Status.LINKED)

    # Unlinking moves the case (on the intake row) away with its child; reversible.
    officer = make_user("data", roles=["data_officer"], scope=["73.71"])
    person_unlink(person=child, by=officer)
    child.refresh_from_db()
    assert child.identity_id != official.identity_id
    case.refresh_from_db()
    assert case.child.identity_id == child.identity_id
    assert AuditEvent.objects.filter(
        object_type="registry.person", object_id=str(child.pk), action="update"
    ).exists()
    # A later import does not re-link what a data officer kept apart.
    registry_import(
        path=write_csv(tmp_path / "e2.csv", EDITION_2), source="DTKS-2026-09", score="now"
    )
    child.refresh_from_db()
    assert child.identity_id != Person.objects.get(pk=official.pk).identity_id
    # ... until the decision is reversed: link again.
    decision = LinkCandidate.objects.get(status=LinkCandidate.Status.APART)
    candidate_link(candidate=decision, by=officer)
    child.refresh_from_db()
    assert child.identity_id == Person.objects.get(pk=official.pk).identity_id
    candidate_keep_apart(candidate=decision, by=officer)
    child.refresh_from_db()
    assert child.identity_id != Person.objects.get(pk=official.pk).identity_id
