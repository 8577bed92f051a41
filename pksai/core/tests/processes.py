"""Helpers for tests that run `pksai serve`, `worker` or `scheduler` as real processes on the
test database (use them with ``@pytest.mark.django_db(transaction=True)``: a subprocess sees
only committed rows)."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import closing, contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

CONSOLE_SCRIPT = Path(sys.executable).with_name("pksai")


def subprocess_database_url(tmp_path: Path) -> str:
    """A DATABASE_URL other processes can open holding the test database as it is now:
    PostgreSQL's test database itself; for SQLite (in memory, private to this process) a
    copy in ``tmp_path`` made with the online backup API."""
    if connection.vendor == "sqlite":
        target = tmp_path / "served.sqlite3"
        connection.ensure_connection()
        with closing(sqlite3.connect(target)) as copy:
            connection.connection.backup(copy)
        return f"sqlite:///{target}"
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def owner_login() -> dict[str, str]:
    """USER and PASSWORD of the role that creates, restores into and drops databases in tests:
    the owner when the suite runs as a separate application role (DATABASE_OWNER, decision
    0004), else the test connection's own."""
    if settings.PKSAI_DB_OWNER:
        return {"USER": settings.PKSAI_DB_OWNER, "PASSWORD": settings.PKSAI_DB_OWNER_PASSWORD}
    return {
        "USER": connection.settings_dict["USER"],
        "PASSWORD": connection.settings_dict["PASSWORD"],
    }


def owner_connection(name: str | None = None, *, autocommit: bool = False):
    """A psycopg connection as ``owner_login()`` to database ``name`` (default: the test
    database) — for what only the owner may do; its changes are committed, not rolled back
    with the test."""
    return _connect(owner_login(), name, autocommit=autocommit)


def _connect(login: dict, name: str | None, *, autocommit: bool):
    """A psycopg connection to the test server as ``login`` (USER, PASSWORD)."""
    import psycopg

    s = connection.settings_dict
    return psycopg.connect(
        dbname=name or s["NAME"],
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        user=login["USER"] or None,
        password=login["PASSWORD"] or None,
        autocommit=autocommit,
    )


def drop_database(name: str) -> None:
    """Drop PostgreSQL database ``name`` (the owner's job) even while sessions of the
    application role are still open on it: the owner may not terminate another role's
    sessions (``WITH (FORCE)`` fails without pg_signal_backend), so the application role ends
    its own first, and a session a closing pool opens meanwhile is ended on the next try."""
    import psycopg

    for attempt in range(5):
        with _connect(connection.settings_dict, "postgres", autocommit=True) as own:
            own.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND usename = current_user AND pid <> pg_backend_pid()",
                (name,),
            )
        try:
            with owner_connection("postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except psycopg.errors.InsufficientPrivilege:
            if attempt == 4:
                raise
            time.sleep(0.5)


def grant_app_role_in(name: str) -> None:
    """After restoring into database ``name`` as the owner: the application role's grants, as
    `pksai restore` gives them (nothing to do with one role)."""
    if not settings.PKSAI_DB_OWNER:
        return
    from pksai.ops.db_roles import execute_all, grant_statements

    with owner_connection(name) as db:
        execute_all(
            db, grant_statements(owner=owner_login()["USER"], app=settings.PKSAI_DB_APP_ROLE)
        )


def query(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    """Committed rows of the subprocesses' database."""
    if url.startswith("sqlite"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            return db.execute(sql, params).fetchall()
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as db:
        return db.execute(sql.replace("?", "%s"), params).fetchall()


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def live_processes() -> dict[int, int]:
    """Live (not zombie) processes → their parent, from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        if state != "Z":
            found[int(entry.name)] = int(parent)
    return found


def descendants(pid: int) -> set[int]:
    parents = live_processes()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def get(url: str, *, timeout: float = 10, headers: dict | None = None, data: bytes | None = None):
    """(status, body) of a request; HTTP errors are answers too."""
    request = urllib.request.Request(url, headers=headers or {}, data=data)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def get_json(url: str, **kw) -> tuple[int, dict]:
    status, body = get(url, **kw)
    return status, json.loads(body)


def wait_until(predicate, *, timeout: float, every: float = 0.3, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if value := predicate():
                return value
        except OSError:
            pass
        time.sleep(every)
    raise AssertionError(f"{what} not reached within {timeout} s")


@contextmanager
def running(argv: list[str], *, database_url: str, log: Path, env: dict | None = None):
    """`pksai ARGV` as the console script, in its own session; SIGKILLs whatever is left of
    it and its descendants afterwards (the assertions are the test's business)."""
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603
            [str(CONSOLE_SCRIPT), *argv],
            env={**os.environ, "DATABASE_URL": database_url, **(env or {})},
            cwd=settings.BASE_DIR,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    seen: set[int] = set()
    try:
        process.seen = seen  # type: ignore[attr-defined]
        yield process
    finally:
        left = (seen | descendants(process.pid)) & set(live_processes())
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if process.poll() is None:
            process.kill()
        process.wait()
