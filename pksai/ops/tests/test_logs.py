"""Structured logs: one JSON object per line, the request id (given or generated, echoed in
the response) and the user id on every line of a request, never the path's query string or
a name."""

import io
import json
import logging
import os
import re
import subprocess
import sys

import pytest
from django.test import Client

from pksai.accounts.tests.factories import make_user
from pksai.ops.logs import JsonFormatter, RequestContextFilter

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    loggers = [logging.getLogger(n) for n in ("pksai.access", "pksai.ops.tests")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    yield lambda: (stream.getvalue(), [json.loads(line) for line in stream.getvalue().splitlines()])
    for lg, level in zip(loggers, levels, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)


def test_access_line_has_request_and_user_ids_and_no_personal_search(pilot_areas, json_lines):
    user = make_user("ani.social", roles=["social_worker"], scope=["73.71"])
    client = Client()
    client.force_login(user)
    response = client.get(
        "/cases/", {"q": "3171012345678901 Siti Aminah"}, HTTP_X_REQUEST_ID="trace-abc-123456"
    )
    assert response.status_code == 200
    assert response["X-Request-ID"] == "trace-abc-123456"
    raw, lines = json_lines()
    (line,) = [entry for entry in lines if entry["logger"] == "pksai.access"]
    assert line["request_id"] == "trace-abc-123456"
    assert line["user_id"] == user.pk
    assert line["view"] == "cases:list" and line["route"] == "cases/"
    assert line["status"] == 200 and line["method"] == "GET" and line["duration_ms"] > 0
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")
    for secret in ("3171012345678901", "Siti", "Aminah", "ani.social", "q="):
        assert secret not in raw


def test_a_request_id_is_generated_and_app_logs_carry_it(pilot_areas, json_lines, settings):
    settings.ROOT_URLCONF = "pksai.ops.tests.urls_boom"
    user = make_user(roles=["social_worker"], scope=["73.71"])
    client = Client()
    client.force_login(user)
    response = client.get("/noisy/", HTTP_X_REQUEST_ID="bad id with spaces")
    generated = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    _raw, lines = json_lines()
    warning = next(e for e in lines if e["logger"] == "pksai.ops.tests")
    assert warning["message"] == "noisy view ran" and warning["level"] == "WARNING"
    assert warning["request_id"] == generated and warning["user_id"] == user.pk
    assert warning["rows"] == 3
    access = next(e for e in lines if e["logger"] == "pksai.access")
    assert access["request_id"] == generated and access["view"] == "noisy"


def test_anonymous_requests_have_no_user_id(json_lines):
    Client().get("/accounts/login/")
    _raw, lines = json_lines()
    access = next(e for e in lines if e["logger"] == "pksai.access")
    assert access["user_id"] is None and access["request_id"]


def test_log_format_json_makes_every_line_a_json_object(tmp_path):
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('pksai.x').warning('hello %s', 'there'); "
        "logging.getLogger('pksai.x').error('failed', exc_info=ZeroDivisionError('z'))"
    )
    env = {**os.environ, "LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "pksai.settings"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [e["message"] for e in lines] == ["hello there", "failed"]
    assert lines[0]["level"] == "WARNING" and lines[0]["request_id"] is None
    assert "ZeroDivisionError" in lines[1]["exception"]
