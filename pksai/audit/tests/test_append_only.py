"""Audit rows cannot be changed or deleted: not by the ORM, not by raw SQL."""

import pytest
from django.db import DatabaseError, connection, transaction

from pksai.audit.models import AppendOnlyError, AuditEvent
from pksai.audit.services import audit_record


@pytest.fixture
def event(db):
    return audit_record(action="export", object_type="registry.person", object_id="42")


def test_orm_refuses_update_and_delete(event):
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="view")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        event.delete()
    event.action = "view"
    with pytest.raises(AppendOnlyError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "export"


def test_database_refuses_raw_update(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'view' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "export"


def test_database_refuses_raw_delete(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # The test runner's flush marker (test databases only) must not weaken this check.
            cursor.execute("DROP TABLE IF EXISTS audit_flush_allowed")
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL trigger")
def test_postgresql_trigger_is_installed(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass "
            "AND NOT tgisinternal"
        )
        assert ("audit_auditevent_no_update_delete",) in cursor.fetchall()


def test_record_carries_request_context(client, pilot_areas):
    from pksai.accounts.tests.factories import make_user

    user = make_user("auditee", roles=["social_worker"])
    client.force_login(user)
    client.get("/audit/", headers={"X-Request-ID": "req-abcdef123"}, REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.get(action="permission_denied")
    assert event.actor == user
    assert event.actor_roles == "social_worker"
    assert event.ip == "10.1.2.3"
    assert event.request_id == "req-abcdef123"
    assert event.path == "/audit/"


def test_unknown_action_is_refused(db):
    with pytest.raises(ValueError):
        audit_record(action="peek")
