"""Checking a registry extract of any size in bounded memory: staged once to Parquet
(``importer.stage_extract``), split into parts of whole households (a household never
straddles two parts: the parts are cut from the household sizes, and each part is one
streaming scan of the staged file kept to its households, so no sort of the whole file), each
part mapped and validated on its own (``importer.validate``), the
results kept as Parquet files in a working directory. What needs the whole file is answered
there, in DuckDB, from narrow columns: which NIKs more than one accepted row carries, which
person keys the file holds (for retiring the absent), the error report.

Duplicate person keys and household conflicts are within a household, so within a part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pksai.registry.importer import (
    ROW,
    Mapping,
    apply_mapping,
    derive_columns,
    duckdb_config,
    header_renames,
    quality_flags,
    shown_columns,
    sql_text,
    stage_extract,
    validate,
)
from pksai.registry.reasons import REJECTED, REPORT_SCHEMA

CHUNK_ROWS = 250_000
"""Rows a part holds (more when one household is larger)."""
CHUNK = "__chunk"
HOUSEHOLD = "__hh"


@dataclass
class CheckedExtract:
    """A checked extract: counts, the regencies covered, the warnings, and per part the
    accepted rows (``good``); the rest is in ``workdir``."""

    workdir: Path
    chunks: int = 0
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    chunk_rows: list[int] = field(default_factory=list)  # accepted rows of each part
    coverage: list[str] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    has_errors: bool = False
    shared_niks: pl.Series = field(default_factory=lambda: pl.Series("nik", [], pl.String))
    mapping: Mapping | None = None  # the mapping read with (a detected layout's, if any)

    def _good_path(self, k: int) -> Path:
        return self.workdir / f"good-{k:06d}.parquet"

    def _errors_path(self, k: int) -> Path:
        return self.workdir / f"errors-{k:06d}.parquet"

    @property
    def goods(self) -> str:
        """Every part's accepted rows (a glob for DuckDB)."""
        return str(self.workdir / "good-*.parquet")

    def good(self, k: int) -> pl.DataFrame:
        """Part ``k``'s accepted rows, typed, with their data-quality flags."""
        return quality_flags(pl.read_parquet(self._good_path(k)), shared_niks=self.shared_niks)

    def errors(self) -> pl.DataFrame:
        """The error report (as ``validate`` gives it) of the whole file."""
        frames = [pl.read_parquet(self._errors_path(k)) for k in range(self.chunks)]
        if not frames:
            return pl.DataFrame(schema=REPORT_SCHEMA)
        return pl.concat(frames).sort(
            "row", "column", "kind", nulls_last=False, maintain_order=True
        )


def _household_key(household: str) -> pl.Expr:
    """Households told apart by their id without any spaces (coarser than the importer's
    cleaning, so one household is never split)."""
    return pl.col(household).fill_null("").str.replace_all(r"[\s\p{Z}]", "").alias(HOUSEHOLD)


def _household_parts(staged: Path, household: str, rows_per_chunk: int) -> pl.DataFrame:
    """Which part (``__chunk``, numbered from 0 without gaps) each household goes to: parts
    of about ``rows_per_chunk`` rows of whole households, from the household sizes alone (one
    narrow pass over the staged file, no sort of the rows)."""
    sizes = (
        pl.scan_parquet(staged)
        .select(_household_key(household))
        .group_by(HOUSEHOLD)
        .len()
        .sort(HOUSEHOLD)
        .collect()
    )
    cut = (pl.col("len").cum_sum() - pl.col("len")) // rows_per_chunk
    return sizes.select(HOUSEHOLD, (cut.rank("dense").cast(pl.Int64) - 1).alias(CHUNK))


def _part(staged: Path, household: str, parts: pl.DataFrame, k: int) -> pl.DataFrame:
    """The staged rows of part ``k``'s households, in row order (a streaming scan of the
    staged file kept to those households)."""
    mine = parts.filter(pl.col(CHUNK) == k).select(HOUSEHOLD)
    return (
        pl.scan_parquet(staged)
        .with_columns(_household_key(household))
        .join(mine.lazy(), on=HOUSEHOLD, how="semi")
        .drop(HOUSEHOLD)
        .collect()
        .sort(ROW)
    )


