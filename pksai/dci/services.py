"""The DCI social-registry search PKSAI answers, and the birth registrations it records
(decision 0039, docs/dci.md).

A search message is checked in this order, each failure answered with the DCI error envelope
and written to the audit trail as a refusal: readable JSON with header and message
(``err.request.bad``), a registered active caller for ``header.sender_id``
(``err.sender_id.invalid``), addressed to us (``err.receiver_id.invalid``), a valid signature
by that caller's key (``err.signature.missing`` / ``err.signature.invalid``), within the
caller's messages a minute (``err.request.too_many_requests``), not encrypted
(``err.encryption.invalid``). Header rules then reject the whole message (``rjct.action…``,
``rjct.message_id.duplicate``, ``rjct.total_count…``), and each search request is answered on
its own: ``succ`` with the records of one page inside the caller's scope, or ``rjct`` with a
SearchStatusReasonCode (an area outside the scope is one). Every answer that carries records
is an audited export listing the ids given."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from pksai.audit.services import audit_record
from pksai.core.purge import delete_in_chunks
from pksai.core.ratelimit import hit
from pksai.dci import search, signing
from pksai.dci.models import BirthRegistration, Caller, ReceivedMessage
from pksai.registry.models import Person

logger = logging.getLogger(__name__)

VERSION = "1.0.0"
MAX_SEARCHES = 10  # search requests in one message


class DciError(Exception):
    """A message refused before its searches run: HTTP ``status`` and DCI error ``code``."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class Checked:
    caller: Caller
    header: dict
    message: dict


def now_ts() -> str:
    return timezone.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")


def error_envelope(code: str, message: str, correlation_id: str = "") -> dict:
    """The DCI acknowledgement with ack_status ERR (the standard's `Response` + `Error`)."""
    return {
        "message": {
            "ack_status": "ERR",
            "timestamp": now_ts(),
            "error": {"code": code, "message": message[:999]},
            "correlation_id": correlation_id or str(uuid.uuid4()),
        }
    }


def ack_envelope(correlation_id: str) -> dict:
    return {
        "message": {"ack_status": "ACK", "timestamp": now_ts(), "correlation_id": correlation_id}
    }


# --- our key -------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _private_key(path: str, mtime: float):
    return signing.load_private_key(path)


def our_private_key():
    """Our Ed25519 signing key (PKSAI_DCI_PRIVATE_KEY_FILE), or None when there is none."""
    path = Path(settings.PKSAI_DCI_PRIVATE_KEY_FILE)
    if not path.is_file():
        return None
    return _private_key(str(path), path.stat().st_mtime)


def signed_envelope(header: dict, message: dict) -> dict:
    key = our_private_key()
    envelope = {"header": header, "message": message}
    if key is not None:
        envelope = {
            "signature": signing.sign(
                header,
                message,
                private_key=key,
                sender_id=settings.PKSAI_DCI_SENDER_ID,
                key_id=settings.PKSAI_DCI_KEY_ID,
            ),
            **envelope,
        }
    return envelope


# --- receiving a search --------------------------------------------------------------------


def _refuse(status: int, code: str, message: str, *, sender_id: str = "", detail=None):
    audit_record(
        action="permission_denied",
        username=f"dci:{sender_id}"[:150] if sender_id else "dci",
        object_type="dci.caller",
        object_id=sender_id[:64],
        detail={"reason": code, "message": message, **(detail or {})},
    )
    raise DciError(status, code, message)


def message_check(body: Any, *, signature_header: str = "", action: str = "search") -> Checked:
    """The envelope's caller, once sender, receiver and signature are verified; DciError
    (audited) otherwise."""
    if not isinstance(body, dict):
        _refuse(400, "err.request.bad", "The body is a JSON object with header and message.")
    header, message = body.get("header"), body.get("message")
    if not isinstance(header, dict) or not isinstance(message, dict):
        _refuse(400, "err.request.bad", "The body is a JSON object with header and message.")
    sender_id = str(header.get("sender_id") or "")
    caller = Caller.objects.filter(sender_id=sender_id, active=True).first() if sender_id else None
    if caller is None:
        _refuse(401, "err.sender_id.invalid", "Unknown sender.", sender_id=sender_id)
    receiver = header.get("receiver_id")
    if receiver and receiver != settings.PKSAI_DCI_SENDER_ID:
        _refuse(400, "err.receiver_id.invalid", "Not addressed to us.", sender_id=sender_id)
    value = body.get("signature") or signature_header or ""
    try:
        keys = signing.load_public_keys(caller.public_key)
        signing.verify(value, header, message, public_keys=keys, sender_id=sender_id)
    except ValueError:
        logger.error("DCI caller %s has no usable public key", sender_id)
        _refuse(401, "err.signature.invalid", "No usable key registered.", sender_id=sender_id)
    except signing.SignatureError as exc:
        _refuse(401, exc.code, exc.message, sender_id=sender_id)
    count = hit("dci-search", caller.sender_id, window=timedelta(minutes=1))
    if count > settings.PKSAI_DCI_MESSAGES_PER_MINUTE:
        _refuse(
            429,
            "err.request.too_many_requests",
            f"At most {settings.PKSAI_DCI_MESSAGES_PER_MINUTE} messages a minute.",
            sender_id=sender_id,
        )
    if header.get("is_msg_encrypted") in (True, "true", "True"):
        _refuse(
            400,
            "err.encryption.invalid",
            "Encrypted messages are not accepted.",
            sender_id=sender_id,
        )
    return Checked(caller=caller, header=header, message=message)


