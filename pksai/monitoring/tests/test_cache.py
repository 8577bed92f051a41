"""Dashboard counts are kept a few minutes per scope (PKSAI_MONITORING_CACHE_SECONDS): a
second coordinator of the same city reads them without a query, a coordinator of another
scope never reads the first one's figures, and once the time is up a new case is counted."""

from datetime import UTC, date, datetime

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pksai.accounts.tests.factories import make_user
from pksai.cases.models import Case
from pksai.cases.tests.factories import make_child
from pksai.monitoring.measures import measure_counts

REPORTED = datetime(2025, 3, 1, 2, tzinfo=UTC)
PERIOD = {"start": date(2025, 1, 1), "end": date(2026, 1, 1)}


def _case(number: str, owner, village: str, regency: str) -> None:
    case = Case.objects.create(
        number=number,
        regency_id=regency,
        area_id=village,
        child=make_child(number),
        channel="phone",
        summary="-",
        stage="assessment",
        owner=owner,
        created_by=owner,
    )
    Case.objects.filter(pk=case.pk).update(created_at=REPORTED)


@pytest.fixture
def cached(settings):
    settings.PKSAI_MONITORING_CACHE_SECONDS = 300
    caches["monitoring"].clear()
    yield
    caches["monitoring"].clear()


@pytest.mark.django_db
def test_counts_are_shared_within_a_scope_and_never_across(pilot_areas, cached):
    first = make_user("coord1", roles=["coordinator"], scope=["73.71"])
    second = make_user("coord2", roles=["coordinator"], scope=["73.71"])
    elsewhere = make_user("coord3", roles=["coordinator"], scope=["73.06"])
    _case("A-1", first, "73.71.01.1001", "73.71")
    _case("B-1", elsewhere, "73.06.01", "73.06")

    assert measure_counts("cases_reported", user=first, group="regency", **PERIOD) == {"73.71": 1}
    with CaptureQueriesContext(connection) as queries:
        again = measure_counts("cases_reported", user=second, group="regency", **PERIOD)
    assert again == {"73.71": 1}
    # the same scope, period and grouping: kept (the one query reads the user's scope)
    assert not [q for q in queries if "cases_case" in q["sql"]]

    # another scope is counted on its own, never served the Makassar figures
    assert measure_counts("cases_reported", user=elsewhere, group="regency", **PERIOD) == {
        "73.06": 1
    }
    # another grouping or period is counted on its own
    assert measure_counts("cases_reported", user=first, group="national", **PERIOD) == {"": 1}

    _case("A-2", first, "73.71.01.1001", "73.71")
    kept = measure_counts("cases_reported", user=first, group="regency", **PERIOD)
    assert kept == {"73.71": 1}  # within the kept time the new case is not yet counted
    caches["monitoring"].clear()  # the time is up
    assert measure_counts("cases_reported", user=first, group="regency", **PERIOD) == {"73.71": 2}


@pytest.mark.django_db
def test_nothing_is_kept_when_turned_off(pilot_areas, settings):
    settings.PKSAI_MONITORING_CACHE_SECONDS = 0
    caches["monitoring"].clear()
    user = make_user("coord1", roles=["coordinator"], scope=["73.71"])
    _case("A-1", user, "73.71.01.1001", "73.71")
    assert measure_counts("cases_reported", user=user, group="regency", **PERIOD) == {"73.71": 1}
    _case("A-2", user, "73.71.01.1001", "73.71")
    assert measure_counts("cases_reported", user=user, group="regency", **PERIOD) == {"73.71": 2}
