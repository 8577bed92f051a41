"""/api/v1/payments/: denials first (anonymous, a social worker, another regency), then a
cycle generated, a batch exported and downloaded (the SHA-256 header), the entitlements in
the caller's areas (paginated, audited) and a membership card."""

import hashlib
from datetime import date

import pytest

from pksai.accounts.tests.factories import make_user
from pksai.api.tests.helpers import bearer, english_messages  # noqa: F401  (autouse)
from pksai.audit.models import AuditEvent
from pksai.cases.tests.conftest import team  # noqa: F401  (the case-work team fixture)
from pksai.payments import services
from pksai.payments.models import Entitlement, InKindItem, PayerBatch, PaymentCycle
from pksai.payments.tests.test_views import N, make_beneficiaries, return_csv
from pksai.programs.models import Beneficiary, BenefitRule, Program, Suspension

URL = "/api/v1/payments/"
JAN = date(2026, 1, 1)


def get(client, path, user):
    return client.get(URL + path, headers=bearer(user))


def post(client, path, user, body=None):
    return client.post(
        URL + path, body or {}, content_type="application/json", headers=bearer(user)
    )


@pytest.fixture
def pay(team):  # noqa: F811
    return {
        **team,
        "officer": make_user("po", roles=["program_officer"], scope=["73"]),
        "gowa_officer": make_user("gpo", roles=["program_officer"], scope=["73.06"]),
        "makassar": make_beneficiaries(N, "73.71.01.1001", "Mks"),
        "gowa": make_beneficiaries(2, "73.06.01.2001", "Gowa"),
        "jslu": Program.objects.get(code="jslu"),
    }


@pytest.mark.django_db
def test_denials(client, pay):
    cycle = services.cycle_generate(by=pay["officer"], program=pay["jslu"], period=JAN)
    assert client.get(URL + "cycles/").status_code == 401
    worker = pay["worker"]
    assert get(client, "cycles/", worker).status_code == 403
    assert get(client, f"cycles/{cycle.pk}/entitlements/", worker).status_code == 403
    assert (
        post(client, "cycles/", worker, {"program": "jslu", "period": "2026-02"}).status_code == 403
    )
    assert post(client, f"cycles/{cycle.pk}/batches/", worker).status_code == 403
    assert not PayerBatch.objects.exists()
    gowa = pay["gowa_officer"]
    listed = get(client, f"cycles/{cycle.pk}/entitlements/", gowa).json()
    assert listed["count"] == 2 and {e["area"] for e in listed["items"]} == {"73.06.01.2001"}
    makassar = pay["makassar"][0]
    assert get(client, f"beneficiaries/{makassar.pk}/card", gowa).status_code == 404
    assert get(client, f"beneficiaries/{makassar.pk}/card", worker).status_code == 404
    assert get(client, "cycles/999999/", pay["officer"]).status_code == 404


