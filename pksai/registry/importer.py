"""Reading and validating registry extracts — pure Polars/DuckDB, no database, one pass per
column (docs/registry-format.md).

`read_extract` → `apply_mapping` → `validate` gives the typed good rows, the report of rejected
and flagged cells (row, column, value, kind, code, params — reasons are rendered in the
reader's language by pksai.registry.reasons) and data-quality flags. Row numbers are the file's
line numbers (the header is line 1, so the first person is row 2; a record whose quoted text
spans lines has the number of its first line); for XLSX the sheet's row number; for Parquet
the record number + 1.

What the reader learns besides the text travels in hidden columns (names starting ``__``):
``__line_error``/``__line_params``/``__line_text`` for a CSV line that could not be read,
``__number__<column>`` for cells that were numbers in a spreadsheet (a 16-digit NIK kept as a
number has lost its last digits), ``__unknown__<header>`` and ``__missing__<column>`` (empty
markers) for the header report.
"""

from __future__ import annotations

import codecs
import csv
import logging
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import yaml

from pksai.registry.codes import (
    COLUMN_BY_NAME,
    COLUMNS,
    FALSE_WORDS,
    HOUSEHOLD_COLUMNS,
    REQUIRED,
    TRUE_WORDS,
    Column,
)
from pksai.registry.reasons import FLAGGED, REJECTED, REPORT_SCHEMA, params_json, render_reason

logger = logging.getLogger(__name__)

ROW = "__row"
LINE_ERROR = "__line_error"
LINE_PARAMS = "__line_params"
LINE_TEXT = "__line_text"
NUMBER = "__number__"
UNKNOWN = "__unknown__"
MISSING = "__missing__"
NOT_RESIDENT = "__not_resident__"
CONFLICT = "__conflict"
ISO = "%Y-%m-%d"
ERROR_SCHEMA = {"row": pl.Int64, "column": pl.String, "value": pl.String, "reason": pl.String}
"""The rejected-cell frame of the smaller spreadsheet imports (registry.tabular)."""

EARLIEST_DATE = date(1900, 1, 1)
MAX_AGE = 120
ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "cp1252": "cp1252",
    "windows-1252": "cp1252",
    "utf-16": "utf-16",
}
DELIMITERS = (",", ";", "\t", "|")
# DuckDB's reject error types → our reason codes, the first listed wins for a line.
LINE_ERRORS = {
    "INVALID ENCODING": "line_encoding",
    "INVALID UNICODE": "line_encoding",
    "TOO MANY COLUMNS": "line_too_many_fields",
    "MISSING COLUMNS": "line_too_few_fields",
    "UNQUOTED VALUE": "line_quote",
}
ISO_DATETIME = r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$"


class ExtractError(Exception):
    """The file cannot be read as an extract at all (nothing is imported).

    Raised with a reason code and params (pksai.registry.reasons) the message is rendered in
    the active language whenever it is shown; a plain message is shown as it is."""

    def __init__(self, message: str = "", *, code: str = "", params: dict | None = None):
        self.code = code
        self.params = params or {}
        super().__init__(message or code)

    def __str__(self) -> str:
        return render_reason(self.code, self.params) if self.code else super().__str__()


def header_key(name: str) -> str:
    """How headers are compared: case, spaces, dashes, dots and underscores do not matter
    (``Birth Date``, ``birth-date`` and ``BIRTH_DATE`` are ``birth_date``)."""
    return re.sub(r"[\s_\-.]+", "_", name.replace("\ufeff", "").strip().casefold()).strip("_")


LAYOUT_KEYS = {"name", "title", "source", "detect", "references", "notes", "ignore"}
"""Keys a shipped layout (pksai/registry/data/layouts) adds to a mapping: for people and for
detection, not for reading (docs/registry-editions.md)."""


def code_key(code: str) -> str:
    """How an office's codes are compared: case and surrounding spaces do not matter, nor the
    leading zeros of a numeric code (``01``, ``1`` and an Excel number cell's ``1`` are one)."""
    text = str(code).strip().casefold()
    return (text.lstrip("0") or "0") if text.isdigit() else text


def _code_key_expr(expr: pl.Expr) -> pl.Expr:
    """``code_key`` on a text column."""
    text = expr.str.strip_chars().str.to_lowercase().str.replace(r"\.0+$", "")
    digits = text.str.contains(r"^\d+$")
    stripped = text.str.strip_chars_start("0")
    return (
        pl.when(digits & (stripped == ""))
        .then(pl.lit("0"))
        .when(digits)
        .then(stripped)
        .otherwise(text)
    )


