"""Reading accounts data through the user's scope."""

from __future__ import annotations

from django.db.models import QuerySet

from pksai.accounts.models import Organisation, User
from pksai.accounts.roles import role_label
from pksai.accounts.scoping import get_scoped_or_404, scope_for, scoped
from pksai.areas.models import Area

VIEW_ORGANISATION = "accounts.view_organisation"


def organisation_list(*, user: User, q: str = "", kind: str = "") -> QuerySet[Organisation]:
    qs = scoped(Organisation.objects.select_related("area"), user, perm=VIEW_ORGANISATION).order_by(
        "area_id", "name"
    )
    if q:
        qs = qs.filter(name__icontains=q.strip())
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def organisation_get(*, user: User, pk: int) -> Organisation:
    return get_scoped_or_404(
        Organisation.objects.select_related("area"), user, perm=VIEW_ORGANISATION, pk=pk
    )


def user_profile(*, user: User) -> dict:
    """What the home page and /api/v1/me show about the signed-in user."""
    scope = scope_for(user)
    roles = list(user.groups.order_by("name").values_list("name", flat=True))
    return {
        "username": user.get_username(),
        "full_name": user.get_full_name(),
        "roles": [{"slug": r, "label": role_label(r)} for r in roles],
        "national": scope.national,
        "scope": list(Area.objects.filter(code__in=scope.area_codes).order_by("code")),
        "organisation": user.organisation,
        "timezone": user.zone_name,
    }
