"""The generic HTTP SMS gateway channel against local servers speaking two aggregators'
documented shapes — the shipped presets: Vonage's SMS API (form body with api_key/api_secret,
per-message status codes, delivery receipts and inbound messages signed with ``sig``) and
Zenziva's console API — and a gateway configured from scratch (bearer header, nested JSON,
receipts in a list, HMAC-SHA1 of the raw body in a header, or a token). No database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from pksai.messaging.channels import transport
from pksai.messaging.channels.base import ChannelError, OutboundMessage
from pksai.messaging.channels.http_sms import HttpSmsChannel, is_gsm7

from .provider_server import ProviderHandler, ProviderServer, Seen

NUMBER = "+6281234567890"
REFERENCE = "1f2e3d4c-0000-4000-8000-000000000003"


def message(**fields) -> OutboundMessage:
    return OutboundMessage(
        reference=fields.pop("reference", REFERENCE),
        to=fields.pop("to", NUMBER),
        body=fields.pop("body", "Jadwal konseling Senin 09.00 di kantor Dinsos"),
        **fields,
    )


# Phone numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "e164"),
    [
        ("081234567890", "+6281234567890"),
        ("0812-3456-7890", "+6281234567890"),
        ("62 812 3456 7890", "+6281234567890"),
        ("+62 812-3456-7890", "+6281234567890"),
        ("81234567890", "+6281234567890"),
        ("006281234567890", "+6281234567890"),
        ("+447700900123", "+447700900123"),
        ("021-5551234", "+62215551234"),
        ("12", ""),
        ("", ""),
        ("+1234567890123456", ""),
    ],
)
def test_indonesian_numbers_become_e164(given, e164):
    assert transport.to_e164(given) == e164


def test_numbers_in_the_gateways_formats_and_masked():
    assert transport.number_as("0812-3456-7890", "digits") == "6281234567890"
    assert transport.number_as("+6281234567890", "national") == "081234567890"
    assert transport.number_as("81234567890", "e164") == "+6281234567890"
    assert transport.mask("+6281234567890") == "+62812****7890"
    assert transport.scrub("Unable to deliver to 6281234567890 now") == (
        "Unable to deliver to 628123****7890 now"
    )


# Vonage ------------------------------------------------------------------------------------

VONAGE_KEY, VONAGE_SECRET, SIGNATURE_SECRET = "a1b2c3d4", "vonage-api-secret", "vonage-sig-secret"


def vonage_sign(params: dict, secret: str = SIGNATURE_SECRET) -> str:
    """Vonage's documented scheme, written here independently of the channel: HMAC-SHA256
    over ``&key=value`` of the sorted parameters, ``&`` and ``=`` in values replaced by ``_``."""
    hasher = hmac.new(secret.encode(), digestmod=hashlib.sha256)
    for key in sorted(params):
        value = str(params[key]).replace("&", "_").replace("=", "_")
        hasher.update(f"&{key}={value}".encode())
    return hasher.hexdigest()


class FakeVonage(ProviderHandler):
    """``POST /sms/json`` answering as the SMS API does: HTTP 200 with a status per message."""

    def provider_request(self, seen: Seen, failure: str | None) -> None:
        if seen.path != "/sms/json":
            self.send_json(404, {"error": "not found"})
            return
        if failure == "500":
            self.send_json(500, {"error": "server error"})
            return
        if failure == "429":
            self.send_json(429, {"error": "too many"}, {"Retry-After": "3"})
            return
        fields = seen.form or (seen.json if isinstance(seen.json, dict) else {})
        missing = [k for k in ("api_key", "api_secret", "from", "to", "text") if not fields.get(k)]
        if missing:
            self.answer("2", f"Missing {missing[0]}")
        elif (fields["api_key"], fields["api_secret"]) != (VONAGE_KEY, VONAGE_SECRET):
            self.answer("4", "Bad Credentials")
        elif failure == "throttled":
            self.answer("1", "Throughput Rate Exceeded - please wait [ 10 ] and retry")
        elif failure == "internal":
            self.answer("5", "Internal Error")
        elif failure == "barred":
            self.answer("7", f"Number {fields['to']} barred.")
        else:
            message_id = f"0A00000{len(self.server.seen):09d}"
            self.server.state.setdefault("sent", {})[message_id] = dict(fields)
            entry = {
                "to": fields["to"],
                "message-id": message_id,
                "status": "0",
                "remaining-balance": "15.53590000",
                "message-price": "0.03330000",
                "network": "51010",
            }
            if fields.get("client-ref"):
                entry["client-ref"] = fields["client-ref"]
            self.send_json(200, {"message-count": "1", "messages": [entry]})

    def answer(self, status: str, text: str) -> None:
        self.send_json(
            200, {"message-count": "1", "messages": [{"status": status, "error-text": text}]}
        )


def vonage_receipt(server, message_id, status, err_code="0", *, age=0, secret=SIGNATURE_SECRET):
    sent = server.state["sent"][message_id]
    params = {
        "msisdn": sent["to"],
        "to": sent["from"],
        "network-code": "51010",
        "messageId": message_id,
        "price": "0.03330000",
        "status": status,
        "scts": "2612042100",
        "err-code": err_code,
        "api-key": VONAGE_KEY,
        "client-ref": sent.get("client-ref", ""),
        "message-timestamp": "2026-12-04 21:00:00",
        "timestamp": str(int(time.time()) - age),
        "nonce": str(uuid.uuid4()),
    }
    params["sig"] = vonage_sign(params, secret)
    return params


def vonage_inbound(text: str) -> dict:
    params = {
        "msisdn": "6281298765432",
        "to": "6285574670000",
        "messageId": "0A0000000123ABCD1",
        "text": text,
        "type": "text",
        "keyword": text.split()[0].upper() if text else "",
        "api-key": VONAGE_KEY,
        "message-timestamp": "2026-12-04 21:10:00",
        "timestamp": str(int(time.time())),
        "nonce": str(uuid.uuid4()),
    }
    params["sig"] = vonage_sign(params)
    return params


@pytest.fixture
def vonage():
    with ProviderServer(FakeVonage) as server:
        yield server


def vonage_channel(server, **overrides) -> HttpSmsChannel:
    options = {
        "preset": "vonage",
        "url": f"{server.url}/sms/json",
        "extra_fields": {"api_key": VONAGE_KEY, "api_secret": VONAGE_SECRET},
        "sender_id": "DINSOS",
        "callback": {"auth": {"secret": SIGNATURE_SECRET}},
        "timeout": [1, 0.5],
        **overrides,
    }
    return HttpSmsChannel(name="sms", options=options)


def test_vonage_send_returns_the_message_id(vonage):
    result = vonage_channel(vonage).send(message())
    assert result.provider_id == "0A00000000000001"
    form = vonage.seen[-1].form
    assert form == {
        "api_key": VONAGE_KEY,
        "api_secret": VONAGE_SECRET,
        "to": "6281234567890",
        "text": "Jadwal konseling Senin 09.00 di kantor Dinsos",
        "client-ref": REFERENCE,
        "from": "DINSOS",
    }


def test_vonage_unicode_text_is_marked_unicode(vonage):
    vonage_channel(vonage).send(message(body="Selamat pagi 🙏"))
    assert vonage.seen[-1].form["type"] == "unicode"
    assert is_gsm7("Jadwal: Senin, 09.00 (kantor) — ") is False
    assert is_gsm7("Jadwal: Senin, 09.00 (kantor)") is True


def test_vonage_bad_credentials_are_not_retried(vonage):
    with pytest.raises(ChannelError) as caught:
        vonage_channel(vonage, extra_fields={"api_key": VONAGE_KEY, "api_secret": "wrong"}).send(
            message()
        )
    assert caught.value.retryable is False
    assert "status 4" in str(caught.value) and "Bad Credentials" in str(caught.value)
    assert "wrong" not in str(caught.value)


@pytest.mark.parametrize(
    ("failure", "retryable"),
    [
        ("throttled", True),
        ("internal", True),
        ("500", True),
        ("429", True),
        ("reset", True),
        ("timeout", True),
        ("barred", False),
    ],
)
def test_vonage_failures_say_whether_a_retry_can_help(vonage, failure, retryable):
    vonage.fail_next(failure)
    with pytest.raises(ChannelError) as caught:
        vonage_channel(vonage).send(message())
    assert caught.value.retryable is retryable
    assert "81234567890" not in str(caught.value)  # even where the gateway repeats it
    assert vonage_channel(vonage).send(message()).provider_id


def test_vonage_http_429_passes_on_retry_after(vonage):
    vonage.fail_next("429")
    with pytest.raises(ChannelError) as caught:
        vonage_channel(vonage).send(message())
    assert caught.value.retry_after == 3


@pytest.mark.parametrize("how", ["get", "form", "json"])
def test_vonage_signed_receipts_verify_and_parse(vonage, how):
    sms = vonage_channel(vonage)
    message_id = sms.send(message()).provider_id
    factory = RequestFactory()

    def request(params):
        if how == "get":
            return factory.get("/messaging/callback/sms/", params)
        if how == "form":
            return factory.post(
                "/messaging/callback/sms/",
                urlencode(params),
                content_type="application/x-www-form-urlencoded",
            )
        return factory.post(
            "/messaging/callback/sms/", json.dumps(params), content_type="application/json"
        )

    delivered = request(vonage_receipt(vonage, message_id, "delivered"))
    assert sms.verify_callback(delivered)
    [receipt] = sms.parse_receipts(delivered)
    assert receipt.provider_id == message_id
    assert receipt.status == "delivered"
    assert receipt.reference == REFERENCE
    assert receipt.error == ""
    assert receipt.at.isoformat() == "2026-12-04T21:00:00+00:00"
    assert sms.parse_inbound(delivered) == []

    failed = request(vonage_receipt(vonage, message_id, "rejected", err_code="6"))
    assert sms.verify_callback(failed)
    [receipt] = sms.parse_receipts(failed)
    assert receipt.status == "failed" and receipt.error == "6"

    buffered = request(vonage_receipt(vonage, message_id, "buffered"))
    assert [r.status for r in sms.parse_receipts(buffered)] == ["sent"]
    unknown = request(vonage_receipt(vonage, message_id, "unknown"))
    assert sms.parse_receipts(unknown) == []


def test_vonage_bad_signatures_are_refused(vonage):
    sms = vonage_channel(vonage)
    message_id = sms.send(message()).provider_id
    factory = RequestFactory()
    good = vonage_receipt(vonage, message_id, "delivered")
    assert sms.verify_callback(factory.get("/cb/", good))

    assert not sms.verify_callback(factory.get("/cb/", {**good, "status": "failed"}))  # tampered
    assert not sms.verify_callback(factory.get("/cb/", {**good, "extra": "1"}))  # added field
    assert not sms.verify_callback(
        factory.get("/cb/", {k: v for k, v in good.items() if k != "sig"})
    )
    wrong = vonage_receipt(vonage, message_id, "delivered", secret="not-ours")
    assert not sms.verify_callback(factory.get("/cb/", wrong))
    # a correctly signed receipt captured an hour ago is not accepted again
    stale = vonage_receipt(vonage, message_id, "delivered", age=3600)
    assert not sms.verify_callback(factory.get("/cb/", stale))
    # without the signature secret configured nothing is accepted
    unsigned = vonage_channel(vonage, callback={"auth": {"secret": ""}})
    assert not unsigned.verify_callback(factory.get("/cb/", good))


def test_vonage_signed_inbound_message(vonage):
    sms = vonage_channel(vonage)
    params = vonage_inbound("STOP kirim pesan")
    request = RequestFactory().get("/messaging/callback/sms/", params)
    assert sms.verify_callback(request)
    [inbound] = sms.parse_inbound(request)
    assert inbound.sender == "+6281298765432"
    assert inbound.text == "STOP kirim pesan"
    assert inbound.provider_id == "0A0000000123ABCD1"
    assert sms.parse_receipts(request) == []
    tampered = RequestFactory().get("/cb/", {**params, "text": "lain"})
    assert not sms.verify_callback(tampered)


def test_preset_credentials_are_required():
    with pytest.raises(ImproperlyConfigured):
        HttpSmsChannel(name="sms", options={"preset": "vonage", "sender_id": "X"})
    with pytest.raises(ImproperlyConfigured):
        HttpSmsChannel(name="sms", options={"preset": "nope"})
    with pytest.raises(ImproperlyConfigured):
        HttpSmsChannel(
            name="sms", options={"url": "http://x", "callback": {"status_map": {"ok": "done"}}}
        )


def test_nested_fields_need_a_json_body():
    with pytest.raises(ImproperlyConfigured):
        HttpSmsChannel(
            name="sms", options={"url": "http://x", "body": "form", "fields": {"to": "a.b"}}
        )


def test_every_backend_loads_from_its_settings_entry(vonage):
    """As the service builds channels: ``import_string(BACKEND)(name=…, options=OPTIONS)``."""
    from django.utils.module_loading import import_string

    entries = {
        "sms": {
            "BACKEND": "pksai.messaging.channels.http_sms.HttpSmsChannel",
            "OPTIONS": {
                "preset": "zenziva",
                "extra_fields": {"userkey": "u", "passkey": "p"},
            },
        },
        "whatsapp": {
            "BACKEND": "pksai.messaging.channels.whatsapp.WhatsAppChannel",
            "OPTIONS": {"phone_number_id": "1", "access_token": "t", "app_secret": "s"},
        },
        "rapidpro": {
            "BACKEND": "pksai.messaging.channels.rapidpro.RapidProChannel",
            "OPTIONS": {"base_url": "https://rapidpro.example.org", "api_token": "t"},
        },
    }
    for name, entry in entries.items():
        backend = import_string(entry["BACKEND"])(name=name, options=entry["OPTIONS"])
        assert backend.name == name
        for method in ("send", "verify_callback", "parse_receipts", "parse_inbound", "handshake"):
            assert callable(getattr(backend, method))


# Zenziva ------------------------------------------------------------------------------------

USERKEY, PASSKEY = "x3ia45", "zenziva-passkey"


class FakeZenziva(ProviderHandler):
    def provider_request(self, seen: Seen, failure: str | None) -> None:
        if seen.path != "/reguler/api/sendsms/":
            self.send_json(404, {"status": "0", "text": "Not found"})
            return
        if failure == "500":
            self.send_json(502, {"status": "0", "text": "Bad gateway"})
            return
        body = seen.json if isinstance(seen.json, dict) else {}
        if (body.get("userkey"), body.get("passkey")) != (USERKEY, PASSKEY):
            self.send_json(200, {"status": 5, "text": "Userkey / Passkey Salah"})
            return
        if not str(body.get("to", "")).startswith("08") or not body.get("message"):
            self.send_json(200, {"status": "0", "text": "Nomor tujuan atau pesan kosong"})
            return
        self.send_json(
            200, {"messageId": "157365", "to": body["to"], "status": "1", "text": "Success"}
        )


@pytest.fixture
def zenziva():
    with ProviderServer(FakeZenziva) as server:
        yield server


def zenziva_channel(server, **overrides) -> HttpSmsChannel:
    options = {
        "preset": "zenziva",
        "url": f"{server.url}/reguler/api/sendsms/",
        "extra_fields": {"userkey": USERKEY, "passkey": PASSKEY},
        "timeout": [1, 0.5],
        **overrides,
    }
    return HttpSmsChannel(name="sms", options=options)


def test_zenziva_send(zenziva):
    assert zenziva_channel(zenziva).send(message()).provider_id == "157365"
    assert zenziva.seen[-1].json == {
        "userkey": USERKEY,
        "passkey": PASSKEY,
        "to": "081234567890",
        "message": "Jadwal konseling Senin 09.00 di kantor Dinsos",
    }


def test_zenziva_refusals_and_failures(zenziva):
    with pytest.raises(ChannelError) as caught:
        zenziva_channel(zenziva, extra_fields={"userkey": USERKEY, "passkey": "salah"}).send(
            message()
        )
    assert caught.value.retryable is False
    assert "Userkey / Passkey Salah" in str(caught.value)

    zenziva.fail_next("500")
    with pytest.raises(ChannelError) as caught:
        zenziva_channel(zenziva).send(message())
    assert caught.value.retryable is True

    with pytest.raises(ChannelError) as caught:
        zenziva_channel(zenziva).send(message(to="+447700900123"))  # not an Indonesian number
    assert caught.value.retryable is False


def test_zenziva_has_no_callbacks_so_none_is_accepted(zenziva):
    request = RequestFactory().post("/cb/", {"messageId": "157365", "status": "Delivered"})
    sms = zenziva_channel(zenziva)
    assert not sms.verify_callback(request)
    assert sms.parse_receipts(request) == [] and sms.parse_inbound(request) == []


def test_zenziva_credentials_are_required():
    with pytest.raises(ImproperlyConfigured):
        HttpSmsChannel(name="sms", options={"preset": "zenziva", "extra_fields": {"userkey": "x"}})


# A gateway configured from scratch ----------------------------------------------------------

BEARER = "gw-api-key-123"
CALLBACK_SECRET = "gw-callback-secret"


class FakeGateway(ProviderHandler):
    """An aggregator with a bearer key, a nested JSON body and receipts in a list."""

    def provider_request(self, seen: Seen, failure: str | None) -> None:
        if seen.headers.get("Authorization") != f"Bearer {BEARER}":
            self.send_json(401, {"requestError": {"text": "Invalid login details"}})
            return
        if failure == "429":
            self.send_json(
                429,
                {"requestError": {"text": "Too many requests"}},
                {"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"},
            )
            return
        if failure == "400":
            self.send_json(400, {"requestError": {"text": "Invalid destination address"}})
            return
        item = seen.json["messages"][0]
        message_id = f"gw-{len(self.server.seen)}"
        self.send_json(
            200,
            {
                "bulkId": "b-1",
                "messages": [
                    {
                        "to": item["destinations"][0]["to"],
                        "messageId": message_id,
                        "status": {"groupName": "PENDING", "name": "PENDING_ENROUTE"},
                    }
                ],
            },
        )


def gateway_channel(server, auth) -> HttpSmsChannel:
    return HttpSmsChannel(
        name="sms",
        options={
            "url": f"{server.url}/sms/2/text/advanced",
            "auth": {"type": "header", "name": "Authorization", "value": f"Bearer {BEARER}"},
            "body": "json",
            "number_format": "digits",
            "fields": {
                "to": "messages.0.destinations.0.to",
                "text": "messages.0.text",
                "reference": "messages.0.callbackData",
                "sender": "messages.0.from",
            },
            "sender_id": "DINSOS",
            "response": {"id_path": "messages.0.messageId", "error_path": "requestError.text"},
            "callback": {
                "auth": auth,
                "records_path": "results",
                "receipt": {
                    "id": "messageId",
                    "status": "status.groupName",
                    "reference": "callbackData",
                    "error": "error.name",
                    "at": "doneAt",
                },
                "status_map": {
                    "PENDING": "sent",
                    "DELIVERED": "delivered",
                    "UNDELIVERABLE": "failed",
                    "EXPIRED": "failed",
                    "REJECTED": "failed",
                },
            },
            "timeout": [1, 0.5],
        },
    )


HMAC_AUTH = {
    "scheme": "hmac",
    "algorithm": "sha1",
    "message": "raw_body",
    "location": "header",
    "name": "X-Gateway-Signature",
    "encoding": "base64",
    "secret": CALLBACK_SECRET,
}


@pytest.fixture
def gateway():
    with ProviderServer(FakeGateway) as server:
        yield server


def gateway_report(message_id: str, group: str, error: str = "NO_ERROR") -> bytes:
    return json.dumps(
        {
            "results": [
                {
                    "bulkId": "b-1",
                    "messageId": message_id,
                    "to": "6281234567890",
                    "sentAt": "2026-12-04T21:00:00.000+0000",
                    "doneAt": "2026-12-04T21:00:09.000+0000",
                    "status": {"groupName": group},
                    "error": {"name": error},
                    "callbackData": REFERENCE,
                }
            ]
        }
    ).encode()


def test_configured_gateway_nested_json_and_bearer(gateway):
    sms = gateway_channel(gateway, HMAC_AUTH)
    assert sms.send(message()).provider_id == "gw-1"
    assert gateway.seen[-1].json == {
        "messages": [
            {
                "destinations": [{"to": "6281234567890"}],
                "text": "Jadwal konseling Senin 09.00 di kantor Dinsos",
                "callbackData": REFERENCE,
                "from": "DINSOS",
            }
        ]
    }
    gateway.fail_next("400")
    with pytest.raises(ChannelError) as caught:
        sms.send(message())
    assert caught.value.retryable is False and "Invalid destination address" in str(caught.value)
    gateway.fail_next("429")
    with pytest.raises(ChannelError) as caught:
        sms.send(message())
    assert caught.value.retryable is True and caught.value.retry_after > 0


def test_configured_gateway_hmac_sha1_base64_of_the_raw_body(gateway):
    sms = gateway_channel(gateway, HMAC_AUTH)
    body = gateway_report("gw-1", "UNDELIVERABLE", "EC_ABSENT_SUBSCRIBER")
    signature = base64.b64encode(hmac.new(CALLBACK_SECRET.encode(), body, hashlib.sha1).digest())
    factory = RequestFactory()
    request = factory.post(
        "/cb/",
        body,
        content_type="application/json",
        headers={"X-Gateway-Signature": signature.decode()},
    )
    assert sms.verify_callback(request)
    [receipt] = sms.parse_receipts(request)
    assert (receipt.provider_id, receipt.status, receipt.error) == (
        "gw-1",
        "failed",
        "EC_ABSENT_SUBSCRIBER",
    )
    assert receipt.reference == REFERENCE
    assert receipt.at.isoformat() == "2026-12-04T21:00:09+00:00"

    tampered = body.replace(b"UNDELIVERABLE", b"DELIVERED")
    headers = {"X-Gateway-Signature": signature.decode()}
    assert not sms.verify_callback(
        factory.post("/cb/", tampered, content_type="application/json", headers=headers)
    )
    assert not sms.verify_callback(factory.post("/cb/", body, content_type="application/json"))


def test_configured_gateway_token_in_a_header(gateway):
    sms = gateway_channel(
        gateway,
        {
            "scheme": "token",
            "location": "header",
            "name": "X-Callback-Token",
            "secret": CALLBACK_SECRET,
        },
    )
    body = gateway_report("gw-1", "DELIVERED")
    factory = RequestFactory()
    right = factory.post(
        "/cb/", body, content_type="application/json", headers={"X-Callback-Token": CALLBACK_SECRET}
    )
    assert sms.verify_callback(right)
    assert [r.status for r in sms.parse_receipts(right)] == ["delivered"]
    wrong = factory.post(
        "/cb/", body, content_type="application/json", headers={"X-Callback-Token": "nope"}
    )
    assert not sms.verify_callback(wrong)


def test_token_in_the_callback_url_and_a_bare_list_of_receipts(gateway):
    sms = HttpSmsChannel(
        name="sms",
        options={
            "url": f"{gateway.url}/send",
            "callback": {
                "auth": {"scheme": "token", "location": "param", "name": "key", "secret": "k-1"},
                "records_path": "_",
                "receipt": {"id": "id", "status": "state"},
                "status_map": {"DELIVRD": "delivered", "UNDELIV": "failed"},
            },
        },
    )
    body = json.dumps([{"id": "m1", "state": "DELIVRD"}, {"id": "m2", "state": "UNDELIV"}])
    factory = RequestFactory()
    right = factory.post("/cb/?key=k-1", body, content_type="application/json")
    assert sms.verify_callback(right)  # the key in the registered URL, the receipts in JSON
    assert not sms.verify_callback(factory.post("/cb/", body, content_type="application/json"))
    form = factory.post("/cb/?key=k-1", {"id": "m1", "state": "DELIVRD"})
    assert sms.verify_callback(form)
    assert not sms.verify_callback(factory.post("/cb/?key=k-2", {"id": "m1", "state": "DELIVRD"}))
    assert [(r.provider_id, r.status) for r in sms.parse_receipts(right)] == [
        ("m1", "delivered"),
        ("m2", "failed"),
    ]
