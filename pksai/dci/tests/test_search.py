"""The DCI social-registry search PKSAI answers: signed requests from registered callers get
people in their scope only; unsigned, badly signed, unknown or out-of-scope ones are refused
with the DCI error envelope and audited."""

import json
from datetime import date

import pytest

from pksai.audit.models import AuditEvent
from pksai.dci import signing
from pksai.dci.models import Caller
from pksai.dci.tests.conftest import NIK_A, NIK_B, NIK_G
from pksai.dci.tests.helpers import CallbackReceiver, by_nik, new_key, predicate, search_body
from pksai.programs.models import Beneficiary, BenefitRule, Program

SYNC = "/api/v1/dci/registry/sync/search"
ASYNC = "/api/v1/dci/registry/search"

pytestmark = pytest.mark.django_db


def post(client, body, **headers):
    return client.post(SYNC, body, content_type="application/json", headers=headers)


def records(answer, i=0):
    return answer["message"]["search_response"][i]["data"]["reg_records"]


def niks(found):
    return [
        next(x["identifier_value"] for x in r["identifier"] if x["identifier_type"] == "NIK")
        for r in found
    ]


def test_a_signed_nik_search_returns_the_person_in_scope_as_an_audited_export(
    client, caller, caller_key, people, our_key
):
    response = post(client, search_body(by_nik(NIK_A), key=caller_key))
    assert response.status_code == 200
    answer = response.json()
    assert answer["header"]["action"] == "on-search"
    assert answer["header"]["status"] == "succ"
    assert answer["header"]["receiver_id"] == "sr.makassar"
    entry = answer["message"]["search_response"][0]
    assert entry["status"] == "succ" and entry["reference_id"] == "ref-1"
    assert entry["pagination"] == {"page_size": 100, "page_number": 1, "total_count": 1}
    (record,) = entry["data"]["reg_records"]
    assert record["@type"] == "spdci:SR_Person"
    assert niks([record]) == [NIK_A]
    assert record["name"]["given_name"] == "Siti Aminah"
    assert record["sex"] == "female" and record["birth_date"] == "2014-05-05"
    assert record["address"][0]["region_code"] == "73.71.01.1001"
    # our answer is signed with our key
    signing.verify(
        answer["signature"],
        answer["header"],
        answer["message"],
        public_keys=[our_key.public_key()],
        sender_id="pksai",
    )
    export = AuditEvent.objects.get(action="export", object_type="dci.caller")
    assert export.actor_username == "dci:sr.makassar"
    assert export.detail["records"]["registry.person"] == [people["girl"].pk]


def test_a_nik_outside_the_callers_scope_finds_nothing(client, caller, caller_key, people):
    answer = post(client, search_body(by_nik(NIK_G), key=caller_key)).json()
    assert answer["message"]["search_response"][0]["status"] == "succ"
    assert records(answer) == []


def test_predicates_return_only_people_in_scope(client, caller, caller_key, people):
    children = predicate(("age", "lt", 18))
    answer = post(client, search_body(children, key=caller_key)).json()
    # the Gowa girl is a child too but outside the caller's area; the retired row is not current
    assert niks(records(answer)) == [NIK_A]
    men = predicate(("area_code", "eq", "73.71.01"), ("sex", "eq", "male"))
    assert niks(records(post(client, search_body(men, key=caller_key)).json())) == [NIK_B]
    born = predicate(("birth_date", "ge", "2010-01-01"))
    assert niks(records(post(client, search_body(born, key=caller_key)).json())) == [NIK_A]


def test_age_boundaries(client, caller, caller_key, people, monkeypatch):
    from pksai.dci import search

    monkeypatch.setattr(search.timezone, "localdate", lambda: date(2026, 5, 5))  # she turns 12

    def ask(op, n):
        criteria = predicate(("age", op, n))
        return niks(records(post(client, search_body(criteria, key=caller_key)).json()))

    assert ask("eq", 12) == [NIK_A]
    assert ask("eq", 11) == []
    assert ask("ge", 12) == [NIK_A, NIK_B]
    assert ask("gt", 12) == [NIK_B]
    assert ask("lt", 12) == []
    assert ask("le", 12) == [NIK_A]
    assert ask("lt", 13) == [NIK_A]


def test_an_area_outside_the_scope_is_refused_and_audited(client, caller, caller_key, people):
    answer = post(client, search_body(predicate(("area_code", "eq", "73.06")), key=caller_key))
    entry = answer.json()["message"]["search_response"][0]
    assert entry["status"] == "rjct"
    assert entry["status_reason_code"] == "rjct.search_criteria.invalid"
    assert "data" not in entry
    denied = AuditEvent.objects.get(action="permission_denied", object_type="dci.caller")
    assert denied.detail["reason"] == "rjct.search_criteria.invalid"
    assert "73.06" in denied.detail["message"]


