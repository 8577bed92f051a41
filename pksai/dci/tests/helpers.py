"""DCI test helpers: key pairs, signed envelopes, and a local DCI CRVS registry on 127.0.0.1
that speaks the standard's /registry/sync/search — it checks the caller's signature with the
caller's public key and answers in the on-search envelope, signed with its own key."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pksai.core.tests import local_server
from pksai.dci import signing


def new_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def write_private_key(key: Ed25519PrivateKey, path) -> str:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(path)


def ts() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def search_body(
    *criteria: dict,
    sender: str = "sr.makassar",
    key: Ed25519PrivateKey | None = None,
    receiver: str = "pksai",
    message_id: str = "",
    signed_at: int | None = None,
    **header,
) -> dict:
    """A DCI search envelope with one search request per criteria, signed with ``key``."""
    message = {
        "transaction_id": uuid.uuid4().hex,
        "search_request": [
            {"reference_id": f"ref-{i}", "timestamp": ts(), "search_criteria": c}
            for i, c in enumerate(criteria, 1)
        ],
    }
    head = {
        "version": "1.0.0",
        "message_id": message_id or str(uuid.uuid4()),
        "message_ts": ts(),
        "action": "search",
        "sender_id": sender,
        "receiver_id": receiver,
        "total_count": len(criteria),
        "is_msg_encrypted": False,
        **header,
    }
    body = {"header": head, "message": message}
    if key is not None:
        body["signature"] = signing.sign(
            head, message, private_key=key, sender_id=sender, key_id="k1", now=signed_at
        )
    return body


def by_nik(nik: str, **extra) -> dict:
    return {"query_type": "idtype-value", "query": {"type": "NIK", "value": nik}, **extra}


def predicate(*expressions: tuple[str, str, object], **extra) -> dict:
    return {
        "query_type": "predicate",
        "query": [
            {
                "seq_num": i,
                "expression1": {"attribute_name": a, "operator": o, "attribute_value": v},
            }
            for i, (a, o, v) in enumerate(expressions, 1)
        ],
        **extra,
    }


@dataclass
class CrvsRegistry:
    """A DCI CRVS registry: ``births`` maps a NIK (UIN) or (name, birth date) to a birth
    record (BRN, registration date); ``mode`` "ok", "error" (answers 401 with the DCI error
    envelope) or "slow" (answers after ``delay`` seconds)."""

    caller_public_key: object
    sender_id: str = "pksai"
    receiver_id: str = "crvs.dukcapil"
    births: dict = field(default_factory=dict)
    mode: str = "ok"
    delay: float = 3.0
    key: Ed25519PrivateKey = field(default_factory=new_key)
    received: list[dict] = field(default_factory=list)
    signature_valid: list[bool] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/dci"

    def answer(self, body: dict) -> tuple[int, dict]:
        header, message = body.get("header", {}), body.get("message", {})
        try:
            signing.verify(
                body.get("signature", ""),
                header,
                message,
                public_keys=[self.caller_public_key],
                sender_id=self.sender_id,
            )
            self.signature_valid.append(True)
        except signing.SignatureError as exc:
            self.signature_valid.append(False)
            return 401, {
                "message": {
                    "ack_status": "ERR",
                    "timestamp": ts(),
                    "error": {"code": exc.code, "message": exc.message},
                    "correlation_id": "x",
                }
            }
        if self.mode == "error":
            return 401, {
                "message": {
                    "ack_status": "ERR",
                    "timestamp": ts(),
                    "error": {"code": "err.sender_id.invalid", "message": "unknown sender"},
                    "correlation_id": "x",
                }
            }
        responses = []
        for item in message["search_request"]:
            criteria = item["search_criteria"]
            if criteria["query_type"] == "idtype-value":
                found = self.births.get(criteria["query"]["value"])
            else:
                expression = criteria["query"][0]
                key = (
                    expression["expression1"]["attribute_value"],
                    expression["expression2"]["attribute_value"],
                )
                found = self.births.get(key)
            records = []
            if found:
                records.append(
                    {
                        "@type": "CRVS_Person",
                        "identifier": [
                            {"identifier_type": "UIN", "identifier_value": found["uin"]},
                            {"identifier_type": "BRN", "identifier_value": found["brn"]},
                        ],
                        "name": {"given_name": found["name"]},
                        "sex": "female",
                        "birth_date": found["birth_date"],
                        "registration_date": found["registered"],
                    }
                )
            responses.append(
                {
                    "reference_id": item["reference_id"],
                    "timestamp": ts(),
                    "status": "succ",
                    "data": {
                        "version": "1.0.0",
                        "reg_record_type": "person",
                        "reg_records": records,
                    },
                    "pagination": {"page_size": 5, "page_number": 1, "total_count": len(records)},
                }
            )
        answer_header = {
            "version": "1.0.0",
            "message_id": str(uuid.uuid4()),
            "message_ts": ts(),
            "action": "on-search",
            "status": "succ",
            "total_count": len(responses),
            "completed_count": len(responses),
            "sender_id": self.receiver_id,
            "receiver_id": header.get("sender_id"),
            "is_msg_encrypted": False,
        }
        answer_message = {
            "transaction_id": message["transaction_id"],
            "correlation_id": uuid.uuid4().hex,
            "search_response": responses,
        }
        return 200, {
            "signature": signing.sign(
                answer_header,
                answer_message,
                private_key=self.key,
                sender_id=self.receiver_id,
                key_id="crvs-1",
            ),
            "header": answer_header,
            "message": answer_message,
        }

    def start(self) -> CrvsRegistry:
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path != "/dci/registry/sync/search":
                    self.send_response(404)
                    self.end_headers()
                    return
                body = json.loads(raw)
                registry.received.append(body)
                if registry.mode == "slow":
                    time.sleep(registry.delay)
                status, answer = registry.answer(body)
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = local_server.serve(Handler)
        return self

    def stop(self) -> None:
        local_server.stop(self.server)


@dataclass
class CallbackReceiver:
    """The caller's /registry/on-search: records what PKSAI posts to it."""

    received: list[dict] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/registry/on-search"

    def start(self) -> CallbackReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append(
                    {
                        "path": self.path,
                        "body": json.loads(raw),
                        "signature": self.headers.get("Signature", ""),
                    }
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"message": {"ack_status": "ACK"}}')

            def log_message(self, *args):
                pass

        self.server = local_server.serve(Handler)
        return self

    def stop(self) -> None:
        local_server.stop(self.server)
