from pksai.areas.codes import level_of, timezone_for_province
from pksai.areas.models import Area


def make_areas(rows: list[tuple[str, str]]) -> dict[str, Area]:
    """Create areas from (code, name), parents first; returns them by code."""
    created = {}
    for code, name in sorted(rows, key=lambda r: (level_of(r[0]), r[0])):
        created[code] = Area.objects.create(
            code=code,
            name=name,
            level=level_of(code),
            parent_id=code.rsplit(".", 1)[0] if "." in code else None,
            timezone=timezone_for_province(code[:2]),
        )
    return created
