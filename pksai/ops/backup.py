"""Backups that restore: the database and every stored file, with a manifest to check them by.

A backup is a directory:

``database.dump``     PostgreSQL: ``pg_dump`` custom format, taken in an exported snapshot
``database.sqlite3``  SQLite: a copy made with SQLite's online backup API
``files/<kind>/...``  every file of the shared storages (attachments, imports, media)
``manifest.json``     versions, applied migrations, row counts per table (counted in the same
                      snapshot as the dump), every file with its size and SHA-256

Files are copied after the database snapshot is taken: files are written before the rows that
name them and never deleted, so every file the backed-up rows refer to is in the backup.

:func:`backup_restore` writes a backup into an EMPTY database and empty storages (``force``
replaces what is there), after checking every checksum, and then compares the restored row
counts and files with the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import django
from django.db import DEFAULT_DB_ALIAS, connections

from pksai.core import files
from pksai.ops.db_roles import grant_app_role

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
STORAGE_KINDS = {"attachments": "attachments", "imports": "imports", "media": "default"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup cannot be written or restored; the message says why."""


@dataclass
class RestoreResult:
    tables: int
    rows: int
    files: int
    notes: list[str] = field(default_factory=list)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def _quote(connection, table: str) -> str:
    return connection.ops.quote_name(table)


# --- PostgreSQL command-line tools -----------------------------------------------------------


def _pg_env(settings_dict: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore (the password through the environment)."""
    args = ["--dbname", settings_dict["NAME"]]
    if settings_dict.get("HOST"):
        args += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", str(settings_dict["USER"])]
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    sslmode = (settings_dict.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return args, env


def _run(command: list[str], env: dict[str, str]) -> str:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} not found: install the PostgreSQL client tools")
    result = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")
    return result.stdout


# --- the database: snapshot, row counts, migrations ------------------------------------------


def _row_counts(connection, tables: list[str]) -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(tables):  # one COUNT per table, not per row
            cursor.execute(f"SELECT COUNT(*) FROM {_quote(connection, table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def _migrations(connection) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    if "django_migrations" not in connection.introspection.table_names():
        return applied
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        for app, name in cursor.fetchall():
            applied.setdefault(app, []).append(name)
    return applied


def _backup_postgresql(connection, target: Path) -> dict[str, Any]:
    """pg_dump in a snapshot exported by a repeatable-read transaction, whose row counts are
    therefore those of the dump."""
    connection.ensure_connection()
    raw = connection.connection
    previous_autocommit = raw.autocommit
    raw.autocommit = False  # our own transaction, outside Django's
    try:
        with raw.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()
            args, env = _pg_env(connection.settings_dict)
            _run(
                [
                    "pg_dump",
                    *args,
                    "--format=custom",
                    "--no-password",
                    f"--snapshot={snapshot}",
                    f"--file={target / PG_DUMP}",
                ],
                env,
            )
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            tables = [row[0] for row in cursor.fetchall()]
            counts = {}
            for table in sorted(tables):
                cursor.execute(f"SELECT COUNT(*) FROM {_quote(connection, table)}")  # noqa: S608
                counts[table] = cursor.fetchone()[0]
            cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
            migrations: dict[str, list[str]] = {}
            for app, name in cursor.fetchall():
                migrations.setdefault(app, []).append(name)
        raw.rollback()
    finally:
        raw.autocommit = previous_autocommit
    pg_dump_version = _run(["pg_dump", "--version"], env).strip()
    return {
        "vendor": "postgresql",
        "server_version": server_version,
        "tool": pg_dump_version,
        "file": PG_DUMP,
        "tables": counts,
        "migrations": migrations,
    }


def _backup_sqlite(connection, target: Path) -> dict[str, Any]:
    connection.ensure_connection()
    copy_path = target / SQLITE_COPY
    destination = sqlite3.connect(copy_path)
    try:
        connection.connection.backup(destination)  # consistent, while others keep writing
        cursor = destination.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        tables = [row[0] for row in cursor.fetchall()]
        counts = {
            table: destination.execute(
                f'SELECT COUNT(*) FROM "{table}"'  # noqa: S608
            ).fetchone()[0]
            for table in sorted(tables)
        }
        migrations: dict[str, list[str]] = {}
        for app, name in destination.execute(
            "SELECT app, name FROM django_migrations ORDER BY app, name"
        ):
            migrations.setdefault(app, []).append(name)
    finally:
        destination.close()
    return {
        "vendor": "sqlite",
        "server_version": sqlite3.sqlite_version,
        "tool": "sqlite3 online backup API",
        "file": SQLITE_COPY,
        "tables": counts,
        "migrations": migrations,
    }


# --- files -----------------------------------------------------------------------------------


def _copy_out(kind: str, storage_kind: str, target: Path) -> list[dict[str, Any]]:
    entries = []
    for name in files.list_files(storage_kind):
        destination = target / "files" / kind / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        with files.open_file(storage_kind, name) as source, destination.open("wb") as out:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        entries.append({"kind": kind, "name": name, "size": size, "sha256": digest.hexdigest()})
    return entries


def backup_create(*, target: Path, using: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """Write a backup into ``target`` (a new or empty directory); returns the manifest."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: back up into a new directory")
    target.mkdir(parents=True, exist_ok=True)
    os.chmod(target, 0o700)  # personal data: readable by the owner only
    connection = connections[using]
    if connection.vendor == "postgresql":
        database = _backup_postgresql(connection, target)
    elif connection.vendor == "sqlite":
        database = _backup_sqlite(connection, target)
    else:
        raise BackupError(f"backups of {connection.vendor} databases are not supported")
    database["sha256"] = _sha256_file(target / database["file"])
    stored = []
    for kind, storage_kind in STORAGE_KINDS.items():
        stored.extend(_copy_out(kind, storage_kind, target))
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "versions": {
            "pksai": _package_version("pksai"),
            "django": django.get_version(),
            "python": platform.python_version(),
        },
        "database": {k: v for k, v in database.items() if k not in ("tables", "migrations")},
        "migrations": database["migrations"],
        "tables": database["tables"],
        "files": stored,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


