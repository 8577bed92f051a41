"""Intake: the reported child is an existing registry person (found by the duplicate check)
or a new person recorded from the report, with source "CASE"."""

from __future__ import annotations

import uuid
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pksai.accounts.models import User
from pksai.accounts.scoping import require_perm, scope_for
from pksai.areas.models import Area
from pksai.audit.services import audit_record
from pksai.registry.models import Household, Person

SOURCE = "CASE"


@transaction.atomic
def child_create(
    *, by: User, name: str, sex: str, birth_date: date | None, village: str, nik: str = ""
) -> Person:
    """Record a child who is not in the registry, in their own household of source CASE
    (a later registry import may bring the official record; the duplicate check finds it)."""
    require_perm(by, "cases.add_case")
    given = {
        "child_name": name.strip(),
        "child_sex": sex,
        "child_birth_date": birth_date,
        "child_village": village,
    }
    missing = [field for field, value in given.items() if not value]
    if missing:
        needed = _("Needed to record a child who is not in the registry yet.")
        raise ValidationError({field: [needed] for field in missing})
    if not Area.objects.filter(code=village, level=Area.Level.VILLAGE).exists():
        raise ValidationError({"child_village": [_("Unknown village code.")]})
    if not scope_for(by).covers(village):
        raise PermissionDenied("village outside the user's area scope")
    if birth_date > timezone.localdate():
        raise ValidationError({"child_birth_date": [_("The birth date cannot be in the future.")]})
    if nik and not (len(nik) == 16 and nik.isdigit()):
        raise ValidationError({"child_nik": [_("A NIK has 16 digits.")]})
    key = uuid.uuid4().hex[:20]
    household = Household.objects.create(
        source=SOURCE, registry_id=key, village_id=village, row_hash="-"
    )
    person = Person.objects.create(
        household=household,
        source=SOURCE,
        household_key=key,
        person_key="1",
        village_id=village,
        nik=nik,
        name=name.strip(),
        sex=sex,
        birth_date=birth_date,
        relationship="child",
        row_hash="-",
    )
    audit_record(action="create", actor=by, obj=person, detail={"source": SOURCE})
    return person
