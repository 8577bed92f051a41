"""The WhatsApp Business Cloud API channel against a local server speaking Meta's documented
shapes: ``POST /{version}/{phone-number-id}/messages`` with a Bearer token, the Graph API
error object, webhooks signed with ``X-Hub-Signature-256`` and the ``hub.challenge``
subscription check. No database."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from pksai.messaging.channels.base import ChannelError, OutboundMessage
from pksai.messaging.channels.whatsapp import WhatsAppChannel

from .provider_server import ProviderHandler, ProviderServer, Seen

TOKEN = "EAAG-test-access-token"
APP_SECRET = "meta-app-secret-for-tests"
VERIFY_TOKEN = "pksai-verify-me"
PHONE_NUMBER_ID = "106540352242922"
VERSION = "v23.0"
NUMBER = "+6281234567890"


def graph_error(code: int, message: str, details: str = "") -> dict:
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "Az8or"}
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return {"error": error}


class FakeMeta(ProviderHandler):
    """``/{version}/{phone-number-id}/messages`` as the Cloud API answers it."""

    def provider_request(self, seen: Seen, failure: str | None) -> None:
        if seen.method != "POST" or seen.path != f"/{VERSION}/{PHONE_NUMBER_ID}/messages":
            self.send_json(400, graph_error(100, "Unsupported post request."))
            return
        if seen.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.send_json(401, graph_error(190, "Invalid OAuth access token."))
            return
        if failure == "500":
            self.send_json(500, graph_error(131000, "Something went wrong"))
            return
        if failure == "503-html":
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if failure == "429":
            self.send_json(
                429,
                graph_error(130429, "(#130429) Rate limit hit", "Cloud API throughput reached"),
                headers={"Retry-After": "7"},
            )
            return
        if failure == "80007":
            self.send_json(400, graph_error(80007, "(#80007) Rate limit issues"))
            return
        if failure == "undeliverable":
            self.send_json(
                400,
                graph_error(
                    131026,
                    "(#131026) Message Undeliverable",
                    f"Unable to deliver the message to {seen.json['to']}",
                ),
            )
            return
        if failure == "window":
            self.send_json(
                400,
                graph_error(
                    131047, "(#131047) Re-engagement message", "More than 24 hours have passed"
                ),
            )
            return
        body = seen.json if isinstance(seen.json, dict) else {}
        problem = self.invalid(body)
        if problem:
            self.send_json(400, graph_error(100, "(#100) Invalid parameter", problem))
            return
        wamid = f"wamid.HBgN{len(self.server.seen):04d}"
        self.server.state.setdefault("sent", {})[wamid] = body
        self.send_json(
            200,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": wamid}],
            },
        )

    @staticmethod
    def invalid(body: dict) -> str:
        if body.get("messaging_product") != "whatsapp":
            return "messaging_product must be whatsapp"
        if not str(body.get("to", "")).isdigit():
            return "to must be a phone number"
        if body.get("type") == "text":
            return "" if (body.get("text") or {}).get("body") else "text.body is required"
        if body.get("type") == "template":
            template = body.get("template") or {}
            if not template.get("name") or not (template.get("language") or {}).get("code"):
                return "template name and language.code are required"
            return ""
        return "unsupported message type"


# What Meta posts to the webhook, built and signed on the provider's side -----------------


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook(value: dict) -> bytes:
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "102290129340398",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": "15550783881",
                                    "phone_number_id": PHONE_NUMBER_ID,
                                },
                                **value,
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()


def status_webhook(server: ProviderServer, wamid: str, status: str, errors=None) -> bytes:
    sent = server.state["sent"][wamid]
    entry = {
        "id": wamid,
        "status": status,
        "timestamp": "1764880000",
        "recipient_id": sent["to"],
    }
    if "biz_opaque_callback_data" in sent:
        entry["biz_opaque_callback_data"] = sent["biz_opaque_callback_data"]
    if errors:
        entry["errors"] = errors
    return webhook({"statuses": [entry]})


def callback(body: bytes, signature: str | None):
    headers = {"X-Hub-Signature-256": signature} if signature is not None else {}
    return RequestFactory().post(
        "/messaging/callback/whatsapp/", data=body, content_type="application/json", headers=headers
    )


@pytest.fixture
def meta():
    with ProviderServer(FakeMeta) as server:
        yield server


def channel(server: ProviderServer, **overrides) -> WhatsAppChannel:
    options = {
        "base_url": server.url,
        "api_version": VERSION,
        "phone_number_id": PHONE_NUMBER_ID,
        "access_token": TOKEN,
        "app_secret": APP_SECRET,
        "verify_token": VERIFY_TOKEN,
        "timeout": [1, 0.5],
        **overrides,
    }
    return WhatsAppChannel(name="whatsapp", options=options)


def message(**fields) -> OutboundMessage:
    return OutboundMessage(
        reference="5b0f3c1e-0000-4000-8000-000000000001",
        to=fields.pop("to", NUMBER),
        body=fields.pop("body", "Jadwal kunjungan: Senin 09.00"),
        **fields,
    )


# Sending -----------------------------------------------------------------------------------


def test_text_message_gets_the_wamid(meta):
    result = channel(meta).send(message())

    assert result.provider_id.startswith("wamid.")
    seen = meta.seen[-1]
    assert seen.headers["Authorization"] == f"Bearer {TOKEN}"
    assert seen.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "type": "text",
        "text": {"preview_url": False, "body": "Jadwal kunjungan: Senin 09.00"},
        "biz_opaque_callback_data": "5b0f3c1e-0000-4000-8000-000000000001",
    }


def test_template_message_with_positional_and_named_parameters(meta):
    msg = message(template="jadwal_kunjungan", params={"1": "Senin", "2": "09.00"})
    channel(meta).send(msg)
    template = meta.seen[-1].json["template"]
    assert template == {
        "name": "jadwal_kunjungan",
        "language": {"code": "id"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Senin"},
                    {"type": "text", "text": "09.00"},
                ],
            }
        ],
    }

    named = channel(meta, template_parameters="named", languages={"en": "en_US"})
    named.send(message(template="visit", language="en", params={"day": "Monday"}))
    template = meta.seen[-1].json["template"]
    assert template["language"] == {"code": "en_US"}
    assert template["components"][0]["parameters"] == [
        {"type": "text", "text": "Monday", "parameter_name": "day"}
    ]


def test_a_national_number_is_sent_in_international_form(meta):
    channel(meta).send(message(to="0812-3456-7890"))
    assert meta.seen[-1].json["to"] == "6281234567890"


def test_bad_token_is_refused_and_not_retried(meta):
    with pytest.raises(ChannelError) as caught:
        channel(meta, access_token="EAAG-wrong").send(message())
    assert caught.value.retryable is False
    assert "code 190" in str(caught.value)
    assert "EAAG" not in str(caught.value)


@pytest.mark.parametrize(
    ("failure", "retryable"),
    [
        ("500", True),
        ("503-html", True),
        ("429", True),
        ("80007", True),
        ("reset", True),
        ("timeout", True),
        ("undeliverable", False),
        ("window", False),
    ],
)
def test_failures_say_whether_a_retry_can_help(meta, failure, retryable):
    meta.fail_next(failure)
    with pytest.raises(ChannelError) as caught:
        channel(meta).send(message())
    assert caught.value.retryable is retryable
    text = str(caught.value)
    assert "6281234567890" not in text and "81234567890" not in text  # number masked
    assert "+62812****7890" in text
    # the next attempt goes through: the failure was the provider's, not ours
    assert channel(meta).send(message()).provider_id.startswith("wamid.")


def test_rate_limit_passes_on_retry_after(meta):
    meta.fail_next("429")
    with pytest.raises(ChannelError) as caught:
        channel(meta).send(message())
    assert caught.value.retry_after == 7
    assert "130429" in str(caught.value)


def test_not_a_phone_number_fails_before_any_request(meta):
    with pytest.raises(ChannelError) as caught:
        channel(meta).send(message(to="12"))
    assert caught.value.retryable is False
    assert meta.seen == []


# Callbacks ---------------------------------------------------------------------------------


def test_signed_status_webhooks_verify_and_become_receipts(meta):
    wa = channel(meta)
    wamid = wa.send(message()).provider_id
    for status in ("sent", "delivered", "read"):
        body = status_webhook(meta, wamid, status)
        request = callback(body, sign(body))
        assert wa.verify_callback(request)
        [receipt] = wa.parse_receipts(request)
        assert receipt.provider_id == wamid
        assert receipt.status == status
        assert receipt.reference == "5b0f3c1e-0000-4000-8000-000000000001"
        assert receipt.at is not None and receipt.at.tzinfo is not None
        assert wa.parse_inbound(request) == []

    errors = [{"code": 131026, "title": "Message undeliverable"}]
    body = status_webhook(meta, wamid, "failed", errors)
    request = callback(body, sign(body))
    assert wa.verify_callback(request)
    [receipt] = wa.parse_receipts(request)
    assert receipt.status == "failed"
    assert receipt.error == "131026 Message undeliverable"


def test_bad_signatures_are_refused(meta):
    wa = channel(meta)
    wamid = wa.send(message()).provider_id
    body = status_webhook(meta, wamid, "delivered")
    good = sign(body)

    tampered = body.replace(b'"delivered"', b'"read"')
    assert not wa.verify_callback(callback(tampered, good))
    assert not wa.verify_callback(callback(body, sign(body, "another-secret")))
    assert not wa.verify_callback(callback(body, None))
    assert not wa.verify_callback(callback(body, ""))
    assert not wa.verify_callback(callback(body, good.replace("sha256=", "sha1=")))
    assert not wa.verify_callback(callback(body, "sha256="))
    # without an app secret configured nothing is ever accepted
    assert not channel(meta, app_secret="").verify_callback(callback(body, good))
    # a GET is never a signed callback
    assert not wa.verify_callback(RequestFactory().get("/messaging/callback/whatsapp/"))


def test_signed_inbound_message_becomes_inbound(meta):
    wa = channel(meta)
    body = webhook(
        {
            "contacts": [{"profile": {"name": "Ibu Sari"}, "wa_id": "6281298765432"}],
            "messages": [
                {
                    "from": "6281298765432",
                    "id": "wamid.inbound1",
                    "timestamp": "1764880100",
                    "type": "text",
                    "text": {"body": "Baik, terima kasih"},
                },
                {
                    "from": "6281298765432",
                    "id": "wamid.inbound2",
                    "timestamp": "1764880200",
                    "type": "interactive",
                    "interactive": {
                        "type": "button_reply",
                        "button_reply": {"id": "yes", "title": "Ya"},
                    },
                },
            ],
        }
    )
    request = callback(body, sign(body))
    assert wa.verify_callback(request)
    first, second = wa.parse_inbound(request)
    assert first.sender == "+6281298765432"
    assert first.text == "Baik, terima kasih"
    assert first.provider_id == "wamid.inbound1"
    assert first.at.timestamp() == 1764880100
    assert second.text == "Ya"
    assert wa.parse_receipts(request) == []


def test_other_objects_carry_nothing(meta):
    wa = channel(meta)
    body = json.dumps({"object": "page", "entry": []}).encode()
    request = callback(body, sign(body))
    assert wa.parse_receipts(request) == [] and wa.parse_inbound(request) == []


def test_handshake_answers_the_challenge_only_for_our_verify_token(meta):
    wa = channel(meta)
    factory = RequestFactory()
    params = {"hub.mode": "subscribe", "hub.challenge": "1158201444"}

    right = wa.handshake(factory.get("/cb/", {**params, "hub.verify_token": VERIFY_TOKEN}))
    assert right.status_code == 200 and right.content == b"1158201444"

    wrong = wa.handshake(factory.get("/cb/", {**params, "hub.verify_token": "guess"}))
    assert wrong.status_code == 403 and b"1158201444" not in wrong.content
    missing = wa.handshake(factory.get("/cb/", params))
    assert missing.status_code == 403
    unsubscribe = {**params, "hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN}
    assert wa.handshake(factory.get("/cb/", unsubscribe)).status_code == 403
    # without a verify token configured, no check is ever passed
    unset = channel(meta, verify_token="").handshake(
        factory.get("/cb/", {**params, "hub.verify_token": ""})
    )
    assert unset.status_code == 403

    assert wa.handshake(factory.get("/cb/")) is None
    assert wa.handshake(callback(b"{}", None)) is None


def test_timeout_is_explicit(meta):
    meta.fail_next("timeout")
    started = time.monotonic()
    with pytest.raises(ChannelError):
        channel(meta, timeout=0.3).send(message())
    assert time.monotonic() - started < 1.4


def test_missing_credentials_are_found_when_the_channel_is_built():
    with pytest.raises(ImproperlyConfigured):
        WhatsAppChannel(name="whatsapp", options={"phone_number_id": PHONE_NUMBER_ID})
    with pytest.raises(ImproperlyConfigured):
        WhatsAppChannel(name="whatsapp", options={"access_token": TOKEN})
