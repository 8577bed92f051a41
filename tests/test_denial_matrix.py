"""The denial matrix (issue 22, point 1): every page and every API operation that takes a
record's id, asked by every role for a record it must never see, gives the record away
nowhere, answers exactly as for an id that does not exist, and leaves a permission_denied
audit row naming the record.

The records are the Makassar demo's (one of each kind: a case and its sub-records, a
restricted case, an intake report, a referral, a provider, people, import batch, link
candidate, nomination, round and entry, beneficiary, suspension, savings account and plan,
payer batch, complaints — one restricted). They are asked for by

* one user of every site role in Gowa (another regency) and the national roles, for every
  record;
* users of Makassar itself for the records their role must never see: the provider's focal
  person for everything but the referrals addressed to their organisation, a social worker
  and a psychologist for the restricted case they are not assigned to, the coordinator and
  the registration staff for the restricted misconduct complaint.

For a refused request (403 or 404) the test asks the same URL with every id replaced by one
that does not exist and compares the answers; the refusal must be audited. A national user
may be allowed (their scope is the whole country): then only the leak check applies.
The data is built once for the module (the demo, 60 households) and rolled back.
"""

from __future__ import annotations

import io
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

MAKASSAR = "73.71"
MISSING = 2_000_000_000  # an id no table has

# Routes with a parameter that is not a record's id, and why they are not in the matrix (the
# leak check still runs on them for every user).
NOT_RECORDS = {
    "my-queues/<slug:key>/": "a queue of the user's own work, by name",
    "areas/<str:code>/": "public reference data (the Kemendagri area list)",
    "vulnerability/outreach/<str:code>/": "a scoped list by village code (empty out of scope)",
    "vulnerability/rules/<int:version>/": "rule sets: reference data, no personal data",
    "vulnerability/rules/<int:version>/activate/": "rule sets: reference data",
    "programs/<slug:code>/nominations/": "a scoped list by program code",
    "programs/<slug:code>/nominations/from-vulnerability/": "a scoped list by program code",
    "programs/<slug:code>/rounds/": "a scoped list by program code",
    "programs/<slug:code>/beneficiaries/": "a scoped list by program code",
    "pengaduan/status/<str:code>/": "public: the complainant's tracking code",
    "s/<str:token>/": "public: a one-time satisfaction link",
    "accounts/password/reset/<uidb64>/<token>/": "public: a one-time password reset link",
    "/api/v1/areas/{code}/": "public reference data",
    "/api/v1/complaints/reports/{name}": "a report by name (aggregates in scope)",
    "/api/v1/public/complaints/{code}": "public: the complainant's tracking code",
    "/api/v1/public/complaints/{code}/rating": "public: the complainant's tracking code",
    "/api/v1/monitoring/indicators/{code}/values": "an indicator by code (aggregates)",
    "monitoring/indicators/<slug:code>/": "an indicator by code (aggregates in scope)",
    "messaging/callback/<slug:channel>/": "a provider's callback by channel name (signed; no "
    "session, no record)",
}
# Records of national programs, not of an area (a payment cycle: program × period; a payer
# batch listed on it): any role with the permission opens them and sees its own areas'
# lines; without the permission, a 403 like every list. Only the leak check applies.
NOT_AREA_RECORDS = {"cycle", "batch", "webhook_subscriber", "webhook_delivery"}
# (Webhook subscribers and their deliveries are administrators' configuration for the whole
# installation, not records of an area: the permission decides.)
# Routes that answer 404 to a user who may see the record (not a denial, not audited).
NOT_FOUND_WHEN_ALLOWED = {
    "programs/nominations/<int:pk>/photo/": "the demo nomination has no photo",
}