def _header_reject(checked: Checked) -> tuple[str, str] | None:
    header, message = checked.header, checked.message
    if header.get("action") != "search":
        return "rjct.action.invalid", "The action is 'search'."
    if header.get("version", VERSION) != VERSION:
        return "rjct.version.invalid", f"Version {VERSION} is spoken here."
    if not header.get("message_id"):
        return "rjct.message_id.duplicate", "A message needs a message_id."
    try:
        datetime.fromisoformat(str(header.get("message_ts", "")).replace("Z", "+00:00"))
    except ValueError:
        return "rjct.message_ts.invalid", "message_ts is an ISO 8601 time."
    requests = message.get("search_request")
    if not isinstance(requests, list) or not requests:
        return "rjct.total_count.invalid", "search_request is a non-empty list."
    try:
        total = int(header.get("total_count"))
    except (TypeError, ValueError):
        total = -1
    if total != len(requests):
        return "rjct.total_count.invalid", "total_count is the number of search requests."
    if total > MAX_SEARCHES:
        return "rjct.total_count.limit_exceeded", f"At most {MAX_SEARCHES} searches a message."
    return None


def _claim_message_id(checked: Checked) -> bool:
    try:
        with transaction.atomic():
            ReceivedMessage.objects.create(
                caller=checked.caller,
                message_id=str(checked.header["message_id"])[:200],
                transaction_id=str(checked.message.get("transaction_id") or "")[:99],
                action=str(checked.header.get("action", ""))[:30],
            )
        return True
    except IntegrityError:
        return False


def search_answer(checked: Checked, *, correlation_id: str = "") -> dict:
    """The signed on-search envelope answering a verified search message."""
    caller, header, message = checked.caller, checked.header, checked.message
    correlation_id = correlation_id or str(uuid.uuid4())
    rejected = _header_reject(checked)
    if rejected is None and not _claim_message_id(checked):
        rejected = ("rjct.message_id.duplicate", "This message_id was used before.")
    responses: list[dict] = []
    exported: list[int] = []
    exported_beneficiaries: list[int] = []
    if rejected is None:
        scope = search.caller_scope(caller)
        for item in message["search_request"]:
            item = item if isinstance(item, dict) else {}
            entry = {
                "reference_id": str(item.get("reference_id", "")),
                "timestamp": now_ts(),
                "locale": item.get("locale") or "ind",
            }
            try:
                if not item.get("reference_id"):
                    raise search.Rejected("rjct.reference_id.invalid", "reference_id is needed.")
                found = search.run(item.get("search_criteria"), caller=caller, scope=scope)
            except search.Rejected as exc:
                entry.update(status="rjct", status_reason_code=exc.code)
                entry["status_reason_message"] = exc.message
                audit_record(
                    action="permission_denied",
                    username=f"dci:{caller.sender_id}"[:150],
                    obj=caller,
                    detail={
                        "reason": exc.code,
                        "message": exc.message,
                        "message_id": str(header.get("message_id", ""))[:200],
                        "reference_id": entry["reference_id"][:99],
                    },
                )
            else:
                (exported if found.record_type == search.PEOPLE else exported_beneficiaries).extend(
                    found.ids
                )
                entry.update(
                    status="succ",
                    data={
                        "version": VERSION,
                        "reg_type": "ns:pksai:RegistryType:Social",
                        "reg_record_type": found.record_type,
                        "reg_records": found.records,
                    },
                    pagination={
                        "page_size": found.page_size,
                        "page_number": found.page_number,
                        "total_count": found.total_count,
                    },
                )
            responses.append(entry)
        audit_record(
            action="export",
            username=f"dci:{caller.sender_id}"[:150],
            obj=caller,
            detail={
                "purpose": "DCI social-registry search",
                "message_id": str(header.get("message_id", ""))[:200],
                "transaction_id": str(message.get("transaction_id", ""))[:99],
                "records": {
                    "registry.person": exported,
                    "programs.beneficiary": exported_beneficiaries,
                },
            },
        )
        ReceivedMessage.objects.filter(
            caller=caller, message_id=str(header["message_id"])[:200]
        ).update(records=len(exported) + len(exported_beneficiaries))
    done = sum(1 for r in responses if r["status"] == "succ")
    answer_header = {
        "version": VERSION,
        "message_id": str(uuid.uuid4()),
        "message_ts": now_ts(),
        "action": "on-search",
        "status": "rjct" if rejected else "succ",
        "total_count": len(responses),
        "completed_count": done,
        "sender_id": settings.PKSAI_DCI_SENDER_ID,
        "receiver_id": caller.sender_id,
        "is_msg_encrypted": False,
    }
    if rejected:
        answer_header["status_reason_code"], answer_header["status_reason_message"] = rejected
    return signed_envelope(
        answer_header,
        {
            "transaction_id": str(message.get("transaction_id", "")),
            "correlation_id": correlation_id,
            "search_response": responses,
        },
    )


