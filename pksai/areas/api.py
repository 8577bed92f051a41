from django.http import Http404
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from pksai.areas.selectors import area_get, area_list, parse_level
from pksai.core.paging import ApiPages

router = Router()


class AreaOut(Schema):
    code: str
    name: str
    level: int
    level_name: str
    parent_code: str | None
    timezone: str
    is_active: bool

    @staticmethod
    def resolve_level_name(obj) -> str:
        return {1: "province", 2: "regency", 3: "district", 4: "village"}[obj.level]

    @staticmethod
    def resolve_parent_code(obj) -> str | None:
        return obj.parent_id


class AreaFilters(Schema):
    code: str | None = None
    parent: str | None = None
    level: str | None = None
    q: str | None = None


@router.get("/", response=list[AreaOut], summary="List areas")
@paginate(ApiPages)
def list_areas(request, filters: Query[AreaFilters]):
    """Provinces, regencies/cities, districts and villages. Filter by `code` (with or without
    dots: `7371` = `73.71`), `parent` (children of a code), `level` (1–4 or
    province/regency/district/village) and `q` (name or code search)."""
    return area_list(
        code=filters.code, parent=filters.parent, level=parse_level(filters.level), q=filters.q
    )


@router.get("/{code}/", response=AreaOut, summary="One area by code")
def get_area(request, code: str):
    area = area_get(code)
    if area is None:
        raise Http404
    return area
