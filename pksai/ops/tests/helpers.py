"""Shared by the ops tests: a small database with a case, an attachment and stored files; a
second database to restore or copy into; checksums of a storage directory."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from pksai.accounts.tests.factories import make_user
from pksai.cases import records
from pksai.cases.tests.factories import register
from pksai.core import files
from pksai.core.tests.processes import drop_database, owner_login

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def demo_records() -> dict:
    """A case with a consent form attached, an import upload and a media file (the caller
    has pilot_areas and points the storage settings at temporary directories)."""
    team = {
        "staff": make_user(roles=["registration_staff"], scope=["73.71"]),
        "worker": make_user(roles=["social_worker"], scope=["73.71"]),
        "supervisor": make_user(roles=["supervisor"], scope=["73.71"]),
    }
    case = register(team)
    upload = io.BytesIO(PDF)
    upload.name = "persetujuan.pdf"
    upload.size = len(PDF)
    attachment = records.attachment_add(
        case=case, by=team["worker"], kind="consent", title="Persetujuan", upload=upload
    )
    files.save_bytes("imports", "uploads/extract.csv", b"nik,nama\n1,A\n")
    files.save_bytes("default", "logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
    return {"team": team, "case": case, "attachment": attachment}


def tree_checksums(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(Path(root).rglob("*"))
        if path.is_file()
    }


def row_counts_here() -> dict[str, int]:
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def database_url(settings_dict: dict, name: str) -> str:
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    user = settings_dict.get("USER") or ""
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{name}"


@contextmanager
def second_database(tmp_path: Path, suffix: str) -> Iterator[dict]:
    """A new, empty database beside the test database: PostgreSQL (created and dropped here)
    or a SQLite file. Yields its settings dict (NAME, url)."""
    base = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(tmp_path / f"{suffix}.sqlite3")
        yield {**base, "NAME": name, "url": database_url(base, name), "OPTIONS": {}}
        return
    import psycopg

    name = f"{base['NAME']}_{suffix}"[:63]
    # created (and owned) by the owner role when the suite runs as the application role
    admin_url = database_url({**base, **owner_login()}, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {**base, "NAME": name, "url": database_url(base, name)}
    finally:
        drop_database(name)


def row_counts_of(url: str) -> dict[str, int]:
    """Row counts per table of another database, read without Django."""
    if url.startswith("sqlite:///"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            tables = [
                r[0]
                for r in db.execute(
                    "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                )
            ]
            return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608
    import psycopg

    with psycopg.connect(url) as db:
        tables = [
            r[0]
            for r in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            ).fetchall()
        ]
        return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608