# Which record fills each parameter of each route (pages, then API paths).
PAGE_ROUTES: dict[str, dict[str, str]] = {
    "organisations/<int:pk>/": {"pk": "organisation"},
    "registry/imports/<int:pk>/": {"pk": "import_batch"},
    "registry/imports/<int:pk>/progress/": {"pk": "import_batch"},
    "registry/imports/<int:pk>/errors.csv": {"pk": "import_batch"},
    "registry/matches/<int:pk>/": {"pk": "link_candidate"},
    "registry/matches/<int:pk>/decide/": {"pk": "link_candidate"},
    "registry/people/<int:pk>/unlink/": {"pk": "person"},
    "vulnerability/children/<int:person_id>/": {"person_id": "person"},
    "cases/intake-reports/<int:pk>/register/": {"pk": "intake_report"},
    "cases/intake-reports/<int:pk>/dismiss/": {"pk": "intake_report"},
    "retention/holds/<int:pk>/release/": {"pk": "legal_hold"},
    "cases/<int:pk>/emergency/<int:action_id>/start/": {
        "pk": "case",
        "action_id": "emergency_action",
    },
    "cases/<int:pk>/follow-ups/<int:follow_up_id>/": {"pk": "case", "follow_up_id": "follow_up"},
    "cases/<int:pk>/assessments/<int:assessment_id>/": {
        "pk": "case",
        "assessment_id": "assessment",
    },
    "cases/<int:pk>/plan/actions/<int:action_id>/status/": {
        "pk": "case",
        "action_id": "plan_action",
    },
    "cases/<int:pk>/attachments/<int:attachment_id>/": {
        "pk": "case",
        "attachment_id": "attachment",
    },
    "cases/<int:pk>/attachments/<int:attachment_id>/void/": {
        "pk": "case",
        "attachment_id": "attachment",
    },
    "providers/<int:pk>/": {"pk": "provider"},
    "providers/<int:pk>/edit/": {"pk": "provider"},
    "referrals/<int:pk>/": {"pk": "referral"},
    "referrals/<int:pk>/move/": {"pk": "referral"},
    "facilitation/beneficiaries/<int:pk>/": {"pk": "beneficiary"},
    "facilitation/beneficiaries/<int:pk>/suspensions/": {"pk": "beneficiary"},
    "facilitation/suspensions/<int:pk>/end/": {"pk": "suspension"},
    "programs/nominate-case/<int:case_pk>/": {"case_pk": "case"},
    "programs/nominations/<int:pk>/": {"pk": "nomination"},
    "programs/nominations/<int:pk>/profile/": {"pk": "nomination"},
    "programs/nominations/<int:pk>/choose/": {"pk": "nomination"},
    "programs/nominations/<int:pk>/enrol/": {"pk": "nomination"},
    "programs/nominations/<int:pk>/photo/": {"pk": "nomination"},
    "programs/rounds/<int:pk>/": {"pk": "round"},
    "programs/rounds/<int:pk>/approve/": {"pk": "round"},
    "programs/rounds/<int:pk>/enrol/": {"pk": "round"},
    "programs/rounds/<int:pk>/decree/": {"pk": "round"},
    "programs/rounds/<int:pk>/entries/<int:entry_pk>/verify/": {"pk": "round", "entry_pk": "entry"},
    "programs/rounds/<int:pk>/entries/<int:entry_pk>/exclude/": {
        "pk": "round",
        "entry_pk": "entry",
    },
    "payments/cycles/<int:pk>/": {"pk": "cycle"},
    "payments/cycles/<int:pk>/export/": {"pk": "cycle"},
    "payments/cycles/<int:pk>/items/": {"pk": "cycle"},
    "payments/cycles/<int:pk>/savings-deposits/": {"pk": "cycle"},
    "payments/batches/<int:pk>/file/": {"pk": "batch_file"},
    "payments/batches/<int:pk>/return/": {"pk": "batch"},
    "payments/beneficiaries/<int:pk>/card/": {"pk": "beneficiary"},
    "payments/beneficiaries/<int:pk>/delivery/": {"pk": "beneficiary"},
    "payments/beneficiaries/<int:pk>/consents/": {"pk": "beneficiary"},
    "payments/savings/<int:pk>/": {"pk": "savings_account"},
    "payments/savings/<int:pk>/plans/": {"pk": "savings_account"},
    "payments/savings/<int:pk>/withdraw/": {"pk": "savings_account"},
    "payments/savings/plans/<int:pk>/approve/": {"pk": "fund_plan"},
    "cases/<int:pk>/consents/<int:consent_id>/withdraw/": {"pk": "case", "consent_id": "consent"},
    "cases/<int:pk>/legal-grounds/<int:ground_id>/end/": {
        "pk": "case",
        "ground_id": "legal_ground",
    },
    "privacy/requests/<int:pk>/": {"pk": "subject_request"},
    "privacy/requests/<int:pk>/start/": {"pk": "subject_request"},
    "privacy/requests/<int:pk>/decide/": {"pk": "subject_request"},
    "privacy/requests/<int:pk>/export/": {"pk": "subject_request"},
    "privacy/breaches/<int:pk>/": {"pk": "breach"},
    "privacy/breaches/<int:pk>/update/": {"pk": "breach"},
    "privacy/breaches/<int:pk>/close/": {"pk": "breach"},
    "privacy/breaches/<int:pk>/notices/<int:notice_id>/": {
        "pk": "breach",
        "notice_id": "breach_notice",
    },
    "webhooks/<int:pk>/": {"pk": "webhook_subscriber"},
    "webhooks/<int:pk>/rotate/": {"pk": "webhook_subscriber"},
    "webhooks/<int:pk>/approve/": {"pk": "webhook_subscriber"},
    "webhooks/<int:pk>/revoke/": {"pk": "webhook_subscriber"},
    "webhooks/deliveries/<int:pk>/replay/": {"pk": "webhook_delivery"},
    "field/conflicts/<int:pk>/resolve/": {"pk": "field_conflict"},
}
# every other route under cases/<pk>/ (or cases/<case_pk>/) takes the case, and every route
# under complaints/<pk>/ the complaint: see _targets_of
API_ROUTES: dict[str, dict[str, str]] = {
    "/api/v1/organisations/{pk}/": {"pk": "organisation"},
    "/api/v1/registry/people/{pk}/": {"pk": "person"},
    "/api/v1/registry/households/{pk}/": {"pk": "household"},
    "/api/v1/registry/imports/{pk}/": {"pk": "import_batch"},
    "/api/v1/registry/imports/{pk}/errors.csv": {"pk": "import_batch"},
    "/api/v1/vulnerability/children/{person_id}/": {"person_id": "person"},
    "/api/v1/cases/{pk}/emergency-actions/{action_id}/start/": {
        "pk": "case",
        "action_id": "emergency_action",
    },
    "/api/v1/cases/{pk}/follow-ups/{follow_up_id}/complete/": {
        "pk": "case",
        "follow_up_id": "follow_up",
    },
    "/api/v1/referrals/providers/{pk}/": {"pk": "provider"},
    "/api/v1/referrals/{pk}/": {"pk": "referral"},
    "/api/v1/referrals/{pk}/moves/{name}/": {"pk": "referral", "name": "=acknowledge"},
    "/api/v1/referrals/{pk}/satisfaction/": {"pk": "referral"},
    "/api/v1/programs/nominations/{pk}/": {"pk": "nomination"},
    "/api/v1/programs/nominations/{pk}/choose/": {"pk": "nomination"},
    "/api/v1/programs/nominations/{pk}/enrol/": {"pk": "nomination"},
    "/api/v1/programs/rounds/{pk}/entries/{entry_id}/verify/": {"pk": "round", "entry_id": "entry"},
    "/api/v1/programs/rounds/{pk}/entries/{entry_id}/exclude/": {
        "pk": "round",
        "entry_id": "entry",
    },
    "/api/v1/payments/cycles/{pk}/": {"pk": "cycle"},
    "/api/v1/payments/cycles/{pk}/batches/": {"pk": "cycle"},
    "/api/v1/payments/cycles/{pk}/entitlements/": {"pk": "cycle"},
    "/api/v1/payments/cycles/{pk}/savings-deposits": {"pk": "cycle"},
    "/api/v1/payments/cycles/{pk}/items/": {"pk": "cycle"},
    "/api/v1/payments/cycles/{pk}/items/record": {"pk": "cycle"},
    "/api/v1/payments/batches/{pk}/file": {"pk": "batch_file"},
    "/api/v1/payments/beneficiaries/{pk}/card": {"pk": "beneficiary"},
    "/api/v1/payments/beneficiaries/{pk}/delivery": {"pk": "beneficiary"},
    "/api/v1/payments/beneficiaries/{pk}/suspensions/": {"pk": "beneficiary"},
    "/api/v1/payments/suspensions/{pk}/end": {"pk": "suspension"},
    "/api/v1/payments/savings/{pk}/": {"pk": "savings_account"},
    "/api/v1/payments/savings/{pk}/plans/": {"pk": "savings_account"},
    "/api/v1/payments/savings/{pk}/withdrawals/": {"pk": "savings_account"},
    "/api/v1/payments/savings/plans/{pk}/approve": {"pk": "fund_plan"},
    "/api/v1/privacy/cases/{pk}/consents/": {"pk": "case"},
    "/api/v1/privacy/cases/{pk}/consents/{consent_id}/withdraw": {
        "pk": "case",
        "consent_id": "consent",
    },
    "/api/v1/privacy/cases/{pk}/legal-grounds/": {"pk": "case"},
    "/api/v1/privacy/requests/{pk}/": {"pk": "subject_request"},
    "/api/v1/privacy/requests/{pk}/decision": {"pk": "subject_request"},
    "/api/v1/privacy/breaches/{pk}/": {"pk": "breach"},
    "/api/v1/privacy/breaches/{pk}/notices/{notice_id}": {
        "pk": "breach",
        "notice_id": "breach_notice",
    },
    "/api/v1/retention/holds/{pk}/release": {"pk": "legal_hold"},
    "/api/v1/webhooks/subscribers/{pk}/deliveries": {"pk": "webhook_subscriber"},
    "/api/v1/webhooks/deliveries/{pk}/replay": {"pk": "webhook_delivery"},
    "/api/v1/field/cases/{pk}/": {"pk": "case"},
    "/api/v1/field/assessments/{pk}/": {"pk": "assessment"},
    "/api/v1/field/visits/{pk}/": {"pk": "visit"},
    "/api/v1/field/conferences/{pk}/": {"pk": "conference"},
    "/api/v1/field/notes/{pk}/": {"pk": "note"},
    "/api/v1/field/attachments/{pk}/": {"pk": "attachment"},
    "/api/v1/field/facilitation-visits/{pk}/": {"pk": "facilitation_visit"},
    "/api/v1/field/compliance-records/{pk}/": {"pk": "compliance_record"},
    "/api/v1/field/intake-reports/{pk}/": {"pk": "field_report"},
    "/api/v1/field/outreach-results/{pk}/": {"pk": "outreach_result"},
    "/api/v1/field/conflicts/{pk}/resolve/": {"pk": "field_conflict"},
    "/api/v1/field/uploads/{pk}/": {"pk": "field_upload"},
}
# every other path under /api/v1/cases/{pk}/, /api/v1/programs/rounds/{pk}/ and
# /api/v1/complaints/{pk}/ takes the case, the round and the complaint