def test_an_unsigned_request_is_refused(client, caller, people):
    response = post(client, search_body(by_nik(NIK_A)))
    assert response.status_code == 401
    body = response.json()["message"]
    assert body["ack_status"] == "ERR"
    assert body["error"]["code"] == "err.signature.missing"
    assert "search_response" not in response.json()
    assert AuditEvent.objects.filter(
        action="permission_denied", detail__reason="err.signature.missing"
    ).exists()


def test_a_bad_signature_is_refused(client, caller, caller_key, people):
    forged = search_body(by_nik(NIK_A), key=new_key())  # not the registered key
    response = post(client, forged)
    assert response.status_code == 401
    assert response.json()["message"]["error"]["code"] == "err.signature.invalid"
    tampered = search_body(by_nik(NIK_A), key=caller_key)
    tampered["message"]["search_request"][0]["search_criteria"]["query"]["value"] = NIK_G
    response = post(client, tampered)
    assert response.status_code == 401
    assert response.json()["message"]["error"]["code"] == "err.signature.invalid"
    expired = search_body(by_nik(NIK_A), key=caller_key, signed_at=1_600_000_000)
    assert post(client, expired).json()["message"]["error"]["code"] == "err.signature.invalid"
    assert (
        AuditEvent.objects.filter(
            action="permission_denied", detail__reason="err.signature.invalid"
        ).count()
        == 3
    )


def test_a_sender_that_is_not_registered_is_refused(client, caller, people):
    stranger = new_key()
    response = post(client, search_body(by_nik(NIK_A), key=stranger, sender="someone.else"))
    assert response.status_code == 401
    assert response.json()["message"]["error"]["code"] == "err.sender_id.invalid"
    Caller.objects.filter(pk=caller.pk).update(active=False)
    again = post(client, search_body(by_nik(NIK_A), key=stranger, sender="sr.makassar"))
    assert again.json()["message"]["error"]["code"] == "err.sender_id.invalid"
    assert (
        AuditEvent.objects.filter(
            action="permission_denied", detail__reason="err.sender_id.invalid"
        ).count()
        == 2
    )


def test_the_signature_may_come_in_the_signature_header_and_a_jwk(
    client, caller, caller_key, people
):
    caller.public_key = json.dumps({"keys": [signing.public_jwk(caller_key, "k1")]})
    caller.save()
    body = search_body(by_nik(NIK_A), key=caller_key)
    signature = body.pop("signature")
    answer = post(client, body, Signature=signature).json()
    assert niks(records(answer)) == [NIK_A]


def test_a_message_id_is_answered_once(client, caller, caller_key, people):
    body = search_body(by_nik(NIK_A), key=caller_key)
    assert post(client, body).json()["header"]["status"] == "succ"
    again = post(client, body).json()
    assert again["header"]["status"] == "rjct"
    assert again["header"]["status_reason_code"] == "rjct.message_id.duplicate"
    assert again["message"]["search_response"] == []


def test_wrong_receiver_count_and_encryption_are_refused(client, caller, caller_key, people):
    other = post(client, search_body(by_nik(NIK_A), key=caller_key, receiver="someone"))
    assert other.json()["message"]["error"]["code"] == "err.receiver_id.invalid"
    wrong_count = post(client, search_body(by_nik(NIK_A), key=caller_key, total_count=3)).json()
    assert wrong_count["header"]["status_reason_code"] == "rjct.total_count.invalid"
    encrypted = post(client, search_body(by_nik(NIK_A), key=caller_key, is_msg_encrypted=True))
    assert encrypted.json()["message"]["error"]["code"] == "err.encryption.invalid"
    garbage = client.post(SYNC, b"{not json", content_type="application/json")
    assert garbage.status_code == 400
    assert garbage.json()["message"]["error"]["code"] == "err.request.bad"


def test_pagination_and_sort(client, caller, caller_key, people):
    ask = predicate(("area_code", "eq", "73.71"))
    pages = []
    for number in (1, 2, 3):
        criteria = {
            **ask,
            "sort": [{"attribute_name": "birth_date", "sort_order": "desc"}],
            "pagination": {"page_size": 1, "page_number": number},
        }
        entry = post(client, search_body(criteria, key=caller_key)).json()["message"][
            "search_response"
        ][0]
        assert entry["pagination"]["total_count"] == 2
        pages.append(niks(entry["data"]["reg_records"]))
    assert pages == [[NIK_A], [NIK_B], []]
    bad_page = {**ask, "pagination": {"page_size": 0}}
    entry = post(client, search_body(bad_page, key=caller_key)).json()["message"][
        "search_response"
    ][0]
    assert entry["status_reason_code"] == "rjct.pagination.invalid"
    bad_sort = {**ask, "sort": [{"attribute_name": "nik", "sort_order": "asc"}]}
    entry = post(client, search_body(bad_sort, key=caller_key)).json()["message"][
        "search_response"
    ][0]
    assert entry["status_reason_code"] == "rjct.sort.invalid"


