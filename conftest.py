"""Shared test fixtures. Tests run against the real database (SQLite or PostgreSQL via
DATABASE_URL); only the password hasher is swapped for a fast one.

With two PostgreSQL roles (DATABASE_OWNER set, decision 0004) the test database is created and
migrated by the owner, as `pksai migrate` would (which also grants the application role its
rights), and then every test runs connected as DATABASE_URL's application role: a separate
login, not SET ROLE. Only the test runner's own housekeeping acts as the owner: emptying the
tables after a transactional test (TRUNCATE, which the application role may not do to the
audit trail) and dropping the test database at the end.
"""

import pytest
from django.conf import settings
from django.db import connection


def pytest_configure(config):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    # The second factor (decision 0020) is on in every deployment; tests sign users in with
    # force_login and are about other things, so it is off here and the tests about it turn it
    # on (fixture ``second_factor_on``, pksai/accounts/tests/test_second_factor.py).
    settings.PKSAI_SECOND_FACTOR_REQUIRED = False
    # Monitoring counts are kept for minutes in production; tests count, add a record and count
    # again, so here they are never kept (pksai/monitoring/tests/test_cache.py turns it on).
    settings.PKSAI_MONITORING_CACHE_SECONDS = 0
    # Messages on the development log channel go to a throw-away file, not var/messages.log.
    import tempfile
    from pathlib import Path

    settings.PKSAI_MESSAGING_LOG = Path(tempfile.mkdtemp(prefix="pksai-msg-")) / "messages.log"


def _two_roles() -> bool:
    return bool(settings.PKSAI_DB_OWNER)


def _connect_as(user: str, password: str) -> None:
    """Point the default connection at ``user`` (its pool too: pooled connections keep the
    login they were opened with)."""
    connection.close()
    if hasattr(connection, "close_pool"):
        connection.close_pool()
    connection.settings_dict["USER"] = user
    connection.settings_dict["PASSWORD"] = password


_APP_LOGIN: dict[str, str] = {}


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    if _two_roles():
        _APP_LOGIN.update(
            user=connection.settings_dict["USER"], password=connection.settings_dict["PASSWORD"]
        )
        _connect_as(settings.PKSAI_DB_OWNER, settings.PKSAI_DB_OWNER_PASSWORD)


def _flush_as_owner(original):
    """The test runner empties every table after a transactional test with one TRUNCATE;
    the application role may not truncate the audit trail, so the owner does it, in its own
    connection (as a DBA resetting a throw-away database would)."""

    def execute_sql_flush(self, sql_list):
        if self.connection.alias != "default":
            return original(self, sql_list)
        import psycopg

        s = self.connection.settings_dict
        with psycopg.connect(
            dbname=s["NAME"],
            host=s["HOST"] or None,
            port=s["PORT"] or None,
            user=settings.PKSAI_DB_OWNER,
            password=settings.PKSAI_DB_OWNER_PASSWORD or None,
        ) as owner:  # commits when the block ends
            for sql in sql_list:
                owner.execute(sql)
        return None

    return execute_sql_flush


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # SQLite only: the test runner empties tables with DELETE between transactional tests;
    # this marker table (test databases only) lets it empty the append-only audit table.
    with django_db_blocker.unblock():
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("CREATE TABLE IF NOT EXISTS audit_flush_allowed (id integer)")
    if not _two_roles():
        yield
        return
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush
    DatabaseOperations.execute_sql_flush = _flush_as_owner(original)
    _connect_as(_APP_LOGIN["user"], _APP_LOGIN["password"])
    try:
        yield
    finally:
        # pytest-django drops the test database next: the owner's to drop.
        with django_db_blocker.unblock():
            _connect_as(settings.PKSAI_DB_OWNER, settings.PKSAI_DB_OWNER_PASSWORD)
        DatabaseOperations.execute_sql_flush = original


@pytest.fixture
def pilot_areas(db):
    from pksai.areas.tests.factories import make_areas

    return make_areas(
        [
            ("73", "Sulawesi Selatan"),
            ("73.06", "Kabupaten Gowa"),
            ("73.06.01", "Bontonompo"),
            ("73.71", "Kota Makassar"),
            ("73.71.01", "Mariso"),
            ("73.71.01.1001", "Bontorannu"),
            ("33", "Jawa Tengah"),
            ("33.72", "Kota Surakarta"),
            ("31", "DKI Jakarta"),
        ]
    )


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the system's default language (Bahasa Indonesia), whatever an
    earlier request in the same worker left active; tests that assert English messages ask
    for them (``pksai.api.tests.helpers.english_messages``)."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


# Reference data that data migrations ship (programs, benefit rules, services, SLAs,
# conditionalities, indicators). A transactional test (the browser tests' live server)
# empties every table when it ends; these put the rows back for the tests that run after it in
# the same worker, whatever order the workers receive the tests in.
REFERENCE_DATA = (
    "pksai.cases.migrations.0002_default_slas_and_follow_ups",
    "pksai.programs.migrations.0002_default_programs",
    "pksai.programs.migrations.0005_default_conditions",
    "pksai.referrals.migrations.0002_default_services_and_slas",
    "pksai.grievances.migrations.0002_default_slas",
    "pksai.monitoring.migrations.0003_pilot_indicators",
    "pksai.monitoring.migrations.0004_services_and_coverage",
    "pksai.monitoring.migrations.0006_tile_indicators",
    "pksai.retention.migrations.0002_default_rules",
    "pksai.messaging.migrations.0002_default_templates",
)


def restore_reference_data() -> None:
    from importlib import import_module

    from django.apps import apps

    for module in REFERENCE_DATA:  # each forward() is idempotent (get_or_create)
        import_module(module).forward(apps, None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield  # the test's fixtures are finalised: a transactional test has flushed the tables
    fixtures = getattr(item, "fixturenames", ())
    transactional = (
        "transactional_db" in fixtures
        or "live_server" in fixtures
        or any(m.kwargs.get("transaction") for m in item.iter_markers("django_db"))
    )
    if transactional and nextitem is not None:
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            restore_reference_data()


@pytest.fixture
def second_factor_on(settings):
    """The second factor required, as in production (decision 0020)."""
    settings.PKSAI_SECOND_FACTOR_REQUIRED = True
    return settings
