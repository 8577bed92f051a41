"""Registry import on PostgreSQL vs a COPY floor: first import, re-import, next edition.

BENCH_IMPORT_PEOPLE people (default 1,000,000) in BENCH_IMPORT_FORMAT (csv, default, or
parquet), against a COPY floor of the same rows, with where the time goes and the peak memory
of each step.

Runs on its own PostgreSQL database, created (dropped first if it exists) and dropped here: the
database of BENCH_IMPORT_DATABASE_URL, else pksai_bench_import on the server of
BENCH_DATABASE_URL when that is PostgreSQL, else on postgres://postgres@127.0.0.1:5432.
Skipped, saying why, when that server cannot be reached.

Each step runs in its own process (``python -m benchmarks.bench_import STEP …``) so its peak
memory (maxrss) is its own; a step taking longer than BENCH_IMPORT_TIMEOUT seconds (default
1200) is stopped and the steps after it are skipped. Data generation is not timed.

* **COPY floor**: the rows the first import wrote (the same columns of registry_household and
  registry_person, read back as text) written by Polars as CSV into COPY, in one transaction,
  into empty copies of both tables (``LIKE … INCLUDING ALL``: same indexes, unique and check
  constraints; no foreign keys). The importer's goal is at most 3× this. Measured right after
  the first import and again after the re-import (back to back, so the load of a shared
  machine weighs on both alike); the goal is judged against the mean of the two, and the
  load average at the end of each step is printed. ``make bench`` ends with PASS or FAIL.
* **first import**: ``registry_import`` of the synthetic extract (CSV) into an empty registry.
* **re-import**: the same file and edition again (writes nothing).
* **next edition**: ``synth_next_edition`` of the first (people gone, moved, renamed, born,
  new), a year later: retires, creates, updates, links.

For the first import the wall time is split by wrapping the importer's own calls with timers
(read, validate, diff queries, hashes, COPY upserts, retire, identities, linkage, commit).
"""

from __future__ import annotations

import json
import os
import re
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PEOPLE = int(os.environ.get("BENCH_IMPORT_PEOPLE", "1000000"))
TIMEOUT = int(os.environ.get("BENCH_IMPORT_TIMEOUT", "1200"))
FORMAT = os.environ.get("BENCH_IMPORT_FORMAT", "csv")  # or parquet
DATABASE = "pksai_bench_import"
REGENCIES = ["7371", "7306", "3372", "3310", "3504"]
SOURCE = "DTKS"
ROOT = Path(__file__).resolve().parent.parent


# --- the parent: database, steps, table ------------------------------------------------------


def _database_url() -> str:
    url = os.environ.get("BENCH_IMPORT_DATABASE_URL")
    if url:
        return url
    bench = os.environ.get("BENCH_DATABASE_URL", "")
    if bench.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(bench)
        return urlunsplit((parts.scheme, parts.netloc, f"/{DATABASE}", parts.query, ""))
    return f"postgres://postgres@127.0.0.1:5432/{DATABASE}"


def _server(url: str) -> dict:
    """psycopg connection arguments for the server's maintenance database."""
    parts = urlsplit(url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": parts.username or "postgres",
        "password": parts.password or None,
        "dbname": "postgres",
        "connect_timeout": 5,
        "autocommit": True,
    }


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(**_server(url)) as conn:
        conn.execute(sql)


def run_step(
    module: str,
    name: str,
    url: str,
    workdir: Path,
    *args: str,
    timeout: int,
    timeout_hint: str,
    failure_hint: str = "",
    env: dict[str, str] | None = None,
) -> dict | None:
    """Run one step of a bench ``module`` (``python -m module name result.json *args``) in its
    own process, so its peak memory is its own; its result (JSON), or None when it failed or
    ran over ``timeout`` seconds (``timeout_hint`` says which setting and what follows)."""
    result = workdir / f"{name}-{time.monotonic_ns()}.json"
    env = os.environ | {
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "pksai.settings",
        "PKSAI_DB_POOL": "0",
        **(env or {}),
    }
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(32))
    command = [sys.executable, "-m", module, name, str(result), *args]
    try:
        done = subprocess.run(  # noqa: S603 (our own module)
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        print(f"  {name}: stopped after {timeout} s ({timeout_hint})")
        return None
    if done.returncode != 0 or not result.exists():
        tail = "\n    ".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        print(f"  {name}: failed (exit {done.returncode}){failure_hint}\n    {tail}")
        return None
    return json.loads(result.read_text())


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f}/{five:.1f}/{fifteen:.1f}"


