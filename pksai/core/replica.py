"""Reads for reports and dashboards from a replica database (``DATABASE_REPLICA_URL``).

When the setting is given, ``settings.DATABASES`` has a ``replica`` alias and
:class:`ReplicaRouter` sends reads there while :func:`reads_from_replica` is active — nothing
else changes: writes (audit rows of a report download, sessions) always go to the primary,
and without a replica everything reads the primary.

Reads are switched on for
- the report and dashboard pages: :class:`ReplicaReadsMiddleware` for GET/HEAD requests whose
  URL pattern starts with one of ``settings.PKSAI_REPLICA_ROUTES``;
- commands and jobs: ``with reads_from_replica(): ...``.

A replica lags the primary by a moment: what a user has just saved may be missing from a
report for that moment. Sessions, login lockouts, the task queue and content types are read
from the primary always.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connections

REPLICA = "replica"
PRIMARY = "default"
# Apps whose rows must be fresh (a session just created, a lockout just set, a queued job).
PRIMARY_ONLY_APPS = frozenset({"sessions", "axes", "django_tasks_db", "contenttypes"})

_reading_replica: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "pksai_reads_from_replica", default=False
)


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextmanager
def reads_from_replica(active: bool = True) -> Iterator[None]:
    token = _reading_replica.set(active)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def read_database() -> str:
    """The alias that reads go to now (for raw SQL: ``connections[read_database()]``)."""
    return REPLICA if _reading_replica.get() and replica_configured() else PRIMARY


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return PRIMARY
        return read_database()

    def db_for_write(self, model, **hints):
        # also for objects that were read from the replica
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # a replica row and a primary row are the same data
        return {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA, None}

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return None


class ReplicaReadsMiddleware:
    """Report and dashboard pages (GET/HEAD) read from the replica when one is configured."""

    SAFE = frozenset({"GET", "HEAD"})

    def __init__(self, get_response):
        self.get_response = get_response
        self.routes = tuple(getattr(settings, "PKSAI_REPLICA_ROUTES", ()))

    def __call__(self, request):
        token = None
        if request.method in self.SAFE and self.routes and replica_configured():
            match = getattr(request, "resolver_match", None)
            if match is None:
                from django.urls import Resolver404, resolve

                try:
                    match = resolve(request.path_info)
                except Resolver404:
                    match = None
            if match is not None and match.route.startswith(self.routes):
                # the signed-in user and session were loaded from the primary above
                token = _reading_replica.set(True)
        try:
            return self.get_response(request)
        finally:
            if token is not None:
                _reading_replica.reset(token)
