"""Liveness and readiness for load balancers and orchestrators (decision 0015).

``/healthz``: the process answers (no database). ``/readyz``: the database answers, every
migration is applied and a task worker reported recently; otherwise 503 with a JSON body
naming the failed check. Both are answered by `HealthCheckMiddleware`, first in the chain, so
they need no login, no CSRF token, no session, and accept any Host header (probes use the
machine's address); the URL entries in pksai/urls.py exist for `reverse()` and for servers
that mount the views without the middleware.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

logger = logging.getLogger(__name__)

HEALTH_PATHS = {"/healthz", "/readyz"}


@csrf_exempt
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@csrf_exempt
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks = readiness()
    ok = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )


def readiness() -> dict[str, dict]:
    """Each check: ``{"ok": bool, "detail": str}``; later checks are skipped (not ok) when
    the database is unreachable."""
    database = _check_database()
    if not database["ok"]:
        skipped = {"ok": False, "detail": "skipped: database unreachable"}
        return {"database": database, "migrations": skipped, "worker": dict(skipped)}
    try:
        return {"database": database, "migrations": _check_migrations(), "worker": _check_worker()}
    except DatabaseError as exc:
        logger.warning("readiness check failed", exc_info=True)
        failed = {"ok": False, "detail": f"database error: {type(exc).__name__}"}
        return {"database": failed, "migrations": dict(failed), "worker": dict(failed)}


def _check_database() -> dict:
    connection = connections[DEFAULT_DB_ALIAS]
    timeout = settings.DATABASES[DEFAULT_DB_ALIAS].get("OPTIONS", {}).get("connect_timeout", 5)
    try:
        pool = getattr(connection, "pool", None)
        if pool is not None:
            # Bounded wait: a busy or broken pool must not hold the probe for the pool timeout.
            pool.open(wait=False)
            with pool.connection(timeout=timeout) as conn:
                conn.execute("SELECT 1")
        else:
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        connection.close_if_unusable_or_obsolete()
        try:
            connection.close()
        except Exception:  # noqa: BLE001, S110 - it is already broken
            pass
        return {"ok": False, "detail": f"unreachable: {type(exc).__name__}"}
    return {"ok": True, "detail": "reachable"}


_migrations_lock = threading.Lock()
_migrations_applied_rows: int | None = None  # django_migrations rows when last found complete


def _check_migrations() -> dict:
    """Compare the migration executor's plan with the database. The full plan (which reads
    every migration file) is computed once per process and again only when the number of
    applied migrations changes, so a probe costs one COUNT(*)."""
    global _migrations_applied_rows
    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[DEFAULT_DB_ALIAS]
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return {"ok": False, "detail": "no migrations applied"}
    rows = recorder.migration_qs.count()
    if rows == _migrations_applied_rows:
        return {"ok": True, "detail": "all applied"}
    with _migrations_lock:
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan[:5])
            return {"ok": False, "detail": f"{len(plan)} unapplied: {names}"}
        _migrations_applied_rows = rows
    return {"ok": True, "detail": "all applied"}


def _check_worker() -> dict:
    from pksai.core.heartbeat import heartbeat_recent

    stale = settings.READY_WORKER_STALE_SECONDS
    if not stale:
        return {"ok": True, "detail": "not checked"}
    if heartbeat_recent(within_seconds=stale):
        return {"ok": True, "detail": f"heartbeat within {stale} s"}
    return {"ok": False, "detail": f"no task worker heartbeat within {stale} s"}


class HealthCheckMiddleware:
    """Answers /healthz and /readyz before any other middleware (no session, CSRF, login or
    Host check — probes address the machine by IP)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if request.path_info == "/healthz":
            return healthz(request)
        if request.path_info == "/readyz":
            return readyz(request)
        return self.get_response(request)
