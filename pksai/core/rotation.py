"""Re-sealing encrypted columns and re-hashing NIKs (``pksai rotate-keys``, decision 0024).

Every column of an ``Encrypted…Field`` is walked in primary-key chunks; a value not sealed
with the current key (an older key, or clear text written before encryption) is opened and
sealed again, the chunk written back with one set-based update (``core.bulk.bulk_update``:
COPY + ``UPDATE … FROM`` on PostgreSQL). A field with a keyed hash beside it (``Person.nik``
→ ``nik_hash``) has its hash recomputed under the current hash key where it differs. Each
chunk commits on its own, and a chunk already done no longer matches, so a stopped rotation
resumes where it stopped. The same functions fill existing databases in the migrations that
introduced encryption (they take the migration's ``apps``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import polars as pl
from django.db import connection, transaction

from pksai.core import crypto
from pksai.core.bulk import bulk_update

CHUNK = 5_000


@dataclass
class Column:
    """One encrypted column (and the keyed-hash column beside it, if any)."""

    label: str  # app_label.model.field
    table: str
    pk: str
    column: str
    hash_column: str = ""


@dataclass
class Counts:
    label: str
    resealed: int = 0
    rehashed: int = 0


def encrypted_columns(models: Iterable) -> list[Column]:
    """The encrypted columns of these models (current or a migration's historical ones)."""
    from pksai.core.fields import EncryptedMixin

    found = []
    for model in models:
        if model._meta.proxy or not model._meta.managed:
            continue
        names = {f.name: f for f in model._meta.concrete_fields}
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedMixin):
                hashed = names.get(f"{field.name}_hash")
                found.append(
                    Column(
                        label=f"{model._meta.label_lower}.{field.name}",
                        table=model._meta.db_table,
                        pk=model._meta.pk.column,
                        column=field.column,
                        hash_column=hashed.column if hashed is not None else "",
                    )
                )
    return found


def _chunk(col: Column, after, *, rehash: bool, ring: crypto.Keyring) -> list[tuple]:
    qn = connection.ops.quote_name
    table, pk, column = qn(col.table), qn(col.pk), qn(col.column)
    prefix = ring.current_prefix
    stale = f"(substr({column}, 1, {len(prefix)}) <> %s)"
    params: list = [prefix]
    if col.hash_column:
        hashed = qn(col.hash_column)
        # a value without its hash (written before there were hashes), or every value when
        # the hash key changed
        stale = f"({stale} OR {hashed} = '' OR %s)"
        params.append(rehash)
        listed = f"{pk}, {column}, {hashed}"
    else:
        listed = f"{pk}, {column}, ''"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {listed} FROM {table} WHERE {column} <> '' AND {pk} > %s "  # noqa: S608
            f"AND {stale} ORDER BY {pk} LIMIT {CHUNK}",
            [after, *params],
        )
        return cursor.fetchall()


def reseal_column(
    col: Column,
    *,
    rehash: bool = False,
    ring: crypto.Keyring | None = None,
    progress: Callable[[Counts], None] | None = None,
) -> Counts:
    """Seal every value of ``col`` not under the current key with it, and (re)compute its keyed
    hash where missing — or everywhere when ``rehash`` (the hash key changed)."""
    ring = ring or crypto.keyring()
    counts = Counts(col.label)
    after = 0
    while rows := _chunk(col, after, rehash=rehash, ring=ring):
        after = rows[-1][0]
        ids = [r[0] for r in rows]
        stored = [r[1] for r in rows]
        clear = crypto.open_many(stored, ring)
        prefix = ring.current_prefix
        frame = pl.DataFrame({col.pk: ids}, schema={col.pk: pl.Int64})
        stale = [not v.startswith(prefix) for v in stored]
        sealed = [
            s if keep else v
            for s, v, keep in zip(crypto.seal_many(clear, ring), stored, stale, strict=True)
        ]
        frame = frame.with_columns(pl.Series(col.column, sealed, pl.String))
        changed = pl.Series(stale)
        if col.hash_column:
            hashes = crypto.nik_hashes(clear, ring)
            frame = frame.with_columns(pl.Series(col.hash_column, hashes, pl.String))
            moved = pl.Series([h != r[2] for h, r in zip(hashes, rows, strict=True)])
            counts.rehashed += int(moved.sum())
            changed = changed | moved
        counts.resealed += sum(stale)
        with transaction.atomic():
            bulk_update(table=col.table, frame=frame.filter(changed), key=col.pk)
        if progress:
            progress(counts)
    return counts


def reseal_models(models: Iterable, *, rehash: bool = False, **kwargs) -> list[Counts]:
    return [reseal_column(c, rehash=rehash, **kwargs) for c in encrypted_columns(models)]


def migration_sealer(app_label: str):
    """A ``RunPython`` function sealing the clear values of ``app_label``'s encrypted columns
    (and filling the keyed hashes) in an existing database, with the keys of the settings."""

    def run(apps, schema_editor) -> None:
        reseal_models(apps.get_app_config(app_label).get_models())

    return run
