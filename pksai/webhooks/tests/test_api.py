"""/api/v1/webhooks/: an administrator adds a subscriber (the secret once, in the answer),
lists subscribers and a delivery log, and replays a delivery with the same id; other roles get
403, an unknown id 404."""

from __future__ import annotations

import pytest

from pksai.accounts.tests.factories import make_user
from pksai.api.tests.helpers import bearer
from pksai.cases.tests.factories import register
from pksai.webhooks.models import Delivery, Subscriber
from pksai.webhooks.services import deliveries_run

pytestmark = pytest.mark.django_db


def test_add_list_log_and_replay(client, admin, receiver, team):
    auth = bearer(admin)
    body = {
        "name": "Dinsos",
        "url": receiver.url,
        "events": ["case.registered"],
        "area": "73.71",
    }
    created = client.post(
        "/api/v1/webhooks/subscribers", body, content_type="application/json", headers=auth
    )
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    subscriber = Subscriber.objects.get()
    assert subscriber.secret == secret and created.json()["area_code"] == "73.71"
    listed = client.get("/api/v1/webhooks/subscribers", headers=auth).json()
    assert [s["name"] for s in listed["items"]] == ["Dinsos"] and "secret" not in listed["items"][0]
    receiver.secret = secret
    register(team)
    deliveries_run()
    log = client.get(
        f"/api/v1/webhooks/subscribers/{subscriber.pk}/deliveries?status=delivered", headers=auth
    ).json()
    (row,) = log["items"]
    assert row["status"] == "delivered" and row["event"] == "case.registered"
    replayed = client.post(f"/api/v1/webhooks/deliveries/{row['id']}/replay", headers=auth)
    assert replayed.status_code == 200 and replayed.json()["delivery_id"] == row["delivery_id"]
    deliveries_run()
    assert receiver.ids() == [row["delivery_id"]] * 2
    bad = client.post(
        "/api/v1/webhooks/subscribers",
        body | {"url": "ftp://x.example/"},
        content_type="application/json",
        headers=auth,
    )
    assert bad.status_code in (400, 422)
    missing = client.post("/api/v1/webhooks/deliveries/999999/replay", headers=auth)
    assert missing.status_code == 404


def test_other_roles_are_refused(client, admin, receiver):
    coordinator = make_user("coord", roles=["coordinator"], scope=["73.71"])
    auth = bearer(coordinator)
    assert client.get("/api/v1/webhooks/subscribers", headers=auth).status_code == 403
    response = client.post(
        "/api/v1/webhooks/subscribers",
        {"name": "x", "url": receiver.url, "events": ["case.closed"]},
        content_type="application/json",
        headers=auth,
    )
    assert response.status_code == 403 and not Subscriber.objects.exists()
    assert not Delivery.objects.exists()
