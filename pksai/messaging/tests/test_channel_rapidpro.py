"""The RapidPro / TextIt channel against a local server speaking RapidPro's API v2 as
nyaruka/rapidpro implements it (temba/api/v2: ``broadcasts.json``, ``messages.json``, token
authentication, Django REST framework errors and throttling) and the body of a flow's "Call
webhook" action. No database."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from pksai.messaging.channels.base import ChannelError, OutboundMessage
from pksai.messaging.channels.rapidpro import RapidProChannel

from .provider_server import ProviderHandler, ProviderServer, Seen

API_TOKEN = "401f7ac837da42b97f613d789819ff93537bee6a"
WEBHOOK_SECRET = "flow-webhook-shared-secret"
NUMBER = "+6281234567890"
URN = re.compile(r"^(tel:\+\d{8,15}|whatsapp:\d{8,15})$")


class FakeRapidPro(ProviderHandler):
    def provider_request(self, seen: Seen, failure: str | None) -> None:
        if seen.headers.get("Authorization") != f"Token {API_TOKEN}":
            self.send_json(401, {"detail": "Invalid token"}, {"WWW-Authenticate": "Token"})
            return
        if failure == "500":
            body = b"Server Error. Site administrators have been notified."
            self.send_response(500)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if failure == "429":
            detail = "Request was throttled. Expected available in 12 seconds."
            self.send_json(429, {"detail": detail}, {"Retry-After": "12"})
            return
        if seen.method == "POST" and seen.path == "/api/v2/broadcasts.json":
            self.create_broadcast(seen.json if isinstance(seen.json, dict) else {})
        elif seen.method == "GET" and seen.path == "/api/v2/messages.json":
            self.list_messages(seen.query)
        else:
            self.send_json(404, {"detail": "Not found."})

    def create_broadcast(self, body: dict) -> None:
        text, urns = body.get("text"), body.get("urns") or []
        if not text:
            self.send_json(400, {"non_field_errors": ["Must provide either text or attachments."]})
            return
        if isinstance(text, dict) and not all(text.values()):
            blank = {lang: ["This field may not be blank."] for lang, t in text.items() if not t}
            self.send_json(400, {"text": blank})
            return
        if not urns:
            self.send_json(
                400, {"non_field_errors": ["Must provide either urns, contacts or groups."]}
            )
            return
        bad = {str(i): [f"Invalid URN: {u}."] for i, u in enumerate(urns) if not URN.match(u)}
        if bad:
            self.send_json(400, {"urns": bad})
            return
        base = body.get("base_language")
        if isinstance(text, dict) and base and base not in text:
            self.send_json(
                400, {"non_field_errors": ["No text translation provided in base language."]}
            )
            return
        broadcasts = self.server.state.setdefault("broadcasts", {})
        broadcast_id = 1000 + len(broadcasts)
        broadcasts[broadcast_id] = {"urn": urns[0], "text": text, "status": "wired"}
        self.send_json(
            201,
            {
                "uuid": str(uuid.uuid4()),
                "id": broadcast_id,
                "status": "queued",
                "progress": {"total": -1, "started": 0},
                "urns": urns,
                "contacts": [],
                "groups": [],
                "text": text if isinstance(text, dict) else {"eng": text},
                "attachments": {},
                "quick_replies": {},
                "base_language": base or "eng",
                "created_on": "2026-12-04T21:00:00.000000Z",
            },
        )

    def list_messages(self, query: dict) -> None:
        broadcasts = self.server.state.get("broadcasts", {})
        found = broadcasts.get(int(query.get("broadcast") or 0))
        results = []
        if found:
            results.append(
                {
                    "uuid": str(uuid.uuid4()),
                    "broadcast": int(query["broadcast"]),
                    "contact": {"uuid": str(uuid.uuid4()), "name": None},
                    "urn": found["urn"],
                    "channel": {"uuid": str(uuid.uuid4()), "name": "Telkomsel"},
                    "direction": "out",
                    "type": "text",
                    "status": found["status"],
                    "visibility": "visible",
                    "text": next(iter(found["text"].values())),
                    "attachments": [],
                    "quick_replies": [],
                    "labels": [],
                    "flow": None,
                    "created_on": "2026-12-04T21:00:00.000000Z",
                    "sent_on": "2026-12-04T21:00:05.000000Z",
                    "modified_on": "2026-12-04T21:01:00.000000Z",
                }
            )
        self.send_json(200, {"next": None, "previous": None, "results": results})


@pytest.fixture
def rapidpro():
    with ProviderServer(FakeRapidPro) as server:
        yield server


def channel(server: ProviderServer, **overrides) -> RapidProChannel:
    options = {
        "base_url": server.url,
        "api_token": API_TOKEN,
        "callback_secret": WEBHOOK_SECRET,
        "timeout": [1, 0.5],
        **overrides,
    }
    return RapidProChannel(name="rapidpro", options=options)


def message(**fields) -> OutboundMessage:
    return OutboundMessage(
        reference="9d6b2f4a-0000-4000-8000-000000000002",
        to=fields.pop("to", NUMBER),
        body=fields.pop("body", "Pengingat: kunjungan rumah besok"),
        **fields,
    )


def test_broadcast_to_a_tel_urn_returns_the_broadcast_id(rapidpro):
    result = channel(rapidpro).send(message())
    assert result.provider_id == "1000"
    seen = rapidpro.seen[-1]
    assert seen.path == "/api/v2/broadcasts.json"
    assert seen.headers["Authorization"] == f"Token {API_TOKEN}"
    assert seen.json == {
        "urns": ["tel:+6281234567890"],
        "text": {"ind": "Pengingat: kunjungan rumah besok"},
        "base_language": "ind",
    }


def test_whatsapp_urns_and_english(rapidpro):
    channel(rapidpro, urn_scheme="whatsapp").send(message(to="0812 3456 7890", language="en"))
    assert rapidpro.seen[-1].json == {
        "urns": ["whatsapp:6281234567890"],
        "text": {"eng": "Pengingat: kunjungan rumah besok"},
        "base_language": "eng",
    }


def test_bad_token_is_not_retried(rapidpro):
    with pytest.raises(ChannelError) as caught:
        channel(rapidpro, api_token="not-the-token").send(message())
    assert caught.value.retryable is False
    assert "401" in str(caught.value) and "Invalid token" in str(caught.value)
    assert "not-the-token" not in str(caught.value)


@pytest.mark.parametrize(
    ("failure", "retryable"), [("500", True), ("429", True), ("reset", True), ("timeout", True)]
)
def test_failures_say_whether_a_retry_can_help(rapidpro, failure, retryable):
    rapidpro.fail_next(failure)
    with pytest.raises(ChannelError) as caught:
        channel(rapidpro).send(message())
    assert caught.value.retryable is retryable
    assert "81234567890" not in str(caught.value)
    assert channel(rapidpro).send(message()).provider_id


def test_throttling_passes_on_retry_after(rapidpro):
    rapidpro.fail_next("429")
    with pytest.raises(ChannelError) as caught:
        channel(rapidpro).send(message())
    assert caught.value.retry_after == 12
    assert "throttled" in str(caught.value)


def test_a_refused_urn_is_not_retried_and_its_number_is_masked(rapidpro):
    # RapidPro validates the URN itself; a number we could not normalise never gets there
    with pytest.raises(ChannelError) as caught:
        channel(rapidpro).send(message(to="12"))
    assert caught.value.retryable is False
    assert rapidpro.seen == []

    with pytest.raises(ChannelError) as caught:
        channel(rapidpro).send(message(to="+1234567890123456"))  # 16 digits: not E.164
    assert caught.value.retryable is False


def test_validation_errors_from_rapidpro_are_not_retried(rapidpro):
    with pytest.raises(ChannelError) as caught:
        channel(rapidpro).send(message(body=""))
    assert caught.value.retryable is False
    assert "text: This field may not be blank." in str(caught.value)


def test_receipts_are_polled_from_the_messages_endpoint(rapidpro):
    rp = channel(rapidpro)
    first = rp.send(message()).provider_id
    second = rp.send(message(to="+6281298765432")).provider_id
    broadcasts = rapidpro.state["broadcasts"]

    assert rp.poll_receipts([first, second]) == []  # both still "wired"
    assert rapidpro.seen[-1].query == {"broadcast": second}

    broadcasts[int(first)]["status"] = "delivered"
    broadcasts[int(second)]["status"] = "errored"  # RapidPro still retrying: not final
    [receipt] = rp.poll_receipts([first, second])
    assert receipt.provider_id == first and receipt.status == "delivered"
    assert receipt.at.isoformat() == "2026-12-04T21:00:05+00:00"

    broadcasts[int(second)]["status"] = "failed"
    receipts = {r.provider_id: r for r in rp.poll_receipts([first, second])}
    assert receipts[second].status == "failed" and receipts[second].error


def test_polling_failures_raise_like_sending(rapidpro):
    rp = channel(rapidpro)
    provider_id = rp.send(message()).provider_id
    rapidpro.fail_next("429")
    with pytest.raises(ChannelError) as caught:
        rp.poll_receipts([provider_id])
    assert caught.value.retryable is True and caught.value.retry_after == 12
    with pytest.raises(ChannelError) as caught:
        channel(rapidpro, api_token="wrong").poll_receipts([provider_id])
    assert caught.value.retryable is False


# The flow webhook ---------------------------------------------------------------------------


def flow_webhook(text: str, urn: str = "tel:+6281298765432", *, urn_object: bool = True) -> bytes:
    """What a "Call webhook" action posts with the body of RapidPro's sample flows."""
    scheme, _, path = urn.partition(":")
    return json.dumps(
        {
            "contact": {"uuid": str(uuid.uuid4()), "name": "Ibu Sari", "urn": urn},
            "flow": {"uuid": str(uuid.uuid4()), "name": "Balasan PKSAI"},
            "path": [],
            "results": {},
            "run": {"uuid": "run-uuid-1", "created_on": "2026-12-04T21:05:00.000000Z"},
            "input": {
                "attachments": [],
                "channel": {"uuid": str(uuid.uuid4()), "name": "Telkomsel"},
                "created_on": "2026-12-04T21:05:01.000000Z",
                "text": text,
                "type": "msg",
                "urn": {"display": "", "path": path, "scheme": scheme} if urn_object else urn,
                "uuid": "input-uuid-1",
            },
            "channel": {"uuid": str(uuid.uuid4()), "name": "Telkomsel"},
        }
    ).encode()