@dataclass(frozen=True)
class Mapping:
    """An office's own headers and codes → ours. YAML:

    columns: {NIK: nik, JNS_KEL: sex, IDBDT: household_id}
    values: {sex: {"1": M, "2": F}}
    date_format: "%d-%m-%Y"          # alternatives separated by |
    encoding: latin-1
    compose: {village_code: [[KDPROP, 2], [KDKAB, 2], [KDKEC, 2], [KDDESA, 4]]}
    flags: {other_programs: {Ada_pkh: pkh, Ada_BPNT: bpnt}}
    flag_true: ["1", "ya"]

    ``compose`` builds one of our columns from several of the file's (each zero-padded to its
    digits, then joined); ``flags`` builds a code list from yes/no columns (a column whose cell
    is one of ``flag_true`` adds its code). A shipped layout is a mapping with a ``name``.
    """

    columns: dict[str, str]
    values: dict[str, dict[str, str]]
    date_format: str = ISO
    encoding: str = "utf-8"
    compose: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)
    flags: dict[str, dict[str, str]] = field(default_factory=dict)
    flag_true: tuple[str, ...] = TRUE_WORDS
    layout: str = ""  # the shipped layout's name ("" for an office's own mapping)
    code_lists: dict[str, str] = field(default_factory=dict)  # column → its codes, as written
    ignore: frozenset[str] = frozenset()  # the file's columns known and not used (not reported)
    # Washington Group difficulty items → disability_type and disability_severity.
    difficulty: dict[str, str] = field(default_factory=dict)  # header key → our type
    difficulty_levels: dict[str, str] = field(default_factory=dict)  # code → our severity
    # header key → {code: meaning}: rows with these codes are people no longer in the
    # household (died, moved): rejected ``not_resident``, not imported.
    not_resident: dict[str, dict[str, str]] = field(default_factory=dict)
    written: dict[str, str] = field(default_factory=dict)  # header key → as the mapping writes it

    @classmethod
    def load(cls, path: str | Path | None) -> Mapping:
        if not path:
            return cls(columns={}, values={})
        name = str(path)
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return cls.from_dict(data, name=name)

    @classmethod
    def from_dict(cls, data: Any, *, name: str) -> Mapping:
        if not isinstance(data, dict):
            raise ExtractError(code="mapping_not_dict", params={"name": name})
        known = {
            "columns",
            "values",
            "date_format",
            "encoding",
            "compose",
            "flags",
            "flag_true",
            "difficulty",
            "not_resident",
        }
        unknown = set(data) - known - LAYOUT_KEYS
        if unknown:
            raise ExtractError(
                code="mapping_unknown_keys", params={"name": name, "keys": sorted(unknown)}
            )
        ours = {c.name for c in COLUMNS}
        columns = {
            header_key(str(k)): header_key(str(v)) for k, v in (data.get("columns") or {}).items()
        }
        raw_values = data.get("values") or {}
        values = {
            header_key(str(col)): {code_key(k): str(v) for k, v in codes.items()}
            for col, codes in raw_values.items()
        }
        code_lists = {
            header_key(str(col)): ", ".join(str(k).strip() for k in codes)
            for col, codes in raw_values.items()
        }
        try:
            compose = {
                header_key(str(col)): tuple((header_key(str(h)), int(w)) for h, w in parts)
                for col, parts in (data.get("compose") or {}).items()
            }
            flags = {
                header_key(str(col)): {header_key(str(h)): str(code) for h, code in cols.items()}
                for col, cols in (data.get("flags") or {}).items()
            }
            difficulty_spec = data.get("difficulty") or {}
            difficulty = {
                header_key(str(h)): str(t)
                for h, t in (difficulty_spec.get("columns") or {}).items()
            }
            difficulty_levels = {
                code_key(k): str(v) for k, v in (difficulty_spec.get("levels") or {}).items()
            }
            not_resident = {
                header_key(str(h)): {code_key(k): str(v) for k, v in codes.items()}
                for h, codes in (data.get("not_resident") or {}).items()
            }
        except (TypeError, ValueError, AttributeError) as exc:
            raise ExtractError(code="mapping_not_dict", params={"name": name}) from exc
        bad = sorted((set(columns.values()) | set(values) | set(compose) | set(flags)) - ours)
        if bad:
            raise ExtractError(
                code="mapping_unknown_columns", params={"name": name, "columns": bad}
            )
        encoding = str(data.get("encoding") or "utf-8").strip().lower()
        if encoding not in ENCODINGS:
            raise ExtractError(code="file_encoding", params={"encoding": encoding})
        flag_true = tuple(code_key(v) for v in (data.get("flag_true") or TRUE_WORDS))
        return cls(
            columns,
            values,
            str(data.get("date_format") or ISO),
            ENCODINGS[encoding],
            compose=compose,
            flags=flags,
            flag_true=flag_true,
            layout=str(data.get("name") or ""),
            code_lists=code_lists,
            ignore=frozenset(header_key(str(h)) for h in data.get("ignore") or ()),
            difficulty=difficulty,
            difficulty_levels=difficulty_levels,
            not_resident=not_resident,
            written={
                header_key(str(h)): str(h)
                for h in [
                    *(data.get("columns") or {}),
                    *[h for parts in (data.get("compose") or {}).values() for h, _w in parts],
                ]
            },
        )

    @property
    def is_empty(self) -> bool:
        return not (
            self.columns
            or self.values
            or self.compose
            or self.flags
            or self.difficulty
            or self.not_resident
        )

    def derived_target(self, key: str) -> str | None:
        """Our column a built column is (its header key: the file's columns it is built from
        joined by ``+``; the severity of difficulty items ends ``:severity``), else None."""
        base, _sep, suffix = key.partition(":")
        if "+" not in base:  # a column of the file itself, not a built one
            return None
        parts = base.rstrip("+").split("+")
        if suffix == "severity":
            return "disability_severity" if set(parts) <= set(self.difficulty) else None
        for col, composed in self.compose.items():
            if parts == [k for k, _w in composed]:
                return col
        for col, cols in self.flags.items():
            if set(parts) <= set(cols):
                return col
        if self.difficulty and set(parts) <= set(self.difficulty):
            return "disability_type"
        return None

    def consumed_keys(self) -> set[str]:
        """The file's columns that only feed a built column (not unknown, not ours)."""
        keys = {k for parts in self.compose.values() for k, _w in parts}
        keys |= {k for cols in self.flags.values() for k in cols}
        return keys | set(self.difficulty) | set(self.not_resident) | self.ignore

    def as_dict(self) -> dict[str, Any]:
        return {
            "layout": self.layout,
            "columns": self.columns,
            "values": self.values,
            "date_format": self.date_format,
            "encoding": self.encoding,
            "compose": {c: [list(p) for p in parts] for c, parts in self.compose.items()},
            "flags": self.flags,
            "difficulty": self.difficulty,
            "difficulty_levels": self.difficulty_levels,
            "not_resident": self.not_resident,
        }


# --- reading ---------------------------------------------------------------------------------


def read_extract(path: str | Path, *, encoding: str = "utf-8") -> pl.DataFrame:
    """Every column as text (spreadsheet numbers and dates as they look: ``3``,
    ``1989-09-16 00:00:00``), the row number, and the hidden columns described above. A CSV
    line that cannot be read is one row with ``__line_error`` set, not a failed file.
    (The whole file in memory: large imports use ``stage_extract`` instead.)"""
    with tempfile.TemporaryDirectory(prefix="pksai-") as tmp:
        staged = stage_extract(path, Path(tmp) / "extract.parquet", encoding=encoding)
        return pl.read_parquet(staged).sort(ROW)


