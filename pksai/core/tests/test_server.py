"""The production server: gunicorn under `pksai serve`, the worker and scheduler beside it,
stopped together; request caps; bounded database connections (decision 0015)."""

from __future__ import annotations

import http.client
import io
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from pksai.core.server import BodySizeLimit, gunicorn_argv
from pksai.core.tests.processes import (
    cmdline,
    descendants,
    free_port,
    get,
    get_json,
    live_processes,
    query,
    running,
    subprocess_database_url,
    wait_until,
)


class _Unread(io.RawIOBase):
    def read(self, *args):
        raise AssertionError("the body was read")


def test_body_above_the_cap_is_refused_before_it_is_read(settings):
    settings.MAX_REQUEST_BYTES = 1000
    reached = []

    def app(environ, start_response):
        reached.append(environ["CONTENT_LENGTH"])
        start_response("200 OK", [])
        return [b"ok"]

    wrapped = BodySizeLimit(app)
    statuses = []

    def start_response(status, headers):
        statuses.append(status)

    body = wrapped({"CONTENT_LENGTH": "1001", "wsgi.input": _Unread()}, start_response)
    assert statuses == ["413 Request Entity Too Large"] and b"too large" in b"".join(body)
    assert reached == []
    wrapped({"CONTENT_LENGTH": "1000", "wsgi.input": _Unread()}, start_response)
    assert statuses[-1] == "200 OK" and reached == ["1000"]


def test_gunicorn_command_line_follows_the_settings(settings):
    settings.WEB_WORKERS, settings.WEB_THREADS, settings.WEB_TIMEOUT = 3, 5, 45
    argv = gunicorn_argv(bind="0.0.0.0:9000")
    options = dict(zip(argv[4::2], argv[5::2], strict=False))
    assert argv[1:4] == ["-m", "gunicorn", "pksai.wsgi:application"]
    assert options["--worker-class"] == "gthread"
    assert (options["--workers"], options["--threads"], options["--timeout"]) == ("3", "5", "45")
    assert options["--limit-request-line"] == str(settings.WEB_MAX_REQUEST_LINE)
    assert options["--limit-request-field_size"] == str(settings.WEB_MAX_HEADER_FIELD_SIZE)
    assert gunicorn_argv(bind="x:1", workers=1, threads=2)[8:12] == [
        "--workers",
        "1",
        "--threads",
        "2",
    ]


def _raw(port: int, method: str, path: str, headers: dict) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        return conn.getresponse().status
    finally:
        conn.close()


@pytest.mark.django_db(transaction=True)
def test_serve_runs_gunicorn_worker_and_scheduler_and_sigterm_stops_them_all(tmp_path):
    url = subprocess_database_url(tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = ["serve", f"127.0.0.1:{port}", "--workers", "2", "--threads", "2"]
    with running(argv, database_url=url, log=tmp_path / "serve.log") as serve:
        try:
            wait_until(lambda: get(f"{base}/healthz", timeout=2)[0] == 200, timeout=120)
            # The worker's heartbeat reaches the database: ready.
            status, body = wait_until(
                lambda: (r := get_json(f"{base}/readyz", timeout=5))[0] == 200 and r,
                timeout=90,
                what="/readyz 200",
            )
            assert body["checks"]["worker"]["ok"] and body["checks"]["migrations"]["ok"]
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/accounts/login/")
            response = conn.getresponse()
            assert response.status == 200 and response.getheader("Server") == "gunicorn"
            conn.close()
            # Caps: a body declared above PKSAI_MAX_REQUEST_BYTES, an overlong request line.
            too_big = str(256 * 1024 * 1024 + 1)
            assert _raw(port, "POST", "/accounts/login/", {"Content-Length": too_big}) == 413
            assert _raw(port, "GET", "/" + "a" * 9000, {}) in {400, 414}

            started = descendants(serve.pid)
            serve.seen |= started
            commands = [cmdline(pid) for pid in started]
            assert sum("gunicorn" in c for c in commands) == 3, commands  # master + 2 workers
            assert any(c.endswith("pksai worker ") for c in commands), commands
            assert any(c.endswith("pksai scheduler ") for c in commands), commands
            assert query(url, "SELECT kind FROM core_heartbeat WHERE kind = 'worker'")

            # A worker that dies (say the database went away) is started again.
            (worker,) = [pid for pid in started if cmdline(pid).endswith("pksai worker ")]
            os.kill(worker, signal.SIGKILL)
            wait_until(
                lambda: any(
                    cmdline(pid).endswith("pksai worker ") for pid in descendants(serve.pid)
                ),
                timeout=30,
                what="the worker restarted",
            )
            started = descendants(serve.pid)
            serve.seen |= started
        except BaseException:
            print((tmp_path / "serve.log").read_text())
            raise

        sent = time.monotonic()
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=10)
        wait_until(
            lambda: not (started & set(live_processes())),
            timeout=max(0.1, 10 - (time.monotonic() - sent)),
            what="every process serve started gone",
        )
        assert time.monotonic() - sent < 10
    # Stopped cleanly, the worker and the scheduler removed their heartbeats; only the row of
    # the worker killed above is left (it goes stale and is pruned after a day).
    assert query(url, "SELECT pid FROM core_heartbeat") == [(worker,)]


