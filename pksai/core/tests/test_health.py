"""/healthz and /readyz (decision 0015)."""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.utils import timezone

from pksai.core import health
from pksai.core.models import Heartbeat
from pksai.core.tests.processes import (
    free_port,
    get_json,
    owner_connection,
    running,
    subprocess_database_url,
    wait_until,
)

PROBE = {"HTTP_HOST": "10.20.30.40:8000"}  # a load balancer addresses the machine by IP


def _beat(seconds_ago: int = 0) -> Heartbeat:
    now = timezone.now()
    return Heartbeat.objects.create(
        process_id=f"worker-test-{seconds_ago}",
        kind=Heartbeat.Kind.WORKER,
        host="test",
        pid=1,
        started_at=now - timedelta(hours=1),
        seen_at=now - timedelta(seconds=seconds_ago),
    )


def test_healthz_needs_no_database_session_or_known_host(client):
    # No django_db mark: any database access would raise here.
    response = client.get("/healthz", **PROBE)
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert not response.cookies and "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_reports_each_check_and_needs_a_recent_worker_heartbeat(client, settings):
    settings.READY_WORKER_STALE_SECONDS = 60
    response = client.get("/readyz", **PROBE)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] and body["checks"]["migrations"]["ok"]
    assert not body["checks"]["worker"]["ok"]
    assert "no task worker heartbeat" in body["checks"]["worker"]["detail"]

    _beat(seconds_ago=120)  # a worker that stopped reporting two minutes ago
    assert client.get("/readyz", **PROBE).status_code == 503
    _beat(seconds_ago=5)
    response = client.get("/readyz", **PROBE)
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert not response.cookies

    settings.READY_WORKER_STALE_SECONDS = 0  # worker checked elsewhere: not part of readiness
    Heartbeat.objects.all().delete()
    assert client.get("/readyz", **PROBE).status_code == 200


@contextmanager
def core_migrations_unrecorded():
    if not django_settings.PKSAI_DB_OWNER:
        MigrationRecorder.Migration.objects.filter(app="core").delete()  # rolled back after
        yield
        return
    # Two roles (decision 0004): the application role may only read django_migrations; the
    # owner unrecords them in its own (committed) connection and records them again after.
    with owner_connection(autocommit=True) as db:
        rows = db.execute(
            "DELETE FROM django_migrations WHERE app = 'core' RETURNING app, name, applied"
        ).fetchall()
        try:
            yield
        finally:
            with db.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, %s)", rows
                )


@pytest.mark.django_db
def test_readyz_fails_while_a_migration_is_unapplied(client, settings, monkeypatch):
    settings.READY_WORKER_STALE_SECONDS = 0
    assert client.get("/readyz", **PROBE).status_code == 200
    # every core migration unrecorded (a later one recorded would hide an earlier one's absence)
    with core_migrations_unrecorded():
        response = client.get("/readyz", **PROBE)
    assert response.status_code == 503
    migrations = response.json()["checks"]["migrations"]
    assert not migrations["ok"] and "core.0001_heartbeat" in migrations["detail"]


@pytest.mark.django_db
def test_probes_are_exempt_from_csrf_and_login(settings):
    settings.READY_WORKER_STALE_SECONDS = 0
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/healthz", **PROBE).status_code == 200
    assert strict.post("/readyz", **PROBE).status_code == 200


def test_the_urls_name_the_same_views():
    from django.urls import resolve

    assert resolve("/healthz").func is health.healthz
    assert resolve("/readyz").func is health.readyz


class TcpProxy:
    """127.0.0.1:port → PostgreSQL; `stop()` refuses new connections and cuts open ones, as
    a database server that went away; `start()` brings it back on the same port."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
                upstream = socket.create_connection(self.target)
            except OSError:
                return
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        if self.listener is not None:
            try:  # wakes the thread blocked in accept() (close alone does not)
                self.listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.listener.close()
            self.listener = None
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self.sockets = []


@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_while_the_database_is_unreachable_and_200_once_it_is_back(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite is a file in the process: it cannot become unreachable")
    db = connection.settings_dict
    proxy = TcpProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    proxy.start()
    url = subprocess_database_url(tmp_path).replace(f":{db['PORT'] or 5432}/", f":{proxy.port}/")
    port = free_port()
    ready = f"http://127.0.0.1:{port}/readyz"
    argv = ["serve", f"127.0.0.1:{port}", "--workers", "1", "--no-worker", "--no-scheduler"]
    env = {"PKSAI_READY_WORKER_STALE_SECONDS": "0", "PKSAI_DB_CONNECT_TIMEOUT": "2"}
    try:
        with running(argv, database_url=url, log=tmp_path / "serve.log", env=env):
            wait_until(lambda: get_json(ready, timeout=5)[0] == 200, timeout=120, what="ready")
            proxy.stop()
            status, body = wait_until(
                lambda: (r := get_json(ready, timeout=15))[0] == 503 and r,
                timeout=30,
                what="503 while the database is away",
            )
            assert not body["checks"]["database"]["ok"]
            assert "unreachable" in body["checks"]["database"]["detail"]
            proxy.start()  # the database is back; the server was not restarted
            status, body = wait_until(
                lambda: (r := get_json(ready, timeout=15))[0] == 200 and r,
                timeout=60,
                what="200 once the database is back",
            )
            assert body["checks"]["database"]["ok"]
    finally:
        proxy.stop()