def stage_extract(path: str | Path, target: Path, *, encoding: str = "utf-8") -> Path:
    """``read_extract`` written to the Parquet file ``target`` (rows in no particular order)
    instead of returned: a CSV or Parquet extract streams through DuckDB or Polars in
    bounded memory, whatever its size."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".txt", ".parquet", ".xlsx", ".xlsm"}:
        raise ExtractError(code="file_type", params={"name": path.name})
    if encoding.lower() not in ENCODINGS:
        raise ExtractError(code="file_encoding", params={"encoding": encoding})
    try:
        if suffix in {".csv", ".txt"}:
            _stage_csv(path, ENCODINGS[encoding.lower()], target)
        elif suffix == ".parquet":
            _stage_frame(_scan_parquet(path), target)
        else:
            _stage_frame(_read_xlsx(path).lazy(), target)
    except ExtractError:
        raise
    except Exception as exc:  # a corrupt file: say so, import nothing
        raise ExtractError(
            code="file_unreadable", params={"name": path.name, "detail": str(exc)[:300]}
        ) from exc
    return target


def _stage_frame(frame: pl.LazyFrame, target: Path) -> None:
    """Rows with any text (or a line error) only, streamed to Parquet."""
    names = frame.collect_schema().names()
    text = [c for c in names if not c.startswith("__")]
    keep = pl.any_horizontal([pl.col(c).is_not_null() for c in text]) if text else pl.lit(False)
    if LINE_ERROR in names:
        keep = keep | pl.col(LINE_ERROR).is_not_null()
    frame.filter(keep).sink_parquet(target)


def cell_text(schema: pl.Schema) -> list[pl.Expr]:
    """Typed columns (Parquet, Excel) as the text a person would have typed: dates
    ``YYYY-MM-DD``, whole numbers without ``.0``, booleans ``true``/``false``."""
    exprs = []
    for name, dtype in schema.items():
        col = pl.col(name)
        if dtype == pl.String:
            continue
        if dtype == pl.Date:
            expr = col.dt.strftime(ISO)
        elif isinstance(dtype, pl.Datetime):
            expr = col.dt.strftime("%Y-%m-%d %H:%M:%S")
        elif dtype.is_float():
            whole = col.is_finite() & (col == col.floor()) & (col.abs() < 1e18)
            expr = (
                pl.when(whole)
                .then(col.cast(pl.Int64, strict=False).cast(pl.String))
                .otherwise(col.cast(pl.String))
            )
        elif dtype == pl.Boolean:
            expr = pl.when(col).then(pl.lit("true")).when(~col).then(pl.lit("false"))
        else:
            expr = col.cast(pl.String)
        exprs.append(expr.alias(name))
    return exprs


def _scan_parquet(path: Path) -> pl.LazyFrame:
    frame = pl.scan_parquet(path)
    schema = frame.collect_schema()
    numbers = [n for n, t in schema.items() if t.is_float()]
    return (
        frame.with_columns(
            *cell_text(schema),
            *[pl.col(n).is_not_null().alias(NUMBER + n) for n in numbers],
        )
        .with_row_index(ROW, offset=2)
        .with_columns(pl.col(ROW).cast(pl.Int64))
    )


def _read_xlsx(path: Path) -> pl.DataFrame:
    import fastexcel

    reader = fastexcel.read_excel(str(path))
    sheet = reader.load_sheet(0, dtypes="string", skip_whitespace_tail_rows=True)
    frame = sheet.to_polars()
    # Columns that could hold a NIK or KK: which of their cells were number cells? (Loading a
    # column as boolean keeps only number and boolean cells; text cells become null.)
    long_digits = [
        c for c in frame.columns if frame[c].str.contains(r"^\d{15,}$").fill_null(False).any()
    ]
    if long_digits:
        kinds = reader.load_sheet(
            0, dtypes="boolean", use_columns=long_digits, skip_whitespace_tail_rows=True
        ).to_polars()
        frame = frame.with_columns([kinds[c].is_not_null().alias(NUMBER + c) for c in long_digits])
    return frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))


def _utf8_copy(path: Path, encoding: str, target: Path) -> None:
    """Transcode a declared non-UTF-8 file, in blocks; undecodable bytes become U+FFFD (their
    lines are rejected)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as out:
        for block in iter(lambda: src.read(1 << 22), b""):
            out.write(decoder.decode(block))
        out.write(decoder.decode(b"", final=True))


def _stage_csv(path: Path, encoding: str, target: Path) -> None:
    if encoding != "utf-8":
        with tempfile.TemporaryDirectory(prefix="pksai-") as tmp:
            utf8 = Path(tmp) / "extract.csv"
            _utf8_copy(path, encoding, utf8)
            _stage_utf8_csv(utf8, encoding, target)
            return
    _stage_utf8_csv(path, encoding, target)


LINE_BLOCK = 1 << 24  # bytes read at a time when finding where lines start


def duckdb_config(tmp: str | Path) -> dict[str, str]:
    """DuckDB for whole-file work: bounded memory, spilling to ``tmp``, rows kept in order."""
    return {
        "memory_limit": "1GB",
        "temp_directory": str(tmp),
        "preserve_insertion_order": "true",
    }


def sql_text(value: str | Path) -> str:
    """A SQL string literal (for the file names of COPY, which takes no parameters)."""
    return "'" + str(value).replace("'", "''") + "'"