_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
_API_PARAM = re.compile(r"\{(?:\w+:)?(?P<name>\w+)\}")

# Makassar users and the records their role must never see (besides Gowa's and the national
# users, who must never see any Makassar record outside their permissions).
SAME_REGENCY_FORBIDDEN = {
    "makassar.focal_person": "everything",
    "makassar.social_worker": {"restricted_case"},
    "makassar.psychologist": {"restricted_case"},
    "makassar.coordinator": {"restricted_complaint"},
    "makassar.registration_staff": {"restricted_complaint"},
}
# The restricted records, asked for on the routes of their kind (the case's and complaint's
# own routes; the sub-records are the unrestricted case's).
RESTRICTED = {"case": "restricted_case", "complaint": "restricted_complaint"}


# --- the data ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    key: str
    label: str  # app_label.model, as the audit row names it
    pk: Any


def _first(model, **filters):
    return model.objects.filter(**filters).order_by("pk").first()


def _records() -> tuple[dict[str, Record], set[str]]:
    """One Makassar record of every kind (made where the demo has none), and the strings that
    identify the people in them (NIKs; names no one outside those records bears)."""
    from pksai.accounts.models import Organisation, User
    from pksai.cases.models import (
        Assessment,
        Attachment,
        Case,
        EmergencyAction,
        FollowUp,
        IntakeReport,
        PlanAction,
    )
    from pksai.grievances.models import Complaint
    from pksai.payments.models import FundPlan, PayerBatch, PaymentCycle, SavingsAccount
    from pksai.privacy.models import Breach, BreachNotice, Consent, LegalGround, SubjectRequest
    from pksai.programs.models import Beneficiary, Nomination, RoundEntry, Suspension
    from pksai.referrals.models import Provider, Referral
    from pksai.registry.models import ImportBatch, LinkCandidate, Person

    worker = User.objects.get(username="makassar.social_worker")
    coordinator = User.objects.get(username="makassar.coordinator")
    case = _first(
        Case, area__code__startswith=MAKASSAR + ".", restricted=False, stage="implementation"
    )
    # a restricted case nobody of the matrix owns or supervises
    restricted = _first(Case, area__code__startswith=MAKASSAR + ".", restricted=True)
    if restricted is None:
        restricted = _first(Case, area__code__startswith=MAKASSAR + ".", stage="assessment")
        restricted.restricted = True
    restricted.owner, restricted.supervisor = coordinator, None
    restricted.save()

    attachment = Attachment.objects.create(
        case=case,
        kind=Attachment.Kind.values[0],
        title="Surat",
        original_name="surat.pdf",
        content_type="application/pdf",
        size=10,
        sha256="0" * 64,
        stored_name="denial-matrix.pdf",
        uploaded_by=worker,
    )
    emergency = _first(EmergencyAction, case=case) or EmergencyAction.objects.create(
        case=case, kind=EmergencyAction.Kind.values[0], recorded_by=worker
    )
    follow_up = _first(FollowUp, case__regency_id=MAKASSAR)
    follow_up_case = follow_up.case
    assessment = _first(Assessment, case=follow_up_case) or _first(
        Assessment, case__regency_id=MAKASSAR
    )
    plan_action = _first(PlanAction, case=follow_up_case) or _first(
        PlanAction, case__regency_id=MAKASSAR
    )
    intake = _first(IntakeReport, area__code__startswith=MAKASSAR, status="pending")
    if intake is None:
        intake = IntakeReport.objects.create(
            source=IntakeReport.Source.values[0],
            area_id=_first(Case, regency_id=MAKASSAR).area_id,
            summary="Laporan anak",
        )
    focal = User.objects.get(username="makassar.focal_person")
    referral = (
        Referral.objects.filter(case__regency_id=MAKASSAR)
        .exclude(to_organisation_id=focal.organisation_id)
        .order_by("pk")
        .first()
    )
    provider = _first(Provider, organisation__area__code__startswith=MAKASSAR)
    organisation = _first(Organisation, area__code__startswith=MAKASSAR)
    person = case.child
    left, right = (
        Person.objects.filter(village__code__startswith=MAKASSAR + ".")
        .exclude(pk=person.pk)
        .order_by("pk")[:2]
    )
    candidate = LinkCandidate.objects.create(
        left=left, right=right, method="probabilistic", probability=0.9, village=left.village
    )
    import_batch = ImportBatch.objects.create(
        source="dtsen", file_name="makassar.csv", file_sha256="0" * 64, area_id=MAKASSAR
    )
    nomination = _first(Nomination, area__code__startswith=MAKASSAR)
    entry = _first(RoundEntry, round__area__code__startswith=MAKASSAR)
    beneficiary = _first(Beneficiary, area__code__startswith=MAKASSAR)
    suspension = _first(Suspension, area__code__startswith=MAKASSAR) or Suspension.objects.create(
        beneficiary=beneficiary,
        area=beneficiary.area,
        start=date(2026, 1, 1),
        reason="Pindah sementara",
        created_by=coordinator,
    )
    account = _first(SavingsAccount, area__code__startswith=MAKASSAR)
    plan = _first(FundPlan, account__area__code__startswith=MAKASSAR)
    batch = _first(PayerBatch)
    cycle = batch.cycle if batch else _first(PaymentCycle)
    complaint = _first(Complaint, area__code__startswith=MAKASSAR, restricted=False)
    restricted_complaint = _first(Complaint, area__code__startswith=MAKASSAR, restricted=True)
    if restricted_complaint is None:
        restricted_complaint = _first(
            Complaint, area__code__startswith=MAKASSAR, restricted=False, pk__gt=complaint.pk
        )
        restricted_complaint.restricted = True
        restricted_complaint.save(update_fields=["restricted"])

    from pksai.retention.models import LegalHold

    legal_hold = _first(LegalHold, area__code__startswith=MAKASSAR) or LegalHold.objects.create(
        target="case", case=case, area_id=case.area_id, reason="Sidang", created_by=coordinator
    )
    consent = _first(Consent, area__code__startswith=MAKASSAR + ".")
    legal_ground = _first(LegalGround, area__code__startswith=MAKASSAR + ".")
    subject_request = _first(SubjectRequest, area__code__startswith=MAKASSAR + ".", kind="access")
    breach = _first(Breach, area__code__startswith=MAKASSAR)
    breach_notice = _first(BreachNotice, breach=breach, status="pending")
    from pksai.core.tests.test_language_walk import _webhook_sample

    webhook_subscriber, webhook_delivery = _webhook_sample()
    field_records = _field_records(case, beneficiary, worker, coordinator)
    made = {
        **field_records,
        "webhook_subscriber": webhook_subscriber,
        "webhook_delivery": webhook_delivery,
        "legal_hold": legal_hold,
        "consent": consent,
        "legal_ground": legal_ground,
        "subject_request": subject_request,
        "breach": breach,
        "breach_notice": breach_notice,
        "case": case,
        "restricted_case": restricted,
        "attachment": attachment,
        "emergency_action": emergency,
        "follow_up": follow_up,
        "assessment": assessment,
        "plan_action": plan_action,
        "intake_report": intake,
        "referral": referral,
        "provider": provider,
        "organisation": organisation,
        "person": person,
        "household": person.household,
        "link_candidate": candidate,
        "import_batch": import_batch,
        "nomination": nomination,
        "round": entry.round,
        "entry": entry,
        "beneficiary": beneficiary,
        "suspension": suspension,
        "savings_account": account,
        "fund_plan": plan,
        "cycle": cycle,
        "batch": batch,
        "batch_file": batch,
        "complaint": complaint,
        "restricted_complaint": restricted_complaint,
    }
    missing = sorted(k for k, v in made.items() if v is None)
    assert not missing, f"the demo has no Makassar {missing}"
    records = {key: Record(key, obj._meta.label_lower, obj.pk) for key, obj in made.items()}
    # the people these records name
    people = {
        case.child,
        restricted.child,
        follow_up_case.child,
        referral.case.child,
        person,
        left,
        right,
        nomination.person,
        entry.nomination.person,
        beneficiary.person,
        account.beneficiary.person,
    }
    identifying = {p.nik for p in people if p.nik}
    names = Counter(Person.objects.values_list("name", flat=True))
    identifying |= {p.name for p in people if names[p.name] == 1 and len(p.name) > 5}
    return records, identifying