def _step(name: str, url: str, workdir: Path, *args: str) -> dict | None:
    done = run_step(
        "benchmarks.bench_import",
        name,
        url,
        workdir,
        *args,
        timeout=TIMEOUT,
        timeout_hint="BENCH_IMPORT_TIMEOUT; later steps skipped",
        failure_hint="; later steps skipped",
        env={"PKSAI_DB_APPLICATION_NAME": "pksai-bench-import"},
    )
    if done is not None:
        done["load"] = _load()  # the machine's load average (1/5/15 min) as the step ended
    return done


def run() -> list[dict]:
    """Prints the table; returns the goal's verdict (for the summary of ``make bench``)."""
    import psycopg

    url = _database_url()
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or DATABASE
    shown = f"{parts.hostname or '127.0.0.1'}:{parts.port or 5432}/{name}"
    try:
        _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _admin(url, f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"  skipped: PostgreSQL for {shown} is not reachable ({reason})")
        return [_verdict(None, None, f"skipped: PostgreSQL for {shown} is not reachable")]
    workdir = Path(tempfile.mkdtemp(prefix="pksai-bench-import-"))
    try:
        return _run(url, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        try:
            _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except psycopg.Error as exc:
            print(f"  could not drop {name}: {exc}")


def _row(label: str, step: dict | None, count: int, floor: dict | None) -> None:
    if not step:
        return
    ratio = f"{step['seconds'] / floor['seconds']:>9.2f}" if floor else f"{'–':>9}"
    print(
        f"  {label:<26}{step['seconds']:>9.1f}{count / step['seconds']:>11,.0f}{ratio}"
        f"{step['peak_mb']:>9,.0f}  created {step['created']:,}, updated "
        f"{step['updated']:,}, unchanged {step['unchanged']:,}, retired "
        f"{step['retired']:,}, rejected {step['rejected']:,}; load {step['load']}",
        flush=True,
    )


GOAL = 3.0  # the first import may take at most this many times the COPY floor


def _verdict(first: dict | None, floor: dict | None, why: str = "") -> dict:
    """The import goal: first import ≤ GOAL × the COPY floor of the same rows."""
    goal = f"registry import ≤ {GOAL:g}× COPY floor (PostgreSQL, {PEOPLE:,} people)"
    if not (first and floor):
        return {"goal": goal, "passed": None, "value": why or "not measured (a step failed)"}
    ratio = first["seconds"] / floor["seconds"]
    return {
        "goal": goal,
        "passed": ratio <= GOAL,
        "value": f"{ratio:.2f}× (import {first['seconds']:.1f} s, COPY floor "
        f"{floor['seconds']:.1f} s{' (mean of two)' if ' and ' in floor['load'] else ''}; "
        f"load average at their end {first['load']} / {floor['load']})",
    }


def _run(url: str, workdir: Path) -> list[dict]:
    print(f"  load average (1/5/15 min) at the start: {_load()} on {os.cpu_count()} CPUs")
    prepared = _step("prepare", url, workdir, str(PEOPLE))
    if prepared is None:
        return [_verdict(None, None)]
    print(
        f"  data: edition {prepared['first_edition']} {prepared['first_rows']:,} people "
        f"({prepared['households']:,} households), edition {prepared['next_edition']} "
        f"{prepared['next_rows']:,} people, {FORMAT}, {len(REGENCIES)} regencies "
        f"({prepared['seconds']:.1f} s with migrate and areas, not timed)",
        flush=True,
    )
    rows = prepared["first_rows"]
    print(
        f"  {'step':<26}{'wall s':>9}{'people/s':>11}{'× floor':>9}{'peak MB':>9}  written",
        flush=True,
    )
    # The floor right after the import (it copies the rows the import wrote): back to back,
    # under the same load, so that their ratio is fair on a shared machine.
    first = _step("import", url, workdir, prepared["first"], prepared["first_edition"])
    floor = first and _step("floor", url, workdir, json.dumps(first["columns"]))
    if floor:
        print(
            f"  {'COPY floor':<26}{floor['seconds']:>9.1f}{rows / floor['seconds']:>11,.0f}"
            f"{1:>9.2f}{floor['peak_mb']:>9,.0f}  "
            f"{floor['households']:,} households + {floor['people']:,} people "
            f"(households {floor['household_seconds']:.1f} s, people "
            f"{floor['person_seconds']:.1f} s, commit {floor['commit_seconds']:.1f} s); "
            f"load {floor['load']}",
            flush=True,
        )
    _row("first import", first, rows, floor)
    again = floor and _step("import", url, workdir, prepared["first"], prepared["first_edition"])
    _row("re-import (same edition)", again, rows, floor)
    # The floor once more (the re-import changed nothing): on a shared machine the load moves
    # within minutes, so the goal is judged against the mean of both floors.
    second = again and _step("floor", url, workdir, json.dumps(first["columns"]))
    if second:
        print(
            f"  {'COPY floor again':<26}{second['seconds']:>9.1f}"
            f"{rows / second['seconds']:>11,.0f}{second['seconds'] / floor['seconds']:>9.2f}"
            f"{second['peak_mb']:>9,.0f}  load {second['load']}",
            flush=True,
        )
        floor = floor | {
            "seconds": (floor["seconds"] + second["seconds"]) / 2,
            "load": f"{floor['load']} and {second['load']}",
        }
    after = again and _step("import", url, workdir, prepared["next"], prepared["next_edition"])
    _row("next edition", after, prepared["next_rows"], floor)
    for label, step in (("first import", first), ("next edition", after)):
        if not step:
            continue
        phases, inner = step["phases"], step["inside_write"]
        listed = ", ".join(f"{k} {v:.1f}" for k, v in phases.items() if v >= 0.05)
        within = ", ".join(f"{k} {v:.1f}" for k, v in inner.items() if v >= 0.05)
        print(f"  where the {label}'s {step['seconds']:.1f} s go (s): {listed}")
        print(f"    of which _write: {within}")
        sql = ", ".join(f"{k} {v:.1f}" for k, v in step["statements"].items() if v >= 0.05)
        print(f"    SQL statements (executed through Django, not COPY): {sql}")
    verdict = _verdict(first, floor)
    mark = {True: "PASS", False: "FAIL", None: "NOT MEASURED"}[verdict["passed"]]
    print(f"  {mark}: first import / COPY floor = {verdict['value']}; goal ≤ {GOAL:g}×")
    return [verdict]


# --- the steps, each in its own process --------------------------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _prepare(workdir: Path, people: str) -> dict:
    from django.core.management import call_command
    from django.utils import timezone

    from pksai.areas.models import Area
    from pksai.areas.services import areas_load
    from pksai.registry.synth import synth_registry_for_regencies
    from pksai.registry.synth_editions import synth_next_edition

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if not Area.objects.filter(level=Area.Level.VILLAGE).exists():
        areas_load()
    # The first edition a year ago, the next one today: births since are not in the future.
    today = timezone.localdate()
    households = max(1, round(int(people) / 4.24))
    first = synth_registry_for_regencies(
        regencies=REGENCIES, households=households, seed=1, today=today - timedelta(days=365)
    )
    following = synth_next_edition(first, seed=2, today=today).frame
    out = {}
    for name, frame in (("first", first), ("next", following)):
        path = workdir / f"{name}.{FORMAT}"
        frame.write_parquet(path) if FORMAT == "parquet" else frame.write_csv(path)
        out[name] = str(path)
    return out | {
        "first_rows": first.height,
        "next_rows": following.height,
        "households": households,
        "first_edition": f"{today - timedelta(days=365):%Y-%m}",
        "next_edition": f"{today:%Y-%m}",
        "seconds": time.perf_counter() - started,
    }


class _Timers:
    """Wall time of named calls, replacing module attributes by timed wrappers (the importer's
    code is unchanged; only the names it calls are wrapped). Nested timed calls count in both."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, module, name: str, label: str | None = None, by_table: bool = False) -> None:
        original = getattr(module, name)

        def timed(*args, **kwargs):
            key = label or name
            if by_table:
                table = kwargs.get("table") or getattr(args[0], "_meta", None)
                key = f"{key} {getattr(table, 'db_table', table)}"
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - started

        setattr(module, name, timed)


def _statement_kind(sql: str) -> str:
    """``INSERT registry_person``, ``UPDATE registry_identity``, ``SELECT registry_person``…"""
    words = re.sub(r"[\"`]", "", sql).split()
    verb = words[0].upper() if words else "?"
    upper = [w.upper() for w in words]
    after = {"INSERT": "INTO", "DELETE": "FROM", "SELECT": "FROM", "UPDATE": "UPDATE"}
    anchor = after.get(verb)
    if anchor in upper:
        at = upper.index(anchor)
        if at + 1 < len(words):
            name = words[at + 1].strip("(),;")
            if name.startswith("_stage_"):
                name = "staging"
            return f"{verb} {name}"
    return verb


def _import(path: str, edition: str) -> dict:
    from django.db import connection

    from pksai.registry import services

    timers = _Timers()
    for name, label in (
        ("_sha256", "file sha256"),
        ("check_extract", "read + check (in parts)"),
        ("_refuse_older_edition", "older-edition check"),
        ("_existing", "diff queries"),
        ("stable_hash", "row hashes"),
        ("_retire_absent", "retire"),
        ("_created_ids", "created ids"),
        ("_needing_survivorship", "survivorship check"),
        ("reserve_ids", "reserve ids"),
        ("_sharing_a_nik", "rows sharing a NIK"),
        ("_others_in", "others in coverage"),
        ("ensure_identities", "ensure_identities"),
        ("_identities_of", "identities_of"),
        ("link_by_nik", "link_by_nik"),
        ("link_probabilistic", "link_probabilistic"),
        ("refresh_identities", "refresh_identities"),
        ("audit_record", "audit"),
        ("write_error_report", "error report"),
    ):
        timers.wrap(services, name, label)
    columns: dict[str, list[str]] = {}

    def recording(write):
        def recorded(*, table, frame, **kwargs):
            if table in ("registry_household", "registry_person"):  # what the floor writes
                known = columns.setdefault(table, [])
                known += [c for c in frame.columns if c not in known]
            return write(table=table, frame=frame, **kwargs)

        return recorded

    services.bulk_upsert = recording(services.bulk_upsert)
    services.bulk_insert = recording(services.bulk_insert)
    timers.wrap(services, "bulk_upsert", "COPY upsert", by_table=True)
    timers.wrap(services, "bulk_insert", "COPY insert", by_table=True)
    timers.wrap(services, "_write", "_write")
    from pksai.registry import chunks

    timers.wrap(chunks.CheckedExtract, "good", "part frames + NIK flags")
    connection.ensure_connection()
    timers.wrap(connection, "commit", "commit")

    statements: dict[str, float] = {}

    def timed_sql(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            key = _statement_kind(sql)
            statements[key] = statements.get(key, 0.0) + time.perf_counter() - started

    started = time.perf_counter()
    with connection.execute_wrapper(timed_sql):
        batch = services.registry_import(path=path, source=SOURCE, edition=edition, score="no")
    seconds = time.perf_counter() - started
    inner = ("diff queries", "row hashes", "COPY upsert", "COPY insert", "reserve ids")
    ordered = sorted(timers.seconds.items(), key=lambda kv: -kv[1])
    inside_write = {k: v for k, v in ordered if k.startswith(inner)}
    phases = {k: v for k, v in ordered if k not in inside_write}
    phases["other"] = max(seconds - sum(phases.values()), 0.0)
    inside_write["Polars frames (rest)"] = max(
        phases.get("_write", 0.0) - sum(inside_write.values()), 0.0
    )
    return {
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "created": batch.created,
        "updated": batch.updated,
        "unchanged": batch.unchanged,
        "retired": batch.retired,
        "rejected": batch.rows_rejected,
        "status": batch.status,
        "phases": phases,
        "inside_write": inside_write,
        "statements": dict(sorted(statements.items(), key=lambda kv: -kv[1])[:8]),
        "columns": columns,
    }


def _floor(columns_json: str) -> dict:
    import io

    import polars as pl
    from django.db import connection, transaction

    columns: dict[str, list[str]] = json.loads(columns_json)
    qn = connection.ops.quote_name
    frames = {}
    with connection.cursor() as cursor:
        for table, names in columns.items():
            listed = ", ".join(qn(c) for c in names)
            buffer = io.BytesIO()
            with cursor.cursor.copy(
                f"COPY (SELECT {listed} FROM {qn(table)} ORDER BY id) TO STDOUT WITH (FORMAT csv)"  # noqa: S608
            ) as copy:
                for block in copy:
                    buffer.write(block)
            buffer.seek(0)
            frames[table] = pl.read_csv(
                buffer, has_header=False, new_columns=names, infer_schema=False
            )
            cursor.execute(f"DROP TABLE IF EXISTS {qn('floor_' + table)}")
            cursor.execute(f"CREATE TABLE {qn('floor_' + table)} (LIKE {qn(table)} INCLUDING ALL)")
    seconds = {}
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table, frame in frames.items():
            listed = ", ".join(qn(c) for c in frame.columns)
            begun = time.perf_counter()
            for part in frame.iter_slices(50_000):
                with cursor.cursor.copy(
                    f"COPY {qn('floor_' + table)} ({listed}) FROM STDIN WITH (FORMAT csv)"
                ) as copy:
                    copy.write(part.write_csv(include_header=False, null_value=""))
            seconds[table] = time.perf_counter() - begun
        begun = time.perf_counter()
    commit = time.perf_counter() - begun
    total = time.perf_counter() - started
    with connection.cursor() as cursor:
        for table in frames:
            cursor.execute(f"DROP TABLE {qn('floor_' + table)}")
    return {
        "seconds": total,
        "commit_seconds": commit,
        "household_seconds": seconds.get("registry_household", 0.0),
        "person_seconds": seconds.get("registry_person", 0.0),
        "households": frames["registry_household"].height,
        "people": frames["registry_person"].height,
        "peak_mb": _peak_mb(),
    }


def _main() -> int:
    import django

    django.setup()
    step, result, *args = sys.argv[1:]
    if step == "prepare":
        out = _prepare(Path(result).parent, *args)
    else:
        out = {"import": _import, "floor": _floor}[step](*args)
    Path(result).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