def _physical_lines(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(where each physical line starts, which lines are blank — empty or a lone CR), read
    in blocks: about 10 bytes of memory a line, whatever the file's size."""
    size = path.stat().st_size
    newline_parts, cr_parts = [], []
    previous = 0  # the last byte of the block before
    with path.open("rb") as f:
        offset = 0
        while block := f.read(LINE_BLOCK):
            data = np.frombuffer(block, dtype=np.uint8)
            at = np.flatnonzero(data == 10)
            before = np.where(at > 0, data[np.maximum(at - 1, 0)], previous)
            newline_parts.append(at + offset)
            cr_parts.append(before == 13)
            previous = int(data[-1])
            offset += data.size
    newlines = np.concatenate(newline_parts) if newline_parts else np.zeros(0, np.int64)
    cr_before = np.concatenate(cr_parts) if cr_parts else np.zeros(0, bool)
    del newline_parts, cr_parts
    starts = np.concatenate([[0], newlines + 1])
    starts = starts[starts < size]
    lengths = np.append(newlines, size)[: starts.size] - starts
    # A one-byte line's byte is the one before its end (its newline, or the end of the file).
    cr_end = np.append(cr_before, previous == 13)[: starts.size]
    blank = (lengths == 0) | ((lengths == 1) & cr_end)
    return starts, blank


def _stage_utf8_csv(path: Path, encoding: str, target: Path) -> None:
    if not path.stat().st_size:
        raise ExtractError(code="file_empty", params={"name": path.name})
    with path.open("rb") as f:
        first = f.readline().decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")
    delimiter = max(DELIMITERS, key=first.count)
    headers = next(csv.reader([first], delimiter=delimiter))
    headers = [h.strip() or f"column_{i + 1}" for i, h in enumerate(headers)]
    if len(set(headers)) != len(headers):
        dupes = sorted({h for h in headers if headers.count(h) > 1})
        raise ExtractError(code="duplicate_headers", params={"columns": ", ".join(dupes)})
    names = [f"c{i}" for i in range(len(headers))]
    columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
    options = (
        f"header=true, auto_detect=false, all_varchar=true, store_rejects=true, "
        f"delim={sql_text(delimiter)}, quote='\"', escape='\"', columns={columns}, "
        f"max_line_size=10000000"
    )
    with (
        tempfile.TemporaryDirectory(prefix="pksai-") as tmp,
        duckdb.connect(config=duckdb_config(tmp)) as con,
    ):
        records = sql_text(Path(tmp) / "records.parquet")
        con.execute(
            f"COPY (SELECT * FROM read_csv({sql_text(path)}, {options})) "  # noqa: S608 (ours)
            f"TO {records} (FORMAT parquet)"
        )
        rejects = con.sql(
            "SELECT line_byte_position AS pos, error_type, csv_line FROM reject_errors"
        ).pl()
        rejects = _line_rejects(rejects, encoding)
        count = con.execute(f"SELECT count(*) FROM read_parquet({records})").fetchone()[0]  # noqa: S608

        # Good records in order, each spanning 1 + its embedded line breaks (blank ones
        # excluded): only the few records holding a line break are looked at.
        spans = np.ones(count, dtype=np.int64)
        if names:
            has_break = " OR ".join(f"strpos({n}, chr(10)) > 0" for n in names)
            breaks = " + ".join(
                f"coalesce(len(regexp_extract_all({n}, '\\n(?:[^\\r\\n]|\\r[^\\n]|\\r?$)')), 0)"
                for n in names
            )
            multiline = con.execute(
                f"SELECT file_row_number AS i, 1 + {breaks} AS s "  # noqa: S608 (ours)
                f"FROM read_parquet({records}, file_row_number=true) WHERE {has_break}"
            ).fetchnumpy()
            spans[multiline["i"].astype(np.int64)] = multiline["s"].astype(np.int64)

        # Physical lines: where each starts; the blank ones DuckDB skips.
        starts, blank = _physical_lines(path)
        nonblank = np.flatnonzero(~blank)
        del blank
        nonblank = nonblank[nonblank > 0]  # line index 0 is the header

        # Lines taken by rejected records (a record may span lines: count its non-blank ones).
        reject_line = np.searchsorted(starts, rejects["pos"].to_numpy(), side="right") - 1
        del starts
        reject_span = rejects["span"].to_numpy().astype(np.int64)
        first_at = np.searchsorted(nonblank, reject_line)
        taken = np.repeat(first_at, reject_span) + (
            np.arange(reject_span.sum())
            - np.repeat(np.cumsum(reject_span) - reject_span, reject_span)
        )
        available = np.delete(nonblank, taken[taken < nonblank.size])
        del nonblank
        offsets = np.cumsum(spans) - spans
        if spans.sum() != available.size:
            logger.warning(
                "%s: %d record lines expected, %d found; row numbers may be approximate",
                path.name,
                spans.sum(),
                available.size,
            )
        line_index = (
            available[np.minimum(offsets, max(available.size - 1, 0))]
            if spans.size
            else np.zeros(0, np.int64)
        )
        del available, offsets, spans
        numbers = pl.DataFrame({"n": np.asarray(line_index, dtype=np.int64) + 1})
        con.register("numbers", numbers)

        # Cells that did not decode (declared encodings) reject their line too. (DuckDB itself
        # rejects the lines of a UTF-8 file that are not UTF-8.)
        quoted = ['"' + h.replace('"', '""') + '"' for h in headers]
        if encoding != "utf-8" and names:
            bad = "(" + " OR ".join(f"coalesce(strpos({n}, '\ufffd') > 0, false)" for n in names)
            bad += ")"
        else:
            bad = "false"
        text = ", ".join(
            f"CASE WHEN {bad} THEN NULL ELSE {n} END AS {q}"
            for n, q in zip(names, quoted, strict=True)
        )
        anything = f"coalesce({', '.join(names)}) IS NOT NULL OR {bad}" if names else bad
        params = sql_text(_json({"encoding": encoding}))
        rejected = rejects.select(
            pl.Series(ROW, reject_line.astype(np.int64) + 1),
            pl.col("code").alias(LINE_ERROR),
            pl.col("params").alias(LINE_PARAMS),
            pl.col("csv_line").str.strip_chars("\r\n").str.slice(0, 200).alias(LINE_TEXT),
        )
        con.register("rejected", rejected)
        con.execute(
            f'COPY (SELECT {text + ", " if text else ""}n AS "{ROW}", '  # noqa: S608 (ours)
            f"CASE WHEN {bad} THEN 'line_encoding' END AS \"{LINE_ERROR}\", "
            f'CASE WHEN {bad} THEN {params} END AS "{LINE_PARAMS}", '
            f"CASE WHEN {bad} THEN left(concat_ws({sql_text(delimiter)}, "
            f'{", ".join(names) or "NULL"}), 200) END AS "{LINE_TEXT}" '
            f"FROM read_parquet({records}) POSITIONAL JOIN numbers WHERE {anything} "
            f"UNION ALL BY NAME SELECT * FROM rejected) TO {sql_text(target)} (FORMAT parquet)"
        )


def _json(params: dict) -> str:
    import json

    return json.dumps(params, ensure_ascii=False, sort_keys=True)


def _line_rejects(rejects: pl.DataFrame, encoding: str) -> pl.DataFrame:
    """DuckDB's rejected records (one per line: the first error by our priority) with our
    reason code and the number of non-blank lines each spans."""
    priority = {code: i for i, code in enumerate(LINE_ERRORS)}
    return (
        rejects.with_columns(
            pl.col("error_type")
            .replace_strict(LINE_ERRORS, default="line_unreadable")
            .alias("code"),
            pl.col("error_type").replace_strict(priority, default=99).alias("__p"),
        )
        .sort("pos", "__p")
        .unique("pos", keep="first", maintain_order=True)
        .with_columns(
            params=pl.when(pl.col("code") == "line_encoding")
            .then(pl.lit(_json({"encoding": encoding})))
            .otherwise(pl.lit("{}")),
            span=pl.col("csv_line")
            .str.strip_chars("\r\n")
            .str.split("\n")
            .list.eval(pl.element().str.strip_chars("\r") != "")
            .list.sum()
            .clip(lower_bound=1)
            .cast(pl.Int64),
        )
        .select("pos", "code", "params", "csv_line", "span")
    )


def line_problems(frame: pl.DataFrame) -> pl.DataFrame:
    """The unreadable lines of a read extract as report rows (row, column, value, kind, code,
    params)."""
    if LINE_ERROR not in frame.columns:
        return pl.DataFrame(schema=REPORT_SCHEMA)
    return (
        frame.filter(pl.col(LINE_ERROR).is_not_null())
        .select(
            pl.col(ROW).alias("row"),
            pl.lit(None, dtype=pl.String).alias("column"),
            pl.col(LINE_TEXT).alias("value"),
            pl.lit(REJECTED).alias("kind"),
            pl.col(LINE_ERROR).alias("code"),
            pl.col(LINE_PARAMS).alias("params"),
        )
        .cast(REPORT_SCHEMA)
    )


# --- mapping and normalising ------------------------------------------------------------------


def header_renames(headers: Iterable[str], mapping: Mapping) -> dict[str, str]:
    """File header → our column name (mapping first, then columns the mapping builds, then our
    own names), compared with ``header_key``. Two headers meaning the same column are a
    whole-file error."""
    ours = {c.name for c in COLUMNS}
    renames: dict[str, str] = {}
    for header in headers:
        key = header_key(header)
        target = (
            mapping.columns.get(key)
            or mapping.derived_target(key)
            or (key if key in ours else None)
        )
        if target:
            renames[header] = target
    targets = list(renames.values())
    clashes = sorted({t for t in targets if targets.count(t) > 1})
    if clashes:
        both = [h for h, t in renames.items() if t in clashes]
        raise ExtractError(code="duplicate_headers", params={"columns": ", ".join(both)})
    return renames


def shown_columns(headers: Iterable[str], mapping: Mapping) -> dict[str, str]:
    """Our column → the file's own header(s) for it, where the file names it otherwise
    (``sex`` → ``JnsKel``; a built column → ``KDPROP+KDKAB+KDKEC+KDDESA``): the error report
    speaks of the columns the officer sees in the file."""
    return {
        ours: header.rstrip("+")
        for header, ours in header_renames(list(headers), mapping).items()
        if header_key(header) != ours
    }


def _built_name(headers: list[str]) -> str:
    """A built column's name: its file columns joined by ``+`` (one column: a trailing ``+``,
    so it never takes the file column's own name)."""
    return "+".join(headers) if len(headers) > 1 else f"{headers[0]}+"


def derive_columns[F: (pl.DataFrame, pl.LazyFrame)](frame: F, mapping: Mapping) -> F:
    """The columns a mapping builds from several of the file's (``compose``, ``flags``,
    ``difficulty``), added under the name of their parts joined by ``+``
    (``KDPROP+KDKAB+KDKEC+KDDESA``), and the hidden ``not_resident`` markers. A built column
    whose parts the file lacks is not added (a required one is then reported missing).
    Vectorised: one expression per built column."""
    if not (mapping.compose or mapping.flags or mapping.difficulty or mapping.not_resident):
        return frame
    by_key = {header_key(h): h for h in frame.collect_schema().names() if not h.startswith("__")}
    exprs = []
    for _col, parts in mapping.compose.items():
        if not all(k in by_key for k, _w in parts):
            continue
        cells = [
            pl.col(by_key[k]).cast(pl.String).str.strip_chars().str.replace(r"\.0+$", "")
            for k, _w in parts
        ]
        padded = [
            pl.when(c == "").then(None).otherwise(c.str.zfill(w))
            for c, (_k, w) in zip(cells, parts, strict=True)
        ]
        # A last part that already holds the whole code (a 10-digit KDDESA) is taken as is.
        whole = sum(w for _k, w in parts)
        last = cells[-1].str.replace_all(".", "", literal=True)
        exprs.append(
            pl.when(last.str.len_chars() == whole)
            .then(last)
            .otherwise(pl.concat_str(padded))
            .alias(_built_name([by_key[k] for k, _w in parts]))
        )
    true = list(mapping.flag_true)
    for _col, cols in mapping.flags.items():
        present = [(by_key[k], code) for k, code in cols.items() if k in by_key]
        if not present:
            continue
        listed = pl.concat_str(
            [
                pl.when(_code_key_expr(pl.col(h).cast(pl.String)).is_in(true)).then(pl.lit(code))
                for h, code in present
            ],
            separator=";",
            ignore_nulls=True,
        )
        # Every flag empty: unknown; some answered and none yes: an empty list (nothing).
        answered = pl.any_horizontal(
            [pl.col(h).cast(pl.String).str.strip_chars().ne("") for h, _c in present]
        )
        exprs.append(
            pl.when(answered.fill_null(False))
            .then(pl.when(listed == "").then(None).otherwise(listed))
            .alias(_built_name([h for h, _c in present]))
        )
    if mapping.difficulty:
        exprs.extend(_difficulty_exprs(by_key, mapping))
    for key, codes in mapping.not_resident.items():
        if key in by_key:
            meaning = _code_key_expr(pl.col(by_key[key]).cast(pl.String)).replace_strict(
                list(codes), list(codes.values()), default=None, return_dtype=pl.String
            )
            exprs.append(meaning.alias(NOT_RESIDENT + by_key[key]))
    return frame.with_columns(exprs) if exprs else frame


def _difficulty_exprs(by_key: dict[str, str], mapping: Mapping) -> list[pl.Expr]:
    """Washington Group items (one column per function, coded by how hard it is) → our
    disability type (the function with a difficulty; ``multiple`` when several types) and
    severity (the worst). Every item answered "no difficulty": ``none``; none answered:
    unknown."""
    present = [(by_key[k], t) for k, t in mapping.difficulty.items() if k in by_key]
    if not present:
        return []
    order = ["none", "mild", "moderate", "severe"]
    levels = mapping.difficulty_levels
    ranks = [
        _code_key_expr(pl.col(h).cast(pl.String)).replace_strict(
            list(levels),
            [order.index(v) for v in levels.values()],
            default=None,
            return_dtype=pl.Int8,
        )
        for h, _t in present
    ]
    worst = pl.max_horizontal(ranks)
    types = (
        pl.concat_list(
            [pl.when(r > 0).then(pl.lit(t)) for r, (_h, t) in zip(ranks, present, strict=True)]
        )
        .list.drop_nulls()
        .list.unique()
    )
    name = _built_name([h for h, _t in present])
    kind = (
        pl.when(worst.is_null())
        .then(None)
        .when(worst == 0)
        .then(pl.lit("none"))
        .when(types.list.len() > 1)
        .then(pl.lit("multiple"))
        .otherwise(types.list.first())
    )
    severity = (
        pl.when(worst.is_null())
        .then(None)
        .otherwise(
            worst.replace_strict(list(range(4)), order, default=None, return_dtype=pl.String)
        )
    )
    return [kind.alias(name), severity.alias(name + ":severity")]


def clean_text(name: str) -> pl.Expr:
    """Surrounding spaces removed; an empty cell is unknown (null)."""
    text = pl.col(name).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text).alias(name)