def _field_records(case, beneficiary, worker, coordinator) -> dict[str, Any]:
    """The records the field app writes (issue 19), one each in Makassar."""
    from pksai.cases.models import CaseConference, IntakeReport, Note, Visit
    from pksai.field.models import FieldConflict, FieldUpload
    from pksai.programs.models import ComplianceRecord, Conditionality, FacilitationVisit
    from pksai.vulnerability.models import OutreachResult

    note = Note.objects.create(case=case, text="Catatan lapangan", by=worker)
    visit = Visit.objects.create(
        case=case,
        visited_on=date(2026, 6, 1),
        place="Rumah",
        seen="Ibu",
        observations="Anak sehat",
        by=worker,
    )
    conference = CaseConference.objects.create(
        case=case, held_on=date(2026, 6, 1), agenda="Rencana", decisions="Rujuk", recorded_by=worker
    )
    condition = _first(Conditionality, program=beneficiary.program) or _first(Conditionality)
    return {
        "note": note,
        "visit": visit,
        "conference": conference,
        "facilitation_visit": FacilitationVisit.objects.create(
            beneficiary=beneficiary,
            area_id=beneficiary.area_id,
            facilitator=worker,
            visited_on=date(2026, 6, 1),
            topics=["school"],
        ),
        "compliance_record": ComplianceRecord.objects.create(
            beneficiary=beneficiary,
            area_id=beneficiary.area_id,
            condition=condition,
            month=date(2026, 6, 1),
            met=True,
            recorded_by=worker,
        ),
        "field_report": IntakeReport.objects.create(
            source=IntakeReport.Source.FIELD,
            area_id=case.area_id,
            summary="Anak di pasar",
            reported_by=worker,
        ),
        "outreach_result": OutreachResult.objects.create(
            person=case.child,
            village_id=case.child.village_id,
            outcome="not_found",
            visited_at="2026-06-01T10:00:00+08:00",
            worker=worker,
        ),
        "field_conflict": FieldConflict.objects.create(
            kind="visits",
            object_id=visit.pk,
            area_id=case.area_id,
            case=case,
            field="observations",
            base="a",
            theirs="b",
            mine="c",
            base_version=1,
            seen_version=1,
            by=worker,
        ),
        "field_upload": FieldUpload.objects.create(
            client_id="6f1c1c2e-7d1a-4a59-9d53-2f4ad9f0c001",
            user=worker,
            case=case,
            kind="document",
            filename="a.pdf",
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
            stored_name="denial-matrix-upload",
        ),
    }


