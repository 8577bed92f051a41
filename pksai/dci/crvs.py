"""The DCI CRVS client: asks the civil registry (``PKSAI_DCI_CRVS_URL``, its
``/registry/sync/search``) for a child's birth registration — by NIK (identifier type UIN), or
by name and date of birth when the registry has no NIK for the child — signed with our key,
and records the answer (decision 0039, docs/dci.md)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from pksai.dci import services, signing
from pksai.dci.models import BirthRegistration
from pksai.registry.models import Person

BIRTH_CERTIFICATE_IDS = {"BRN"}
NIK_IDS = {"UIN", "NIK", "NATIONALID", "NID"}


class CrvsNotConfigured(Exception):
    """No civil registry URL or no signing key: nothing was asked."""


@dataclass
class Asked:
    header: dict
    message: dict
    by_nik: bool


def configured() -> bool:
    return bool(settings.PKSAI_DCI_CRVS_URL) and services.our_private_key() is not None


def search_message(person: Person) -> Asked:
    """The DCI search envelope (header + message) asking for ``person``'s birth record."""
    by_nik = bool(person.nik)
    if by_nik:
        query_type, query = "idtype-value", {"type": "UIN", "value": person.nik}
    else:
        query_type = "predicate"
        query = [
            {
                "seq_num": 1,
                "expression1": {
                    "attribute_name": "name",
                    "operator": "eq",
                    "attribute_value": person.name,
                },
                "condition": "and",
                "expression2": {
                    "attribute_name": "birth_date",
                    "operator": "eq",
                    "attribute_value": person.birth_date.isoformat(),
                },
            }
        ]
    transaction_id = uuid.uuid4().hex
    message = {
        "transaction_id": transaction_id,
        "search_request": [
            {
                "reference_id": uuid.uuid4().hex,
                "timestamp": services.now_ts(),
                "search_criteria": {
                    "version": services.VERSION,
                    "reg_type": "ns:org:RegistryType:Civil",
                    "reg_event_type": "live_birth",
                    "reg_record_type": "person",
                    "query_type": query_type,
                    "query": query,
                    "pagination": {"page_size": 5, "page_number": 1},
                },
                "locale": "ind",
            }
        ],
    }
    header = {
        "version": services.VERSION,
        "message_id": str(uuid.uuid4()),
        "message_ts": services.now_ts(),
        "action": "search",
        "sender_id": settings.PKSAI_DCI_SENDER_ID,
        "receiver_id": settings.PKSAI_DCI_CRVS_RECEIVER_ID,
        "total_count": 1,
        "is_msg_encrypted": False,
    }
    return Asked(header=header, message=message, by_nik=by_nik)


def _identifiers(record: dict) -> dict[str, str]:
    found: dict[str, str] = {}
    raw = record.get("identifier") or []
    if isinstance(raw, dict):
        raw = [raw]
    for item in raw:
        if isinstance(item, dict):
            kind = str(item.get("identifier_type", "")).upper()
            found.setdefault(kind, str(item.get("identifier_value") or item.get("identifier", "")))
    if record.get("identifier_type"):  # the flat dci_PersonRecord form
        found.setdefault(str(record["identifier_type"]).upper(), str(record.get("identifier", "")))
    return found


def _date(value) -> date | None:
    try:
        return date.fromisoformat(str(value or "")[:10])
    except ValueError:
        return None


class Refused(Exception):
    pass