def apply_mapping(frame: pl.DataFrame, mapping: Mapping) -> pl.DataFrame:
    """Our columns (all of them, absent ones empty) as cleaned text, office codes replaced by
    ours; unknown headers and absent optional columns are marked for the report."""
    frame = derive_columns(frame, mapping)
    hidden = [c for c in frame.columns if c.startswith("__")]
    headers = [c for c in frame.columns if not c.startswith("__")]
    renames = header_renames(headers, mapping)
    not_resident = [c for c in hidden if c.startswith(NOT_RESIDENT)]
    missing_required = [c for c in REQUIRED if c not in renames.values()]
    if missing_required:
        raise ExtractError(
            code="missing_required",
            params={"columns": ", ".join(expected_header(c, mapping) for c in missing_required)},
        )
    ours = [c.name for c in COLUMNS]
    present = set(renames.values())
    by_target = {t: h for h, t in renames.items()}
    consumed = mapping.consumed_keys()
    unknown = [h for h in headers if h not in renames and header_key(h) not in consumed]
    out = frame.select(
        ROW,
        *[c for c in (LINE_ERROR, LINE_PARAMS, LINE_TEXT) if c in hidden],
        *[pl.col(NUMBER + h).alias(NUMBER + renames[h]) for h in renames if NUMBER + h in hidden],
        *not_resident,
        *[pl.col(c.removeprefix(NOT_RESIDENT)).alias(c + "__value") for c in not_resident],
        *[
            clean_text(by_target[c]).alias(c) if c in present else pl.lit(None, pl.String).alias(c)
            for c in ours
        ],
        *[pl.lit(None, pl.Null).alias(UNKNOWN + h) for h in unknown],
        *[pl.lit(None, pl.Null).alias(MISSING + c) for c in ours if c not in present],
    )
    if mapping.values:
        out = out.with_columns(_mapped_codes(col, codes) for col, codes in mapping.values.items())
    return out