@pytest.mark.django_db
def test_cycle_batch_file_entitlements_and_card(client, pay, tmp_path):
    officer = pay["officer"]
    bad = post(client, "cycles/", officer, {"program": "jslu", "period": "2026-13"})
    assert bad.status_code == 400
    assert (
        post(client, "cycles/", officer, {"program": "nope", "period": "2026-01"}).status_code
        == 400
    )
    created = post(client, "cycles/", officer, {"program": "jslu", "period": "2026-01"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["period"] == "2026-01" and body["reconcile"]["entitled"] == (N + 2) * 300_000
    again = post(client, "cycles/", officer, {"program": "jslu", "period": "2026-01"})
    assert again.status_code == 400 and "already generated" in again.json()["detail"][0]
    pk = body["id"]
    assert [c["id"] for c in get(client, "cycles/", officer).json()] == [pk]
    assert get(client, f"cycles/{pk}/", officer).json()["reconcile"]["sent"] == 0

    batch = post(client, f"cycles/{pk}/batches/", officer, {"note": ""})
    assert batch.status_code == 201 and batch.json()["rows"] == N + 2
    refused = post(client, f"cycles/{pk}/batches/", officer, {"note": ""})
    assert refused.status_code == 400
    batch_id = batch.json()["id"]
    listing = get(client, f"cycles/{pk}/batches/", officer).json()
    assert [b["version"] for b in listing] == [1]

    refused = get(client, f"batches/{batch_id}/file?format=csv", officer)  # no purpose
    assert refused.status_code == 400 and "purpose" in refused.json()["detail"][0]
    csv = get(client, f"batches/{batch_id}/file?format=csv&purpose=payer", officer)
    assert "purpose: payer" in csv["X-PKSAI-Watermark"]
    assert csv.status_code == 200 and csv["Content-Disposition"].startswith("attachment")
    assert hashlib.sha256(csv.content).hexdigest() == csv["X-Checksum-SHA256"]
    assert csv["X-Checksum-SHA256"] == batch.json()["checksum"]
    assert (
        get(client, f"batches/{batch_id}/file?format=xlsx&purpose=payer", officer).content[:2]
        == b"PK"
    )
    assert (
        get(client, f"batches/{batch_id}/file?format=doc&purpose=payer", officer).status_code == 404
    )
    gowa = pay["gowa_officer"]
    assert get(client, f"batches/{batch_id}/file?format=csv", gowa).status_code == 404
    # lines outside Gowa: refused like a missing batch, and audited (issue 22)
    assert AuditEvent.objects.get(
        action="permission_denied", object_type="payments.payerbatch", actor=gowa
    ).detail == {"reason": "lines out of scope"}
    assert AuditEvent.objects.filter(action="export", object_id=str(batch_id)).count() == 3

    page = get(client, f"cycles/{pk}/entitlements/?page_size=5", officer)  # the province
    assert page.status_code == 200
    assert page.json()["count"] == N + 2 and len(page.json()["items"]) <= 100
    assert AuditEvent.objects.filter(object_type="payments.entitlement", action="view").exists()
    assert get(client, f"cycles/{pk}/entitlements/?status=paid", officer).json()["count"] == 0

    # pay one Makassar beneficiary late; the card shows it
    person = pay["makassar"][0]
    entitlement = Entitlement.objects.get(cycle_id=pk, beneficiary=person)
    frozen = PayerBatch.objects.get(pk=batch_id)
    line = frozen.lines.get(entitlement=entitlement).line
    path = tmp_path / "r.csv"
    path.write_bytes(return_csv(frozen, [(line, entitlement.pk, "paid", "2026-01-20", "")]))
    services.returns_import(by=officer, batch=frozen, path=path)
    card = get(client, f"beneficiaries/{person.pk}/card", officer)
    assert card.status_code == 200
    payments = card.json()["payments"]
    assert payments == [
        {
            "paid_on": "2026-01-20",
            "amount": 300_000,
            "months": ["2026-01"],
            "paid_by": "Petugas Pos",
            "countersigned": True,
            "channel": "post_home",
            "late": True,
        }
    ]
    assert get(client, f"cycles/{pk}/", officer).json()["reconcile"]["late"] == 1
    assert PaymentCycle.objects.count() == 1
    # how the post office delivers from the next cycle on
    delivery = f"beneficiaries/{person.pk}/delivery"
    body = {"channel": "village_office", "reason": "rumah jauh"}
    assert post(client, delivery, officer, body).json()["channel"] == "village_office"
    assert post(client, delivery, officer, {"channel": "account"}).status_code == 400
    assert post(client, delivery, pay["worker"], body).status_code == 403
    gowa_person = pay["gowa"][0]
    gowa_delivery = f"beneficiaries/{gowa_person.pk}/delivery"
    assert post(client, gowa_delivery, officer, body).status_code == 200  # province officer
    makassar_only = make_user("po-mks", roles=["program_officer"], scope=["73.71"])
    assert post(client, gowa_delivery, makassar_only, body).status_code == 404


# --- in-kind items and suspensions (savings accounts: test_api_savings.py) ----------------


@pytest.mark.django_db
def test_in_kind_items_and_suspensions(client, pay):
    officer, gowa, worker = pay["officer"], pay["gowa_officer"], pay["worker"]
    abt = Program.objects.get(code="pks_abt")
    children = pay["makassar"][:2] + pay["gowa"][:1]
    Beneficiary.objects.filter(pk__in=[c.pk for c in children]).update(
        program=abt, benefit_rule=BenefitRule.objects.get(program=abt)
    )
    cycle = services.cycle_generate(
        by=officer, program=Program.objects.get(code="pksa"), period=JAN
    )
    assert get(client, f"cycles/{cycle.pk}/items/", worker).status_code == 403
    listed = get(client, f"cycles/{cycle.pk}/items/", gowa).json()
    assert listed["count"] == 1 and listed["items"][0]["area"] == "73.06.01.2001"
    ids = list(cycle.items.order_by("id").values_list("pk", flat=True))
    record = {"items": ids, "delivered": True, "on": "2026-01-09", "delivered_by": "TAS"}
    assert post(client, f"cycles/{cycle.pk}/items/record", worker, record).status_code == 403
    assert post(client, f"cycles/{cycle.pk}/items/record", gowa, record).json() == {"changed": 1}
    no_reason = post(
        client, f"cycles/{cycle.pk}/items/record", officer, {"items": ids, "delivered": False}
    )
    assert no_reason.status_code == 400
    assert no_reason.json()["detail"] == ["Say why the items were not delivered."]
    done = post(
        client,
        f"cycles/{cycle.pk}/items/record",
        officer,
        {"items": ids, "delivered": False, "reason": "pindah"},
    )
    assert done.json() == {"changed": 2}  # the delivered one is final
    assert get(client, f"cycles/{cycle.pk}/items/?status=undelivered", officer).json()["count"] == 2
    rec = get(client, f"cycles/{cycle.pk}/", officer).json()["reconcile"]
    assert (rec["items_due"], rec["items_delivered"], rec["items_undelivered"]) == (0, 1, 2)
    assert InKindItem.objects.filter(status="delivered").get().delivered_by == "TAS"

    elder = pay["makassar"][5]
    path = f"beneficiaries/{elder.pk}/suspensions/"
    body = {"start": "2026-03-01", "reason": "dalam pemeriksaan"}
    assert post(client, path, worker, body).status_code == 403
    assert post(client, path, gowa, body).status_code == 404
    assert get(client, path, gowa).status_code == 404
    backwards = post(client, path, officer, {**body, "end": "2026-02-01"})
    assert backwards.status_code == 400
    assert backwards.json()["detail"] == ["A suspension cannot end before it starts."]
    started = post(client, path, officer, body)
    assert started.status_code == 201 and started.json()["end"] is None
    pk = started.json()["id"]
    assert [s["id"] for s in get(client, path, officer).json()] == [pk]
    end = {"last_day": "2026-03-31"}
    assert post(client, f"suspensions/{pk}/end", gowa, end).status_code == 404
    assert post(client, f"suspensions/{pk}/end", worker, end).status_code == 403
    ended = post(client, f"suspensions/{pk}/end", officer, end)
    assert ended.status_code == 200 and ended.json()["end"] == "2026-03-31"
    again = post(client, f"suspensions/{pk}/end", officer, end)
    assert again.status_code == 400
    assert again.json()["detail"] == ["This suspension has already ended."]
    assert Suspension.objects.get().end == date(2026, 3, 31)
