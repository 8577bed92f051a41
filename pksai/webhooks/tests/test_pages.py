"""The administrators' webhook pages: add a subscriber (the secret shown once), edit with a
version (a stale save is a 409), approve personal data, the delivery log and "Kirim ulang";
every other role is refused (403, audited)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.webhooks.models import Delivery, Subscriber
from pksai.webhooks.services import deliveries_run

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _add(client, receiver, **extra):
    data = {
        "name": "Sistem Dinsos Provinsi",
        "url": receiver.url,
        "events": ["case.registered", "complaint.filed"],
        "area": "73.71",
        "active": "on",
    } | extra
    return client.post("/webhooks/new/", data)


def test_an_administrator_adds_a_subscriber_and_sees_the_secret_once(admin, receiver):
    client = _client(admin)
    assert client.get("/webhooks/").status_code == 200
    response = _add(client, receiver)
    assert response.status_code == 201
    subscriber = Subscriber.objects.get()
    assert subscriber.secret in response.content.decode()
    assert (subscriber.area_id, subscriber.events) == (
        "73.71",
        ["case.registered", "complaint.filed"],
    )
    page = client.get(f"/webhooks/{subscriber.pk}/")
    assert page.status_code == 200 and subscriber.secret not in page.content.decode()
    assert AuditEvent.objects.filter(action="create", object_type="webhooks.subscriber").exists()
    # rotation: a new secret, shown once
    rotated = client.post(f"/webhooks/{subscriber.pk}/rotate/")
    subscriber.refresh_from_db()
    assert rotated.status_code == 200 and subscriber.secret in rotated.content.decode()


def test_https_is_required(admin, receiver, settings):
    settings.PKSAI_WEBHOOK_ALLOW_HTTP_HOSTS = []
    with translation.override("en"):
        response = _add(_client(admin), receiver)
    assert response.status_code == 400 and not Subscriber.objects.exists()


def test_a_stale_edit_is_a_conflict(admin, receiver):
    client = _client(admin)
    _add(client, receiver)
    subscriber = Subscriber.objects.get()
    data = {
        "name": "Baru",
        "url": receiver.url,
        "events": ["case.closed"],
        "area": "",
        "active": "on",
        "version": subscriber.version,
    }
    assert client.post(f"/webhooks/{subscriber.pk}/", data).status_code == 302
    subscriber.refresh_from_db()
    assert (subscriber.name, subscriber.events, subscriber.area_id) == (
        "Baru",
        ["case.closed"],
        None,
    )
    stale = client.post(f"/webhooks/{subscriber.pk}/", data | {"name": "Lama"})
    assert stale.status_code == 409
    subscriber.refresh_from_db()
    assert subscriber.name == "Baru"


def test_approval_log_and_replay(admin, receiver, team):
    from pksai.cases.tests.factories import register

    client = _client(admin)
    _add(client, receiver)
    subscriber = Subscriber.objects.get()
    receiver.secret = subscriber.secret
    assert client.post(f"/webhooks/{subscriber.pk}/approve/", {"purpose": ""}).status_code == 400
    response = client.post(f"/webhooks/{subscriber.pk}/approve/", {"purpose": "Layanan terpadu"})
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert subscriber.personal_data and subscriber.personal_approved_by == admin
    register(team)
    deliveries_run()
    delivery = Delivery.objects.get()
    log = client.get(f"/webhooks/{subscriber.pk}/").content.decode()
    assert str(delivery.uid) in log and f"/webhooks/deliveries/{delivery.pk}/replay/" in log
    assert client.post(f"/webhooks/deliveries/{delivery.pk}/replay/").status_code == 302
    deliveries_run()
    assert receiver.ids() == [str(delivery.uid)] * 2
    assert client.post(f"/webhooks/{subscriber.pk}/revoke/").status_code == 302
    subscriber.refresh_from_db()
    assert not subscriber.personal_data


@pytest.mark.parametrize("role", ["coordinator", "social_worker", "auditor", "program_officer"])
def test_other_roles_are_refused(role, admin, receiver):
    _add(_client(admin), receiver)
    subscriber = Subscriber.objects.get()
    client = _client(make_user(f"u-{role}", roles=[role], scope=["73.71"]))
    before = AuditEvent.objects.filter(action="permission_denied").count()
    for url in ("/webhooks/", "/webhooks/new/", f"/webhooks/{subscriber.pk}/"):
        assert client.get(url).status_code in (403, 404), url
    assert client.post(f"/webhooks/{subscriber.pk}/rotate/").status_code in (403, 404)
    assert AuditEvent.objects.filter(action="permission_denied").count() >= before + 4
    subscriber.refresh_from_db()
    assert subscriber.version == 1