def expected_header(column: str, mapping: Mapping) -> str:
    """The header a mapping expects for our ``column`` (ours when it names none)."""
    shown = mapping.written
    named = [shown.get(h, h) for h, t in mapping.columns.items() if t == column]
    if named:
        return " / ".join(named)
    if column in mapping.compose:
        return "+".join(shown.get(k, k) for k, _w in mapping.compose[column])
    return column


def typed_expr(column: Column, date_format: str = ISO) -> pl.Expr:
    """The (cleaned) text column converted to the type the column holds (invalid → null).
    Codes are compared in any letter case; ISO dates (also an Excel date cell's
    ``YYYY-MM-DD 00:00:00``) are accepted beside the mapping's ``date_format``."""
    raw = pl.col(column.name)
    match column.kind:
        case "bool":
            low = raw.str.to_lowercase()
            return (
                pl.when(low.is_in(TRUE_WORDS))
                .then(True)
                .when(low.is_in(FALSE_WORDS))
                .then(False)
                .otherwise(None)
            )
        case "int":
            return raw.str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)
        case "date":
            iso = (
                pl.when(raw.str.contains(ISO_DATETIME))
                .then(raw.str.slice(0, 10).str.to_date(ISO, strict=False))
                .otherwise(None)
            )
            formats = [f for f in date_format.split("|") if f and f != ISO]
            if not formats:
                return iso
            return pl.coalesce(*[raw.str.to_date(f, strict=False) for f in formats], iso)
        case "village":
            digits = raw.str.replace_all(".", "", literal=True)
            return pl.concat_str(
                digits.str.slice(0, 2),
                digits.str.slice(2, 2),
                digits.str.slice(4, 2),
                digits.str.slice(6, 4),
                separator=".",
            )
        case "codes":
            return raw.str.to_lowercase().str.replace_all(" ", "", literal=True)
        case "code" if column.name != "sex":
            return raw.str.to_lowercase()
        case "code":
            return raw.str.to_uppercase()
        case _:
            return raw


def normalised[F: (pl.DataFrame, pl.LazyFrame)](frame: F, mapping: Mapping | None = None) -> F:
    """Our columns of a frame, typed: the one normalisation the importer (``apply_mapping`` +
    ``validate``) and file scoring (pksai.vulnerability.files) share — headers matched with
    ``header_key`` (and the mapping), typed cells as text (``cell_text``), cleaned, the
    mapping's codes, codes in our letter case, yes/no words, whole numbers and dates
    (``typed_expr``). Other columns pass through."""
    mapping = mapping or Mapping({}, {})
    frame = derive_columns(frame, mapping)
    names = frame.collect_schema().names()
    frame = frame.rename(header_renames([n for n in names if not n.startswith("__")], mapping))
    schema = frame.collect_schema()
    ours = [n for n in schema.names() if n in COLUMN_BY_NAME]
    frame = frame.with_columns(cell_text(pl.Schema({n: schema[n] for n in ours})))
    frame = frame.with_columns([clean_text(n) for n in ours])
    frame = frame.with_columns(
        _mapped_codes(col, codes) for col, codes in mapping.values.items() if col in ours
    )
    return frame.with_columns(
        [typed_expr(COLUMN_BY_NAME[n], mapping.date_format).alias(n) for n in ours]
    )


def _mapped_codes(column: str, codes: dict[str, str]) -> pl.Expr:
    """An office's codes → ours (compared with ``code_key``: case, surrounding spaces and a
    numeric code's leading zeros do not matter). A code the mapping does not list stays as it
    is, to be rejected with the mapping's list."""
    mapped = _code_key_expr(pl.col(column)).replace_strict(
        list(codes), list(codes.values()), default=pl.col(column)
    )
    return pl.when(mapped == "").then(None).otherwise(mapped).alias(column)  # "": unknown


