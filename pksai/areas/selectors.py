"""Reading areas. Areas are public reference data: no scope filter, but login is required."""

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.db.models import Case, CharField, F, IntegerField, Q, QuerySet, When
from django.db.models.functions import Lower, Substr

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


# --- The area picker: suggestions and the resolution of a typed name ----------------------

SUGGESTIONS = 10  # shown while typing
CANDIDATES = 20  # listed when a typed name fits several places (the form without script)
SEPARATOR = "·"
_CODE_TYPING = re.compile(r"^[\d.]+$")


@dataclass(frozen=True)
class Place:
    """An area as people name it: its name, then the names above it up to the regency
    ("Bontorannu · Mariso · Kota Makassar"); a regency names its province."""

    code: str
    name: str
    level: int
    context: tuple[str, ...]

    @property
    def label(self) -> str:
        return f" {SEPARATOR} ".join((self.name, *self.context))

    @property
    def level_label(self) -> str:
        return str(Area.Level(self.level).label)

    def as_json(self) -> dict[str, str | int]:
        return {
            "code": self.code,
            "name": self.name,
            "context": f" {SEPARATOR} ".join(self.context),
            "label": self.label,
            "level": self.level,
            "level_label": self.level_label,
        }


def place_of(area: Area) -> Place:
    """The place of an area read with ``select_related("parent__parent")``."""
    context: list[str] = []
    parent = area.parent
    while parent is not None:
        context.append(parent.name)
        if parent.level <= Area.Level.REGENCY:
            break
        parent = parent.parent
    return Place(code=area.code, name=area.name, level=area.level, context=tuple(context))


def place_get(code: str) -> Place | None:
    """The place of a code (active or retired), or None for anything else."""
    normalised = normalise_area_code(code)
    if not normalised:
        return None
    area = Area.objects.select_related("parent__parent").filter(code=normalised).first()
    return place_of(area) if area else None


def _within_q(within: Sequence[str] | None) -> Q:
    """Areas inside the given area codes (a user's scope); None is the whole country and an
    empty scope holds nothing."""
    if within is None:
        return Q()
    match = Q(pk__in=[])
    for code in within:
        match |= Q(code=code) | Q(code__startswith=code + ".")
    return match


def _sort_name() -> Case:
    """The name without "Kabupaten "/"Kota ", lower case: "Kota Makassar" sorts under M."""
    return Lower(
        Case(
            When(name__startswith="Kabupaten ", then=Substr("name", len("Kabupaten ") + 1)),
            When(name__startswith="Kota ", then=Substr("name", len("Kota ") + 1)),
            default=F("name"),
            output_field=CharField(),
        )
    )


def _dotted_prefix(typed: str) -> str:
    """A code as typed so far, with the dots put in: ``7371`` → ``73.71``, ``737`` → ``73.7``."""
    if "." in typed:
        return typed
    cuts = (typed[0:2], typed[2:4], typed[4:6], typed[6:10])
    return ".".join(part for part in cuts if part)


def _places(
    within: Sequence[str] | None, levels: Collection[int], *, active_only: bool = True
) -> QuerySet[Area]:
    qs = Area.objects.filter(_within_q(within))
    if active_only:
        qs = qs.filter(is_active=True)
    if levels:
        qs = qs.filter(level__in=list(levels))
    return qs.select_related("parent__parent")