def webhook_request(body: bytes, secret: str | None, header: str = "X-Pksai-Webhook-Secret"):
    headers = {header: secret} if secret is not None else {}
    return RequestFactory().post(
        "/messaging/callback/rapidpro/", data=body, content_type="application/json", headers=headers
    )


def test_flow_webhook_with_the_shared_secret_becomes_inbound(rapidpro):
    rp = channel(rapidpro)
    request = webhook_request(flow_webhook("YA"), WEBHOOK_SECRET)
    assert rp.verify_callback(request)
    [inbound] = rp.parse_inbound(request)
    assert inbound.sender == "+6281298765432"
    assert inbound.text == "YA"
    assert inbound.provider_id == "input-uuid-1"
    assert inbound.at.isoformat() == "2026-12-04T21:05:01+00:00"
    assert rp.parse_receipts(request) == []
    assert rp.handshake(request) is None

    whatsapp = webhook_request(flow_webhook("ok", "whatsapp:6281298765432", urn_object=False), "x")
    [inbound] = rp.parse_inbound(whatsapp)
    assert inbound.sender == "+6281298765432"


def test_flow_webhook_without_the_secret_is_refused(rapidpro):
    rp = channel(rapidpro)
    body = flow_webhook("YA")
    assert not rp.verify_callback(webhook_request(body, "guess"))
    assert not rp.verify_callback(webhook_request(body, None))
    assert not rp.verify_callback(webhook_request(body, ""))
    assert not rp.verify_callback(webhook_request(body, WEBHOOK_SECRET, header="X-Other"))
    assert not channel(rapidpro, callback_secret="").verify_callback(
        webhook_request(body, WEBHOOK_SECRET)
    )
    custom = channel(rapidpro, callback_header="X-Rapidpro-Key")
    assert custom.verify_callback(webhook_request(body, WEBHOOK_SECRET, header="X-Rapidpro-Key"))


def test_a_webhook_without_input_carries_nothing(rapidpro):
    rp = channel(rapidpro)
    default_body = json.dumps(
        {
            "contact": {"uuid": "c", "name": "x", "urn": "tel:+6281298765432"},
            "flow": {"uuid": "f", "name": "n"},
            "results": {},
        }
    ).encode()
    assert rp.parse_inbound(webhook_request(default_body, WEBHOOK_SECRET)) == []
    assert rp.parse_inbound(webhook_request(b"not json", WEBHOOK_SECRET)) == []


def test_configuration_errors_are_found_when_the_channel_is_built():
    options = {"base_url": "https://rapidpro.example.org", "api_token": API_TOKEN}
    with pytest.raises(ImproperlyConfigured):
        RapidProChannel(name="rp", options={**options, "urn_scheme": "facebook"})
    with pytest.raises(ImproperlyConfigured):
        RapidProChannel(name="rp", options={**options, "api_token": ""})