# --- validating -------------------------------------------------------------------------------


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _checks(
    column: Column,
    typed: pl.Expr,
    *,
    today: date,
    villages: pl.Series,
    numbers: set[str],
    date_format: str,
    code_lists: dict[str, str] | None = None,
) -> list[tuple[pl.Expr, str, dict[str, pl.Expr]]]:
    """(failed, reason code, params) in the order they are tried; the first failing one is
    the cell's reason."""
    raw = pl.col(column.name)
    present = raw.is_not_null()
    checks: list[tuple[pl.Expr, str, dict[str, pl.Expr]]] = []
    if column.required:
        checks.append((~present, "required", {}))
    if column.max_length is not None:
        length = raw.str.len_chars()
        checks.append(
            (
                present & (length > column.max_length),
                "too_long",
                {"length": length, "max": pl.lit(column.max_length)},
            )
        )
    # A column a mapping translates is reported with the mapping's codes (the file's own).
    listed = (code_lists or {}).get(column.name) or ", ".join(column.codes)
    allowed = {"allowed": pl.lit(listed)}
    match column.kind:
        case "bool":
            checks.append((present & typed.is_null(), "not_bool", {}))
        case "int":
            checks.append((present & typed.is_null(), "not_int", {}))
            if column.min_value is not None:
                checks.append(
                    (
                        typed.is_not_null() & ~typed.is_between(column.min_value, column.max_value),
                        "out_of_range",
                        {"min": pl.lit(column.min_value), "max": pl.lit(column.max_value)},
                    )
                )
        case "date":
            checks.append((present & typed.is_null(), "not_date", {"format": pl.lit(date_format)}))
            checks.append(
                (typed < pl.lit(EARLIEST_DATE), "date_too_early", {"min": pl.lit("1900-01-01")})
            )
            if column.name == "birth_date":
                checks.append(
                    (
                        typed < pl.lit(_years_before(today, MAX_AGE)),
                        "age_too_high",
                        {"max": pl.lit(MAX_AGE)},
                    )
                )
            checks.append((typed > pl.lit(today), "date_future", {}))
        case "nik" | "kk":
            if column.name in numbers:
                checks.append(
                    (
                        present & pl.col(NUMBER + column.name).fill_null(False),
                        "number_cell",
                        {"digits": pl.lit(16)},
                    )
                )
            checks.append((present & ~raw.str.contains(r"^\d{16}$"), "digits_16", {}))
        case "village":
            digits_ok = raw.str.replace_all(".", "", literal=True).str.contains(r"^\d{10}$")
            checks.append((present & ~digits_ok, "village_digits", {}))
            checks.append(
                (present & digits_ok & ~typed.is_in(villages.implode()), "village_unknown", {})
            )
        case "code":
            checks.append((present & ~typed.is_in(column.codes), "unknown_code", allowed))
        case "codes":
            parts = typed.str.split(";").list.eval(pl.element().filter(pl.element() != ""))
            bad = parts.list.eval(~pl.element().is_in(column.codes)).list.any()
            checks.append((present & bad, "unknown_code", allowed))
    return checks


def _cell_report(
    frame: pl.DataFrame, checks: list[tuple[pl.Expr, str, dict[str, pl.Expr]]], column: str
) -> pl.DataFrame:
    code = pl.lit(None, dtype=pl.String)
    for failed, why, _args in reversed(checks):
        code = pl.when(failed.fill_null(False)).then(pl.lit(why)).otherwise(code)
    failing = frame.with_columns(code.alias("__code")).filter(pl.col("__code").is_not_null())
    params = pl.lit(None, dtype=pl.String)
    for _failed, why, args in reversed(checks):  # on the failing cells only
        params = pl.when(pl.col("__code") == why).then(params_json(**args)).otherwise(params)
    return failing.select(
        pl.col(ROW).alias("row"),
        pl.lit(column).alias("column"),
        pl.col(column).alias("value"),
        pl.lit(REJECTED).alias("kind"),
        pl.col("__code").alias("code"),
        params.alias("params"),
    ).cast(REPORT_SCHEMA)


@dataclass
class Validated:
    good: pl.DataFrame  # typed, one row per accepted person, with ROW and dq_flags
    errors: pl.DataFrame  # the report: row, column, value, kind, code, params (one per cell)
    rows_read: int
    unknown_columns: list[str] = field(default_factory=list)  # headers we do not know
    missing_columns: list[str] = field(default_factory=list)  # optional columns not in the file

    @property
    def rejected_rows(self) -> int:
        rejected = self.errors.filter(pl.col("kind") == REJECTED)
        return rejected["row"].n_unique() if rejected.height else 0

    @property
    def flagged_cells(self) -> int:
        return self.errors.filter(pl.col("kind") == FLAGGED).height

    @property
    def warnings(self) -> list[dict[str, Any]]:
        """What to tell before anything is written, language-neutral (store as JSON; show with
        ``reasons.render_reason(w["code"], w["params"])``)."""
        out: list[dict[str, Any]] = []
        if self.unknown_columns:
            out.append(
                {
                    "code": "unknown_columns",
                    "params": {"columns": ", ".join(self.unknown_columns)},
                }
            )
        if self.missing_columns:
            out.append(
                {
                    "code": "missing_columns",
                    "params": {"columns": ", ".join(self.missing_columns)},
                }
            )
        conflicts = self.errors.filter(pl.col("code") == "household_conflict")
        if conflicts.height:
            out.append(
                {
                    "code": "household_conflicts",
                    "params": {"cells": conflicts.height, "rows": conflicts["row"].n_unique()},
                }
            )
        return out


def validate(
    frame: pl.DataFrame,
    *,
    villages: pl.Series,
    today: date,
    date_format: str = ISO,
    flags: bool = True,
    code_lists: dict[str, str] | None = None,
) -> Validated:
    """Check every cell and row. With ``flags`` the good rows carry their data-quality flags
    (``dq_flags``, NIKs shared within ``frame``); without, a ``__conflict`` column instead, for
    ``quality_flags`` to finish once the whole file's shared NIKs are known (one part of a
    large file: every row of a household is in the same part)."""
    unknown = [c.removeprefix(UNKNOWN) for c in frame.columns if c.startswith(UNKNOWN)]
    missing = [c.removeprefix(MISSING) for c in frame.columns if c.startswith(MISSING)]
    numbers = {c.removeprefix(NUMBER) for c in frame.columns if c.startswith(NUMBER)}
    lines = line_problems(frame)
    if LINE_ERROR in frame.columns:
        frame = frame.filter(pl.col(LINE_ERROR).is_null())

    typed = frame.with_columns([typed_expr(c, date_format).alias(f"__t_{c.name}") for c in COLUMNS])
    cells = [
        _cell_report(
            typed,
            _checks(
                c,
                pl.col(f"__t_{c.name}"),
                today=today,
                villages=villages,
                numbers=numbers,
                date_format=date_format,
                code_lists=code_lists,
            ),
            c.name,
        )
        for c in COLUMNS
    ]
    # Duplicate person keys in the file: the first occurrence stays, later ones are rejected.
    key = ["household_id", "person_id"]
    duplicates = (
        frame.with_columns(pl.col(ROW).min().over(key).alias("__first"))
        .filter(pl.col(ROW) != pl.col("__first"))
        .select(
            pl.col(ROW).alias("row"),
            pl.lit("person_id").alias("column"),
            pl.concat_str(pl.col("household_id"), pl.col("person_id"), separator="/").alias(
                "value"
            ),
            pl.lit(REJECTED).alias("kind"),
            pl.lit("duplicate").alias("code"),
            params_json(first=pl.col("__first")).alias("params"),
        )
        .cast(REPORT_SCHEMA)
    )
    rejected = pl.concat([lines, *cells, duplicates, _not_resident(frame)], how="vertical")
    accepted = typed.join(rejected.select(pl.col("row").alias(ROW)).unique(), on=ROW, how="anti")
    conflicts = _household_conflicts(accepted)
    header = _header_report(unknown, missing)
    errors = pl.concat([header, rejected, conflicts], how="vertical").sort(
        "row", "column", "kind", nulls_last=False
    )
    good = (
        accepted.select(ROW, *[pl.col(f"__t_{c.name}").alias(c.name) for c in COLUMNS])
        .with_columns(pl.col(ROW).is_in(conflicts["row"].unique().implode()).alias(CONFLICT))
        .sort(ROW)
    )
    if flags:
        good = quality_flags(good)
    rows_read = frame.height + lines.height
    return Validated(
        good=good,
        errors=errors,
        rows_read=rows_read,
        unknown_columns=unknown,
        missing_columns=missing,
    )


