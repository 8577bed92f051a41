"""The editable PKSAI ↔ Primero v2 field mapping and the two pure translations it drives:
``encode`` (a case snapshot → Primero case JSON) and ``decode`` (Primero case JSON → a
snapshot). No database, no network: services.py takes the snapshot and applies it.

A snapshot is plain data::

    {"child": {"name", "sex", "birth_date", "nik"},
     "case": {"area", "concerns", "risk", "number", "registered_on", "stage", "summary"},
     "plan": {"goals"},
     "assessments": [{"uid", "kind", "risk", "summary", "completed_on", "domains"}],
     "plan_actions": [{"uid", "description", "responsible", "due_date", "status"}],
     "referrals": [{"uid", "service", "provider", "reason", "due_date", "status",
                    "delivered_on"}]}

Dates are ISO strings. docs/primero-mapping.md documents every entry of the shipped file.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SHIPPED = Path(__file__).parent / "data" / "default_mapping.json"
# Deterministic ids for what PKSAI creates in Primero: a retry finds the same record.
NAMESPACE = uuid.UUID("0b7f6c1e-4f43-5b1d-9a0e-5d2b8c1f0a38")

PKSAI_FIELDS = frozenset(
    {
        "child.name",
        "child.sex",
        "child.birth_date",
        "child.nik",
        "case.area",
        "case.concerns",
        "case.risk",
        "case.number",
        "case.agency",
        "case.registered_on",
        "case.stage",
        "case.summary",
        "plan.goals",
    }
)
DIRECTIONS = frozenset({"both", "export", "import"})
SECTIONS = {
    "assessments": {"kind", "risk", "summary", "completed_on", "domain_rating", "domain_notes"},
    "plan_actions": {"description", "responsible", "due_date", "status"},
    "referrals": {"service", "provider", "reason", "due_date", "status", "delivered_on"},
}


class MappingError(ValueError):
    """The mapping is not usable (what is wrong, in English for the administrator)."""


@dataclass(frozen=True)
class Mapping:
    content: dict
    version: str

    def codes(self, table: str) -> list[list]:
        return self.content["codes"].get(table, [])


@cache
def shipped_content() -> dict:
    return json.loads(SHIPPED.read_text(encoding="utf-8"))


def content_version(content: dict) -> str:
    raw = json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(raw).hexdigest()[:8]


def parse_mapping(content: Any, version: str = "") -> Mapping:
    """Check a mapping's shape; MappingError says what is wrong."""
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except json.JSONDecodeError as exc:
            raise MappingError(f"not JSON: {exc}") from exc
    if not isinstance(content, dict):
        raise MappingError("the mapping is a JSON object")
    for key in ("fields", "codes", "areas", "notes", *SECTIONS):
        if key not in content:
            raise MappingError(f"missing {key!r}")
    for entry in content["fields"]:
        if entry.get("pksai") not in PKSAI_FIELDS:
            raise MappingError(f"unknown PKSAI field {entry.get('pksai')!r}")
        if not entry.get("primero"):
            raise MappingError(f"{entry['pksai']}: no Primero field")
        if entry.get("direction", "both") not in DIRECTIONS:
            raise MappingError(f"{entry['pksai']}: direction is both, export or import")
        if entry.get("codes") not in (None, "areas") and entry["codes"] not in content["codes"]:
            raise MappingError(f"{entry['pksai']}: no code list {entry['codes']!r}")
    for item in content["notes"].get("items", []):
        if item.get("pksai") not in PKSAI_FIELDS or not item.get("subject"):
            raise MappingError(f"notes: bad item {item!r}")
    for section, known in SECTIONS.items():
        block = content[section]
        if not block.get("subform"):
            raise MappingError(f"{section}: no subform")
        unknown = set(block.get("fields", {})) - known
        if unknown:
            raise MappingError(f"{section}: unknown fields {sorted(unknown)}")
    for name, pairs in content["codes"].items():
        if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
            raise MappingError(f"code list {name!r}: pairs of [PKSAI, Primero]")
    return Mapping(content=content, version=version or f"shipped-{content_version(content)}")


# --- code lists -----------------------------------------------------------------------------


