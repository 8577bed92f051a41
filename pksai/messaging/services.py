"""The messaging service (issue 20, decision 0033): render a template, check the recipient's
consent, record the message, queue it (one or many: ``messages_queue_bulk``); consent given,
joined in sets, withdrawn (STOP). Sending, receipts and housekeeping are in ``sending.py``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation

from pksai.core.fields import seal_frame
from pksai.messaging import catalogue
from pksai.messaging.channels import get_channel
from pksai.messaging.contacts import (
    contact_hash,
    contact_hash_many,
    contact_hashes_any_key,
    mask,
    normalise,
)
from pksai.messaging.models import ContactConsent, Message, MessageTemplate, Purpose

if TYPE_CHECKING:  # polars only where frames are built: `pksai scheduler` stays light
    import polars as pl

log = logging.getLogger(__name__)
S = Message.Status
FINAL = (S.DELIVERED, S.READ, S.FAILED, S.REFUSED_NO_CONSENT, S.OPTED_OUT)
STOP_WORDS = frozenset({"STOP", "BERHENTI", "UNSUBSCRIBE", "STOPALL"})


class TemplateMissing(LookupError):
    pass


def channel_for(address: str) -> str:
    return (
        settings.PKSAI_MESSAGING_EMAIL_CHANNEL
        if "@" in address
        else settings.PKSAI_MESSAGING_PHONE_CHANNEL
    )


def _channel_expr(address: pl.Expr) -> pl.Expr:
    """``channel_for`` over a column at once (null stays null)."""
    import polars as pl

    return (
        pl.when(address.is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when(address.str.contains("@", literal=True))
        .then(pl.lit(settings.PKSAI_MESSAGING_EMAIL_CHANNEL))
        .otherwise(pl.lit(settings.PKSAI_MESSAGING_PHONE_CHANNEL))
    )


def template_get(
    *, code: str, language: str, channel: str, on: date | None = None
) -> MessageTemplate:
    """The template used for ``code`` today: one for this channel before a general one, the
    newest valid version; the other language when this one has none."""
    on = on or timezone.localdate()
    candidates = MessageTemplate.objects.filter(
        code=code, valid_from__lte=on, channel__in=[channel, ""]
    )
    for lang in dict.fromkeys([language, "id", "en"]):
        found = (
            candidates.filter(language=lang)
            .order_by(F("channel").desc(), "-valid_from", "-version")
            .first()
        )
        if found is not None:
            return found
    raise TemplateMissing(f"no template {code!r} for {channel}")


# --- consent ---------------------------------------------------------------------------------


def consent_give(
    *,
    address: str,
    channel: str,
    purpose: str,
    source: str,
    by: Any = None,
    beneficiary: Any = None,
    user: Any = None,
    language: str = "id",
) -> ContactConsent:
    """Record that the person at ``address`` agreed to be contacted on ``channel`` for
    ``purpose`` (audited). An active consent for the same is kept, not doubled."""
    from pksai.audit.services import audit_record

    value = normalise(address)
    if not value:
        raise ValueError("not a phone number or e-mail address")
    hashes = contact_hashes_any_key(value)
    current = ContactConsent.objects.filter(
        recipient_hash__in=hashes, channel=channel, purpose=purpose, withdrawn_at__isnull=True
    )
    if beneficiary is not None:
        current = current.filter(beneficiary=beneficiary)
    existing = current.first()
    if existing is not None:
        return existing
    consent = ContactConsent.objects.create(
        recipient=value,
        recipient_hash=hashes[0],
        channel=channel,
        purpose=purpose,
        source=source,
        given_by=by if getattr(by, "pk", None) else None,
        beneficiary=beneficiary,
        user=user,
        language=language,
    )
    audit_record(
        action="create", actor=by, obj=consent, detail={"channel": channel, "purpose": purpose}
    )
    return consent


def consent_state(*, address: str, channel: str, purpose: str) -> tuple[str, str]:
    """('ok' | 'opted_out' (every consent withdrawn) | 'none', the language they chose)."""
    rows = list(
        ContactConsent.objects.filter(
            recipient_hash__in=contact_hashes_any_key(address), channel=channel, purpose=purpose
        )
        .order_by("-given_at")
        .values_list("withdrawn_at", "language")
    )
    active = [lang for withdrawn, lang in rows if withdrawn is None]
    if active:
        return "ok", active[0]
    return ("opted_out" if rows else "none"), (rows[0][1] if rows else "id")


def consented_channel(*, address: str, purpose: str) -> str | None:
    """The channel of the newest active consent of ``address`` for ``purpose`` (a complaint
    sent by WhatsApp is answered on WhatsApp), or None."""
    return (
        ContactConsent.objects.filter(
            recipient_hash__in=contact_hashes_any_key(address),
            purpose=purpose,
            withdrawn_at__isnull=True,
        )
        .order_by("-given_at", "-id")
        .values_list("channel", flat=True)
        .first()
    )


def consent_join(frame: pl.DataFrame, *, purpose: str) -> pl.DataFrame:
    """``frame`` (column ``to``, optionally ``channel``) with ``consent`` ('ok', 'opted_out',
    'none') and ``language`` (the one they chose, else 'id') joined on — without a ``channel``
    column, the channel of their newest active consent is used (the default channel of the
    address when they have none). One query per 5,000 addresses, never one per recipient."""
    import polars as pl

    frame = frame.with_columns(
        pl.col("to")
        .fill_null("")
        .map_batches(
            lambda s: pl.Series(contact_hash_many(s.to_list()), dtype=pl.String),
            return_dtype=pl.String,
        )
        .alias("_hash")
    )
    hashes = [h for h in frame["_hash"].unique().to_list() if h]
    found: list[tuple] = []
    for start in range(0, len(hashes), 5000):
        found += ContactConsent.objects.filter(
            recipient_hash__in=hashes[start : start + 5000], purpose=purpose
        ).values_list("recipient_hash", "channel", "withdrawn_at", "language", "given_at")
    consents = pl.DataFrame(
        found,
        schema={
            "_hash": pl.String,
            "channel": pl.String,
            "withdrawn_at": pl.Datetime("us", "UTC"),
            "_lang": pl.String,
            "given_at": pl.Datetime("us", "UTC"),
        },
        orient="row",
    )
    keys = ["_hash", "channel"] if "channel" in frame.columns else ["_hash"]
    per = (
        consents.with_columns(pl.col("withdrawn_at").is_null().alias("_on"))
        .sort(["_on", "given_at"], descending=True)
        .group_by(keys, maintain_order=True)
        .agg(
            pl.col("_on").any().alias("_active"),
            pl.col("_lang").filter(pl.col("_on")).first().alias("_lang"),
            pl.col("channel").first().alias("_channel"),
        )
    )
    joined = frame.drop("consent", "language", strict=False).join(per, on=keys, how="left")
    if "channel" not in frame.columns:  # the channel they consented on, else the default
        joined = joined.with_columns(
            pl.coalesce(
                pl.col("_channel"),
                _channel_expr(pl.col("to")),
            ).alias("channel")
        )
    joined = joined.drop("_channel")
    return joined.with_columns(
        pl.when(pl.col("_active"))
        .then(pl.lit("ok"))
        .when(pl.col("_active").is_not_null())
        .then(pl.lit("opted_out"))
        .otherwise(pl.lit("none"))
        .alias("consent"),
        pl.col("_lang").fill_null("id").alias("language"),
    ).drop("_hash", "_active", "_lang")


@transaction.atomic
def consent_withdraw(*, address: str, channel: str, how: str, by: Any = None) -> int:
    """Withdraw every consent of ``address`` on ``channel`` (all purposes) and stop its queued
    messages. Returns the consents withdrawn."""
    from pksai.audit.services import audit_record

    hashes = contact_hashes_any_key(address)
    now = timezone.now()
    rows = ContactConsent.objects.filter(
        recipient_hash__in=hashes, channel=channel, withdrawn_at__isnull=True
    )
    ids = list(rows.values_list("pk", flat=True))
    rows.update(withdrawn_at=now, withdrawn_how=how)
    Message.objects.filter(recipient_hash__in=hashes, channel=channel, status=S.QUEUED).exclude(
        purpose=Purpose.SERVICE
    ).update(
        status=S.OPTED_OUT,
        body="",
        subject="",
        params=None,
        body_blanked_at=now,
        last_error="opted out",
    )
    for pk in ids:
        audit_record(
            action="update",
            actor=by,
            obj=ContactConsent(pk=pk),
            detail={"withdrawn": how, "channel": channel},
        )
    log.info(
        "consent withdrawn (%s) on %s for %s: %d", how, channel, mask(normalise(address)), len(ids)
    )
    return len(ids)


# --- queueing --------------------------------------------------------------------------------


def message_send(
    *,
    to: str,
    template: str,
    params: Mapping[str, object] | None = None,
    channel: str | None = None,
    language: str | None = None,
    purpose: str | None = None,
    area: Any = None,
    complaint: Any = None,
    case: Any = None,
    referral: Any = None,
    beneficiary: Any = None,
    consent_required: bool = True,
) -> Message:
    """Record one message and queue it (after the transaction commits) — or, when the
    recipient has not consented to ``purpose`` on ``channel``, record it as refused (no body)
    with the reason in the log. ``consent_required=False`` only for answers to the person's
    own message (the STOP confirmation, a tracking code asked for)."""
    kind = catalogue.KINDS[template]
    purpose = purpose or kind.purpose
    address = normalise(to)
    if not address:
        raise ValueError("not a phone number or e-mail address")
    channel = channel or channel_for(address)
    get_channel(channel)  # an unknown channel fails here, not in the worker
    links = {
        "area": area,
        "complaint": complaint,
        "case": case,
        "referral": referral,
        "beneficiary": beneficiary,
    }
    base = {
        "channel": channel,
        "recipient": address,
        "recipient_hash": contact_hash(address),
        "template": template,
        "purpose": purpose,
        **links,
    }
    state, chosen = consent_state(address=address, channel=channel, purpose=purpose)
    language = language or chosen
    if not consent_required:
        state = "ok"
    if state != "ok":
        status = S.OPTED_OUT if state == "opted_out" else S.REFUSED_NO_CONSENT
        reason = (
            "the recipient opted out"
            if state == "opted_out"
            else f"no consent to be contacted on {channel} for {purpose}"
        )
        log.warning(
            "message %s to %s not sent: %s",
            template,
            mask(address),
            reason,
            extra={"template": template, "channel": channel, "reason": status.value},
        )
        return Message.objects.create(
            **base,
            language=language,
            status=status,
            last_error=reason,
            body_blanked_at=timezone.now(),
        )
    tpl = template_get(code=template, language=language, channel=channel)
    with translation.override(tpl.language):  # lazy labels in the recipient's language
        values = {k: "" if v is None else str(v) for k, v in (params or {}).items()}
    message = Message.objects.create(
        **{**base, "language": tpl.language},
        subject=catalogue.render(tpl.subject, values),
        body=catalogue.render(tpl.text, values),
        params={"provider_template": tpl.provider_template, **values}
        if tpl.provider_template
        else values,
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(_enqueue_send)
    return message


def _enqueue_send() -> None:
    from pksai.messaging.tasks import send_due_messages

    send_due_messages.enqueue()


BULK_LINKS = ("area_id", "complaint_id", "case_id", "referral_id", "beneficiary_id")


def messages_queue_bulk(
    *, frame: pl.DataFrame, template: str, purpose: str | None = None
) -> dict[str, int]:
    """Record many messages of one kind with ONE bulk insert and queue ONE send task.

    ``frame`` has a row per recipient: ``to`` (clear address, may be null), ``channel``,
    ``consent`` ('ok', 'opted_out' or 'none' — the caller joined it in SQL), ``language``, a
    column per placeholder of the template, and any of ``area_id``, ``complaint_id``,
    ``case_id``, ``referral_id``, ``beneficiary_id``. Rows without consent are recorded as
    refused (no recipient, no body) and counted in the log. Returns counts per status."""
    import polars as pl

    kind = catalogue.KINDS[template]
    purpose = purpose or kind.purpose
    if frame.is_empty():
        return {}
    now = timezone.now()
    frame = frame.with_columns(
        pl.col("to")
        .fill_null("")
        .map_batches(
            lambda s: pl.Series([normalise(v) for v in s.to_list()], dtype=pl.String),
            return_dtype=pl.String,
        ),
        pl.col("language").fill_null("id"),
    )
    for name in kind.placeholders:
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit("").alias(name))
    texts = []
    pairs = frame.filter(pl.col("consent") == "ok").select("language", "channel").unique()
    for language, channel in pairs.iter_rows():
        tpl = template_get(code=template, language=language, channel=channel)
        texts.append(
            {
                "language": language,
                "channel": channel,
                "_lang": tpl.language,
                "_text": tpl.text,
                "_subject": tpl.subject,
            }
        )
    chosen = pl.DataFrame(
        texts,
        schema={
            "language": pl.String,
            "channel": pl.String,
            "_lang": pl.String,
            "_text": pl.String,
            "_subject": pl.String,
        },
    )
    frame = frame.join(chosen, on=["language", "channel"], how="left")
    body, subject = pl.col("_text"), pl.col("_subject")
    for name in kind.placeholders:
        value = pl.col(name).cast(pl.String).fill_null("")
        body = body.str.replace_all("{" + name + "}", value, literal=True)
        subject = subject.str.replace_all("{" + name + "}", value, literal=True)
    ok = pl.col("consent") == "ok"
    status = (
        pl.when(ok)
        .then(pl.lit(S.QUEUED.value))
        .when(pl.col("consent") == "opted_out")
        .then(pl.lit(S.OPTED_OUT.value))
        .otherwise(pl.lit(S.REFUSED_NO_CONSENT.value))
    )
    reason = (
        pl.when(ok)
        .then(pl.lit(""))
        .when(pl.col("consent") == "opted_out")
        .then(pl.lit("the recipient opted out"))
        .otherwise(pl.lit(f"no consent to be contacted for {purpose}"))
    )
    ts = pl.lit(now).cast(pl.Datetime("us", "UTC"))
    null_ts = pl.lit(None, dtype=pl.Datetime("us", "UTC"))
    rows = frame.select(
        pl.Series("reference", [uuid.uuid4().hex for _ in range(frame.height)], pl.String),
        pl.col("channel"),
        pl.when(ok).then(pl.col("to")).otherwise(pl.lit("")).alias("recipient"),
        pl.col("to")
        .map_batches(
            lambda s: pl.Series(contact_hash_many(s.to_list()), dtype=pl.String),
            return_dtype=pl.String,
        )
        .alias("recipient_hash"),
        pl.lit(template).alias("template"),
        pl.coalesce(pl.col("_lang"), pl.col("language")).alias("language"),
        pl.lit(purpose).alias("purpose"),
        pl.when(ok).then(subject).otherwise(pl.lit("")).fill_null("").alias("subject"),
        pl.when(ok).then(body).otherwise(pl.lit("")).fill_null("").alias("body"),
        status.alias("status"),
        pl.lit(0).alias("attempts"),
        pl.when(ok).then(ts).otherwise(null_ts).alias("next_attempt_at"),
        pl.lit("").alias("provider_id"),
        reason.alias("last_error"),
        *[pl.col(c) for c in BULK_LINKS if c in frame.columns],
        ts.alias("created_at"),
        pl.when(ok).then(null_ts).otherwise(ts).alias("body_blanked_at"),
    )
    from pksai.core.bulk import bulk_insert

    rows = seal_frame(Message, rows)
    with transaction.atomic():
        bulk_insert(table=Message._meta.db_table, frame=rows)
        counts = {k: int(v) for k, v in rows["status"].value_counts().iter_rows()}
        if counts.get(S.QUEUED.value):
            transaction.on_commit(_enqueue_send)
    refused = counts.get(S.REFUSED_NO_CONSENT.value, 0) + counts.get(S.OPTED_OUT.value, 0)
    if refused:
        log.warning(
            "%d %s messages not sent: %d without consent, %d opted out",
            refused,
            template,
            counts.get(S.REFUSED_NO_CONSENT.value, 0),
            counts.get(S.OPTED_OUT.value, 0),
        )
    return counts


def users_notify(*, rows: list[dict[str, Any]], template: str) -> dict[str, int]:
    """Work messages to staff and focal persons who chose to receive them by message (a
    ``ContactConsent`` of theirs for purpose ``work``, e.g. on WhatsApp): ``rows`` are
    ``{"user_id": …, <placeholders>…, "case_id"/"referral_id"/"area_id": …}``. Users without
    such a consent are skipped (their alerts stay in the app and e-mail) — not recorded as
    refused: nobody asked to message them. One query for the consents, one bulk insert."""
    import polars as pl

    if not rows:
        return {}
    users = sorted({r["user_id"] for r in rows if r.get("user_id")})
    consents = list(
        ContactConsent.objects.filter(
            user_id__in=users, purpose=Purpose.WORK, withdrawn_at__isnull=True
        )
        .order_by("user_id", "channel", "-given_at")
        .values_list("user_id", "channel", "recipient", "language")
    )
    skipped = len(set(users) - {c[0] for c in consents})
    if skipped:
        log.info(
            "%s: %d of %d users not messaged: no consent to work messages "
            "(never given or withdrawn); their alerts stay in the app",
            template,
            skipped,
            len(users),
        )
    if not consents:
        return {}
    kind = catalogue.KINDS[template]
    people = pl.DataFrame(
        consents,
        schema={"user_id": pl.Int64, "channel": pl.String, "to": pl.String, "language": pl.String},
        orient="row",
    ).unique(["user_id", "channel"], keep="first", maintain_order=True)
    columns = ["user_id", *kind.placeholders, *[c for c in BULK_LINKS if c in rows[0]]]
    wanted = pl.DataFrame(
        [{c: r.get(c) for c in columns} for r in rows],
        schema={
            c: (pl.Int64 if c.endswith("_id") and c != "area_id" else pl.String) for c in columns
        },
    )
    frame = wanted.join(people, on="user_id", how="inner").drop("user_id")
    if frame.is_empty():
        return {}
    return messages_queue_bulk(
        frame=frame.with_columns(pl.lit("ok").alias("consent")), template=template
    )


# --- inbound ------------------------------------------------------------------------------


def inbound_receive(*, channel: str, sender: str, text: str) -> str:
    """An inbound message: STOP / BERHENTI withdraws consent (and is confirmed); anything else
    goes to ``PKSAI_MESSAGING_INBOUND_HANDLER``. Returns what was done."""
    from django.utils.module_loading import import_string

    word = text.strip().split()[0].upper() if text.strip() else ""
    if word in STOP_WORDS:
        consent_withdraw(address=sender, channel=channel, how=ContactConsent.Withdrawal.STOP)
        message_send(
            to=sender, channel=channel, template="opt_out_confirmed", consent_required=False
        )
        return "stop"
    return import_string(settings.PKSAI_MESSAGING_INBOUND_HANDLER)(
        channel=channel, sender=sender, text=text
    )


# --- consent from the pages: staff's own work alerts, a family's consent ------------------

# Purposes a beneficiary's family may agree to (work and service are not theirs to give).
BENEFICIARY_PURPOSES = (Purpose.PAYMENT, Purpose.REFERRAL)


def work_channel() -> str:
    """The channel staff receive work alerts on: WhatsApp when it is configured
    (``PKSAI_MESSAGING_CHANNELS``), else the phone channel (``PKSAI_MESSAGING_PHONE_CHANNEL``)."""
    if "whatsapp" in settings.PKSAI_MESSAGING_CHANNELS:
        return "whatsapp"
    return settings.PKSAI_MESSAGING_PHONE_CHANNEL


def phone_channels() -> list[str]:
    """The configured channels that reach a phone number (a family chooses among them)."""
    return [c for c in ("sms", "whatsapp") if c in settings.PKSAI_MESSAGING_CHANNELS]


def work_consent_set(
    *, user: Any, phone: str, wanted: bool, language: str = "id"
) -> ContactConsent | None:
    """A staff member's own choice (My messages): ``wanted`` records their consent to work
    messages at ``phone`` on the work channel (an earlier one at another number or channel is
    withdrawn); not ``wanted`` withdraws every active one of theirs (audited by the two
    services). Returns the active consent, or None."""
    current = list(
        ContactConsent.objects.filter(
            user=user, purpose=Purpose.WORK, withdrawn_at__isnull=True
        ).values_list("recipient", "channel")
    )
    with transaction.atomic():
        if not wanted:
            for address, channel in dict.fromkeys(current):
                consent_withdraw(
                    address=address, channel=channel, how=ContactConsent.Withdrawal.SELF, by=user
                )
            return None
        value = normalise(phone)
        if not value or "@" in value:
            raise ValueError("not a phone number")
        channel = work_channel()
        for address, old_channel in dict.fromkeys(current):
            if (address, old_channel) != (value, channel):
                consent_withdraw(
                    address=address,
                    channel=old_channel,
                    how=ContactConsent.Withdrawal.SELF,
                    by=user,
                )
        return consent_give(
            address=value,
            channel=channel,
            purpose=Purpose.WORK,
            source=ContactConsent.Source.SELF,
            by=user,
            user=user,
            language=language,
        )


def beneficiary_consent_give(
    *,
    by: Any,
    beneficiary: Any,
    phone: str,
    channel: str,
    purpose: str,
    given_by: str = "",
    language: str = "id",
) -> ContactConsent:
    """Staff record a family's consent (the card page): ``consent_give`` with source staff,
    and on the beneficiary's audit row who gave it (name or relationship; the consent has no
    field for it)."""
    from pksai.audit.services import audit_record

    value = normalise(phone)
    if not value or "@" in value:
        raise ValueError("not a phone number")
    if purpose not in BENEFICIARY_PURPOSES or channel not in phone_channels():
        raise ValueError("not a purpose or channel for a beneficiary")
    with transaction.atomic():
        consent = consent_give(
            address=value,
            channel=channel,
            purpose=purpose,
            source=ContactConsent.Source.STAFF,
            by=by,
            beneficiary=beneficiary,
            language=language,
        )
        audit_record(
            action="update",
            actor=by,
            obj=beneficiary,
            detail={
                "contact_consent": consent.pk,
                "channel": channel,
                "purpose": purpose,
                "given_by": given_by.strip()[:200],
            },
        )
    return consent


def beneficiary_consent_withdraw(*, by: Any, consent: ContactConsent) -> int:
    """Staff record that the family withdrew (the card page): ``consent_withdraw`` of that
    consent's number and channel (every purpose, queued messages stopped). The caller fetched
    ``consent`` among the beneficiary's own, in scope."""
    with transaction.atomic():
        return consent_withdraw(
            address=consent.recipient,
            channel=consent.channel,
            how=ContactConsent.Withdrawal.STAFF,
            by=by,
        )