def search_async_accept(checked: Checked) -> str:
    """Acknowledge an asynchronous search and queue the answer to the caller's registered
    callback URL (its /registry/on-search); the correlation id."""
    if not checked.caller.callback_url:
        _refuse(
            400,
            "err.sender_uri.invalid",
            "No callback URL is registered for this caller.",
            sender_id=checked.caller.sender_id,
        )
    correlation_id = str(uuid.uuid4())
    from pksai.dci.tasks import answer_search

    body = {"header": checked.header, "message": checked.message}
    transaction.on_commit(
        lambda: answer_search.enqueue(
            caller_id=checked.caller.pk, body=body, correlation_id=correlation_id
        )
    )
    return correlation_id


def search_callback(*, caller_id: int, body: dict, correlation_id: str) -> int:
    """Run a queued asynchronous search and post the signed on-search envelope to the
    caller's callback URL; the HTTP status it answered (0: not reached)."""
    import requests

    caller = Caller.objects.filter(pk=caller_id, active=True).first()
    if caller is None or not caller.callback_url:
        return 0
    envelope = search_answer(
        Checked(caller=caller, header=body["header"], message=body["message"]),
        correlation_id=correlation_id,
    )
    headers = {"Content-Type": "application/json"}
    if envelope.get("signature"):
        headers["Signature"] = envelope["signature"]
    try:
        response = requests.post(
            caller.callback_url,
            json=envelope,
            headers=headers,
            timeout=settings.PKSAI_DCI_TIMEOUT_SECONDS,
        )
    except requests.RequestException as exc:
        logger.warning("DCI on-search to %s failed: %s", caller.sender_id, exc)
        return 0
    return response.status_code


# --- birth registrations -------------------------------------------------------------------


def birth_registration_record(
    *,
    person: Person,
    source: str,
    outcome: str,
    by=None,
    nik_verified: bool | None = None,
    certificate_number: str = "",
    registered_on: date | None = None,
    referral=None,
    transaction_id: str = "",
    error: str = "",
) -> BirthRegistration:
    """Keep what a civil registry or a delivered referral said; a registration found sets the
    person's birth-certificate flag in the registry. Audited."""
    with transaction.atomic():
        record = BirthRegistration.objects.create(
            person=person,
            source=source,
            outcome=outcome,
            nik_verified=nik_verified,
            certificate_number=certificate_number.strip()[:60],
            registered_on=registered_on,
            referral=referral,
            transaction_id=transaction_id[:99],
            error=error[:300],
            by=by if getattr(by, "is_authenticated", False) else None,
        )
        audit_record(
            action="create",
            actor=by,
            obj=record,
            detail={"person": person.pk, "source": source, "outcome": outcome},
        )
        if outcome == BirthRegistration.Outcome.FOUND and person.birth_certificate is not True:
            Person.objects.filter(pk=person.pk).update(birth_certificate=True)
            person.birth_certificate = True
            audit_record(
                action="update",
                actor=by,
                obj=person,
                detail={"birth_certificate": True, "source": source, "record": record.pk},
            )
    return record


def birth_registration_latest(person: Person) -> BirthRegistration | None:
    return BirthRegistration.objects.filter(person=person).first()


# --- the message-id log's retention ----------------------------------------------------------

PRUNE_CHUNK = 5000  # rows deleted per statement (and transaction)


def received_messages_prune(
    *, now: datetime | None = None, days: int | None = None, chunk: int = PRUNE_CHUNK
) -> int:
    """Delete the message ids callers used more than ``days`` ago (PKSAI_DCI_MESSAGE_LOG_DAYS,
    30). They are kept only to refuse a replayed message, and a signature is never valid for
    longer than ``signing.MAX_LIFETIME`` plus the clock skew, so a message older than a day
    could not be replayed anyway: fewer than one day is taken as one day. The searches
    themselves stay in the audit trail. Set-based, in chunks of ids, one DELETE each."""
    days = settings.PKSAI_DCI_MESSAGE_LOG_DAYS if days is None else days
    floor = timedelta(seconds=signing.MAX_LIFETIME + signing.CLOCK_SKEW)
    cutoff = (now or timezone.now()) - max(timedelta(days=days), floor, timedelta(days=1))
    old = ReceivedMessage.objects.filter(received_at__lt=cutoff)
    deleted = delete_in_chunks(old, chunk=chunk)
    if deleted:
        logger.info("DCI message log pruned: %s", deleted)
    return deleted