def to_primero(mapping: Mapping, table: str, value: Any) -> Any:
    """The first pair whose PKSAI side is ``value`` (``"*"`` matches anything)."""
    for ours, theirs in mapping.codes(table):
        if ours == value:
            return theirs
    for ours, theirs in mapping.codes(table):
        if ours == "*":
            return theirs
    return value


def from_primero(mapping: Mapping, table: str, value: Any) -> Any:
    """The first pair whose Primero side is ``value``: a code list that sends several of our
    codes to one of theirs brings that one back as the first listed (docs: lossy pairs)."""
    for ours, theirs in mapping.codes(table):
        if theirs == value and ours != "*":
            return ours
    return value


def area_to_primero(mapping: Mapping, code: str) -> str:
    areas = mapping.content["areas"]
    if code in areas.get("explicit", {}):
        return areas["explicit"][code]
    return areas.get("prefix", "") + code.replace(".", "")


def area_from_primero(mapping: Mapping, location: str) -> str:
    areas = mapping.content["areas"]
    for ours, theirs in areas.get("explicit", {}).items():
        if theirs == location:
            return ours
    prefix = areas.get("prefix", "")
    digits = location[len(prefix) :] if prefix and location.startswith(prefix) else location
    if not digits.isdigit() or len(digits) not in (2, 4, 6, 10):
        return ""
    parts = [digits[0:2], digits[2:4], digits[4:6], digits[6:10]]
    return ".".join(p for p in parts if p)


# --- encode / decode ------------------------------------------------------------------------


def item_uid(case_uid: str, kind: str, pk: Any) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{case_uid}:{kind}:{pk}"))


def _get(snapshot: dict, path: str) -> Any:
    group, name = path.split(".", 1)
    return (snapshot.get(group) or {}).get(name)


def _put(snapshot: dict, path: str, value: Any) -> None:
    group, name = path.split(".", 1)
    snapshot.setdefault(group, {})[name] = value


def _field_out(mapping: Mapping, entry: dict, value: Any) -> Any:
    table = entry.get("codes")
    if table == "areas":
        return area_to_primero(mapping, value) if value else None
    if table and isinstance(value, list):
        return sorted({to_primero(mapping, table, v) for v in value})
    if table:
        return to_primero(mapping, table, value) if value not in (None, "") else None
    return value


def _field_in(mapping: Mapping, entry: dict, value: Any) -> Any:
    table = entry.get("codes")
    if table == "areas":
        return area_from_primero(mapping, value) if value else ""
    if table and isinstance(value, list):
        return sorted({from_primero(mapping, table, v) for v in value})
    if table:
        return from_primero(mapping, table, value)
    return value


def encode(snapshot: dict, mapping: Mapping, *, case_uid: str) -> dict:
    """The Primero case JSON (the ``data`` of POST/PATCH /api/v2/cases) of a snapshot."""
    content = mapping.content
    data: dict[str, Any] = {}
    if content.get("module_id"):
        data["module_id"] = content["module_id"]
    for entry in content["fields"]:
        if entry.get("direction", "both") == "import":
            continue
        value = entry["value"] if "value" in entry else _get(snapshot, entry["pksai"])
        value = _field_out(mapping, entry, value)
        if value not in (None, "", []):
            data[entry["primero"]] = value
    notes = []
    for item in content["notes"].get("items", []):
        text = _get(snapshot, item["pksai"])
        if text:
            notes.append(
                {
                    "unique_id": item_uid(case_uid, "note", item["pksai"]),
                    "note_subject": item["subject"],
                    "note_text": text,
                }
            )
    if notes:
        data[content["notes"]["subform"]] = notes
    data.update(_encode_sections(snapshot, mapping))
    return data


