"""Loading the official area list (vectorised: one read, one diff, batched upserts)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
from django.db import transaction

from pksai.areas.codes import WITA_PROVINCES
from pksai.areas.models import WIB, WIT, WITA, Area
from pksai.core.bulk import bulk_upsert

DATA_DIR = Path(__file__).resolve().parent / "data"
SOURCE = "idn-area-data 4.0.1 (Kemendagri), ODbL 1.0"

# file name, column holding the parent code, level
_FILES = (
    ("provinces.csv.gz", None, Area.Level.PROVINCE),
    ("regencies.csv.gz", "province_code", Area.Level.REGENCY),
    ("districts.csv.gz", "regency_code", Area.Level.DISTRICT),
    ("villages.csv.gz", "district_code", Area.Level.VILLAGE),
)
_SCHEMA = {"code": pl.String, "parent_code": pl.String, "level": pl.Int16, "name": pl.String}


@dataclass(frozen=True)
class AreaLoadResult:
    read: int
    created: int
    updated: int
    unchanged: int
    retired: int

    def as_dict(self) -> dict[str, int]:
        return self.__dict__.copy()


def _read_level(path: Path, parent_column: str | None, level: int) -> pl.DataFrame:
    frame = pl.read_csv(path, schema_overrides={"code": pl.String}, infer_schema=False)
    parent = pl.col(parent_column) if parent_column else pl.lit(None, dtype=pl.String)
    return frame.select(
        pl.col("code").str.strip_chars(),
        parent.alias("parent_code"),
        pl.lit(level, dtype=pl.Int16).alias("level"),
        pl.col("name").str.strip_chars(),
    )


def with_timezone(frame: pl.LazyFrame) -> pl.LazyFrame:
    province = pl.col("code").str.slice(0, 2)
    return frame.with_columns(
        pl.when(province.is_in(sorted(WITA_PROVINCES)))
        .then(pl.lit(WITA))
        .when(province.str.slice(0, 1).is_in(["8", "9"]))
        .then(pl.lit(WIT))
        .otherwise(pl.lit(WIB))
        .alias("timezone")
    )


def areas_read_source(data_dir: Path = DATA_DIR) -> pl.DataFrame:
    """All four levels as one frame: code, parent_code, level, name, timezone."""
    frames = [_read_level(data_dir / name, parent, level) for name, parent, level in _FILES]
    return pl.concat(frames).lazy().pipe(with_timezone).collect()


def _existing() -> pl.DataFrame:
    rows = Area.objects.values_list("code", "parent_id", "level", "name", "timezone", "is_active")
    return pl.DataFrame(
        list(rows),
        schema={**_SCHEMA, "timezone": pl.String, "is_active": pl.Boolean},
        orient="row",
    )


def areas_load(*, data_dir: Path = DATA_DIR, batch_size: int = 10_000) -> AreaLoadResult:
    """Insert new areas, update changed ones, retire codes no longer in the source.

    Idempotent: a second run finds every row unchanged and writes nothing.
    """
    source = areas_read_source(data_dir)
    existing = _existing()
    joined = source.join(existing, on="code", how="left", suffix="_old")
    is_new = pl.col("level_old").is_null()
    changed = ~is_new & (
        (pl.col("parent_code").ne_missing(pl.col("parent_code_old")))
        | (pl.col("name") != pl.col("name_old"))
        | (pl.col("timezone") != pl.col("timezone_old"))
        | ~pl.col("is_active")
    )
    to_create = joined.filter(is_new)
    to_update = joined.filter(changed)
    retired = existing.filter(pl.col("is_active")).join(source, on="code", how="anti")

    with transaction.atomic():
        upserts = pl.concat([to_create, to_update]).sort("level", "code")
        bulk_upsert(
            table=Area._meta.db_table,
            frame=upserts.select(
                "code",
                pl.col("parent_code").alias("parent_id"),
                "level",
                "name",
                "timezone",
                pl.lit(True).alias("is_active"),
            ),
            key=["code"],
            update=["parent_id", "level", "name", "timezone", "is_active"],
        )
        retired_codes = retired["code"].to_list()
        for start in range(0, len(retired_codes), batch_size):
            Area.objects.filter(code__in=retired_codes[start : start + batch_size]).update(
                is_active=False
            )

    return AreaLoadResult(
        read=source.height,
        created=to_create.height,
        updated=to_update.height,
        unchanged=source.height - to_create.height - to_update.height,
        retired=len(retired_codes),
    )
