"""Aggregate export to DHIS2 (issue 21 point 4, decision 0036, docs/dhis2.md).

Indicator figures per area and period become a DHIS2 *data value set* — the JSON that
``POST /api/dataValueSets`` reads (``{"dataValues": [{"dataElement", "period", "orgUnit",
"categoryOptionCombo"?, "attributeOptionCombo"?, "value"}]}``, dhis2-core
``dxf2/datavalueset/DataValueSet.java`` and ``dxf2/datavalue/DataValue.java``) — through two
mappings kept as data: ``Dhis2Mapping`` (indicator figure → data element and option combos)
and ``Dhis2OrgUnit`` (our area code → organisation unit).

The figures are the dashboard's: the same measures (``measures.measure_counts``, in the
user's scope) over the same whole months, per area of the chosen level. The counts are
suppressed exactly as the published tables are (``exports.suppressed_columns``: small counts
and their complements); a suppressed cell is left out of the set and listed in the summary.
Areas or indicators without a mapping are listed too — nothing is dropped silently.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import requests
from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from pksai.accounts.scoping import require_perm, scope_for
from pksai.areas.codes import normalise_area_code
from pksai.areas.models import Area
from pksai.audit.services import audit_record
from pksai.monitoring.exports import suppressed_columns
from pksai.monitoring.forms import Period
from pksai.monitoring.indicators import VIEW, active_indicators, ratio
from pksai.monitoring.measures import AREA_DIGITS, measure_counts
from pksai.monitoring.models import (
    UID_PATTERN,
    Dhis2Mapping,
    Dhis2OrgUnit,
    Dhis2Push,
    Indicator,
)
from pksai.monitoring.tiles import is_dated

UID = re.compile(UID_PATTERN)
ADX_NS = "urn:ihe:qrph:adx:2015"
LEVEL_BY_DIGITS = {digits: level for level, digits in AREA_DIGITS.items()}
CHANGE = "monitoring.change_dhis2mapping"


class Dhis2Error(ValueError):
    """A request that cannot be answered (a bad period, a level without areas below)."""


# --- periods ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dhis2Period:
    """A month ("2026-03" → DHIS2 "202603") or a quarter ("2026-Q1" → "2026Q1")."""

    period: Period
    code: str  # the DHIS2 period identifier
    iso: str  # the ADX form: start date / ISO 8601 duration (dhis2-core AdxPeriod)


def parse_period(text: str) -> Dhis2Period:
    text = (text or "").strip().upper()
    month = re.fullmatch(r"(\d{4})-(\d{2})", text)
    quarter = re.fullmatch(r"(\d{4})-?Q([1-4])", text)
    if month and 1 <= int(month[2]) <= 12:
        year, number = int(month[1]), int(month[2])
        start = date(year, number, 1)
        end = date(year + (number == 12), number % 12 + 1, 1)
        return Dhis2Period(Period(start, end), f"{year}{number:02d}", f"{start}/P1M")
    if quarter:
        year, q = int(quarter[1]), int(quarter[2])
        start = date(year, 3 * q - 2, 1)
        end = date(year + (q == 4), (3 * q) % 12 + 1, 1)
        return Dhis2Period(Period(start, end), f"{year}Q{q}", f"{start}/P3M")
    raise Dhis2Error(_("A month (2026-03) or a quarter (2026-Q1)."))


# --- the data value set -----------------------------------------------------------------------


@dataclass
class Withheld:
    indicator: str
    part: str
    area: str


@dataclass
class Export:
    area: str
    level: str
    period: Dhis2Period
    data_values: list[dict[str, str]] = field(default_factory=list)
    suppressed: list[Withheld] = field(default_factory=list)
    unmapped_areas: list[str] = field(default_factory=list)
    unmapped_indicators: list[str] = field(default_factory=list)
    undated_indicators: list[str] = field(default_factory=list)  # figures for today: not sent

    def payload(self) -> dict[str, Any]:
        return {"dataValues": self.data_values}

    def body(self) -> bytes:
        return json.dumps(self.payload(), ensure_ascii=False, indent=1).encode("utf-8")

    def adx(self, *, data_set: str, exported: str) -> bytes:
        """The same values as ADX (IHE QRPH ADX 2015, as DHIS2's ADX import reads it): one
        ``group`` per organisation unit and attribute option combo, the period as start
        date / ISO 8601 duration, the data set every group needs."""
        if not UID.fullmatch(data_set or ""):
            raise Dhis2Error(_("ADX needs the DHIS2 data set (PKSAI_DHIS2_DATA_SET)."))
        ElementTree.register_namespace("", ADX_NS)
        root = ElementTree.Element(f"{{{ADX_NS}}}adx", {"exported": exported})
        groups: dict[tuple[str, str], ElementTree.Element] = {}
        for value in self.data_values:
            key = (value["orgUnit"], value.get("attributeOptionCombo", ""))
            group = groups.get(key)
            if group is None:
                attributes = {
                    "orgUnit": key[0],
                    "period": self.period.iso,
                    "dataSet": data_set,
                }
                if key[1]:
                    attributes["attributeOptionCombo"] = key[1]
                group = groups[key] = ElementTree.SubElement(root, f"{{{ADX_NS}}}group", attributes)
            attributes = {"dataElement": value["dataElement"], "value": value["value"]}
            if value.get("categoryOptionCombo"):
                attributes["categoryOptionCombo"] = value["categoryOptionCombo"]
            ElementTree.SubElement(group, f"{{{ADX_NS}}}dataValue", attributes)
        return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)

    def summary(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "level": self.level,
            "period": self.period.code,
            "values": len(self.data_values),
            "suppressed": len(self.suppressed),
            "unmapped_areas": self.unmapped_areas,
            "unmapped_indicators": self.unmapped_indicators,
            "undated_indicators": self.undated_indicators,
        }


def export_level(area: str, level: str) -> str:
    """The area level the values are given for: the area itself ("self") or the level below."""
    own = LEVEL_BY_DIGITS.get(len(area))
    if own is None:
        raise Dhis2Error(_("Choose a province, a regency or city, or a district."))
    if level == "self":
        return own
    below = LEVEL_BY_DIGITS.get(min((d for d in AREA_DIGITS.values() if d > len(area)), default=0))
    if below is None:
        raise Dhis2Error(_("There is no level below a district to export."))
    return below


def dhis2_export_build(*, user, area: str, period: str, level: str = "below") -> Export:
    """The data value set for ``area`` (its areas one level down, or itself) and ``period``,
    from the dashboard's measures in the user's scope, suppressed for publication."""
    require_perm(user, VIEW)
    code = normalise_area_code(area or "")
    if not code or not scope_for(user).covers(code) or not Area.objects.filter(code=code).exists():
        raise Http404("No such area.")
    group = export_level(code, level)
    when = parse_period(period)
    out = Export(area=code, level=group, period=when)
    indicators = list(active_indicators())
    mappings: dict[int, list[Dhis2Mapping]] = {}
    for m in Dhis2Mapping.objects.filter(indicator__in=indicators).order_by("part"):
        mappings.setdefault(m.indicator_id, []).append(m)
    seen_areas: set[str] = set()
    for indicator in indicators:
        if indicator.pk not in mappings:
            out.unmapped_indicators.append(indicator.code)
            continue
        if not is_dated(indicator):
            out.undated_indicators.append(indicator.code)
            continue
        args = {
            "user": user,
            "start": when.period.start,
            "end": when.period.end,
            "group": group,
            "area": code,
            "param": indicator.parameter,
        }
        numerators = measure_counts(indicator.numerator, **args)
        denominators = (
            measure_counts(indicator.denominator, **args) if indicator.denominator else {}
        )
        keys = sorted(k for k in set(numerators) | set(denominators) if k)
        seen_areas.update(keys)
        columns = [[numerators.get(k, 0) for k in keys]]
        if indicator.denominator:
            columns.append([denominators.get(k, 0) for k in keys])
        cells, _totals, _hidden = suppressed_columns(keys, columns)
        for key, published in zip(keys, cells, strict=True):
            shown = {"numerator": published[0]}
            if indicator.denominator:
                shown["denominator"] = published[1]
            shown["value"] = (
                ratio(indicator, published[0], published[1] if indicator.denominator else None)
                if all(isinstance(c, int) for c in published)
                else "hidden"
            )
            for mapping in mappings[indicator.pk]:
                figure = shown.get(mapping.part)
                if mapping.part == Dhis2Mapping.Part.DENOMINATOR and not indicator.denominator:
                    continue
                if figure == "hidden" or isinstance(figure, str):
                    out.suppressed.append(Withheld(indicator.code, mapping.part, key))
                    continue
                if figure is None:  # a ratio over a zero denominator: no value to send
                    continue
                out.data_values.append(_data_value(mapping, when.code, key, figure))
    units = dict(
        Dhis2OrgUnit.objects.filter(area_id__in=sorted(seen_areas)).values_list(
            "area_id", "org_unit"
        )
    )
    out.unmapped_areas = sorted(seen_areas - set(units))
    out.data_values = [
        {**v, "orgUnit": units[v["orgUnit"]]} for v in out.data_values if v["orgUnit"] in units
    ]
    return out


def _data_value(mapping: Dhis2Mapping, period: str, area: str, figure: Any) -> dict[str, str]:
    value: dict[str, str] = {
        "dataElement": mapping.data_element,
        "period": period,
        "orgUnit": area,  # our code until the org-unit mapping is applied
    }
    if mapping.category_option_combo:
        value["categoryOptionCombo"] = mapping.category_option_combo
    if mapping.attribute_option_combo:
        value["attributeOptionCombo"] = mapping.attribute_option_combo
    value["value"] = str(figure)
    return value


def dhis2_export_download(
    *, user, area: str, period: str, level: str = "below", fmt: str = "json"
) -> tuple[Export, bytes]:
    """The set, built, rendered as JSON or ADX and audited (an export of aggregates,
    suppressed)."""
    with transaction.atomic():
        built = dhis2_export_build(user=user, area=area, period=period, level=level)
        if fmt == "adx":
            body = built.adx(
                data_set=settings.PKSAI_DHIS2_DATA_SET,
                exported=timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
        else:
            body = built.body()
        audit_record(
            action="export",
            actor=user,
            object_type="monitoring.dhis2",
            detail={**built.summary(), "format": fmt},
        )
    return built, body


# --- push -------------------------------------------------------------------------------------


def _auth() -> tuple[dict[str, str], tuple[str, str] | None]:
    if settings.PKSAI_DHIS2_TOKEN:
        return {"Authorization": f"ApiToken {settings.PKSAI_DHIS2_TOKEN}"}, None
    if settings.PKSAI_DHIS2_USERNAME:
        return {}, (settings.PKSAI_DHIS2_USERNAME, settings.PKSAI_DHIS2_PASSWORD)
    return {}, None


def import_summary(answer: Any) -> dict[str, Any]:
    """DHIS2's import summary: the body itself (older servers) or its ``response`` (a
    WebMessage, 2.38 and later)."""
    if not isinstance(answer, dict):
        return {}
    inner = answer.get("response")
    if isinstance(inner, dict) and ("importCount" in inner or "status" in inner):
        return inner
    return answer


def dhis2_push(*, by, built: Export) -> Dhis2Push:
    """POST the set to ``PKSAI_DHIS2_URL``/api/dataValueSets and record what DHIS2 answered
    (status, import counts, conflicts) — or why there was no answer."""
    base = settings.PKSAI_DHIS2_URL
    if not base:
        raise Dhis2Error(_("No DHIS2 is configured (PKSAI_DHIS2_URL)."))
    body = built.body()
    push = Dhis2Push(
        by=by if getattr(by, "pk", None) else None,
        area=built.area,
        period=built.period.code,
        url=base,
        values_sent=len(built.data_values),
        payload_sha256=hashlib.sha256(body).hexdigest(),
    )
    headers, auth = _auth()
    try:
        answer = requests.post(
            f"{base}/api/dataValueSets",
            data=body,
            headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
            auth=auth,
            timeout=settings.PKSAI_DHIS2_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        push.status = "ERROR"
        push.error = f"no answer: {type(exc).__name__}"
    else:
        push.http_status = answer.status_code
        try:
            summary = import_summary(answer.json())
        except ValueError:
            summary = {}
        counts = summary.get("importCount") or {}
        push.status = str(summary.get("status") or ("" if answer.ok else "ERROR"))[:20]
        for name in ("imported", "updated", "ignored", "deleted"):
            setattr(push, name, int(counts.get(name) or 0))
        push.conflicts = [
            {k: c.get(k) for k in ("object", "value", "errorCode", "property") if c.get(k)}
            for c in summary.get("conflicts") or []
            if isinstance(c, dict)
        ]
        if answer.status_code == 401:
            push.error = "authentication refused (401)"
        elif not summary and not answer.ok:
            push.error = f"HTTP {answer.status_code}"
    with transaction.atomic():
        push.save()
        audit_record(
            action="export",
            actor=by,
            obj=push,
            detail={**built.summary(), "pushed": True, "status": push.status},
        )
    return push


# --- mapping import ---------------------------------------------------------------------------

MAPPING_COLUMNS = (
    "kind",
    "code",
    "part",
    "uid",
    "category_option_combo",
    "attribute_option_combo",
)


@dataclass
class MappingResult:
    indicators: int = 0
    org_units: int = 0
    rejected: list[tuple[int, str, str, str]] = field(
        default_factory=list
    )  # row, column, value, why


def _uid_ok(value: str, *, required: bool) -> bool:
    return bool(UID.fullmatch(value)) if (value or required) else True


def dhis2_mapping_import(*, by, path: str | Path) -> MappingResult:
    """Read a mapping CSV (``kind,code,part,uid,category_option_combo,attribute_option_combo``;
    kind ``indicator`` — code an indicator, part numerator/denominator/value — or ``orgunit``
    — code an area). Bad rows are reported (row, column, value, reason) and left out; the good
    ones replace the mapping of their indicator figure or area. Audited."""
    require_perm(by, CHANGE)
    text = Path(path).read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in ("kind", "code", "uid") if c not in header]
    result = MappingResult()
    if missing:
        result.rejected.append((1, ",".join(missing), "", _("missing column")))
        return result
    rows = [
        (n, {k.strip().lower(): (v or "").strip() for k, v in row.items() if k})
        for n, row in enumerate(reader, start=2)
    ]
    indicator_ids = dict(Indicator.objects.values_list("code", "pk"))
    without_denominator = set(
        Indicator.objects.filter(denominator="").values_list("code", flat=True)
    )
    area_codes = {normalise_area_code(r.get("code", "")) for _n, r in rows}
    areas = set(
        Area.objects.filter(code__in=[c for c in area_codes if c]).values_list("code", flat=True)
    )
    parts = set(Dhis2Mapping.Part.values)
    mappings: dict[tuple[int, str], Dhis2Mapping] = {}
    units: dict[str, Dhis2OrgUnit] = {}
    for n, row in rows:
        kind, code, uid = row.get("kind", "").lower(), row.get("code", ""), row.get("uid", "")
        errors: list[tuple[str, str, str]] = []
        if not _uid_ok(uid, required=True):
            errors.append(
                ("uid", uid, _("a DHIS2 identifier: 11 letters or digits, a letter first"))
            )
        if kind == "indicator":
            part = (row.get("part") or "numerator").lower()
            if code.lower() not in indicator_ids:
                errors.append(("code", code, _("unknown indicator code")))
            if part not in parts:
                errors.append(("part", part, _("numerator, denominator or value")))
            elif part == "denominator" and code.lower() in without_denominator:
                errors.append(("part", part, _("this indicator has no denominator")))
            for column in ("category_option_combo", "attribute_option_combo"):
                if not _uid_ok(row.get(column, ""), required=False):
                    errors.append(
                        (
                            column,
                            row[column],
                            _("a DHIS2 identifier: 11 letters or digits, a letter first"),
                        )
                    )
            if not errors:
                key = (indicator_ids[code.lower()], part)
                if key in mappings:
                    errors.append(
                        ("code", code, _("the same indicator and figure is on an earlier row"))
                    )
                else:
                    mappings[key] = Dhis2Mapping(
                        indicator_id=key[0],
                        part=part,
                        data_element=uid,
                        category_option_combo=row.get("category_option_combo", ""),
                        attribute_option_combo=row.get("attribute_option_combo", ""),
                    )
        elif kind == "orgunit":
            area = normalise_area_code(code)
            if area not in areas:
                errors.append(("code", code, _("unknown area code")))
            elif area in units:
                errors.append(("code", code, _("the same area is on an earlier row")))
            elif not errors:
                units[area] = Dhis2OrgUnit(area_id=area, org_unit=uid)
        else:
            errors.append(("kind", kind, _("indicator or orgunit")))
        result.rejected.extend((n, column, value, str(why)) for column, value, why in errors)
    with transaction.atomic():
        Dhis2Mapping.objects.bulk_create(
            list(mappings.values()),
            update_conflicts=True,
            unique_fields=["indicator", "part"],
            update_fields=["data_element", "category_option_combo", "attribute_option_combo"],
        )
        Dhis2OrgUnit.objects.bulk_create(
            list(units.values()),
            update_conflicts=True,
            unique_fields=["area"],
            update_fields=["org_unit"],
        )
        audit_record(
            action="update",
            actor=by,
            object_type="monitoring.dhis2mapping",
            detail={
                "file": Path(path).name,
                "indicators": len(mappings),
                "org_units": len(units),
                "rejected": len(result.rejected),
            },
        )
    result.indicators, result.org_units = len(mappings), len(units)
    return result
