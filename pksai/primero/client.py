"""A small client for the parts of Primero's v2 REST API the exchange uses (Primero's
doc/api.md; routes in config/routes.rb): POST /api/v2/tokens (a JWT in the answer's
Authorization header), GET/POST /api/v2/cases, GET/PATCH /api/v2/cases/:id and
POST /api/v2/cases/:id/flags. Bodies are ``{"data": ...}``; errors ``{"errors": [{"code",
"resource", "message", "detail"}]}``."""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings
from django.utils.translation import gettext as _


class PrimeroError(Exception):
    """Primero refused or could not be reached; the message says which, for the user."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _errors(answer: requests.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return ""
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        parts = []
        for error in body["errors"]:
            if isinstance(error, dict):
                text = str(error.get("message", ""))
                if error.get("detail"):
                    text += f" ({error['detail']})"
                parts.append(text)
        return "; ".join(p for p in parts if p)
    if isinstance(body, dict) and body.get("error"):
        return str(body["error"])
    return ""


class PrimeroClient:
    def __init__(self) -> None:
        self.base = settings.PKSAI_PRIMERO_URL.rstrip("/")
        if not self.base:
            raise PrimeroError(_("No Primero server is configured (PKSAI_PRIMERO_URL)."))
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        self.timeout = settings.PKSAI_PRIMERO_TIMEOUT_SECONDS
        self.token = ""

    def _send(self, method: str, path: str, **kw) -> requests.Response:
        try:
            return self.session.request(method, f"{self.base}{path}", timeout=self.timeout, **kw)
        except requests.RequestException as exc:
            raise PrimeroError(
                _("Primero could not be reached: %(why)s") % {"why": exc.__class__.__name__}
            ) from exc

    def login(self) -> None:
        """POST /api/v2/tokens with the configured user: the JWT comes back in the
        Authorization header (Bearer …) and goes on every later call."""
        answer = self._send(
            "POST",
            "/api/v2/tokens",
            json={
                "user": {
                    "user_name": settings.PKSAI_PRIMERO_USERNAME,
                    "password": settings.PKSAI_PRIMERO_PASSWORD,
                }
            },
        )
        header = answer.headers.get("Authorization", "")
        if answer.status_code != 200 or not header.startswith("Bearer "):
            raise PrimeroError(
                _("Primero refused the configured user name and password (HTTP %(s)s).")
                % {"s": answer.status_code},
                status=answer.status_code,
            )
        self.session.headers["Authorization"] = header
        self.token = header

    def call(self, method: str, path: str, *, ok=(200,), **kw) -> requests.Response:
        if not self.token:
            self.login()
        answer = self._send(method, path, **kw)
        if answer.status_code in ok:
            return answer
        said = _errors(answer)
        if answer.status_code == 401:
            message = _("Primero did not accept the session (HTTP 401).")
        elif answer.status_code == 403:
            message = _("Primero's user may not do this (HTTP 403).")
        elif answer.status_code == 404:
            message = _("Primero has no such case (HTTP 404).")
        elif answer.status_code == 422:
            message = _("Primero refused the case data (HTTP 422).")
        else:
            message = _("Primero answered HTTP %(s)s.") % {"s": answer.status_code}
        if said:
            message = f"{message} {said}"
        raise PrimeroError(message, status=answer.status_code)

    @staticmethod
    def _data(answer: requests.Response) -> Any:
        try:
            return answer.json()["data"]
        except (ValueError, KeyError, TypeError) as exc:
            raise PrimeroError(_("Primero's answer was not a case (no data).")) from exc

    def case_get(self, primero_id: str) -> dict:
        return self._data(self.call("GET", f"/api/v2/cases/{primero_id}"))

    def case_create(self, data: dict) -> None:
        """POST with a client-made ``id`` (Primero answers 204): a retry after a failure
        meets 409 and updates instead — no second case in Primero."""
        try:
            self.call("POST", "/api/v2/cases", ok=(200, 204), json={"data": data})
        except PrimeroError as exc:
            if exc.status != 409:
                raise
            self.case_update(data["id"], {k: v for k, v in data.items() if k != "id"})

    def case_update(self, primero_id: str, data: dict) -> None:
        self.call("PATCH", f"/api/v2/cases/{primero_id}", json={"data": data})

    def case_flag(self, primero_id: str, *, message: str, date: str) -> dict:
        answer = self.call(
            "POST",
            f"/api/v2/cases/{primero_id}/flags",
            json={"data": {"message": message, "date": date}},
        )
        return self._data(answer)

    def case_ids_since(self, since: str, until: str, *, per: int = 100) -> list[str]:
        """Ids of the cases changed between two moments (``last_updated_at=from..to``),
        every page."""
        ids: list[str] = []
        page = 1
        while True:
            answer = self.call(
                "GET",
                "/api/v2/cases",
                params={
                    "last_updated_at": f"{since}..{until}",
                    "fields": "id",
                    "page": page,
                    "per": per,
                },
            )
            body = answer.json()
            rows = body.get("data") or []
            ids += [str(row["id"]) for row in rows if row.get("id")]
            total = int((body.get("metadata") or {}).get("total") or 0)
            if not rows or len(ids) >= total:
                return ids
            page += 1
