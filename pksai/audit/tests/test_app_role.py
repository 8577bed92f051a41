"""As the application role on PostgreSQL (decision 0004), nothing can erase or stop the audit
trail: TRUNCATE, trigger changes, UPDATE, DELETE, dropping the table, replacing the trigger's
function and migrating the audit app back are all refused by the database's privileges — not by
the trigger (whose own refusal is shown in test_append_only.py) — while appending and reading
work.

These run only when the suite itself runs as a separate application role (DATABASE_OWNER set;
`.ci/run` does, docs/operations.md). On SQLite there are no roles: what SQLite cannot
guarantee is written down in decision 0004 and docs/operations.md.
"""

import io
from importlib import import_module

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.loader import MigrationLoader

from pksai.audit.models import AuditEvent
from pksai.audit.services import audit_record

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite has no database roles: it cannot keep the application from erasing the "
        "audit trail (decision 0004)",
    ),
    pytest.mark.skipif(
        not settings.PKSAI_DB_OWNER,
        reason="the suite runs as one role that owns the tables; set DATABASE_OWNER (and run "
        "`pksai db-roles`, as .ci/run does) to run it as the application role",
    ),
]

TRIGGER = "audit_auditevent_no_update_delete"
PERMISSION_DENIED = "permission denied"
MUST_BE_OWNER = "must be owner"

REFUSED = {
    "truncate": ("TRUNCATE audit_auditevent", PERMISSION_DENIED),
    "truncate cascade": ("TRUNCATE audit_auditevent CASCADE", PERMISSION_DENIED),
    "disable all triggers": ("ALTER TABLE audit_auditevent DISABLE TRIGGER ALL", MUST_BE_OWNER),
    "disable the trigger": (
        f"ALTER TABLE audit_auditevent DISABLE TRIGGER {TRIGGER}",
        MUST_BE_OWNER,
    ),
    "drop the trigger": (f"DROP TRIGGER {TRIGGER} ON audit_auditevent", MUST_BE_OWNER),
    "replace the trigger's function": (
        "CREATE OR REPLACE FUNCTION audit_auditevent_append_only() RETURNS trigger "
        "AS $$ BEGIN RETURN NULL; END; $$ LANGUAGE plpgsql",
        PERMISSION_DENIED,  # for schema public: it may create nothing there
    ),
    "add a trigger": (
        "CREATE TRIGGER skip BEFORE INSERT ON audit_auditevent "
        "FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()",
        PERMISSION_DENIED,
    ),
    "update": ("UPDATE audit_auditevent SET action = 'view'", PERMISSION_DENIED),
    "delete": ("DELETE FROM audit_auditevent", PERMISSION_DENIED),
    "drop the table": ("DROP TABLE audit_auditevent", MUST_BE_OWNER),
    "rename the table": ("ALTER TABLE audit_auditevent RENAME TO audit_old", MUST_BE_OWNER),
    "take the table over": (
        "ALTER TABLE audit_auditevent OWNER TO CURRENT_USER",
        MUST_BE_OWNER,
    ),
    "turn triggers off for the session": (
        "SET session_replication_role = replica",
        PERMISSION_DENIED,
    ),
    "create a table": ("CREATE TABLE audit_flush_allowed (id integer)", PERMISSION_DENIED),
    "forget a migration": (
        "DELETE FROM django_migrations WHERE app = 'audit'",
        PERMISSION_DENIED,
    ),
}


@pytest.fixture
def event(db):
    return audit_record(action="export", object_type="registry.person", object_id="42")


def _one(sql: str, params: tuple = ()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _all(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def test_the_suite_runs_as_the_application_role(db):
    """A separate login (not SET ROLE, which RESET ROLE would undo): no superuser, no member
    of the owner role, owner of nothing."""
    current, session, superuser = _one(
        "SELECT current_user, session_user, rolsuper FROM pg_roles WHERE rolname = current_user"
    )
    assert current == session == settings.PKSAI_DB_APP_ROLE != settings.PKSAI_DB_OWNER
    assert superuser is False
    assert _one("SELECT pg_has_role(current_user, %s, 'MEMBER')", (settings.PKSAI_DB_OWNER,)) == (
        False,
    )
    assert _one("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_auditevent'") == (
        settings.PKSAI_DB_OWNER,
    )
    assert _one(
        "SELECT count(*) FROM pg_class WHERE relowner = "
        "(SELECT oid FROM pg_roles WHERE rolname = current_user)"
    ) == (0,)


@pytest.mark.parametrize("what", list(REFUSED))
def test_the_application_role_cannot_erase_or_stop_the_audit_trail(event, what):
    sql, message = REFUSED[what]
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)
    assert isinstance(refused.value.__cause__, psycopg.errors.InsufficientPrivilege)
    # the database's privileges refused it, not the append-only trigger (its message differs)
    assert message in str(refused.value), str(refused.value)
    assert "append-only" not in str(refused.value)
    assert AuditEvent.objects.filter(pk=event.pk, action="export").exists()
    assert _one(
        "SELECT tgenabled FROM pg_trigger WHERE tgname = %s AND tgrelid = "
        "'audit_auditevent'::regclass",
        (TRIGGER,),
    ) == ("O",)  # still there, still enabled


def test_the_application_role_appends_and_reads(db):
    before = AuditEvent.objects.count()
    event = audit_record(action="view", object_type="cases.case", object_id="7")
    assert AuditEvent.objects.count() == before + 1
    assert AuditEvent.objects.get(pk=event.pk).object_id == "7"
    # and the rest of the application's tables take ordinary writes
    from pksai.areas.models import Area

    area = Area.objects.create(
        code="99", name="Uji", level=Area.Level.PROVINCE, timezone="Asia/Jakarta"
    )
    Area.objects.filter(pk=area.pk).update(name="Uji 2")
    Area.objects.filter(pk=area.pk).delete()


def test_migrating_the_audit_app_back_is_refused(event):
    # The first refusal comes early: unrecording the migrations that depend on the audit app
    # (the application role may only read django_migrations).
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        call_command("migrate", "audit", "zero", interactive=False, stdout=io.StringIO())
    assert isinstance(refused.value.__cause__, psycopg.errors.InsufficientPrivilege)
    # And were it to get that far, the audit app's own backward steps are refused: removing
    # the trigger (0002) and dropping the table (0001).
    backward = import_module("pksai.audit.migrations.0002_append_only_triggers").PG_BACKWARD
    for sql in (backward, "DROP TABLE IF EXISTS audit_auditevent"):
        with pytest.raises(DatabaseError) as refused, transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
        assert isinstance(refused.value.__cause__, psycopg.errors.InsufficientPrivilege)
        assert MUST_BE_OWNER in str(refused.value)
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert _one("SELECT count(*) FROM pg_trigger WHERE tgname = %s", (TRIGGER,)) == (1,)
    applied = {name for (name,) in _all("SELECT name FROM django_migrations WHERE app = 'audit'")}
    on_disk = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    assert applied == {name for app, name in on_disk if app == "audit"}
