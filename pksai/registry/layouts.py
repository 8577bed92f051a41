"""Shipped mappings for the national registry's extract layouts (DTKS, Regsosek 2022 / DTSEN):
a data officer imports an official extract without writing a mapping
(docs/registry-editions.md, decision 0040).

A layout is a mapping file (``importer.Mapping``: columns, code translations, built columns,
date formats) kept as data in ``pksai/registry/data/layouts/``, with a ``name``, a ``title``
and the headers that ``detect`` it. An import without a mapping picks the layout whose
detecting headers are all in the file's header row (the one matching most of the file's
columns when several do); ``--layout NAME`` (or the import page's choice) names one, and
``none`` reads the file in our own exchange format.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from pksai.registry.importer import ExtractError, Mapping, header_key

LAYOUT_DIR = Path(__file__).resolve().parent / "data" / "layouts"
AUTO = "auto"
NONE = "none"


@dataclass(frozen=True)
class Layout:
    name: str
    title: str
    source: str  # the source an import of it is usually named (DTKS, DTSEN, …)
    detect: tuple[str, ...]  # header keys that must all be present
    mapping: Mapping
    path: Path

    def matched(self, keys: set[str]) -> int:
        """How many of the layout's columns a header row (as ``header_key`` keys) has."""
        mapped = set(self.mapping.columns) | self.mapping.consumed_keys()
        return len(mapped & keys)


@cache
def layouts() -> dict[str, Layout]:
    """Every shipped layout by name."""
    out: dict[str, Layout] = {}
    for path in sorted(LAYOUT_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        mapping = Mapping.from_dict(data, name=path.name)
        name = mapping.layout or path.stem
        out[name] = Layout(
            name=name,
            title=str(data.get("title") or name),
            source=str(data.get("source") or ""),
            detect=tuple(header_key(str(h)) for h in data.get("detect") or ()),
            mapping=mapping,
            path=path,
        )
    return out


def choices() -> list[tuple[str, str]]:
    """(name, title) of the shipped layouts, for forms and help texts."""
    return [(name, layout.title) for name, layout in layouts().items()]


def get(name: str) -> Layout:
    try:
        return layouts()[name]
    except KeyError:
        raise ExtractError(
            code="layout_unknown",
            params={"name": name, "allowed": ", ".join([AUTO, NONE, *layouts()])},
        ) from None


def detect(headers: list[str]) -> Layout | None:
    """The shipped layout a header row is in: all its detecting headers present; of several,
    the one that knows most of the file's columns. None when none fits."""
    keys = {header_key(h) for h in headers if not h.startswith("__")}
    fitting = [lay for lay in layouts().values() if lay.detect and set(lay.detect) <= keys]
    if not fitting:
        return None
    return max(fitting, key=lambda lay: (lay.matched(keys), lay.name))


def mapping_for(mapping_path: str | Path | None, layout: str | None) -> Mapping:
    """The mapping a file is read with: the office's mapping file, else the named shipped
    layout (``none``/``auto``/empty: no mapping; ``auto`` may still detect a layout from the
    header row). A mapping file and a named layout together are refused."""
    layout = (layout or AUTO).strip()
    if layout in (AUTO, NONE):
        return Mapping.load(mapping_path)
    if mapping_path:
        raise ExtractError(code="layout_and_mapping", params={"layout": layout})
    return get(layout).mapping


def detects(mapping_path: str | Path | None, layout: str | None) -> bool:
    """Whether a layout is to be recognised from the header row."""
    return not mapping_path and (layout or AUTO).strip() == AUTO