def check_extract(
    path: Path,
    mapping: Mapping,
    *,
    workdir: Path,
    villages: pl.Series,
    today: date,
    rows_per_chunk: int = CHUNK_ROWS,
    progress: Callable[[int, int], None] | None = None,
    detect_layout: bool = False,
) -> CheckedExtract:
    """Stage, split and validate the extract at ``path`` part by part (``progress(k, n)``
    after each part). With ``detect_layout`` (no mapping given) a shipped layout whose headers
    the file has is used (pksai.registry.layouts). Raises ExtractError when the file cannot be
    used at all."""
    staged = stage_extract(path, workdir / "extract.parquet", encoding=mapping.encoding)
    schema = pl.read_parquet_schema(staged)
    headers = [c for c in schema if not c.startswith("__")]
    if detect_layout and mapping.is_empty:
        from pksai.registry import layouts

        found = layouts.detect(headers)
        if found is not None:
            mapping = found.mapping
            if mapping.encoding != "utf-8":  # read again in the layout's encoding
                staged.unlink()
                staged = stage_extract(path, staged, encoding=mapping.encoding)
                schema = pl.read_parquet_schema(staged)
                headers = [c for c in schema if not c.startswith("__")]
    # The header checks (a required column absent, two headers for one column) first.
    derived = derive_columns(pl.DataFrame(schema=schema), mapping)
    apply_mapping(derived, mapping)
    renames = header_renames(headers, mapping)
    household = {t: h for h, t in renames.items()}["household_id"]
    shown = shown_columns(derived.columns, mapping)
    checked = CheckedExtract(workdir=workdir, mapping=mapping)
    parts = _household_parts(staged, household, rows_per_chunk)
    checked.chunks = int(parts[CHUNK].max()) + 1 if parts.height else 0
    coverage: set[str] = set()
    conflict_cells = conflict_rows = 0
    for k in range(checked.chunks):
        frame = _part(staged, household, parts, k)
        result = validate(
            apply_mapping(frame, mapping),
            villages=villages,
            today=today,
            date_format=mapping.date_format,
            flags=False,
            code_lists=mapping.code_lists,
        )
        del frame
        errors = result.errors
        if shown:  # the file's own headers in the report
            errors = errors.with_columns(pl.col("column").replace(shown))
        if k == 0:
            checked.warnings = [w for w in result.warnings if w["code"] != "household_conflicts"]
            if mapping.layout:
                checked.warnings.insert(
                    0, {"code": "layout_used", "params": {"layout": mapping.layout}}
                )
        else:  # the header's report (row 1) is the first part's
            errors = errors.filter(pl.col("row") != 1)
        conflicts = errors.filter(pl.col("code") == "household_conflict")
        conflict_cells += conflicts.height
        conflict_rows += conflicts["row"].n_unique()
        errors.write_parquet(checked._errors_path(k))
        result.good.write_parquet(checked._good_path(k))
        checked.has_errors |= errors.height > 0
        checked.rows_read += result.rows_read
        checked.rows_accepted += result.good.height
        checked.chunk_rows.append(result.good.height)
        rejected = errors.filter(pl.col("kind") == REJECTED)
        checked.rows_rejected += rejected["row"].n_unique() if rejected.height else 0
        coverage |= set(result.good["village_code"].str.slice(0, 5).unique().to_list())
        if progress:
            progress(k + 1, checked.chunks)
    staged.unlink()
    del parts
    if conflict_cells:
        checked.warnings.append(
            {
                "code": "household_conflicts",
                "params": {"cells": conflict_cells, "rows": conflict_rows},
            }
        )
    checked.coverage = sorted(c for c in coverage if c)
    if checked.chunks:
        with duckdb.connect(config=duckdb_config(workdir)) as con:
            checked.shared_niks = con.execute(
                f"SELECT nik FROM read_parquet({sql_text(checked.goods)}) "  # noqa: S608 (ours)
                "WHERE nik IS NOT NULL GROUP BY nik HAVING count(*) > 1"
            ).fetchnumpy()["nik"]
            checked.shared_niks = pl.Series("nik", list(checked.shared_niks), pl.String)
    return checked