def _variants(username: str) -> list[dict[str, str]]:
    """Which records the user is asked for: the regular ones ({}), the restricted ones in
    their kind's routes (RESTRICTED), or both."""
    rule = SAME_REGENCY_FORBIDDEN.get(username)
    if rule is None:  # Gowa (every record is out of scope) and national users
        return [{}, RESTRICTED] if username.startswith("national.") else [{}]
    if rule == "everything":
        return [{}]
    return [{k: v for k, v in RESTRICTED.items() if v in rule}]


def _users() -> dict[str, Any]:
    from pksai.accounts.demo import NATIONAL_ROLES, SITE_ROLES
    from pksai.accounts.models import User

    names = [f"gowa.{role}" for role in SITE_ROLES]
    names += [f"national.{role}" for role in NATIONAL_ROLES]
    names += list(SAME_REGENCY_FORBIDDEN)
    return {name: User.objects.get(username=name) for name in names}


def _forbidden(username: str, key: str) -> bool | None:
    """True: the user must never see this record; None: the test does not know (a national
    user, whose scope is the whole country, may be allowed by the role)."""
    if key in NOT_AREA_RECORDS:
        return None
    if username.startswith("gowa."):
        return True
    if username.startswith("makassar."):
        rule = SAME_REGENCY_FORBIDDEN[username]
        return rule == "everything" or key in rule
    return None