@pytest.mark.django_db(transaction=True)
def test_500_requests_from_20_threads_stay_within_the_connection_pool(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("connection pooling is PostgreSQL's; SQLite opens a file, not connections")
    import psycopg

    workers, pool_max = 2, 3
    url = subprocess_database_url(tmp_path)
    name = connection.settings_dict["NAME"]
    # The web server's connections (serve names them); not this test's own.
    count_sql = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
        "AND application_name = 'pksai-web'"
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = ["serve", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", "8"]
    env = {"PKSAI_DB_POOL_MAX": str(pool_max), "PKSAI_READY_WORKER_STALE_SECONDS": "0"}
    argv += ["--no-worker", "--no-scheduler"]
    with running(argv, database_url=url, log=tmp_path / "serve.log", env=env):
        wait_until(lambda: get(f"{base}/healthz", timeout=2)[0] == 200, timeout=120)
        peak = [0]
        done = threading.Event()
        # One connection for all samples (a closed one lingers in pg_stat_activity a moment).
        watching = psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True)

        def count() -> int:
            return watching.execute(count_sql, (name,)).fetchone()[0]

        def watch():
            while not done.is_set():
                peak[0] = max(peak[0], count())
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        paths = ["/api/v1/areas/", "/readyz"]  # a token lookup; the readiness queries

        def one(i: int) -> int:
            headers = {"Authorization": "Bearer pksai_not-a-token"}
            return get(base + paths[i % 2], headers=headers, timeout=60)[0]

        try:
            with ThreadPoolExecutor(max_workers=20) as pool:
                statuses = list(pool.map(one, range(500)))
        finally:
            done.set()
            watcher.join()
        after = count()
        watching.close()
    assert statuses.count(401) == 250 and statuses.count(200) == 250, set(statuses)
    assert 0 < peak[0] <= workers * pool_max, peak[0]
    assert after <= workers * pool_max


def test_the_openapi_schema_is_built_once_per_process(client, monkeypatch):
    from ninja import NinjaAPI

    from pksai.api.base import api

    built = []
    original = NinjaAPI.get_openapi_schema

    def counting(self, **kwargs):
        built.append(kwargs)
        return original(self, **kwargs)

    monkeypatch.setattr(NinjaAPI, "get_openapi_schema", counting)
    monkeypatch.setattr(api, "_schemas", {})
    first = client.get("/api/v1/openapi.json")
    second = client.get("/api/v1/openapi.json")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and b'"openapi"' in first.content
    assert len(built) == 1


def _imported(argv: list[str], env: dict) -> set[str]:
    """Modules a `pksai` command imports (python -X importtime), run as a subprocess."""
    import os
    import subprocess
    import sys

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-X", "importtime", "-m", "pksai", *argv],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}


HEAVY = {"polars", "duckdb", "fpdf", "pygal", "pksai.api.urls"}


@pytest.mark.django_db(transaction=True)
def test_light_commands_skip_the_system_checks_and_the_heavy_libraries(tmp_path):
    env = {"DATABASE_URL": subprocess_database_url(tmp_path)}
    for argv in (["--help"], ["help", "case-alerts"], ["scheduler", "--once"], ["case-alerts"]):
        assert not (_imported(argv, env) & HEAVY), argv
    # The system checks import the URL configuration and with it the views' libraries.
    assert {"pksai.api.urls", "polars"} <= _imported(["check"], env)
