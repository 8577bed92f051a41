"""Reading registry people and households, always through the user's role and area scope."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q, QuerySet

from pksai.accounts.scoping import (
    get_scoped_or_404,
    get_visible_or_404,
    require_perm,
    scope_for,
    scoped,
)
from pksai.areas.codes import normalise_area_code
from pksai.core import crypto
from pksai.registry.models import Household, ImportBatch, LinkCandidate, Person

VIEW_PERSON = "registry.view_person"


def nik_q(value: str, *, path: str = "") -> Q:
    """The rows whose NIK is exactly ``value`` (its 16 digits), through the keyed hash — the one
    way to look a NIK up (decision 0024): the NIK itself is sealed, and a part of a NIK finds
    nothing. ``path`` reaches a person from another model (``"child__"``). Hashes under an
    older hash key match too until ``pksai rotate-keys`` has re-hashed."""
    hashes = crypto.nik_hashes_any_key(value)
    if not hashes:
        return Q(pk__in=[])
    return Q(**{f"{path}nik_hash__in": hashes})


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
        qs = qs.filter(nik_q(nik))
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
    """The batches a user may see: with registry.view_importbatch those filed under an area
    in the user's scope (every batch for national users) and their own uploads; with only
    registry.add_importbatch their own uploads. Neither permission → PermissionDenied."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied(f"missing permission {VIEW_IMPORT}")
    qs = ImportBatch.objects.select_related("created_by").order_by("-created_at", "-pk")
    if user.has_perm(VIEW_IMPORT):
        scope = scope_for(user)
        return qs if scope.national else qs.filter(scope.q("area") | Q(created_by=user))
    if user.has_perm(ADD_IMPORT):
        return qs.filter(created_by=user)
    raise PermissionDenied(f"missing permission {VIEW_IMPORT}")


def import_batch_get(*, user, pk: int) -> ImportBatch:
    """One batch the user may see, else Http404 (missing or not theirs — the latter audited)."""
    return get_visible_or_404(
        lambda: import_batch_list(user=user), base=ImportBatch.objects.all(), pk=pk
    )


# --- identities and the linkage review queue ---------------------------------------------------

VIEW_LINKS = "registry.view_linkcandidate"
CHANGE_LINKS = "registry.change_linkcandidate"


def identity_rows(*, user, person: Person) -> tuple[list[Person], int]:
    """The registry rows behind ``person``'s identity that the user may see (sources,
    editions, whether each is still in the current registry), and how many other rows lie
    outside the user's scope (counted, never shown)."""
    if person.identity_id is None:
        return [person], 0
    rows = Person.objects.filter(identity_id=person.identity_id).select_related("village")
    visible = list(
        scoped(rows, user, perm=VIEW_PERSON, area_field="village").order_by(
            "-in_registry", "source", "-edition", "pk"
        )
    )
    return visible, rows.count() - len(visible)


def link_candidate_list(*, user, status: str = LinkCandidate.Status.PENDING):
    """Pairs in the review queue (or decided), both records inside the user's scope, most
    likely first."""
    scope = scope_for(user)
    require_perm(user, VIEW_LINKS)
    return (
        LinkCandidate.objects.filter(status=status)
        .filter(scope.q("left__village"), scope.q("right__village"))
        .select_related("left", "right", "left__village", "right__village", "decided_by")
        .order_by("-probability", "pk")
    )


def link_candidate_get(*, user, pk: int) -> LinkCandidate:
    """One pair, 404 (audited, like every denial) unless both records lie in the user's
    scope."""
    return get_scoped_or_404(
        LinkCandidate.objects.select_related(
            "left__household", "right__household", "left__village", "right__village"
        ),
        user,
        perm=VIEW_LINKS,
        area_field="left__village",
        visible=scope_for(user).q("right__village"),
        pk=pk,
    )


def household_heads(person_ids: list[int]) -> dict[int, list[str]]:
    """For each person, the names of the head and spouse of their household (the parents a
    reviewer compares), in one query."""
    rows = Person.objects.filter(
        household__members__pk__in=person_ids, relationship__in=["head", "spouse"]
    ).values_list("household__members__pk", "name", "relationship")
    heads: dict[int, list[str]] = {}
    for member, name, _relationship in sorted(rows, key=lambda r: (r[0], r[2] != "head")):
        heads.setdefault(member, []).append(name)
    return heads