# --- the routes --------------------------------------------------------------------------


def _page_routes(patterns=None, prefix: str = ""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _page_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            if _PARAM.search(route) and not route.startswith(("admin/", "api/", "media/")):
                yield route


def _page_targets(route: str) -> dict[str, str]:
    if route in PAGE_ROUTES:
        return PAGE_ROUTES[route]
    params = [m.group("name") for m in _PARAM.finditer(route)]
    if route.startswith("cases/") and params in (["pk"], ["case_pk"]):
        return {params[0]: "case"}
    if route.startswith("complaints/<int:pk>/") and params == ["pk"]:
        return {"pk": "complaint"}
    raise AssertionError(f"{route}: which record does it take? add it to PAGE_ROUTES")


def _api_operations():
    """(path, method, body) for every API operation with a parameter in its path; the body is
    a valid example of the operation's input schema, so the request reaches the handler."""
    from pksai.api.base import api

    api.get_openapi_schema()  # binds the routers
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            full = "/api/v1" + (prefix.rstrip("/") + "/" + path.lstrip("/")).replace("//", "/")
            if not _API_PARAM.search(full):
                continue
            for operation in view.operations:
                body = None
                for model in operation.models:
                    if getattr(model, "__ninja_param_source__", "") == "body":
                        (name, info), *_ = model.model_fields.items()
                        schema = info.annotation.model_json_schema()
                        body = _example(schema, schema.get("$defs", {}))
                for method in operation.methods:
                    yield _API_PARAM.sub(lambda m: "{" + m.group("name") + "}", full), method, body


def _example(schema: dict, defs: dict) -> Any:
    """A value that validates against a JSON schema (required fields only)."""
    if "$ref" in schema:
        return _example(defs[schema["$ref"].rsplit("/", 1)[1]], defs)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return _example(options[0], defs)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object":
        return {
            name: _example(sub, defs)
            for name, sub in schema.get("properties", {}).items()
            if name in schema.get("required", ())
        }
    if kind == "array":
        return [_example(schema.get("items", {}), defs) for _ in range(schema.get("minItems", 0))]
    if kind == "integer":
        return max(1, schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1)
    if kind == "number":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return "2026-06-15"
    if schema.get("format") == "date-time":
        return "2026-06-15T10:00:00+08:00"
    return "x" * max(3, schema.get("minLength", 3))


def _api_targets(path: str) -> dict[str, str]:
    if path in API_ROUTES:
        return API_ROUTES[path]
    params = _API_PARAM.findall(path)
    for start, key in (
        ("/api/v1/cases/{pk}/", "case"),
        ("/api/v1/programs/rounds/{pk}/", "round"),
        ("/api/v1/complaints/{pk}/", "complaint"),
    ):
        if path.startswith(start) and params == ["pk"]:
            return {"pk": key}
    raise AssertionError(f"{path}: which record does it take? add it to API_ROUTES")


# --- the walk ----------------------------------------------------------------------------


@dataclass
class Matrix:
    routes: int = 0
    operations: int = 0
    users: int = 0
    requests: int = 0
    denials: int = 0
    audited: int = 0
    leaks: list[str] = field(default_factory=list)
    unaudited: list[str] = field(default_factory=list)
    differs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    seconds: tuple[float, float] = (0.0, 0.0)


def _fill(template: str, targets: dict[str, str], records, pattern, *, missing: bool) -> str:
    def value(m):
        key = targets[m.group("name")]
        if key.startswith("="):
            return key[1:]
        return str(MISSING if missing else records[key].pk)

    return pattern.sub(value, template)


_POST_ONLY: set[str] = set()  # page routes that answered GET with 405


def _ask(client, url: str, method: str, body, api: bool, template: str = ""):
    if api:
        if method == "GET":
            return client.get(url)
        return client.generic(method, url, data=_json(body or {}), content_type="application/json")
    if template not in _POST_ONLY:
        response = client.get(url)
        if response.status_code != 405:
            return response
        _POST_ONLY.add(template)
    return client.post(url, {})


def _json(value) -> str:
    import json

    return json.dumps(value)


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", "replace")


def _walk(matrix: Matrix, records, identifying, users) -> None:
    from pksai.accounts.services import api_token_issue
    from pksai.audit.models import AuditEvent

    pages = [(r, _page_targets(r)) for r in _page_routes() if r not in NOT_RECORDS]
    operations = [
        (p, m, b, _api_targets(p)) for p, m, b in _api_operations() if p not in NOT_RECORDS
    ]
    matrix.routes, matrix.operations, matrix.users = len(pages), len(operations), len(users)
    asks = [("/" + r, "GET", None, t, False, _PARAM) for r, t in pages]
    asks += [(p, m, b, t, True, _API_PARAM) for p, m, b, t in operations]
    for username, user in users.items():
        page_client = Client()
        page_client.force_login(user)
        _token, raw = api_token_issue(user=user, name="denial matrix", by=None)
        api_client = Client(headers={"Authorization": f"Bearer {raw}"})
        for template, method, body, targets, api, pattern, swap in (
            (*ask, swap) for swap in _variants(username) for ask in asks
        ):
            if swap:  # only the routes of the restricted record's own kind
                if not set(targets.values()) & set(swap) or set(targets.values()) - set(swap):
                    continue
                targets = {param: swap.get(key, key) for param, key in targets.items()}
            client = api_client if api else page_client
            url = _fill(template, targets, records, pattern, missing=False)
            where = f"{method} {url} · {username}"
            keys = [k for k in targets.values() if not k.startswith("=")]
            forbidden = [_forbidden(username, k) for k in keys]
            before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            response = _ask(client, url, method, body, api, template)
            matrix.requests += 1
            status = response.status_code
            matrix.statuses[status] += 1
            text = _body(response)
            if status >= 500:
                matrix.errors.append(f"{where}: {status}")
                continue
            if any(forbidden) or username.startswith("gowa."):
                shown = sorted(s for s in identifying if s in text)
                if shown:
                    matrix.leaks.append(f"{where}: {status} shows {shown[:3]}")
            if status not in (403, 404):
                if any(forbidden):
                    matrix.leaks.append(f"{where}: answered {status}, not refused")
                continue
            if forbidden and all(f is False for f in forbidden):
                continue  # a record the user may see, an action the role lacks: not a denial
            if not any(forbidden) and template.lstrip("/") in NOT_FOUND_WHEN_ALLOWED:
                continue
            # a refusal: audited, and the same answer as for ids that do not exist
            matrix.denials += 1
            rows = AuditEvent.objects.filter(
                pk__gt=before, action="permission_denied", path=url
            ).values_list("object_type", "object_id")
            named = {(records[k].label, str(records[k].pk)) for k in keys}
            if status == 404 and named & set(rows) or status == 403 and rows:
                matrix.audited += 1
            else:
                matrix.unaudited.append(f"{where}: {status}, audit rows {list(rows)}")
            if not any(forbidden):
                continue  # a national user may see the record: a 403 may follow a lookup
            missing_url = _fill(template, targets, records, pattern, missing=True)
            other = _ask(client, missing_url, method, body, api, template)
            matrix.requests += 1
            if other.status_code != status or _same(_body(other), missing_url) != _same(text, url):
                matrix.differs.append(f"{where}: {status} vs missing id {other.status_code}")


def _same(text: str, url: str) -> str:
    """The answer without what differs by construction (the URL asked, the request id)."""
    text = text.replace(url, "<url>")
    text = re.sub(r"\b[A-Za-z0-9]{64}\b", "<csrf>", text)
    return re.sub(r"\b[0-9a-f]{32}\b", "<id>", text)


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker):
    from pksai.core.tests.test_language_walk import _pilot_areas

    result = Matrix()
    with django_db_blocker.unblock():
        with transaction.atomic():
            _pilot_areas()
            started = time.monotonic()
            call_command("demo", "--households", "60", "--force", stdout=io.StringIO())
            records, identifying = _records()
            walked = time.monotonic()
            _walk(result, records, identifying, _users())
            result.seconds = (walked - started, time.monotonic() - walked)
            transaction.set_rollback(True)
    yield result