def test_unsupported_queries_are_rejected_per_request(client, caller, caller_key, people):
    expression = {"query_type": "expression", "query": {"type": "x", "value": {}}}
    answer = post(client, search_body(expression, by_nik(NIK_A), key=caller_key)).json()
    first, second = answer["message"]["search_response"]
    assert (
        first["status"] == "rjct" and first["status_reason_code"] == "rjct.search_criteria.invalid"
    )
    assert second["status"] == "succ" and niks(second["data"]["reg_records"]) == [NIK_A]
    assert answer["header"]["completed_count"] == 1


@pytest.fixture
def beneficiaries(people, team_worker=None):
    pksa = Program.objects.get(code="pksa")
    rule = BenefitRule.objects.get(program=pksa)
    for person, area in ((people["girl"], "73.71.01.1001"), (people["gowa"], "73.06.01.2001")):
        Beneficiary.objects.create(
            program=Program.objects.get(code="pks_anjal"),
            person=person,
            area_id=area,
            start_date=date(2025, 1, 1),
            benefit_rule=rule,
        )


def test_beneficiaries_only_when_allowed_and_in_scope(
    client, caller, caller_key, people, beneficiaries
):
    ask = predicate(("programme_identifier", "eq", "pks_anjal"), reg_record_type="beneficiary")
    refused = post(client, search_body(ask, key=caller_key)).json()
    assert refused["message"]["search_response"][0]["status"] == "rjct"
    caller.may_search_beneficiaries = True
    caller.save()
    answer = post(client, search_body(ask, key=caller_key)).json()
    (record,) = records(answer)
    assert record["@type"] == "Beneficiary"
    assert record["programme"]["programme_identifier"] == "pks_anjal"
    assert niks([record["member"]["demographic_info"]]) == [NIK_A]
    export = (
        AuditEvent.objects.filter(action="export", object_type="dci.caller").order_by("pk").last()
    )
    assert len(export.detail["records"]["programs.beneficiary"]) == 1


def test_the_asynchronous_search_acks_and_calls_back_signed(
    client, caller, caller_key, people, our_key, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    receiver = CallbackReceiver().start()
    try:
        body = search_body(by_nik(NIK_A), key=caller_key)
        no_url = client.post(ASYNC, body, content_type="application/json")
        assert no_url.json()["message"]["error"]["code"] == "err.sender_uri.invalid"
        caller.callback_url = receiver.url
        caller.save()
        with django_capture_on_commit_callbacks(execute=True):
            ack = client.post(ASYNC, body, content_type="application/json")
        assert ack.status_code == 200
        assert ack.json()["message"]["ack_status"] == "ACK"
        (call,) = receiver.received
        assert call["path"] == "/registry/on-search"
        sent = call["body"]
        assert sent["message"]["correlation_id"] == ack.json()["message"]["correlation_id"]
        assert sent["message"]["transaction_id"] == body["message"]["transaction_id"]
        assert niks(records(sent)) == [NIK_A]
        signing.verify(
            call["signature"],
            sent["header"],
            sent["message"],
            public_keys=[our_key.public_key()],
            sender_id="pksai",
        )
    finally:
        receiver.stop()


def test_the_admin_form_takes_only_an_ed25519_key(people, caller_key):
    from pksai.dci.admin import CallerForm

    data = {"name": "SR", "sender_id": "sr.x", "may_search_people": True, "active": True}
    assert not CallerForm({**data, "public_key": "not a key"}).is_valid()
    pem = signing.public_pem(caller_key)
    assert CallerForm({**data, "public_key": pem, "areas": ["73.71"]}).is_valid()
    jwk = json.dumps(signing.public_jwk(caller_key))
    assert CallerForm({**data, "public_key": jwk, "areas": ["73.71"]}).is_valid()


def test_a_caller_sending_too_many_messages_is_slowed_down(
    client, caller, caller_key, people, settings
):
    settings.PKSAI_DCI_MESSAGES_PER_MINUTE = 2
    for _ in range(2):
        assert post(client, search_body(by_nik(NIK_A), key=caller_key)).status_code == 200
    third = post(client, search_body(by_nik(NIK_A), key=caller_key))
    assert third.status_code == 429
    assert third.json()["message"]["error"]["code"] == "err.request.too_many_requests"
