"""Two app servers (gunicorn, two worker processes each) behind HAProxy (round robin, no
sticky sessions) on one PostgreSQL database, each with its own local directory: a user who
signs in through one continues through the other, a case attachment uploaded through one is
served by the other, and each server's /metrics adds up its worker processes."""

from __future__ import annotations

import base64
import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.cases.models import Attachment
from pksai.cases.tests.factories import register
from pksai.ops.tests.helpers import PDF, database_url

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"
HAPROXY = shutil.which("haproxy") or (
    "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _keys_text(keys: tuple[bytes, ...]) -> str:
    return ",".join(base64.urlsafe_b64encode(key).decode().rstrip("=") for key in keys)


def wait_for(port: int, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server on {port} exited: {log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/accounts/login/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"server on {port} did not answer: {log.read_text()[-3000:]}")


class Browser:
    """Cookies, CSRF and no redirects followed: one request is one request id."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.ids: list[str] = []

    def request(self, method: str, path: str, body: bytes = b"", content_type: str = ""):
        request_id = f"t-{uuid.uuid4().hex}"
        # a forged X-Forwarded-For, as any client may send: HAProxy replaces it with the real
        # source and the servers (PKSAI_TRUSTED_PROXY_COUNT=1) believe only that
        headers = {
            "Host": "127.0.0.1",
            "X-Request-ID": request_id,
            "X-Forwarded-For": "6.6.6.6",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request(method, path, body=body or None, headers=headers)
        response = conn.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        assert response.headers["X-Request-ID"] == request_id
        self.ids.append(request_id)
        return request_id, response.status, data, response

    def form(self, path: str, fields: dict[str, str]):
        fields = {**fields, "csrfmiddlewaretoken": self.cookies["csrftoken"]}
        return self.request(
            "POST", path, urlencode(fields).encode(), "application/x-www-form-urlencoded"
        )

    def upload(self, path: str, fields: dict[str, str], name: str, data: bytes):
        boundary = secrets.token_hex(12)
        parts = []
        for key, value in {**fields, "csrfmiddlewaretoken": self.cookies["csrftoken"]}.items():
            parts.append(
                f"--{boundary}\r\nContent-Disposition: form-data; "
                f'name="{key}"\r\n\r\n{value}\r\n'.encode()
            )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: application/pdf\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(
            "POST", path, b"".join(parts), f"multipart/form-data; boundary={boundary}"
        )


def served_by(logs: dict[str, Path]) -> dict[str, tuple[str, int, int | None]]:
    """request id → (server, status, user id), from each server's JSON access lines."""
    seen = {}
    for server, log in logs.items():
        for line in log.read_text().splitlines():
            if not line.startswith("{"):
                continue
            entry = json.loads(line)
            if entry.get("logger") == "pksai.access":
                seen[entry["request_id"]] = (server, entry["status"], entry["user_id"])
    return seen


def metric_total(port: int, name: str, **labels) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/metrics", headers={"Host": "127.0.0.1"})
    text = conn.getresponse().read().decode()
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


@pytest.fixture
def cluster(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: app servers on several machines share a database server")
    if HAPROXY is None:
        pytest.skip("haproxy not installed (scripts/ensure-haproxy installs Debian's package)")
    secret = secrets.token_urlsafe(40)
    shared = tmp_path / "shared"
    ports = {"a": free_port(), "b": free_port()}
    processes: list[subprocess.Popen] = []
    logs = {}
    try:
        for server, port in ports.items():
            env = {
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("PKSAI_", "DATABASE_", "PROMETHEUS_"))
            }
            env.update(
                DATABASE_URL=database_url(
                    connection.settings_dict, connection.settings_dict["NAME"]
                ),
                SECRET_KEY=secret,
                ALLOWED_HOSTS="127.0.0.1,localhost",
                LOG_FORMAT="json",
                PKSAI_VAR_DIR=str(tmp_path / f"local-{server}"),  # nothing shared here
                PKSAI_ATTACHMENT_ROOT=str(shared / "attachments"),
                PKSAI_IMPORT_ROOT=str(shared / "imports"),
                PKSAI_MEDIA_ROOT=str(shared / "media"),
                PROMETHEUS_MULTIPROC_DIR=str(tmp_path / f"metrics-{server}"),
                PKSAI_TRUSTED_PROXY_COUNT="1",  # HAProxy sets X-Forwarded-For
                # every server holds the same field keys, as the runbook deploys them
                PKSAI_FIELD_KEYS=_keys_text(settings.PKSAI_FIELD_KEYS),
                PKSAI_NIK_HASH_KEY=_keys_text(settings.PKSAI_NIK_HASH_KEYS),
            )
            log = tmp_path / f"server-{server}.log"
            logs[server] = log
            processes.append(
                subprocess.Popen(  # noqa: S603
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "pksai.wsgi:application",
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        "2",
                        "--threads",
                        "2",
                        "--config",
                        "python:pksai.ops.gunicorn_conf",
                    ],
                    env=env,
                    stdout=log.open("w"),
                    stderr=subprocess.STDOUT,
                )
            )
        balancer = free_port()
        config = tmp_path / "haproxy.cfg"
        config.write_text(
            "global\n  maxconn 200\n"
            "defaults\n  mode http\n  timeout connect 5s\n  timeout client 60s\n"
            "  timeout server 60s\n"
            f"frontend web\n  bind 127.0.0.1:{balancer}\n"
            "  http-request set-header X-Forwarded-For %[src]\n  default_backend app\n"
            "backend app\n  balance roundrobin\n"
            f"  server a 127.0.0.1:{ports['a']}\n  server b 127.0.0.1:{ports['b']}\n"
        )
        check = subprocess.run([HAPROXY, "-c", "-f", str(config)], capture_output=True, text=True)  # noqa: S603
        assert check.returncode == 0, check.stderr + check.stdout
        balancer_log = tmp_path / "haproxy.log"
        for server, port in ports.items():
            wait_for(port, processes[list(ports).index(server)], logs[server])
        processes.append(
            subprocess.Popen(  # noqa: S603
                [HAPROXY, "-db", "-f", str(config)],
                stdout=balancer_log.open("w"),
                stderr=subprocess.STDOUT,
            )
        )
        wait_for(balancer, processes[-1], balancer_log)
        yield {"balancer": balancer, "ports": ports, "logs": logs, "shared": shared}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_sign_in_and_upload_through_one_server_continue_through_the_other(pilot_areas, cluster):
    team = {
        "staff": make_user(roles=["registration_staff"], scope=["73.71"]),
        "worker": make_user("pekerja", roles=["social_worker"], scope=["73.71"]),
        "supervisor": make_user(roles=["supervisor"], scope=["73.71"]),
    }
    worker = team["worker"]
    # the servers run with the production hashers (the tests' MD5 one is not among them)
    worker.password = PBKDF2PasswordHasher().encode(PASSWORD, secrets.token_hex(8))
    worker.save(update_fields=["password"])
    case = register(team)

    browser = Browser(cluster["balancer"])
    _id, status, page, _r = browser.request("GET", "/accounts/login/")
    assert status == 200 and "csrftoken" in browser.cookies
    login_id, status, _body, response = browser.form(
        "/accounts/login/", {"username": "pekerja", "password": PASSWORD}
    )
    assert status == 302, _body[:500]
    # the audit trail has the address HAProxy saw, not the one the client wrote
    assert AuditEvent.objects.get(action="login", actor_username="pekerja").ip == "127.0.0.1"
    signed_in_ids = []
    for path in ("/cases/", f"/cases/{case.pk}/", "/cases/", f"/cases/{case.pk}/"):
        request_id, status, _body, _r = browser.request("GET", path)
        assert status == 200, (path, status)
        signed_in_ids.append(request_id)

    _id, status, _body, _r = browser.request("GET", f"/cases/{case.pk}/attachments/new/")
    assert status == 200
    upload_id, status, body, _r = browser.upload(
        f"/cases/{case.pk}/attachments/new/",
        {"kind": "consent", "title": "Persetujuan orang tua"},
        "persetujuan.pdf",
        PDF,
    )
    assert status == 302, body[:1000]
    attachment = Attachment.objects.get(case=case)
    download_ids = []
    for _ in range(2):
        request_id, status, data, _r = browser.request(
            "GET",
            f"/cases/{case.pk}/attachments/{attachment.pk}/?"
            + urlencode({"purpose": "verifikasi berkas"}),
        )
        assert status == 200 and data == PDF
        download_ids.append(request_id)
    # the file is in the shared storage, not in either server's own directory
    assert (cluster["shared"] / "attachments" / attachment.stored_name).read_bytes() == PDF

    seen = served_by(cluster["logs"])
    assert set(browser.ids) <= set(seen), "every request is in one server's access log"
    login_server = seen[login_id][0]
    others = [seen[i] for i in signed_in_ids if seen[i][0] != login_server]
    assert others, "round robin: some signed-in pages came from the other server"
    assert all(status == 200 and user == worker.pk for _s, status, user in others)
    upload_server = seen[upload_id][0]
    assert seen[upload_id][1] == 302
    assert any(seen[i][0] != upload_server for i in download_ids), (
        "the upload was served back by the other server"
    )
    assert {seen[i][0] for i in browser.ids} == {"a", "b"}

    # each server's /metrics adds up both of its worker processes (multiprocess mode)
    pages = sum(
        metric_total(port, "pksai_http_responses_total", view="cases:list", status="2xx")
        for port in cluster["ports"].values()
    )
    downloads = sum(
        metric_total(
            port,
            "pksai_http_responses_total",
            view="case_records:attachment_download",
            status="2xx",
        )
        for port in cluster["ports"].values()
    )
    assert (pages, downloads) == (2, 2)