def _encode_sections(snapshot: dict, mapping: Mapping) -> dict:
    content = mapping.content
    out: dict[str, list] = {}
    block = content["assessments"]
    names = block["fields"]
    rows = []
    for a in snapshot.get("assessments", []):
        row = {"unique_id": a["uid"]}
        for key in ("kind", "risk", "summary", "completed_on"):
            if key in names and a.get(key) not in (None, ""):
                row[names[key]] = a[key]
        for domain, value in sorted((a.get("domains") or {}).items()):
            if "domain_rating" in names and value.get("rating"):
                row[names["domain_rating"].format(domain=domain)] = value["rating"]
            if "domain_notes" in names and value.get("notes"):
                row[names["domain_notes"].format(domain=domain)] = value["notes"]
        rows.append(row)
    if rows:
        out[block["subform"]] = rows
    block = content["plan_actions"]
    rows = []
    for p in snapshot.get("plan_actions", []):
        row = {"unique_id": p["uid"]}
        for key, name in block["fields"].items():
            value = p.get(key)
            if key == "status":
                value = to_primero(mapping, block.get("status_codes", ""), value)
            if value not in (None, ""):
                row[name] = value
        rows.append(row)
    if rows:
        out[block["subform"]] = rows
    block = content["referrals"]
    rows = []
    for r in snapshot.get("referrals", []):
        row = {"unique_id": r["uid"], **block.get("constants", {})}
        for key, name in block["fields"].items():
            value = r.get(key)
            if key == "status":
                value = to_primero(mapping, block.get("status_codes", ""), value)
            elif key == "service":
                value = to_primero(mapping, block.get("service_codes", ""), value or "*")
            if value not in (None, ""):
                row[name] = value
        rows.append(row)
    if rows:
        out[block["subform"]] = rows
    return out


def decode(data: dict, mapping: Mapping) -> dict:
    """A snapshot of a Primero case's JSON (what import applies). Fields the mapping sends
    only one way ("export") are not read back."""
    content = mapping.content
    snapshot: dict[str, Any] = {"child": {}, "case": {}, "plan": {}}
    for entry in content["fields"]:
        if entry.get("direction", "both") == "export" or "value" in entry:
            continue
        value = data.get(entry["primero"])
        if value in (None, ""):
            continue
        _put(snapshot, entry["pksai"], _field_in(mapping, entry, value))
    if not snapshot["child"].get("name"):
        parts = [data.get(k) for k in ("name_first", "name_middle", "name_last")]
        name = " ".join(p for p in parts if p)
        if name:
            snapshot["child"]["name"] = name
    subjects = {item["subject"]: item["pksai"] for item in content["notes"].get("items", [])}
    for note in data.get(content["notes"]["subform"]) or []:
        key = subjects.get(note.get("note_subject"))
        if key and note.get("note_text"):
            _put(snapshot, key, note["note_text"])
    snapshot.update(_decode_sections(data, mapping))
    return snapshot


def _decode_sections(data: dict, mapping: Mapping) -> dict:
    content = mapping.content
    block = content["assessments"]
    names = block["fields"]
    assessments = []
    for row in data.get(block["subform"]) or []:
        a: dict[str, Any] = {"uid": row.get("unique_id", "")}
        for key in ("kind", "risk", "summary", "completed_on"):
            if key in names:
                a[key] = row.get(names[key]) or ""
        domains = {}
        rating_name = names.get("domain_rating", "")
        notes_name = names.get("domain_notes", "")
        head, _sep, tail = rating_name.partition("{domain}")
        for name, value in row.items():
            if rating_name and name.startswith(head) and name.endswith(tail) and value:
                domain = name[len(head) : len(name) - len(tail)]
                notes = row.get(notes_name.format(domain=domain), "") if notes_name else ""
                domains[domain] = {"rating": value, "notes": notes or ""}
        a["domains"] = domains
        assessments.append(a)
    block = content["plan_actions"]
    actions = []
    for row in data.get(block["subform"]) or []:
        p: dict[str, Any] = {"uid": row.get("unique_id", "")}
        for key, name in block["fields"].items():
            value = row.get(name)
            if key == "status":
                value = from_primero(mapping, block.get("status_codes", ""), value)
            p[key] = value if value is not None else ""
        actions.append(p)
    block = content["referrals"]
    referrals = []
    for row in data.get(block["subform"]) or []:
        r: dict[str, Any] = {"uid": row.get("unique_id", "")}
        for key, name in block["fields"].items():
            value = row.get(name)
            if key == "status":
                value = from_primero(mapping, block.get("status_codes", ""), value)
            elif key == "service":
                value = from_primero(mapping, block.get("service_codes", ""), value)
            r[key] = value if value is not None else ""
        referrals.append(r)
    return {"assessments": assessments, "plan_actions": actions, "referrals": referrals}
