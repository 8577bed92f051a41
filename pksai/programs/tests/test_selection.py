"""A JSPACA selection round in one regency: eligibility, ranking with the documented
tie-break, the quota, the reproducible verification sample, approval and the decree list."""

import io
from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.programs import exports, selectors, services
from pksai.programs.models import Beneficiary, Program, Quota, RoundEntry
from pksai.programs.tests.factories import nominate_disabled


@pytest.fixture
def officer(pilot_areas):
    return make_user("po", roles=["program_officer"], scope=["73.71"])


@pytest.fixture
def nominees(officer):
    """Ten nominees: eight eligible with known priorities, two not eligible."""
    n = {}
    # tier 1 disability points, tier 2 dependency, tier 3 economic (decile, institution)
    n["multiple"] = nominate_disabled(officer, "A Multiple", disability_type="multiple")  # 4,2,4
    n["device"] = nominate_disabled(
        officer, "B Device", assistive_device_needed=True, decile=3
    )  # 3+2=5,2,3
    n["bedridden"] = nominate_disabled(
        officer, "C Bedridden", bedridden=True, dependency="partial"
    )  # 5,1,4
    n["physical_poor"] = nominate_disabled(officer, "D Physical poor", decile=1)  # 3,2,5
    # three with identical tiers (3,2,4): the poorer household first, then the older person,
    # then the earlier nomination
    n["tie_old"] = nominate_disabled(officer, "E Tie older", birth=date(1950, 1, 1))
    n["tie_young"] = nominate_disabled(officer, "F Tie younger", birth=date(1990, 1, 1))
    n["tie_young_later"] = nominate_disabled(officer, "G Tie younger later", birth=date(1990, 1, 1))
    n["visual"] = nominate_disabled(
        officer, "H Visual", disability_type="visual", decile=5
    )  # 2,2,1
    n["has_income"] = nominate_disabled(officer, "X Income", fixed_income=True)
    n["mild"] = nominate_disabled(officer, "Y Mild", severity="moderate")
    Quota.objects.create(
        program=Program.objects.get(code="jspaca"), year=2026, area_id="73.71", places=5
    )
    return n


def order(result):
    return [
        e.nomination.person.name
        for e in selectors.round_entries(result.round).filter(eligible=True)
    ]


@pytest.mark.django_db
def test_exactly_the_quota_is_selected_in_score_order_with_documented_ties(officer, nominees):
    jspaca = Program.objects.get(code="jspaca")
    result = services.round_run(by=officer, program=jspaca, year=2026, area_code="73.71", seed=42)
    assert (result.nominees, result.eligible, result.selected) == (10, 8, 5)
    assert order(result) == [
        "B Device",  # 5 · 2 · 3 (+1 outside an institution)
        "C Bedridden",  # 5 · 1 · 4
        "A Multiple",  # 4 · 2 · 4
        "D Physical poor",  # 3 · 2 · 5
        "E Tie older",  # 3 · 2 · 4, older
        "F Tie younger",  # 3 · 2 · 4, nominated earlier
        "G Tie younger later",
        "H Visual",  # 2 · 2 · 1
    ]
    selected = list(selectors.round_entries(result.round, only_selected=True))
    assert [e.rank for e in selected] == [1, 2, 3, 4, 5]
    assert [e.nomination.person.name for e in selected][-1] == "E Tie older"
    refused = RoundEntry.objects.get(round=result.round, nomination=nominees["has_income"])
    assert not refused.eligible and refused.failed == "no_fixed_income"
    mild = RoundEntry.objects.get(round=result.round, nomination=nominees["mild"])
    assert mild.failed == "severe_disability"
    assert AuditEvent.objects.filter(
        action="create", object_type="programs.selectionround"
    ).exists()


@pytest.mark.django_db
def test_the_same_seed_draws_the_same_verification_sample(officer, nominees):
    jspaca = Program.objects.get(code="jspaca")

    def sample(seed):
        result = services.round_run(
            by=officer,
            program=jspaca,
            year=2026,
            area_code="73.71",
            seed=seed,
            sample_share=Decimal("0.4"),
        )
        return {e.nomination_id for e in result.round.entries.filter(in_sample=True)}

    first, again = sample(7), sample(7)
    assert len(first) == 2 and first == again
    assert all(
        e.selected for e in RoundEntry.objects.filter(nomination_id__in=first, round__seed=7)
    )
    assert any(sample(s) != first for s in (8, 9, 10, 11))