@pytest.mark.django_db  # the matrix's own data is set up (and rolled back) once per module
def test_every_route_and_operation_with_a_record_id_is_in_the_matrix(matrix):
    assert matrix.routes >= 60 and matrix.operations >= 45
    assert matrix.users >= 14


@pytest.mark.django_db
def test_no_denial_gives_a_record_away(matrix):
    print(
        f"\n{matrix.routes} routes × {matrix.operations} API operations × {matrix.users} "
        f"users: {matrix.requests} requests, {matrix.denials} denials, "
        f"{len(matrix.leaks)} leaks, statuses {dict(matrix.statuses)}; data "
        f"{matrix.seconds[0]:.0f} s, walk {matrix.seconds[1]:.0f} s"
    )
    assert not matrix.errors, "\n".join(matrix.errors)
    assert not matrix.leaks, f"{len(matrix.leaks)} leaks:\n" + "\n".join(matrix.leaks)


@pytest.mark.django_db
def test_a_denial_answers_as_a_missing_id(matrix):
    assert not matrix.differs, f"{len(matrix.differs)}:\n" + "\n".join(matrix.differs)


@pytest.mark.django_db
def test_every_denial_is_audited(matrix):
    share = matrix.audited / matrix.denials if matrix.denials else 0
    print(f"\n{matrix.audited} of {matrix.denials} denials audited ({share:.0%})")
    assert matrix.denials > 1000
    assert not matrix.unaudited, f"{len(matrix.unaudited)} not audited:\n" + "\n".join(
        matrix.unaudited
    )
    assert matrix.audited == matrix.denials
