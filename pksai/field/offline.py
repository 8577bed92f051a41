"""Taking data offline: build the bundle a worker asked for and record it in the audit trail
in the same transaction (what, how many, which records, the device's label)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from pksai.audit.services import audit_record
from pksai.field import selectors

DEVICE_LABEL_CHARS = 60


@dataclass(frozen=True)
class Bundle:
    kind: str
    village: str
    village_name: str
    taken_at: str
    items: list[dict[str, Any]]

    def as_json(self, *, user) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "village": self.village,
            "village_name": self.village_name,
            "taken_at": self.taken_at,
            "user": user.pk,
            "wipe_days": settings.PKSAI_FIELD_WIPE_DAYS,
            "items": self.items,
        }


def bundle_take(*, user, what: str, village: str = "", device: str = "") -> Bundle:
    """The records of one kind the worker takes to her device (``selectors.KINDS``), read
    through her scope; one audit row ``export`` of ``field.bundle`` lists the ids."""
    if what not in selectors.KINDS:
        raise ValueError(f"unknown kind {what!r}")
    with transaction.atomic():
        place = place_name = ""
        if what == "cases":
            items = selectors.field_cases(user=user)
        elif what == "beneficiaries":
            items = selectors.field_beneficiaries(user=user)
        else:
            area = selectors.field_village(user=user, code=village)
            place, place_name = area.code, area.name
            items = selectors.field_outreach(user=user, village=area)
        audit_record(
            action="export",
            actor=user,
            object_type="field.bundle",
            object_id=what,
            object_repr=place or what,
            detail={
                "purpose": "field_offline",
                "what": what,
                "village": place,
                "count": len(items),
                "ids": [item["id"] for item in items],
                "device": " ".join(device.split())[:DEVICE_LABEL_CHARS],
            },
        )
    return Bundle(
        kind=what,
        village=place,
        village_name=place_name,
        taken_at=timezone.now().isoformat(),
        items=items,
    )
