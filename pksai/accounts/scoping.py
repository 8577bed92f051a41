"""The one place where role and area scope limit what a user may see.

Every selector that returns people, cases, organisations or money calls `scoped()` (lists) or
`get_scoped_or_404()` (one object). A record outside the user's scope is indistinguishable
from a record that does not exist: both are a 404, in the UI and in the API.

Area codes are hierarchical (``73`` ⊃ ``73.71`` ⊃ ``73.71.01`` ⊃ ``73.71.01.1001``), so a scope
is a set of code prefixes and the filter is ``code = X OR code LIKE 'X.%'`` on the record's own
area column — no join to the area table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404


@dataclass(frozen=True)
class Scope:
    national: bool
    area_codes: tuple[str, ...]

    def covers(self, code: str | None) -> bool:
        if self.national:
            return True
        if not code:
            return False
        return any(code == c or code.startswith(c + ".") for c in self.area_codes)

    def q(self, area_field: str) -> Q:
        """A filter on ``area_field`` (a foreign key to Area, or a path ending in one)."""
        if self.national:
            return Q()
        if not self.area_codes:
            return Q(pk__in=[])
        code_path = f"{area_field}__code"
        match = Q()
        for code in self.area_codes:
            match |= Q(**{code_path: code}) | Q(**{f"{code_path}__startswith": code + "."})
        return match


NO_SCOPE = Scope(national=False, area_codes=())


def scope_for(user: Any) -> Scope:
    """The user's scope, computed once per user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NO_SCOPE
    cached = getattr(user, "_pksai_scope", None)
    if cached is None:
        if user.is_superuser or user.is_national:
            cached = Scope(national=True, area_codes=())
        else:
            codes = tuple(sorted(user.scope_areas.values_list("code", flat=True)))
            cached = Scope(national=False, area_codes=_minimal(codes))
        user._pksai_scope = cached
    return cached


def _minimal(codes: tuple[str, ...]) -> tuple[str, ...]:
    """Drop codes already covered by an ancestor in the same scope."""
    kept: list[str] = []
    for code in sorted(codes, key=lambda c: (c.count("."), c)):
        if not any(code == k or code.startswith(k + ".") for k in kept):
            kept.append(code)
    return tuple(sorted(kept))


def require_perm(user: Any, perm: str) -> None:
    if not (user and user.is_authenticated and user.has_perm(perm)):
        raise PermissionDenied(f"missing permission {perm}")


def organisation_q(user: Any, organisation_field: str) -> Q:
    """For organisation-bound roles (a provider's focal person): only records addressed to the
    user's own organisation; a user without an organisation sees nothing."""
    organisation_id = getattr(user, "organisation_id", None)
    if not organisation_id:
        return Q(pk__in=[])
    return Q(**{f"{organisation_field}_id": organisation_id})


def scoped[M: Model](
    qs: QuerySet[M], user: Any, *, perm: str, area_field: str = "area"
) -> QuerySet[M]:
    """Rows of ``qs`` the user may see: the role must grant ``perm`` and the row's area must
    lie inside the user's scope. Lacking the permission is a PermissionDenied (audited)."""
    require_perm(user, perm)
    return qs.filter(scope_for(user).q(area_field))


def get_scoped_or_404[M: Model](
    qs: QuerySet[M],
    user: Any,
    *,
    perm: str,
    area_field: str = "area",
    visible: Q | None = None,
    **lookup: Any,
) -> M:
    """One row the user may see, else Http404 — whether it is missing or out of scope.

    ``visible`` narrows further what the role may open besides the area (a restricted case
    only for its owner, supervisor or coordinator). A user whose role lacks ``perm`` (a
    provider's focal person asking for a child or a case) gets the same 404: one record is
    never confirmed to exist. An attempt on an existing record is written to the audit log as
    permission_denied (the user only ever sees the 404)."""

    def rows() -> QuerySet[M]:
        found = scoped(qs, user, perm=perm, area_field=area_field)
        return found if visible is None else found.filter(visible)

    return get_visible_or_404(rows, base=qs, **lookup)


def get_visible_or_404[M: Model](
    visible: QuerySet[M] | Callable[[], QuerySet[M]],
    *,
    base: QuerySet[M] | None = None,
    reason: str = "out of scope",
    **lookup: Any,
) -> M:
    """The one lookup of a single record by id: the row of ``visible`` matching ``lookup``,
    else Http404 — the same answer, message and queries whether the record is missing or the
    user may not see it.

    ``visible`` is the queryset of rows the user may see (already scoped and filtered), or a
    function building it that may raise PermissionDenied (a role without the permission).
    ``base`` is the unscoped table the record would be in (the model's plain manager unless
    given; a sub-record's own table when ``visible`` is a case's related rows). When the row
    exists in ``base`` but not in ``visible``, a permission_denied audit row names it (its
    primary key) with the reason. The existence check runs for a missing id too, so a denial
    costs no fewer queries than a missing record."""
    try:
        rows = visible() if callable(visible) else visible
    except PermissionDenied:
        rows, reason = None, "missing permission"
    source = base if base is not None else rows
    if source is None:
        raise TypeError("get_visible_or_404: give base= when visible may refuse the permission")
    model = source.model
    if rows is not None:
        try:
            return rows.get(**lookup)
        except model.DoesNotExist:
            pass
    table = base if base is not None else model._base_manager.all()
    pk = table.filter(**lookup).values_list("pk", flat=True).first()
    refused = Http404(f"No {model._meta.verbose_name} matches the given query.")
    if pk is not None:
        from pksai.audit.services import audit_refusal

        # carried by the 404: written again where it is answered if a transaction around
        # this lookup rolls it back (audit.services.audit_refusal_kept)
        refused.pksai_refusal = audit_refusal(
            object_type=model._meta.label_lower, object_id=str(pk), detail={"reason": reason}
        )
    raise refused
