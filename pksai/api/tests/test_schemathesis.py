"""Schemathesis against the live API (issue 22): every operation of /api/v1/openapi.json,
called in-process with a national user's token, with generated valid and invalid input.
Nothing may answer 500, and every answer must match what the document declares for it.

Bounded: a few examples per operation (``EXAMPLES``), three groups of operations of at most
``BUDGET_SECONDS`` each (they run side by side under ``make test``)."""

from __future__ import annotations

import time

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.specs.openapi.checks import response_schema_conformance

from pksai.accounts.tests.factories import make_user
from pksai.api.tests.helpers import bearer

EXAMPLES = 4
BUDGET_SECONDS = 75  # per group (the groups run side by side under ``make test``)
# the operations in three groups of about the same cost, by the first segment of their path
GROUPS = {
    "casework": ("cases", "alerts", "referrals"),
    "programs": ("programs", "payments", "registry", "vulnerability"),
    "others": (
        "complaints",
        "public",
        "monitoring",
        "areas",
        "me",
        "organisations",
        "tokens",
        "privacy",
        "retention",
        "field",
    ),
}


def _group(path: str) -> str:
    first = path.removeprefix("/api/v1/").split("/", 1)[0]
    return next((name for name, firsts in GROUPS.items() if first in firsts), "others")


ROLES = [
    "coordinator",
    "supervisor",
    "psychologist",
    "data_officer",
    "registration_staff",
    "social_worker",
    "program_officer",
    "complaints_officer",
    "national_analyst",
    "auditor",
    "administrator",
    "data_protection_officer",
]


@pytest.fixture
def national(pilot_areas):
    return make_user("schemathesis", roles=ROLES, national=True)


@pytest.fixture
def keep_connection():
    """The WSGI handler closes the database connection after each request; inside the test's
    transaction that would end it. Django's own test client does the same as this."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _schema() -> schemathesis.schemas.BaseSchema:
    from pksai.api.urls import api

    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    schema.app = get_wsgi_application()
    # the coverage phase sends the boundaries and the invalid values of every parameter
    # (0, negatives, 2**63, wrong types, missing and extra fields); the valid values come from
    # the fuzzing phase. No unexpected methods (Django answers 405 to those before us).
    schema.config.phases.coverage.unexpected_methods = set()
    schema.config.phases.coverage.generation.modes = [GenerationMode.NEGATIVE]
    return schema


def test_every_operation_is_in_a_group():
    paths = _schema().raw_schema["paths"]
    firsts = {path.removeprefix("/api/v1/").split("/", 1)[0] for path in paths}
    assert firsts <= {first for group in GROUPS.values() for first in group}


@pytest.mark.django_db
@pytest.mark.parametrize("group", list(GROUPS))
def test_no_server_errors_and_answers_as_documented(national, group, keep_connection):
    headers = {**bearer(national), "Host": "localhost"}
    schema = _schema()
    checks = [not_a_server_error, response_schema_conformance]
    failures: list[str] = []
    started = time.monotonic()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if _group(operation.path) != group:
            continue
        operations += 1

        def call(case):
            # one savepoint per request: as in production, where each request is its own
            # transaction, a refused write cannot spoil the requests after it
            with transaction.atomic():
                case.call_and_validate(headers=headers, checks=checks)

        # the examples, coverage and fuzzing phases, as the schemathesis CLI runs them
        call = build_operation_test(
            config=schema.config,
            operation=operation,
            test_func=call,
            given_kwargs={},
            feedback=FeedbackSources(),
            explicit_settings=settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            ),
        )

        try:
            call()
        except (Exception, BaseExceptionGroup) as error:  # collect; go on with the next one
            failures.append(f"{operation.method.upper()} {operation.path}: {error}"[:3000])
    elapsed = time.monotonic() - started
    assert operations > 20
    assert not failures, f"{len(failures)} failing operations:\n\n" + "\n\n".join(failures)
    assert elapsed < BUDGET_SECONDS
