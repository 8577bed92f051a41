"""Reading areas. Areas are public reference data: no scope filter, but login is required."""

from django.db.models import Q, QuerySet

from pksai.areas.codes import ancestors_of, normalise_area_code
from pksai.areas.models import Area

LEVEL_NAMES = {"province": 1, "regency": 2, "district": 3, "village": 4}


def parse_level(raw: str | int | None) -> int | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, int) or str(raw).isdigit():
        value = int(raw)
        return value if value in Area.Level.values else None
    return LEVEL_NAMES.get(str(raw).lower())


def area_list(
    *,
    code: str | None = None,
    parent: str | None = None,
    level: int | None = None,
    q: str | None = None,
    include_inactive: bool = False,
) -> QuerySet[Area]:
    """Areas filtered by exact code, parent code, level and a name/code search.

    Codes may be given with or without dots (``7371`` = ``73.71``); a malformed code matches
    nothing rather than everything.
    """
    qs = Area.objects.all()
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if code:
        qs = qs.filter(code=normalise_area_code(code) or "-")
    if parent:
        qs = qs.filter(parent_id=normalise_area_code(parent) or "-")
    if level:
        qs = qs.filter(level=level)
    if q:
        term = q.strip()
        as_code = normalise_area_code(term)
        match = Q(name__icontains=term)
        if as_code:
            match |= Q(code__startswith=as_code)
        qs = qs.filter(match)
    return qs.order_by("code")


def area_get(code: str) -> Area | None:
    normalised = normalise_area_code(code)
    if not normalised:
        return None
    return Area.objects.select_related("parent").filter(code=normalised).first()


def area_lineage(area: Area) -> list[Area]:
    """The area's ancestors from province down, then the area itself."""
    codes = [*ancestors_of(area.code), area.code]
    by_code = Area.objects.in_bulk(codes)
    return [by_code[c] for c in codes if c in by_code]
