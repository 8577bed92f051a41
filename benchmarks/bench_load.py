"""Load test: BENCH_LOAD_USERS users (default 32) on the production and the development server.

Issue 16. Locust, headless, for BENCH_LOAD_SECONDS seconds per server (default 60), with a mix
of roles and pages (benchmarks/load_locustfile.py: social workers open the case list, a case
of theirs and their home page; supervisors the overdue list and case pages; coordinators and
a national analyst the monitoring dashboard; data officers the registry import list; the
public the complaint form) against

* the production server: ``pksai serve 127.0.0.1:PORT --no-worker --no-scheduler`` (gunicorn,
  PKSAI_WEB_WORKERS × PKSAI_WEB_THREADS as set, else the defaults), then
* the development server: ``pksai runserver 127.0.0.1:PORT --noreload`` (Django's),

both on the same PostgreSQL database holding BENCH_LOAD_CASES cases (default 1,000,000, made
by bench_cases' generator). Prints, per server and page: requests, requests/s, p50, p95 and
p99 in ms, and errors; the goal is a case list and case page p95 of at most 300 ms, no errors.

The database is its own and kept between runs: BENCH_LOAD_DATABASE_URL, else the server of
BENCH_DATABASE_URL when that is PostgreSQL, else postgres://postgres@127.0.0.1:5432, database
pksai_bench_load. It is filled once (1M cases: about 6 + 2 minutes, see below) and reused while it
holds exactly BENCH_LOAD_CASES bench cases; another size drops and refills it. Skipped, saying
why, when that server cannot be reached or Locust is not installed.

Each server gets a warm-up of every page (not counted) before Locust starts. Both servers are
started here in their own process group on 127.0.0.1 and stopped here (SIGTERM, then SIGKILL
after 15 s), whatever happens; Locust runs in its own process with a hard time limit.
Think time between two pages of one user: BENCH_LOAD_WAIT seconds ("min,max", default "1,3";
"0,0" for a closed loop without pauses).

Figures, 2026-12-04, 1M cases, 32 users, 60 s, 2 vCPUs (load average ≈ 1 before each run;
Locust runs on the same two cores): production 14.8 req/s, p50 70–140 ms on the case pages,
p95 case list 350–570 ms, overdue list 270–850 ms, case page 400–470 ms, 0 errors;
development server about the same at this load. Alone, one request at a time: case list, case
page, overdue list and home 50–75 ms wall (40–55 ms of Python). Goal not met: the p95 is
queueing on two saturated cores (Python time per page, plus PostgreSQL and Locust). Fixed this
day: monitoring counts kept per scope (a coordinator's dashboard no longer recounts), the
supervisor's case page no longer builds two lists of every colleague (115 → 40 ms), the
bench's second-factor roles are signed in as verified (they measured redirects before).

Figures, 2026-12-04 later (2 processes per core × 2 threads, the session renewed every 5
minutes, home page counts in two queries; load average 2.1 and 1.1 before the two runs):
production p95 case list 250 / 280 ms, overdue list 160 / 180 ms, case page 250 / 260 ms,
15.4–15.8 req/s, 0 errors: goal met in both runs (decision 0015).

Quick run: BENCH_LOAD_CASES=20000 BENCH_LOAD_SECONDS=20 .venv/bin/python -m benchmarks bench_load
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

CASES = int(os.environ.get("BENCH_LOAD_CASES", 1_000_000))
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", 60))
USERS = int(os.environ.get("BENCH_LOAD_USERS", 32))
WAIT = os.environ.get("BENCH_LOAD_WAIT", "1,3")
DATABASE = "pksai_bench_load"
ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).resolve().parent / "load_locustfile.py"
GOAL_MS = 300
GOAL_PAGES = ("case list", "case list (overdue)", "case page")
NUMBER_PREFIX = "7371-2026-"  # bench_cases' case numbers
SESSIONS_PER_ROLE = 32
CASES_PER_USER = 200
STOP_SECONDS = 15
CASELOAD = 200  # cases per social worker (about 5/6 of them open)
TEAM = 10  # social workers per supervisor


# --- the parent: database, servers, Locust, table -------------------------------------------


def _database_url() -> str:
    url = os.environ.get("BENCH_LOAD_DATABASE_URL")
    if url:
        return url
    bench = os.environ.get("BENCH_DATABASE_URL", "")
    if bench.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(bench)
        return urlunsplit((parts.scheme, parts.netloc, f"/{DATABASE}", parts.query, ""))
    return f"postgres://postgres@127.0.0.1:5432/{DATABASE}"


def _server(url: str, dbname: str = "postgres") -> dict:
    parts = urlsplit(url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": parts.username or "postgres",
        "password": parts.password or None,
        "dbname": dbname,
        "connect_timeout": 5,
        "autocommit": True,
    }


def _ensure_database(url: str) -> None:
    """Create the database if it is missing (it is kept between runs)."""
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(**_server(url)) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _drop_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(**_server(url)) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _bench_cases(url: str) -> int | None:
    """The bench cases the database holds, or None before its first migration."""
    import psycopg

    with psycopg.connect(**_server(url, urlsplit(url).path.lstrip("/"))) as conn:
        if not conn.execute("SELECT to_regclass('cases_case')").fetchone()[0]:
            return None
        return conn.execute(
            "SELECT count(*) FROM cases_case WHERE number LIKE %s", [NUMBER_PREFIX + "%"]
        ).fetchone()[0]


def _env(url: str, workdir: Path) -> dict[str, str]:
    env = os.environ | {
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "pksai.settings",
        "PKSAI_VAR_DIR": str(workdir / "var"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "",
        "PKSAI_HTTPS": "",
        "LOG_LEVEL": "WARNING",
    }
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(32))
    env.pop("DATABASE_REPLICA_URL", None)
    # the kept database's sealed fields need the same keys on every run: this checkout's
    # (var/field_keys, var/nik_hash_key, which `make bench` creates), unless set
    from django.conf import settings

    for variable, name in (
        ("PKSAI_FIELD_KEYS", "field_keys"),
        ("PKSAI_NIK_HASH_KEY", "nik_hash_key"),
    ):
        if not env.get(variable) and (Path(settings.VAR_DIR) / name).exists():
            env[variable] = (Path(settings.VAR_DIR) / name).read_text()
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 (our own commands)
            argv,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
        )


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the process group, SIGKILL to what is left after STOP_SECONDS."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # stragglers in the group (gunicorn workers)
    except ProcessLookupError:
        pass
    process.wait()


def _get(url: str, cookie: str = "", timeout: float = 60) -> int:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _wait_ready(base: str, process: subprocess.Popen, log: Path, limit: float = 120) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if _get(f"{base}/healthz", timeout=5) == 200:
                return True
        except OSError:
            pass
        time.sleep(0.5)
    tail = "\n    ".join(log.read_text(errors="replace").strip().splitlines()[-15:])
    print(f"  the server at {base} did not come up within {limit:.0f} s\n    {tail}")
    return False


def _warm_up(base: str, plan: dict) -> None:
    """Every page once per role (twice for the case pages): imports, caches, pool."""
    cookie = plan["cookie"]
    pages = {
        "social_worker": ["/cases/", "/"],
        "supervisor": ["/cases/?overdue=1", "/"],
        "coordinator": ["/monitoring/"],
        "data_officer": ["/registry/imports/"],
        "national_analyst": ["/monitoring/"],
    }
    for role, urls in pages.items():
        slot = plan["roles"][role][0]
        urls = urls + [f"/cases/{pk}/" for pk in slot["cases"][:2]]
        for url in urls:
            _get(base + url, f"{cookie}={slot['session']}")
    _get(f"{base}/pengaduan/")


def _locust(base: str, plan_path: Path, prefix: Path, log: Path) -> Path | None:
    """Run Locust headless against ``base``; the path of its stats CSV."""
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        base,
        "--users",
        str(USERS),
        "--spawn-rate",
        str(USERS),
        "--run-time",
        f"{SECONDS}s",
        "--stop-timeout",
        "10",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
    ]
    env = os.environ | {"BENCH_LOAD_PLAN": str(plan_path), "BENCH_LOAD_WAIT": WAIT}
    with log.open("wb") as out:
        try:
            done = subprocess.run(  # noqa: S603 (our own module)
                command,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=SECONDS + 120,
            )
        except subprocess.TimeoutExpired:
            print(f"  Locust did not finish within {SECONDS + 120} s; stopped")
            return None
    stats = Path(f"{prefix}_stats.csv")
    if done.returncode != 0 or not stats.exists():
        tail = "\n    ".join(log.read_text(errors="replace").strip().splitlines()[-15:])
        print(f"  Locust failed (exit {done.returncode})\n    {tail}")
        return None
    return stats


def _table(label: str, stats: Path) -> list[dict]:
    rows = list(csv.DictReader(stats.open()))
    print(f"  {label}")
    print(
        f"    {'page':<24}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
        f"{'errors':>8}"
    )
    for row in sorted(rows, key=lambda r: (r["Name"] == "Aggregated", r["Name"])):
        name = "all pages" if row["Name"] == "Aggregated" else row["Name"]
        print(
            f"    {name:<24}{int(row['Request Count']):>9,}{float(row['Requests/s']):>8.1f}"
            f"{row['50%']:>8}{row['95%']:>8}{row['99%']:>8}{int(row['Failure Count']):>8,}"
        )
    failures = Path(str(stats).replace("_stats.csv", "_failures.csv"))
    if failures.exists():
        for row in list(csv.DictReader(failures.open()))[:5]:
            print(f"    error: {row['Name']}: {row['Error']} × {row['Occurrences']}")
    return rows


def _server_errors(log: Path) -> None:
    """The exceptions the server logged (the last line of each traceback), most frequent first."""
    lines = log.read_text(errors="replace").splitlines()
    found = Counter(
        line.strip()[:160]
        for before, line in zip(lines, lines[1:], strict=False)
        if before.startswith("  ") and re.match(r"^[\w.]+(Error|Exception|Timeout)\b", line)
    )
    for text, count in found.most_common(3):
        print(f"    server log: {text} × {count}")


def _verdict(label: str, rows: list[dict]) -> None:
    def number(value: str) -> float:
        return float(value) if value not in ("", "N/A") else float("inf")

    goal = [r for r in rows if r["Name"] in GOAL_PAGES]
    worst = max((number(r["95%"]) for r in goal), default=float("inf"))
    errors = sum(int(r["Failure Count"]) for r in rows if r["Name"] == "Aggregated")
    met = worst <= GOAL_MS and errors == 0
    print(
        f"  {label}: case list and case page p95 at most {worst:.0f} ms, {errors:,} errors — "
        f"goal (≤ {GOAL_MS} ms, no errors) {'met' if met else 'missed'}"
    )


def run() -> None:
    if importlib.util.find_spec("locust") is None:
        print("  skipped: Locust is not installed (make install installs the dev extra)")
        return
    import psycopg

    url = _database_url()
    shown = urlsplit(url)._replace(netloc=urlsplit(url).hostname or "").geturl()
    try:
        _ensure_database(url)
        held = _bench_cases(url)
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"  skipped: PostgreSQL for {shown} is not reachable ({reason})")
        return
    if held not in (None, 0, CASES):
        print(f"  {shown} holds {held:,} bench cases, not {CASES:,}: dropped and refilled")
        _drop_database(url)
    workdir = Path(tempfile.mkdtemp(prefix="pksai-bench-load-"))
    try:
        _run(url, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run(url: str, workdir: Path) -> None:
    env = _env(url, workdir)
    plan_path = workdir / "plan.json"
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 (our own module)
        [sys.executable, "-m", "benchmarks.bench_load", "prepare", str(plan_path), str(CASES)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0 or not plan_path.exists():
        tail = "\n    ".join((done.stderr or done.stdout).strip().splitlines()[-20:])
        print(f"  prepare failed (exit {done.returncode})\n    {tail}")
        return
    plan = json.loads(plan_path.read_text())
    print(
        f"  database: {plan['cases']:,} cases, "
        + (
            f"generated in {plan['generated_seconds']:.0f} s"
            if plan["generated_seconds"] is not None
            else "reused from an earlier run"
        )
        + f"; prepare {time.perf_counter() - started:.0f} s; {USERS} users, "
        f"{SECONDS} s per server, think time {WAIT} s"
    )
    servers = (
        (
            "production server (pksai serve: gunicorn "
            f"{plan['web_workers']} workers × {plan['web_threads']} threads)",
            ["serve", "--no-worker", "--no-scheduler"],
        ),
        ("development server (pksai runserver --noreload)", ["runserver", "--noreload"]),
    )
    results = []
    for index, (label, command) in enumerate(servers):
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        log = workdir / f"server-{index}.log"
        argv = [sys.executable, "-m", "pksai", command[0], f"127.0.0.1:{port}", *command[1:]]
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"  {label.split(' (')[0]}: machine load average before the run {load}")
        process = _start(argv, env, log)
        try:
            if not _wait_ready(base, process, log):
                continue
            _warm_up(base, plan)
            stats = _locust(base, plan_path, workdir / f"locust-{index}", workdir / "locust.log")
        finally:
            _stop(process)
        if stats:
            results.append((label, _table(label, stats)))
            _server_errors(log)
    for label, rows in results:
        _verdict(label.split(" (")[0], rows)


# --- the child: database contents and sessions -----------------------------------------------


def _spread_caseloads(cases: int) -> None:
    """bench_cases gives its 1M cases to 20 workers and one supervisor; a district has many:
    one social worker per CASELOAD cases and one supervisor per TEAM workers (users made in
    bulk, owners and supervisors set by one UPDATE), so a worker's home page shows a caseload,
    not 50,000 cases."""
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.contrib.auth.models import Group
    from django.db import connection

    from pksai.accounts.models import User
    from pksai.accounts.roles import ROLE_BY_SLUG
    from pksai.areas.models import Area

    workers = max(20, cases // CASELOAD)
    teams = max(1, workers // TEAM)
    scope = Area.objects.get(code="73.71")
    made = {}
    for role, count in (("social_worker", workers), ("supervisor", teams)):
        prefix = f"bench.load.{role}."
        names = [f"{prefix}{i:05d}" for i in range(count)]
        User.objects.bulk_create(
            [
                User(
                    username=name,
                    password=UNUSABLE_PASSWORD_PREFIX,
                    is_staff=ROLE_BY_SLUG[role].staff,
                )
                for name in names
            ]
        )
        ids = list(
            User.objects.filter(username__in=names)
            .order_by("username")
            .values_list("pk", flat=True)
        )
        group = Group.objects.get(name=role)
        User.groups.through.objects.bulk_create(
            [User.groups.through(user_id=pk, group_id=group.pk) for pk in ids]
        )
        User.scope_areas.through.objects.bulk_create(
            [User.scope_areas.through(user_id=pk, area_id=scope.pk) for pk in ids]
        )
        made[role] = ids
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_case SET owner_id = (%s::bigint[])[(id %% %s) + 1], "
            "supervisor_id = (%s::bigint[])[((id %% %s) / %s) %% %s + 1] WHERE number LIKE %s",
            [
                made["social_worker"],
                workers,
                made["supervisor"],
                workers,
                TEAM,
                teams,
                NUMBER_PREFIX + "%",
            ],
        )


def _prepare(plan_path: Path, cases: int) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import connection, transaction
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from benchmarks import bench_cases
    from pksai.accounts.models import User
    from pksai.accounts.second_factor import second_factor_required
    from pksai.accounts.tests.factories import make_user
    from pksai.cases.models import Case

    call_command("migrate", verbosity=0)
    generated = None
    if not Case.objects.filter(number__startswith=NUMBER_PREFIX).exists():
        started = time.perf_counter()
        with transaction.atomic():
            bench_cases._make(cases)
        generated = time.perf_counter() - started
    if not User.objects.filter(username__startswith="bench.load.social_worker.").exists():
        started = time.perf_counter()
        with transaction.atomic():
            _spread_caseloads(cases)
        with connection.cursor() as cursor:
            # the generator writes explicit ids: later inserts take the next ones
            for table in (
                "registry_household",
                "registry_person",
                "cases_case",
                "cases_caseconcern",
            ):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table}))"
                )
            cursor.execute("VACUUM ANALYZE")
        generated = (generated or 0) + time.perf_counter() - started

    in_scope = [v for v in bench_cases.VILLAGES if v.startswith("73.71.")]  # users' scope
    openable = Case.objects.filter(area_id__in=in_scope, restricted=False)
    users = {
        role: list(
            User.objects.filter(username__startswith=f"bench.load.{role}.")[:SESSIONS_PER_ROLE]
        )
        for role in ("social_worker", "supervisor")
    }
    for role, username, national in (
        ("coordinator", "bench.coord", False),
        ("data_officer", "bench.data", False),
        ("national_analyst", "bench.analyst", True),
    ):
        user = User.objects.filter(username=username).first()
        users[role] = [user or make_user(username, roles=[role], national=national)]
    # a worker opens their own cases; the others any case of the district's
    own = {
        user.pk: list(openable.filter(owner=user).values_list("pk", flat=True)[:CASES_PER_USER])
        for user in users["social_worker"]
    }
    top = Case.objects.order_by("-pk").values_list("pk", flat=True).first()
    step = max(1, top // (CASES_PER_USER * 2))
    area = list(
        openable.filter(pk__in=range(1, top + 1, step)).values_list("pk", flat=True)[
            :CASES_PER_USER
        ]
    )
    plan: dict = {
        "cookie": settings.SESSION_COOKIE_NAME,
        "cases": Case.objects.filter(number__startswith=NUMBER_PREFIX).count(),
        "generated_seconds": generated,
        "web_workers": settings.WEB_WORKERS,
        "web_threads": settings.WEB_THREADS,
        "roles": {},
    }
    for role, people in users.items():
        slots = []
        for index in range(SESSIONS_PER_ROLE):
            user = people[index % len(people)]
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            if second_factor_required(user):
                # as after signing in with an authenticator app (django_otp.login): the
                # second-factor middleware checks the device on every request, as in production
                device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
                device = device or TOTPDevice.objects.create(user=user, name="bench")
                session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.create()
            slots.append({"session": session.session_key, "cases": own.get(user.pk, area)})
        plan["roles"][role] = slots
    plan_path.write_text(json.dumps(plan))


if __name__ == "__main__":
    if sys.argv[1:2] == ["prepare"]:
        _prepare(Path(sys.argv[2]), int(sys.argv[3]))
