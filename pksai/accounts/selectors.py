"""Reading accounts data through the user's scope."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from pksai.accounts.models import Organisation, User
from pksai.accounts.roles import role_label
from pksai.accounts.scoping import get_scoped_or_404, scope_for, scoped
from pksai.areas.models import Area
from pksai.audit.services import role_names

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


@dataclass(frozen=True)
class UserLabel:
    """Who is signed in, as the page header says it in the reader's language: the person's
    name (the user name when none is recorded), their roles and where they work."""

    name: str
    roles: str
    place: str

    @property
    def role_and_place(self) -> str:
        return " · ".join(part for part in (self.roles, self.place) if part)


# The header names at most this many scope areas, then "+N".
_PLACES_SHOWN = 2


def _role_slugs(user: User) -> list[str]:
    names = role_names(user)
    return names.split(",") if names else []


def _place(scope_areas: list[Area], *, national: bool) -> str:
    if national:
        return _("National")
    titles = [area.title for area in scope_areas[:_PLACES_SHOWN]]
    hidden = len(scope_areas) - len(titles)
    if hidden:
        titles.append(_("+%(n)d more") % {"n": hidden})
    return ", ".join(titles)


def _scope_areas(user: User) -> tuple[bool, list[Area]]:
    """The user's scope areas, read once per request (the header and the home page both show
    them); read again whenever ``scope_for`` computes a new scope."""
    scope = scope_for(user)
    cached = getattr(user, "_pksai_scope_areas", None)
    if cached is None or cached[0] is not scope:
        areas = (
            []
            if scope.national
            else list(Area.objects.filter(code__in=scope.area_codes).order_by("code"))
        )
        cached = user._pksai_scope_areas = (scope, areas)
    return scope.national, cached[1]


def _label(user: User, roles: list[str], areas: list[Area], *, national: bool) -> UserLabel:
    return UserLabel(
        name=user.get_full_name() or user.get_username(),
        roles=", ".join(role_label(slug) for slug in roles),
        place=_place(areas, national=national),
    )


def user_label(*, user: User) -> UserLabel:
    """The header's "Ani Wijaya — Pekerja sosial · Kota Makassar": role labels in the active
    language, areas by their title (the kind once: never "Kota Kota Makassar")."""
    national, areas = _scope_areas(user)
    return _label(user, _role_slugs(user), areas, national=national)


def user_profile(*, user: User) -> dict:
    """What the home page and /api/v1/me show about the signed-in user."""
    national, areas = _scope_areas(user)
    roles = _role_slugs(user)
    return {
        "username": user.get_username(),
        "full_name": user.get_full_name(),
        "roles": [{"slug": r, "label": role_label(r)} for r in roles],
        "national": national,
        "scope": areas,
        "organisation": user.organisation,
        "timezone": user.zone_name,
        "label": _label(user, roles, areas, national=national),
    }