def _answer(asked: Asked, response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError as exc:
        raise Refused(
            f"The civil registry answered HTTP {response.status_code} without JSON."
        ) from exc
    if response.status_code >= 400 or not isinstance(body, dict):
        error = (body.get("message") or {}).get("error") if isinstance(body, dict) else None
        errors = body.get("errors") if isinstance(body, dict) else None
        code = (error or {}).get("code") or ((errors or [{}])[0].get("code") if errors else "")
        raise Refused(
            f"The civil registry refused the search (HTTP {response.status_code} {code or ''})."
        )
    header, message = body.get("header") or {}, body.get("message") or {}
    public_key_file = settings.PKSAI_DCI_CRVS_PUBLIC_KEY_FILE
    if public_key_file:
        try:
            signing.verify(
                body.get("signature") or response.headers.get("Signature", ""),
                header,
                message,
                public_keys=signing.load_public_keys(Path(public_key_file).read_text()),
                sender_id=settings.PKSAI_DCI_CRVS_RECEIVER_ID,
            )
        except signing.SignatureError as exc:
            raise Refused(
                f"The civil registry's answer is not signed by it: {exc.message}"
            ) from exc
    if header.get("status") == "rjct":
        raise Refused(
            f"The civil registry rejected the message: {header.get('status_reason_code', '')}"
        )
    if str(message.get("transaction_id", "")) != asked.message["transaction_id"]:
        raise Refused("The civil registry answered another transaction.")
    responses = message.get("search_response") or []
    if not responses or not isinstance(responses[0], dict):
        raise Refused("The civil registry's answer holds no search response.")
    return responses[0]


def birth_check(*, person: Person, by=None) -> BirthRegistration:
    """Ask the civil registry about ``person`` and record the answer (found, not found, or
    the error). CrvsNotConfigured when there is no registry or no key."""
    key = services.our_private_key()
    if not settings.PKSAI_DCI_CRVS_URL or key is None:
        raise CrvsNotConfigured(
            _("No civil registry is configured (PKSAI_DCI_CRVS_URL and our signing key).")
        )
    asked = search_message(person)
    signature = signing.sign(
        asked.header,
        asked.message,
        private_key=key,
        sender_id=settings.PKSAI_DCI_SENDER_ID,
        key_id=settings.PKSAI_DCI_KEY_ID,
    )
    transaction_id = asked.message["transaction_id"]
    common = {"person": person, "source": BirthRegistration.Source.CRVS, "by": by}
    try:
        response = requests.post(
            f"{settings.PKSAI_DCI_CRVS_URL}/registry/sync/search",
            json={"signature": signature, "header": asked.header, "message": asked.message},
            headers={"Signature": signature},
            timeout=settings.PKSAI_DCI_TIMEOUT_SECONDS,
        )
        entry = _answer(asked, response)
    except requests.Timeout:
        return services.birth_registration_record(
            **common,
            outcome=BirthRegistration.Outcome.ERROR,
            transaction_id=transaction_id,
            error="The civil registry did not answer in time.",
        )
    except requests.RequestException as exc:
        return services.birth_registration_record(
            **common,
            outcome=BirthRegistration.Outcome.ERROR,
            transaction_id=transaction_id,
            error=f"The civil registry cannot be reached: {type(exc).__name__}",
        )
    except Refused as exc:
        return services.birth_registration_record(
            **common,
            outcome=BirthRegistration.Outcome.ERROR,
            transaction_id=transaction_id,
            error=str(exc),
        )
    if entry.get("status") != "succ":
        return services.birth_registration_record(
            **common,
            outcome=BirthRegistration.Outcome.ERROR,
            transaction_id=transaction_id,
            error=(
                f"The civil registry rejected the search: {entry.get('status_reason_code', '')} "
                f"{entry.get('status_reason_message', '')}"
            ).strip(),
        )
    records = (entry.get("data") or {}).get("reg_records") or []
    if isinstance(records, dict):
        records = [records]
    records = [r for r in records if isinstance(r, dict)]
    if not records:
        return services.birth_registration_record(
            **common,
            outcome=BirthRegistration.Outcome.NOT_FOUND,
            nik_verified=False if asked.by_nik else None,
            transaction_id=transaction_id,
        )
    record = records[0]
    ids = _identifiers(record)
    nik = next((ids[k] for k in NIK_IDS if ids.get(k)), "")
    born = _date(record.get("birth_date") or record.get("birthdate"))
    nik_verified = None
    if person.nik:
        nik_verified = nik == person.nik and (born is None or born == person.birth_date)
    number = next((ids[k] for k in BIRTH_CERTIFICATE_IDS if ids.get(k)), "")
    registered_on = _date(
        record.get("registration_date") or record.get("birth_registration_date") or ""
    )
    return services.birth_registration_record(
        **common,
        outcome=(
            BirthRegistration.Outcome.FOUND if number else BirthRegistration.Outcome.NOT_FOUND
        ),
        nik_verified=nik_verified,
        certificate_number=number,
        registered_on=registered_on,
        transaction_id=transaction_id,
    )
