"""What each kind of record says in a webhook (decision 0035).

``SPECS`` — per model, the area field and the payload's fields as database expressions: the
outbox row's ``data`` is built by the database in the same INSERT … SELECT that writes the
event (one statement for one record or for a whole return file). Only ids, codes, area codes,
statuses, amounts and dates: never a NIK, a name, a phone or an address.

``personal`` — what a subscriber approved for personal data receives besides, read when the
delivery is sent (and audited then): the child's or beneficiary's name and NIK, a named
complainant's name and phone. Restricted cases and complaints and anonymous complaints never
carry any.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F


@dataclass(frozen=True)
class Spec:
    area: str  # the field holding the record's area code
    fields: dict[str, Any]


SPECS: dict[str, Spec] = {
    "cases.case": Spec(
        area="area_id",
        fields={
            "case": F("id"),
            "number": F("number"),
            "stage": F("stage"),
            "channel": F("channel"),
            "regency": F("regency_id"),
            "area": F("area_id"),
            "registered_at": F("created_at"),
            "stage_due_at": F("stage_due_at"),
        },
    ),
    "referrals.referral": Spec(
        area="area_id",
        fields={
            "referral": F("id"),
            "number": F("number"),
            "kind": F("kind"),
            "status": F("status"),
            "urgency": F("urgency"),
            "area": F("area_id"),
            "case": F("case_id"),
            "organisation": F("to_organisation_id"),
            "service": F("service__code"),
            "sent_at": F("sent_at"),
            "responded_at": F("responded_at"),
            "delivered_on": F("delivered_on"),
        },
    ),
    "programs.beneficiary": Spec(
        area="area_id",
        fields={
            "beneficiary": F("id"),
            "program": F("program__code"),
            "status": F("status"),
            "area": F("area_id"),
            "person": F("person_id"),
            "start_date": F("start_date"),
            "exit_date": F("exit_date"),
            "exit_reason": F("exit_reason"),
        },
    ),
    "payments.entitlement": Spec(
        area="area_id",
        fields={
            "entitlement": F("id"),
            "cycle": F("cycle_id"),
            "program": F("cycle__program__code"),
            "beneficiary": F("beneficiary_id"),
            "status": F("status"),
            "amount": F("amount"),
            "channel": F("channel"),
            "area": F("area_id"),
            "paid_on": F("paid_on"),
            "failed_attempts": F("failed_attempts"),
        },
    ),
    "grievances.complaint": Spec(
        area="area_id",
        fields={
            "complaint": F("id"),
            "code": F("code"),
            "channel": F("channel"),
            "category": F("category"),
            "priority": F("priority"),
            "status": F("status"),
            "level": F("level"),
            "area": F("area_id"),
            "filed_at": F("created_at"),
            "due_at": F("due_at"),
            "resolved_at": F("resolved_at"),
        },
    ),
}


def _person(person) -> dict[str, str]:
    return {"name": person.name, "nik": person.nik or ""}


def personal(model: str, object_id: int) -> dict[str, Any] | None:
    """The personal part for an approved subscriber, or None when the record carries none
    (gone, restricted, anonymous)."""
    from django.apps import apps

    record_model = apps.get_model(model)
    match model:
        case "cases.case":
            case = record_model.objects.select_related("child").filter(pk=object_id).first()
            if case is None or case.restricted:
                return None
            return {"child": _person(case.child)}
        case "referrals.referral":
            referral = (
                record_model.objects.select_related("case__child").filter(pk=object_id).first()
            )
            if referral is None or referral.case.restricted:
                return None
            return {"child": _person(referral.case.child)}
        case "programs.beneficiary":
            beneficiary = record_model.objects.select_related("person").filter(pk=object_id).first()
            return None if beneficiary is None else {"person": _person(beneficiary.person)}
        case "payments.entitlement":
            entitlement = (
                record_model.objects.select_related("beneficiary__person")
                .filter(pk=object_id)
                .first()
            )
            if entitlement is None:
                return None
            return {"person": _person(entitlement.beneficiary.person)}
        case "grievances.complaint":
            complaint = record_model.objects.filter(pk=object_id).first()
            if complaint is None or complaint.restricted or complaint.anonymous:
                return None
            return {
                "complainant": {
                    "name": complaint.complainant_name,
                    "phone": complaint.complainant_phone,
                }
            }
    return None