# --- restore ---------------------------------------------------------------------------------


def manifest_load(source: Path) -> dict[str, Any]:
    path = Path(source) / MANIFEST
    if not path.exists():
        raise BackupError(f"{path} not found: not a PKSAI backup")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def backup_verify(source: Path, manifest: dict[str, Any]) -> list[str]:
    """Every checksum of the backup against its manifest; the problems found (empty: intact)."""
    source = Path(source)
    problems = []
    database_file = source / manifest["database"]["file"]
    if not database_file.exists():
        problems.append(f"{database_file.name}: missing")
    elif _sha256_file(database_file) != manifest["database"]["sha256"]:
        problems.append(f"{database_file.name}: checksum differs")
    for entry in manifest["files"]:
        path = source / "files" / entry["kind"] / entry["name"]
        if not path.exists():
            problems.append(f"files/{entry['kind']}/{entry['name']}: missing")
        elif _sha256_file(path) != entry["sha256"]:
            problems.append(f"files/{entry['kind']}/{entry['name']}: checksum differs")
    return problems


def _user_tables(connection) -> list[str]:
    return connection.introspection.table_names()


def _storage_names() -> dict[str, list[str]]:
    return {kind: files.list_files(storage) for kind, storage in STORAGE_KINDS.items()}


def _empty_database(connection) -> None:
    """Drop every table (``--force``)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    else:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys = OFF")
            for table in _user_tables(connection):
                cursor.execute(f"DROP TABLE IF EXISTS {_quote(connection, table)}")


def _restore_database(connection, source: Path, manifest: dict[str, Any]) -> None:
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"the backup is of a {vendor} database; the target is {connection.vendor}"
        )
    if vendor == "postgresql":
        args, env = _pg_env(connection.settings_dict)
        connection.close()
        _run(
            [
                "pg_restore",
                *args,
                "--no-owner",
                "--no-acl",
                "--exit-on-error",
                "--single-transaction",
                "--no-password",
                str(source / PG_DUMP),
            ],
            env,
        )
    else:
        connection.ensure_connection()
        backup = sqlite3.connect(source / SQLITE_COPY)
        try:
            backup.backup(connection.connection)
        finally:
            backup.close()
    connection.close()


def backup_restore(
    *, source: Path, force: bool = False, using: str = DEFAULT_DB_ALIAS
) -> RestoreResult:
    """Restore a backup into the (empty) database ``using`` and the (empty) storages, then
    check the result against the manifest."""
    source = Path(source)
    manifest = manifest_load(source)
    problems = backup_verify(source, manifest)
    if problems:
        raise BackupError("the backup is damaged: " + "; ".join(problems))
    connection = connections[using]
    notes = _migration_notes(manifest)
    tables = _user_tables(connection)
    stored = _storage_names()
    if not force:
        if tables:
            raise BackupError(
                f"the database is not empty ({len(tables)} tables): restore into an empty "
                "database, or pass --force to replace it"
            )
        busy = [kind for kind, names in stored.items() if names]
        if busy:
            raise BackupError(
                f"the file storage is not empty ({', '.join(busy)}): restore into empty "
                "storage, or pass --force to replace it"
            )
    else:
        if tables:
            _empty_database(connection)
        for kind, names in stored.items():
            for name in names:
                files.delete(STORAGE_KINDS[kind], name)
    _restore_database(connection, source, manifest)
    grant_app_role(connection)  # run as the owner: the application role's grants (decision 0004)
    for entry in manifest["files"]:
        path = source / "files" / entry["kind"] / entry["name"]
        with path.open("rb") as handle:
            saved = files.save_chunks(STORAGE_KINDS[entry["kind"]], entry["name"], handle)
        if saved != entry["name"]:
            raise BackupError(f"{entry['name']} was stored as {saved}")
    mismatches = backup_compare(manifest, using=using)
    if mismatches:
        raise BackupError("the restored data differs from the manifest: " + "; ".join(mismatches))
    return RestoreResult(
        tables=len(manifest["tables"]),
        rows=sum(manifest["tables"].values()),
        files=len(manifest["files"]),
        notes=notes,
    )


def backup_compare(manifest: dict[str, Any], *, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """What differs between a manifest and the database and storages now."""
    connection = connections[using]
    problems = []
    counts = _row_counts(connection, _user_tables(connection))
    for table, expected in sorted(manifest["tables"].items()):
        actual = counts.get(table)
        if actual != expected:
            problems.append(f"table {table}: {actual} rows, the manifest says {expected}")
    for table in sorted(set(counts) - set(manifest["tables"])):
        problems.append(f"table {table}: not in the manifest")
    for entry in manifest["files"]:
        storage_kind = STORAGE_KINDS[entry["kind"]]
        if not files.exists(storage_kind, entry["name"]):
            problems.append(f"{entry['kind']}/{entry['name']}: missing")
            continue
        digest = hashlib.sha256()
        with files.open_file(storage_kind, entry["name"]) as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        if digest.hexdigest() != entry["sha256"]:
            problems.append(f"{entry['kind']}/{entry['name']}: checksum differs")
    if _migrations(connection) != manifest["migrations"]:
        problems.append("applied migrations differ from the manifest")
    return problems


def _migration_notes(manifest: dict[str, Any]) -> list[str]:
    """Compare the backup's migrations with this code's: newer code → migrate after restoring;
    an older code than the backup cannot run it."""
    from django.db.migrations.loader import MigrationLoader

    known = {key for key in MigrationLoader(None, ignore_no_migrations=True).disk_migrations}
    applied = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    unknown = sorted(applied - known)
    if unknown:
        sample = ", ".join(f"{a}.{n}" for a, n in unknown[:5])
        raise BackupError(
            f"the backup comes from a newer version of PKSAI ({len(unknown)} migrations this "
            f"code does not have: {sample}): install that version to restore it"
        )
    pending = len(known - applied)
    if pending:
        return [f"{pending} migrations newer than the backup: run `pksai migrate` next"]
    return []
