"""Export to and import from a local Primero v2 server (fake_primero.py), through HTTP."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import translation

from pksai.audit.models import AuditEvent
from pksai.cases import selectors
from pksai.cases import services as case_services
from pksai.cases.models import Case, CaseEvent, PlanAction
from pksai.primero import services
from pksai.primero.mapping import from_primero, parse_mapping, shipped_content, to_primero
from pksai.primero.models import CaseLink, ItemLink, Mapping, Transfer
from pksai.primero.tests.factories import NIK, full_case
from pksai.privacy.services import BasisMissing

pytestmark = pytest.mark.django_db


def _void(case, by):
    with transaction.atomic():
        locked = selectors.case_get_for_update(user=by, pk=case.pk)
        case_services.case_transition(
            case=locked, name="void", by=by, expected_version=locked.version, reason="Ke Primero"
        )


def test_export_posts_the_case_flags_it_and_records_both_timelines(team, primero):
    case = full_case(team)
    spv = team["supervisor"]
    result = services.case_export(by=spv, case_pk=case.pk)
    assert result.created
    link = CaseLink.objects.get(case=case)
    record = primero.cases[link.primero_id]
    assert link.short_id == record["short_id"]
    assert record["name"] == "Ani Lestari" and record["sex"] == "female"
    assert record["national_id_no"] == NIK
    assert record["location_current"] == "ID7371011001"
    assert record["protection_concerns"] == ["physically_or_mentally_abused", "trafficked_smuggled"]
    assert record["other_agency_id"] == case.number and record["status"] == "open"
    assert len(record["services_section"]) == 1
    assert record["services_section"][0]["service_type"] == "legal_assistance_service"
    # Primero's timeline: a flag naming the PKSAI case and the mapping version
    (flag,) = primero.flags[link.primero_id]
    assert case.number in flag["message"] and "shipped-" in flag["message"]
    # PKSAI's: the case timeline, the transfer with its basis and mapping version, the audit
    event = CaseEvent.objects.get(case=case, code="primero_exported")
    assert event.params["short_id"] == link.short_id
    transfer = Transfer.objects.get(case=case)
    assert transfer.mapping_version == parse_mapping(shipped_content()).version
    assert transfer.consent is not None and "national_id_no" in transfer.fields
    audit = AuditEvent.objects.get(action="export", object_id=str(case.pk))
    assert audit.detail["primero_id"] == link.primero_id
    # importing its own case back changes nothing Primero cannot say ("in progress" stays)
    statuses = sorted(case.plan_actions.values_list("status", flat=True))
    assert "in_progress" in statuses
    moments = list(case.assessments.values_list("completed_at", flat=True))
    again = services.case_import(by=spv, primero_id=link.primero_id)
    assert again.case.pk == case.pk and not again.created
    assert sorted(case.plan_actions.values_list("status", flat=True)) == statuses
    assert list(case.assessments.values_list("completed_at", flat=True)) == moments
    # a second export updates the same Primero case
    services.case_export(by=spv, case_pk=case.pk)
    assert len(primero.cases) == 1 and ("PATCH", f"/api/v2/cases/{link.primero_id}") in (
        primero.calls
    )


def test_round_trip_keeps_every_mapped_field(team, primero):
    """Export, then import the Primero case as a new PKSAI case (the first one voided and
    unlinked, as on another PKSAI install): every field the mapping carries both ways is
    the same, field by field."""
    spv = team["supervisor"]
    original = full_case(team)
    services.case_export(by=spv, case_pk=original.pk)
    primero_id = original.primero.primero_id
    before = services.case_snapshot(original)
    CaseLink.objects.filter(case=original).delete()
    _void(original, spv)

    result = services.case_import(by=spv, primero_id=primero_id)
    assert result.created and result.case.pk != original.pk
    imported = Case.objects.get(pk=result.case.pk)
    after = services.case_snapshot(imported)

    mapping = parse_mapping(shipped_content())
    both = [e["pksai"] for e in mapping.content["fields"] if e.get("direction", "both") == "both"]
    assert both == [
        "child.name",
        "child.sex",
        "child.birth_date",
        "child.nik",
        "case.area",
        "case.concerns",
        "case.risk",
    ]
    for path in both:
        group, name = path.split(".")
        assert after[group][name] == before[group][name], path
    assert imported.child_id == original.child_id  # matched by NIK, not a second child
    assert after["case"]["summary"] == before["case"]["summary"]
    assert after["plan"]["goals"] == before["plan"]["goals"]
    assert len(after["assessments"]) == len(before["assessments"]) == 1
    for key in ("kind", "risk", "summary", "completed_on", "domains"):
        assert after["assessments"][0][key] == before["assessments"][0][key], key
    by_uid = {i.unique_id: i.object_id for i in ItemLink.objects.filter(link__case=imported)}
    for action in before["plan_actions"]:
        copy = PlanAction.objects.get(pk=by_uid[action["uid"]])
        assert copy.case_id == imported.pk
        assert copy.description == action["description"]
        assert copy.responsible == action["responsible"]
        assert copy.due_date.isoformat() == action["due_date"]
        # the mapping's status pairs: done ↔ true, cancelled ↔ false, the rest ↔ none (planned)
        sent = to_primero(mapping, "plan_status", action["status"])
        assert copy.status == from_primero(mapping, "plan_status", sent)
    (referral,) = before["referrals"]
    service = PlanAction.objects.get(pk=by_uid[referral["uid"]])
    assert service.kind == "referral"
    assert service.description == referral["reason"]
    assert service.responsible == referral["provider"]
    assert service.due_date.isoformat() == referral["due_date"]
    assert service.status == "planned"  # sent, not delivered
    assert CaseEvent.objects.filter(case=imported, code="primero_imported").count() == 1
    assert len(primero.flags[primero_id]) == 2  # sent from PKSAI, imported into PKSAI

    # importing again updates: no second case, assessment or plan action
    counts = (Case.objects.count(), imported.assessments.count(), imported.plan_actions.count())
    again = services.case_import(by=spv, primero_id=primero_id)
    assert not again.created and again.case.pk == imported.pk
    assert counts == (
        Case.objects.count(),
        imported.assessments.count(),
        imported.plan_actions.count(),
    )
    assert Transfer.objects.filter(direction="import", case=imported).count() == 2


def test_import_records_a_new_child_when_no_nik_matches(team, primero):
    primero.tokens.add("Bearer seed")
    primero.cases["p-1"] = {
        "id": "p-1",
        "short_id": "abc1234",
        "last_updated_at": "2026-12-01T00:00:00Z",
        "name_first": "Budi",
        "name_last": "Santoso",
        "sex": "male",
        "date_of_birth": "2015-02-03",
        "location_current": "ID7371011001",
        "protection_concerns": ["worst_forms_of_child_labor"],
        "notes_section": [
            {"unique_id": "n1", "note_subject": "PKSAI: what was reported", "note_text": "Kerja"}
        ],
    }
    result = services.case_import(by=team["supervisor"], primero_id="p-1")
    case = result.case
    assert case.child.name == "Budi Santoso" and case.child.sex == "M"
    assert case.child.source == "CASE" and case.area_id == "73.71.01.1001"
    assert list(case.concerns.values_list("category", flat=True)) == ["child_labour"]
    assert case.summary == "Kerja" and case.supervisor == team["supervisor"]


def test_import_since_lists_every_page(team, primero):
    for n in range(3):
        primero.cases[f"p-{n}"] = {
            "id": f"p-{n}",
            "short_id": f"s{n}",
            "last_updated_at": "2026-12-01T00:00:00Z",
            "name": f"Anak {n}",
            "sex": "female",
            "date_of_birth": "2016-01-01",
            "location_current": "ID7371011001",
        }
    from datetime import UTC, datetime

    client = services.PrimeroClient()
    assert sorted(client.case_ids_since("2026-11-01T00:00:00Z", "2030-01-01T00:00:00Z", per=2)) == [
        "p-0",
        "p-1",
        "p-2",
    ]
    batch = services.cases_import_since(
        by=team["supervisor"], since=datetime(2026, 11, 1, tzinfo=UTC)
    )
    assert len(batch.imported) == 3 and not batch.failed


# --- failures: a clear error, nothing half-done ---------------------------------------------


def _nothing_recorded(case):
    assert not CaseLink.objects.filter(case=case).exists()
    assert not Transfer.objects.filter(case=case).exists()
    assert not CaseEvent.objects.filter(case=case, kind="primero").exists()
    assert not AuditEvent.objects.filter(action="export", object_id=str(case.pk)).exists()


def test_wrong_credentials_are_a_clear_error(team, primero, settings):
    case = full_case(team)
    settings.PKSAI_PRIMERO_PASSWORD = "salah"
    with pytest.raises(services.PrimeroError, match="HTTP 401"):
        services.case_export(by=team["supervisor"], case_pk=case.pk)
    _nothing_recorded(case)
    assert not primero.cases


def test_refused_case_data_422_says_why(team, primero):
    case = full_case(team)
    primero.fail[("POST", "/api/v2/cases")] = 422
    with pytest.raises(services.PrimeroError, match="422.*registration_date"):
        services.case_export(by=team["supervisor"], case_pk=case.pk)
    _nothing_recorded(case)


def test_server_error_after_the_case_was_made_then_retry_makes_no_second_case(team, primero):
    case = full_case(team)
    flags = f"/api/v2/cases/{services.case_uid(case)}/flags"
    primero.fail[("POST", flags)] = 500  # the case is made, the flag fails
    with pytest.raises(services.PrimeroError, match="HTTP 500"):
        services.case_export(by=team["supervisor"], case_pk=case.pk)
    _nothing_recorded(case)
    assert len(primero.cases) == 1  # Primero made the case before the flag failed
    primero.fail.clear()
    services.case_export(by=team["supervisor"], case_pk=case.pk)  # POST → 409 → PATCH
    assert len(primero.cases) == 1
    link = CaseLink.objects.get(case=case)
    assert ("PATCH", f"/api/v2/cases/{link.primero_id}") in primero.calls


def test_import_rolls_back_when_primero_refuses_the_flag(team, primero):
    case = full_case(team)
    services.case_export(by=team["supervisor"], case_pk=case.pk)
    primero_id = case.primero.primero_id
    CaseLink.objects.filter(case=case).delete()
    _void(case, team["supervisor"])
    cases = Case.objects.count()
    primero.fail[("POST", f"/api/v2/cases/{primero_id}/flags")] = 500
    with pytest.raises(services.PrimeroError, match="HTTP 500"):
        services.case_import(by=team["supervisor"], primero_id=primero_id)
    assert Case.objects.count() == cases
    assert not CaseLink.objects.filter(primero_id=primero_id).exists()


def test_unreachable_server(team, settings):
    case = full_case(team)
    settings.PKSAI_PRIMERO_URL = "http://127.0.0.1:9"
    settings.PKSAI_PRIMERO_TIMEOUT_SECONDS = 2
    with (
        translation.override("en"),
        pytest.raises(services.PrimeroError, match="could not be reached"),
    ):
        services.case_export(by=team["supervisor"], case_pk=case.pk)
    _nothing_recorded(case)


# --- scope, permission, legal basis, mapping versions -----------------------------------------


def test_case_outside_scope_is_not_found(team, primero):
    case = full_case(team)
    with pytest.raises(Http404):
        services.case_export(by=team["gowa_worker"], case_pk=case.pk)
    assert not primero.calls


def test_import_needs_the_permission(team, primero):
    with pytest.raises(PermissionDenied):
        services.case_import(by=team["worker"], primero_id="p-1")
    assert not primero.calls


def test_no_consent_and_no_legal_ground_refuses_before_any_call(team, primero):
    case = full_case(team, consent=False)
    with pytest.raises(BasisMissing):
        services.case_export(by=team["worker"], case_pk=case.pk)
    assert not primero.calls
    _nothing_recorded(case)


def test_an_edited_mapping_is_used_and_named(team, primero, admin_user):
    content = shipped_content() | {"areas": {"prefix": "", "explicit": {"73.71.01.1001": "MKS01"}}}
    saved = Mapping.objects.create(content=content, note="Makassar locations")
    case = full_case(team)
    services.case_export(by=team["supervisor"], case_pk=case.pk)
    record = primero.cases[case.primero.primero_id]
    assert record["location_current"] == "MKS01"
    assert Transfer.objects.get(case=case).mapping_version == f"v{saved.pk}"
