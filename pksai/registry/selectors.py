"""Reading registry people and households, always through the user's role and area scope."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import Http404

from pksai.accounts.scoping import get_scoped_or_404, scoped
from pksai.areas.codes import normalise_area_code
from pksai.registry.models import Household, ImportBatch, Person

VIEW_PERSON = "registry.view_person"
VIEW_HOUSEHOLD = "registry.view_household"
VIEW_IMPORT = "registry.view_importbatch"
ADD_IMPORT = "registry.add_importbatch"


def person_list(
    *,
    user,
    area: str | None = None,
    sex: str | None = None,
    born_after: date | None = None,
    born_before: date | None = None,
    nik: str | None = None,
    flag: str | None = None,
) -> QuerySet[Person]:
    qs = scoped(Person.objects.all(), user, perm=VIEW_PERSON, area_field="village")
    if area:
        code = normalise_area_code(area) or "-"
        qs = qs.filter(village__code__startswith=code)
    if sex:
        qs = qs.filter(sex=sex.upper())
    if born_after:
        qs = qs.filter(birth_date__gte=born_after)
    if born_before:
        qs = qs.filter(birth_date__lte=born_before)
    if nik:
        qs = qs.filter(nik=nik)
    if flag:
        qs = qs.filter(dq_flags__contains=flag)
    return qs.order_by("village_id", "household_key", "person_key")


def person_get(*, user, pk: int) -> Person:
    return get_scoped_or_404(
        Person.objects.select_related("household"),
        user,
        perm=VIEW_PERSON,
        area_field="village",
        pk=pk,
    )


def household_list(*, user, area: str | None = None) -> QuerySet[Household]:
    qs = scoped(Household.objects.all(), user, perm=VIEW_HOUSEHOLD, area_field="village")
    if area:
        qs = qs.filter(village__code__startswith=normalise_area_code(area) or "-")
    return qs.order_by("village_id", "registry_id")


def household_get(*, user, pk: int) -> Household:
    return get_scoped_or_404(
        Household.objects.all(), user, perm=VIEW_HOUSEHOLD, area_field="village", pk=pk
    )


def import_batch_list(*, user) -> models.QuerySet[ImportBatch]:
    """The batches a user may see: all with registry.view_importbatch, else their own uploads
    (registry.add_importbatch). Neither permission → PermissionDenied."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied(f"missing permission {VIEW_IMPORT}")
    qs = ImportBatch.objects.select_related("created_by").order_by("-created_at", "-pk")
    if user.has_perm(VIEW_IMPORT):
        return qs
    if user.has_perm(ADD_IMPORT):
        return qs.filter(created_by=user)
    raise PermissionDenied(f"missing permission {VIEW_IMPORT}")


def import_batch_get(*, user, pk: int) -> ImportBatch:
    try:
        return import_batch_list(user=user).get(pk=pk)
    except ImportBatch.DoesNotExist:
        raise Http404("No registry import matches the given query.") from None