def _not_resident(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows a layout marks as people no longer in the household (died, moved): rejected
    ``not_resident`` on the file's status column, with what its code means."""
    parts = [
        frame.filter(pl.col(c).is_not_null()).select(
            pl.col(ROW).alias("row"),
            pl.lit(c.removeprefix(NOT_RESIDENT)).alias("column"),
            pl.col(c + "__value").cast(pl.String).alias("value"),
            pl.lit(REJECTED).alias("kind"),
            pl.lit("not_resident").alias("code"),
            params_json(meaning=pl.col(c)).alias("params"),
        )
        for c in frame.columns
        if c.startswith(NOT_RESIDENT) and not c.endswith("__value")
    ]
    if not parts:
        return pl.DataFrame(schema=REPORT_SCHEMA)
    return pl.concat([p.cast(REPORT_SCHEMA) for p in parts])


def _header_report(unknown: list[str], missing: list[str]) -> pl.DataFrame:
    rows = [(1, h, None, FLAGGED, "unknown_column", "{}") for h in unknown] + [
        (1, c, None, FLAGGED, "missing_column", "{}") for c in missing
    ]
    return pl.DataFrame(rows, schema=REPORT_SCHEMA, orient="row")


def _household_conflicts(accepted: pl.DataFrame) -> pl.DataFrame:
    """Household columns whose value differs from the household's first accepted row (whose
    values the household keeps): one flagged cell each. One group-by and one join for all
    columns; the per-column work is on the (few) rows that differ."""
    names = [n for n in HOUSEHOLD_COLUMNS if n != "household_id"]
    ordered = accepted.select(ROW, "household_id", *names, *[f"__t_{n}" for n in names]).sort(ROW)
    firsts = ordered.group_by("household_id", maintain_order=True).agg(
        pl.col(ROW).first().alias("__first"),
        *[pl.col(f"__t_{n}").first().alias(f"__f_{n}") for n in names],
        *[pl.col(n).first().alias(f"__k_{n}") for n in names],
    )
    differs = {n: pl.col(f"__t_{n}").ne_missing(pl.col(f"__f_{n}")) for n in names}
    candidates = ordered.join(firsts, on="household_id", how="left").filter(
        pl.any_horizontal(list(differs.values()))
    )
    parts = [
        candidates.filter(differs[n]).select(
            pl.col(ROW).alias("row"),
            pl.lit(n).alias("column"),
            pl.col(n).alias("value"),
            pl.lit(FLAGGED).alias("kind"),
            pl.lit("household_conflict").alias("code"),
            params_json(first=pl.col("__first"), kept=pl.col(f"__k_{n}").fill_null("—")).alias(
                "params"
            ),
        )
        for n in names
    ]
    if not parts:
        return pl.DataFrame(schema=REPORT_SCHEMA)
    return pl.concat([p.cast(REPORT_SCHEMA) for p in parts])


def quality_flags(frame: pl.DataFrame, *, shared_niks: pl.Series | None = None) -> pl.DataFrame:
    """NIK problems are flagged, not rejected: people move, and registries are imperfect.
    A row whose household columns disagree with the household's first row is flagged too
    (``__conflict``, dropped). A NIK is a duplicate when it is in ``shared_niks`` (the whole
    file's), or else when two rows of ``frame`` have it."""
    nik = pl.col("nik")
    day = nik.str.slice(6, 2).cast(pl.Int32, strict=False)
    is_female_code = day > 40
    nik_birth = pl.concat_str(
        (pl.when(is_female_code).then(day - 40).otherwise(day)).cast(pl.String).str.zfill(2),
        nik.str.slice(8, 2),
        nik.str.slice(10, 2),
    )
    flags = {
        "nik_missing": nik.is_null(),
        "nik_region_mismatch": nik.is_not_null()
        & (
            nik.str.slice(0, 6)
            != pl.col("village_code").str.replace_all(".", "", literal=True).str.slice(0, 6)
        ),
        "nik_birthdate_mismatch": nik.is_not_null()
        & (nik_birth != pl.col("birth_date").dt.strftime("%d%m%y")),
        "nik_sex_mismatch": nik.is_not_null() & (is_female_code != (pl.col("sex") == "F")),
        "nik_duplicate": nik.is_not_null()
        & (pl.len().over("nik") > 1 if shared_niks is None else nik.is_in(shared_niks.implode())),
        "household_conflict": pl.col(CONFLICT),
    }
    return frame.with_columns(
        pl.concat_str(
            [pl.when(cond).then(pl.lit(name)) for name, cond in flags.items()],
            separator=";",
            ignore_nulls=True,
        ).alias("dq_flags")
    ).drop(CONFLICT)


def stable_hash(frame: pl.DataFrame, columns: list[str], *, key: bool = False) -> pl.Series:
    """A content hash that does not change between library versions, computed in DuckDB:
    16 hex digits of md5 (change detection), or with ``key`` the full SHA-256 (a unique key,
    e.g. of a payer's return row)."""
    text = frame.select(
        pl.concat_str(
            [pl.col(c).cast(pl.String).fill_null("\u2400") for c in columns], separator="\u241f"
        ).alias("payload")
    )
    digest = "sha256(payload)" if key else "substr(md5(payload), 1, 16)"
    with duckdb.connect() as con:
        con.register("rows", text)
        return con.sql(f"SELECT {digest} AS h FROM rows").pl()["h"]  # noqa: S608 (ours)


HOUSEHOLD_FIELDS = [c for c in HOUSEHOLD_COLUMNS if c not in {"household_id", "village_code"}]