@pytest.mark.django_db
def test_approval_needs_verification_authority_and_exports_the_decree(officer, nominees):
    jspaca = Program.objects.get(code="jspaca")
    result = services.round_run(
        by=officer,
        program=jspaca,
        year=2026,
        area_code="73.71",
        seed=3,
        sample_share=Decimal("0.2"),
    )
    selection = result.round
    approver = make_user("po2", roles=["program_officer"], scope=["73.71"])  # four eyes
    with pytest.raises(ValidationError):  # the sample is not verified yet
        services.round_approve(
            by=approver, selection=selection, decree_number="1/2026", decree_date=date(2026, 3, 1)
        )
    sampled = selection.entries.get(in_sample=True)
    services.entry_verify(by=officer, entry=sampled, result="not_confirmed", notes="Pindah")
    successor = services.entry_exclude(by=officer, entry=sampled, reason="Tidak ditemukan")
    assert successor.rank == 6 and successor.selected
    gowa_officer = make_user("gpo", roles=["program_officer"], scope=["73.06"])
    with pytest.raises(PermissionDenied):
        services.round_approve(
            by=gowa_officer, selection=selection, decree_number="1", decree_date=date(2026, 3, 1)
        )
    worker = make_user("sw", roles=["social_worker"], scope=["73.71"])
    with pytest.raises(PermissionDenied):
        services.round_approve(
            by=worker, selection=selection, decree_number="1", decree_date=date(2026, 3, 1)
        )
    services.round_approve(
        by=approver, selection=selection, decree_number="12/HUK/2026", decree_date=date(2026, 3, 1)
    )
    with pytest.raises(ValidationError):  # approved: the list no longer changes
        services.entry_exclude(
            by=officer, entry=selection.entries.filter(selected=True).first(), reason="x"
        )
    table = pl.read_excel(io.BytesIO(exports.decree_xlsx(selection)))
    assert table.height == 5
    assert sampled.nomination.person.name not in table["name"].to_list()
    assert successor.nomination.person.name in table["name"].to_list()
    pdf = exports.decree_pdf(selection)
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    enrolled = services.round_enrol(by=officer, selection=selection, start_date=date(2026, 4, 1))
    assert enrolled["enrolled"] == 5 and Beneficiary.objects.count() == 5
    assert (
        services.round_enrol(by=officer, selection=selection, start_date=date(2026, 4, 1))[
            "enrolled"
        ]
        == 0
    )  # never twice
    assert Beneficiary.objects.first().benefit_rule.amount == 300_000


@pytest.mark.django_db
def test_round_without_quota_or_nominees_is_refused_and_scope_is_checked(officer, pilot_areas):
    jspaca = Program.objects.get(code="jspaca")
    with pytest.raises(ValidationError):
        services.round_run(by=officer, program=jspaca, year=2026, area_code="73.71")
    with pytest.raises(PermissionDenied):
        services.round_run(by=officer, program=jspaca, year=2026, area_code="73.06", places=3)


@pytest.mark.django_db
def test_the_decree_xlsx_writes_formula_like_names_as_text(client, officer):
    from pksai.core.tests.spreadsheet import HOSTILE, assert_xlsx_safe

    for name in HOSTILE:
        nominate_disabled(officer, name)
    jspaca = Program.objects.get(code="jspaca")
    Quota.objects.create(program=jspaca, year=2026, area_id="73.71", places=5)
    selection = services.round_run(
        by=officer,
        program=jspaca,
        year=2026,
        area_code="73.71",
        seed=3,
        sample_share=Decimal("0"),
    ).round
    selected = list(selectors.decree_frame(selection)["name"])
    assert selected and set(selected) <= set(HOSTILE)
    assert_xlsx_safe(exports.decree_xlsx(selection), selected)  # the plain list
    client.force_login(officer)
    response = client.get(
        f"/programs/rounds/{selection.pk}/decree/", {"format": "xlsx", "purpose": "=1+1"}
    )
    assert response.status_code == 200
    assert_xlsx_safe(response.content, selected)  # the watermarked list
