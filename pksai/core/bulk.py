"""Bulk writes from Polars frames: one statement per batch, never one ORM call per row.

PostgreSQL: the frame is written as CSV straight into COPY (a temporary table), then one
INSERT … SELECT … ON CONFLICT moves it into place. SQLite: executemany per batch.
Call inside a transaction.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence

import polars as pl
from django.db import connection


def bulk_upsert(
    *,
    table: str,
    frame: pl.DataFrame,
    key: Sequence[str],
    update: Sequence[str],
    batch_size: int = 50_000,
) -> int:
    """Insert the frame's rows into ``table`` (its columns = the frame's columns); rows whose
    ``key`` already exists get the ``update`` columns overwritten. Returns the rows sent."""
    if frame.is_empty():
        return 0
    qn = connection.ops.quote_name
    columns = ", ".join(qn(c) for c in frame.columns)
    conflict = f"ON CONFLICT ({', '.join(qn(c) for c in key)}) " + (
        f"DO UPDATE SET {', '.join(f'{qn(c)} = excluded.{qn(c)}' for c in update)}"
        if update
        else "DO NOTHING"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            staging = qn(f"_stage_{uuid.uuid4().hex[:12]}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {columns} FROM {qn(table)} WITH NO DATA"
            )
            for batch in frame.iter_slices(batch_size):
                with cursor.cursor.copy(
                    f"COPY {staging} ({columns}) FROM STDIN WITH (FORMAT csv)"
                ) as copy:
                    copy.write(batch.write_csv(include_header=False, null_value=""))
            cursor.execute(
                f"INSERT INTO {qn(table)} ({columns}) SELECT {columns} FROM {staging} {conflict}"  # noqa: S608
            )
            cursor.execute(f"DROP TABLE {staging}")
        else:
            frame = _sqlite_values(frame)
            placeholders = ", ".join(["%s"] * len(frame.columns))
            sql = f"INSERT INTO {qn(table)} ({columns}) VALUES ({placeholders}) {conflict}"  # noqa: S608
            for batch in frame.iter_slices(batch_size):
                cursor.executemany(sql, batch.rows())
    return frame.height


def bulk_insert(*, table: str, frame: pl.DataFrame, batch_size: int = 50_000) -> int:
    """Insert the frame's rows into ``table`` as they are (rows known to be new: a key that
    exists already is an IntegrityError). PostgreSQL: COPY straight into the table, with no
    staging table and no conflict check; SQLite: executemany per batch. Returns the rows."""
    if frame.is_empty():
        return 0
    qn = connection.ops.quote_name
    columns = ", ".join(qn(c) for c in frame.columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for batch in frame.iter_slices(batch_size):
                with cursor.cursor.copy(
                    f"COPY {qn(table)} ({columns}) FROM STDIN WITH (FORMAT csv)"
                ) as copy:
                    copy.write(batch.write_csv(include_header=False, null_value=""))
        else:
            frame = _sqlite_values(frame)
            placeholders = ", ".join(["%s"] * len(frame.columns))
            sql = f"INSERT INTO {qn(table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
            for batch in frame.iter_slices(batch_size):
                cursor.executemany(sql, batch.rows())
    return frame.height


def reserve_ids(*, table: str, count: int) -> pl.Series:
    """``count`` fresh primary keys of ``table`` (column ``id``), drawn before the rows are
    written, so that rows pointing at each other (a person and its identity) are written once
    each, with no second pass to connect them. PostgreSQL: ``nextval`` of the table's sequence,
    ``count`` times in one statement (safe beside other writers). SQLite: the ids after the
    largest ever used; call inside a transaction (the settings begin them IMMEDIATE: the write
    lock is held, nobody else can take them)."""
    if count <= 0:
        return pl.Series("id", [], dtype=pl.Int64)
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [qn(table)])
            (sequence,) = cursor.fetchone()
            cursor.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count]
            )
            return pl.Series("id", [row[0] for row in cursor.fetchall()], dtype=pl.Int64)
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {qn(table)}")  # noqa: S608
        (largest,) = cursor.fetchone()
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        used = cursor.fetchone()
        start = max(largest, used[0] if used else 0) + 1
        return pl.int_range(start, start + count, dtype=pl.Int64, eager=True).alias("id")


def bulk_update(*, table: str, frame: pl.DataFrame, key: str, batch_size: int = 50_000) -> int:
    """Set the frame's other columns on the rows of ``table`` whose ``key`` matches (rows not
    in the table are ignored). PostgreSQL: COPY into a temporary table, one UPDATE … FROM.
    SQLite: one prepared UPDATE executed per batch. Call inside a transaction."""
    if frame.is_empty():
        return 0
    qn = connection.ops.quote_name
    columns = [c for c in frame.columns if c != key]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            staging = qn(f"_stage_{uuid.uuid4().hex[:12]}")
            listed = ", ".join(qn(c) for c in frame.columns)
            cursor.execute(
                f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {listed} FROM {qn(table)} WITH NO DATA"
            )
            for batch in frame.iter_slices(batch_size):
                with cursor.cursor.copy(
                    f"COPY {staging} ({listed}) FROM STDIN WITH (FORMAT csv)"
                ) as copy:
                    copy.write(batch.write_csv(include_header=False, null_value=""))
            sets = ", ".join(f"{qn(c)} = s.{qn(c)}" for c in columns)
            cursor.execute(
                f"UPDATE {qn(table)} AS t SET {sets} FROM {staging} AS s "  # noqa: S608
                f"WHERE t.{qn(key)} = s.{qn(key)}"
            )
            cursor.execute(f"DROP TABLE {staging}")
        else:
            frame = _sqlite_values(frame.select([*columns, key]))
            sets = ", ".join(f"{qn(c)} = %s" for c in columns)
            sql = f"UPDATE {qn(table)} SET {sets} WHERE {qn(key)} = %s"  # noqa: S608
            for batch in frame.iter_slices(batch_size):
                cursor.executemany(sql, batch.rows())
    return frame.height


def _sqlite_values(frame: pl.DataFrame) -> pl.DataFrame:
    """Dates and datetimes as the text Django stores in SQLite (UTC, no offset)."""
    return frame.with_columns(
        [
            pl.col(name).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d %H:%M:%S%.6f")
            if dtype.time_zone  # type: ignore[attr-defined]
            else pl.col(name).dt.strftime("%Y-%m-%d %H:%M:%S%.6f")
            for name, dtype in frame.schema.items()
            if isinstance(dtype, pl.Datetime)
        ]
        + [
            pl.col(name).dt.strftime("%Y-%m-%d")
            for name, dtype in frame.schema.items()
            if dtype == pl.Date
        ]
    )


def query_frame(sql: str, params: Sequence, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """The rows of a query (its columns in the order and types of ``schema``) as a frame.
    PostgreSQL: read through ``COPY (query) TO STDOUT`` as CSV straight into Polars, no Python
    object per row (booleans arrive as t/f); SQLite: fetched rows."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(sql, params)
            return pl.DataFrame(cursor.fetchall(), schema=schema, orient="row")
        buffer = io.BytesIO()
        with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            for block in copy:
                buffer.write(block)
    if not buffer.tell():
        return pl.DataFrame(schema=schema)
    buffer.seek(0)
    read = {n: pl.String if t == pl.Boolean else t for n, t in schema.items()}
    frame = pl.read_csv(buffer, has_header=False, schema=read)
    return frame.with_columns(
        (pl.col(n) == "t").alias(n) for n, t in schema.items() if t == pl.Boolean
    )
