"""A local Primero v2 server for tests: the routes, authentication and envelopes the
exchange uses, as Primero's doc/api.md and app/controllers/api/v2 describe them.

- POST /api/v2/tokens {"user": {"user_name", "password"}} → 200, the JWT in the
  Authorization header; wrong credentials → 401 {"error": ...}
- every other route needs ``Authorization: Bearer <that token>``, else 401
- POST /api/v2/cases {"data": {...}}: 200 with the case, or 204 when the client gave the id;
  409 if that id exists
- GET /api/v2/cases/:id → {"data": case}; 404 {"errors": [...]}
- PATCH /api/v2/cases/:id: fields replaced, subforms merged by unique_id
- POST /api/v2/cases/:id/flags {"data": {"message", "date"}} → {"data": flag}
- GET /api/v2/cases?last_updated_at=from..to&page&per → {"data": [...], "metadata"}

``fail`` makes a route answer an error: {("POST", "/api/v2/cases"): 422, ...}.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from pksai.core.tests import local_server

USER, PASSWORD = "pksai", "rahasia-primero"


class Store:
    def __init__(self) -> None:
        self.cases: dict[str, dict] = {}
        self.flags: dict[str, list[dict]] = {}
        self.tokens: set[str] = set()
        self.fail: dict[tuple[str, str], int] = {}
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _merge(record: dict, data: dict) -> list[str]:
    changed = []
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            rows = {row.get("unique_id"): row for row in record.get(key) or []}
            for row in value:
                if row.get("_delete"):
                    rows.pop(row.get("unique_id"), None)
                else:
                    rows.setdefault(row.get("unique_id"), {}).update(row)
            record[key] = list(rows.values())
        else:
            record[key] = value
        changed.append(key)
    return changed


class Handler(BaseHTTPRequestHandler):
    store: Store

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body=None, headers: dict | None = None) -> None:
        raw = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def _error(self, status: int, message: str, detail: str = "") -> None:
        error = {"code": status, "resource": urlsplit(self.path).path, "message": message}
        if detail:
            error["detail"] = detail
        self._send(status, {"errors": [error]})

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def _route(self, method: str) -> None:
        store = self.store
        url = urlsplit(self.path)
        path = url.path
        with store.lock:
            store.calls.append((method, path))
        if path == "/api/v2/tokens" and method == "POST":
            user = self._body().get("user") or {}
            if user.get("user_name") != USER or user.get("password") != PASSWORD:
                return self._send(401, {"error": "Invalid User name or password."})
            token = f"Bearer eyJ.{uuid.uuid4().hex}.sig"
            store.tokens.add(token)
            return self._send(200, {"id": 1, "user_name": USER}, {"Authorization": token})
        if self.headers.get("Authorization") not in store.tokens:
            return self._error(401, "Unauthorized")
        forced = store.fail.get((method, path)) or store.fail.get((method, "*"))
        if forced:
            messages = {422: "Please enter the date in a valid format (dd-mmm-yyyy)"}
            return self._error(forced, messages.get(forced, "Error"), "registration_date")
        parts = path.strip("/").split("/")
        if parts[:3] != ["api", "v2", "cases"]:
            return self._error(404, "Not Found")
        with store.lock:
            if len(parts) == 3 and method == "POST":
                data = self._body()["data"]
                given = data.get("id")
                if given and given in store.cases:
                    return self._error(409, "Conflict")
                record_id = given or str(uuid.uuid4())
                unique = str(uuid.uuid4())
                record = {
                    "id": record_id,
                    "unique_identifier": unique,
                    "short_id": unique[-7:],
                    "case_id_display": unique[-7:],
                    "owned_by": USER,
                    "created_at": _now(),
                    "last_updated_at": _now(),
                }
                _merge(record, {k: v for k, v in data.items() if k != "id"})
                store.cases[record_id] = record
                return self._send(204) if given else self._send(200, {"data": record})
            if len(parts) == 3 and method == "GET":
                query = parse_qs(url.query)
                rows = list(store.cases.values())
                if "last_updated_at" in query:
                    start, _sep, end = query["last_updated_at"][0].partition("..")
                    start, end = _parse(start), _parse(end)
                    rows = [r for r in rows if start <= _parse(r["last_updated_at"]) <= end]
                page = int(query.get("page", ["1"])[0])
                per = int(query.get("per", ["20"])[0])
                shown = rows[(page - 1) * per : page * per]
                return self._send(
                    200,
                    {
                        "data": [{"id": r["id"], "short_id": r["short_id"]} for r in shown],
                        "metadata": {"total": len(rows), "per": per, "page": page},
                    },
                )
            record = store.cases.get(parts[3]) if len(parts) >= 4 else None
            if record is None:
                return self._error(404, "Not Found")
            if len(parts) == 4 and method == "GET":
                return self._send(200, {"data": record})
            if len(parts) == 4 and method == "PATCH":
                changed = _merge(record, self._body()["data"])
                record["last_updated_at"] = _now()
                return self._send(200, {"data": {k: record[k] for k in ["id", *changed]}})
            if parts[4:] == ["flags"] and method == "POST":
                data = self._body()["data"]
                flags = store.flags.setdefault(record["id"], [])
                flag = {
                    "id": len(flags) + 1,
                    "record_id": record["id"],
                    "record_type": "cases",
                    "message": data["message"],
                    "date": data["date"],
                    "flagged_by": USER,
                    "removed": False,
                    "short_id": record["short_id"],
                }
                flags.append(flag)
                return self._send(200, {"data": flag})
        return self._error(404, "Not Found")

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PATCH(self) -> None:
        self._route("PATCH")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def start() -> tuple[ThreadingHTTPServer, Store]:
    store = Store()
    handler = type("PrimeroHandler", (Handler,), {"store": store})
    return local_server.serve(handler), store


@contextmanager
def configured(settings) -> Iterator[Store]:
    """A local Primero running and PKSAI's settings pointing at it, with its credentials;
    stopped afterwards. Yields the store (its cases, the requests, failures to answer)."""
    server, store = start()
    settings.PKSAI_PRIMERO_URL = f"http://127.0.0.1:{server.server_address[1]}"
    settings.PKSAI_PRIMERO_USERNAME = USER
    settings.PKSAI_PRIMERO_PASSWORD = PASSWORD
    try:
        yield store
    finally:
        local_server.stop(server)