def _by_name(qs: QuerySet[Area], term: str) -> QuerySet[Area]:
    """Names containing ``term`` (any case); those starting with it first (also after
    "Kabupaten "/"Kota "), then by name without that prefix, larger areas first."""
    lowered = term.lower()
    return (
        qs.filter(name__icontains=term)
        .annotate(sort_name=_sort_name())
        .annotate(
            rank=Case(
                When(Q(name__istartswith=term) | Q(sort_name__startswith=lowered), then=0),
                default=1,
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "sort_name", "level", "code")
    )


def _by_label(qs: QuerySet[Area], parts: list[str]) -> QuerySet[Area]:
    """ "Bontorannu · Mariso · Kota Makassar": the name, then its parent's, then the
    grandparent's, each exactly (any case)."""
    lookup = "name__iexact"
    match = Q()
    for part in parts:
        match &= Q(**{lookup: part})
        lookup = "parent__" + lookup
    return qs.filter(match).order_by("code")


def area_search(
    *,
    q: str,
    within: Sequence[str] | None,
    levels: Collection[int] = (),
    limit: int = SUGGESTIONS,
) -> tuple[list[Place], int]:
    """Suggestions for what was typed: a code or the start of one (``7371``, ``73.71.01``),
    or part of a name (``bontor``, ``Mariso``), inside ``within`` (a scope's area codes, None
    for the whole country) and of the given levels. Returns the first ``limit`` places and
    how many there are in all."""
    term = " ".join((q or "").split())
    if not term:
        return [], 0
    qs = _places(within, levels)
    if _CODE_TYPING.match(term):
        qs = qs.filter(code__startswith=_dotted_prefix(term)).order_by("level", "code")
    elif SEPARATOR in term:
        parts = [p.strip() for p in term.split(SEPARATOR) if p.strip()]
        qs = _by_label(qs, parts) if len(parts) > 1 else _by_name(qs, parts[0] if parts else "")
    else:
        qs = _by_name(qs, term)
    return [place_of(a) for a in qs[:limit]], qs.count()


@dataclass(frozen=True)
class Resolution:
    """What a typed name or code stands for: one ``place``, or ``problem`` — ``none``
    (nothing of that name), ``many`` (see ``candidates``; ``more`` were left off),
    ``level`` (a code of another level: ``found``) or ``scope`` (a code outside ``within``)."""

    place: Place | None = None
    problem: str = ""
    candidates: tuple[Place, ...] = ()
    more: int = 0
    found: Place | None = None


def area_resolve(
    *, text: str, within: Sequence[str] | None, levels: Collection[int] = ()
) -> Resolution:
    """The place a person typed, as the form without script needs it: a code (retired codes
    too, as stored records carry them), a label as the picker shows it, or a name — an exact
    name first ("Mariso" is the district and the village of that name), else part of one."""
    term = " ".join((text or "").split())
    code = normalise_area_code(term)
    if code:
        place = place_get(code)
        if place is None:
            return Resolution(problem="none")
        if levels and place.level not in levels:
            return Resolution(problem="level", found=place)
        if within is not None and not any(code == c or code.startswith(c + ".") for c in within):
            return Resolution(problem="scope", found=place)
        return Resolution(place=place)
    qs = _places(within, levels)
    if SEPARATOR in term:
        parts = [p.strip() for p in term.split(SEPARATOR) if p.strip()]
        if len(parts) > 1:
            found = _resolution(_by_label(qs, parts))
            if found.problem != "none":
                return found
            other = _resolution(_by_label(_places(within, ()), parts))
            if other.place is not None:  # "Mariso · Kota Makassar" in a village field
                return Resolution(problem="level", found=other.place)
        term = parts[0] if parts else ""
    if not term:
        return Resolution(problem="none")
    named = _by_name(qs, term)
    exact = _resolution(named.filter(Q(name__iexact=term) | Q(sort_name=term.lower())))
    return exact if exact.problem != "none" else _resolution(named)


def _resolution(qs: QuerySet[Area]) -> Resolution:
    rows = list(qs[: CANDIDATES + 1])
    if not rows:
        return Resolution(problem="none")
    if len(rows) == 1:
        return Resolution(place=place_of(rows[0]))
    more = qs.count() - CANDIDATES if len(rows) > CANDIDATES else 0
    return Resolution(
        problem="many", candidates=tuple(place_of(a) for a in rows[:CANDIDATES]), more=more
    )
