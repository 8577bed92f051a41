"""Reads of messages: the history shown on a record's page (the record was fetched through the
user's scope by its page; the messages are those linked to it) and the report per channel and
area (scoped)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, F, Q
from django.db.models.functions import Substr

from pksai.accounts.scoping import scoped
from pksai.areas.models import Area
from pksai.core.reports import Table, within
from pksai.messaging.catalogue import LABELS
from pksai.messaging.contacts import mask
from pksai.messaging.models import ContactConsent, Message, Purpose

REPORT = "messaging.view_message_report"
HISTORY_LIMIT = 50


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    what: str
    channel: str
    to: str
    status: str
    status_label: str
    error: str


def history_for(record: Any) -> list[HistoryRow]:
    """The messages about ``record`` (a complaint, case, referral or beneficiary the caller
    already may see), newest first, the recipient masked; never the text."""
    label = record._meta.model_name
    if label == "case":
        q = Q(case=record) | Q(referral__case=record) | Q(complaint__case=record)
    elif label in ("complaint", "referral", "beneficiary"):
        q = Q(**{label: record})
    else:
        raise ValueError(f"no message history for {label}")
    rows = (
        Message.objects.filter(q)
        .order_by("-created_at", "-id")
        .only("created_at", "template", "channel", "recipient", "status", "last_error")[
            :HISTORY_LIMIT
        ]
    )
    return [
        HistoryRow(
            at=m.created_at,
            what=str(LABELS.get(m.template, m.template)),
            channel=m.channel,
            to=mask(m.recipient),
            status=m.status,
            status_label=m.get_status_display(),
            error=_reason(m),
        )
        for m in rows
    ]


def _reason(m: Message) -> str:
    from django.utils.translation import gettext as _

    if m.status == Message.Status.REFUSED_NO_CONSENT:
        return _("no consent to be contacted on this channel")
    if m.status == Message.Status.OPTED_OUT:
        return _("the recipient replied STOP")
    return ""


STATUS_GROUPS = {
    "sent": [Message.Status.SENT],
    "delivered": [Message.Status.DELIVERED, Message.Status.READ],
    "failed": [Message.Status.FAILED],
    "not_sent": [Message.Status.REFUSED_NO_CONSENT, Message.Status.OPTED_OUT],
    "waiting": [Message.Status.QUEUED, Message.Status.SENDING],
}


def report_table(*, user: Any, date_from: date, date_to: date, area: str = "") -> Table:
    """Messages created in the period per area (regency; districts when ``area`` is a
    regency or below) and channel: sent, delivered (or read), failed, not sent (no consent,
    opted out), waiting — one SQL aggregate over the user's scope."""
    from django.utils.translation import gettext as _

    qs = scoped(Message.objects.all(), user, perm=REPORT, area_field="area").filter(
        within("created_at", date_from, date_to)
    )
    if area:
        qs = qs.filter(area_id__startswith=area)
    level = 8 if len(area) >= 5 else 5
    counts = {
        key: Count("id", filter=Q(status__in=statuses)) for key, statuses in STATUS_GROUPS.items()
    }
    rows = list(
        qs.annotate(region=Substr("area_id", 1, level))
        .values("channel", "region")
        .annotate(total=Count("id"), **counts)
        .order_by("region", "channel")
    )
    names = dict(
        Area.objects.filter(code__in={r["region"] for r in rows if r["region"]}).values_list(
            "code", "name"
        )
    )
    keys = ["total", *STATUS_GROUPS]
    columns = [
        ("area", _("Area")),
        ("key", "code"),
        ("channel", _("Channel")),
        ("total", _("Messages")),
        ("sent", _("Sent")),
        ("delivered", _("Delivered")),
        ("failed", _("Failed")),
        ("not_sent", _("Not sent (no consent or opted out)")),
        ("waiting", _("Waiting")),
    ]
    body = [
        [
            names.get(r["region"], r["region"] or _("no area")),
            r["region"] or "",
            r["channel"],
            *[r[k] for k in keys],
        ]
        for r in rows
    ]
    total = [_("Total"), "", "", *[sum(r[k] for r in rows) for k in keys]] if rows else None
    return Table(columns=columns, rows=body, total=total)


# --- consents shown on the pages ------------------------------------------------------------


@dataclass(frozen=True)
class ConsentRow:
    pk: int
    to: str  # masked
    channel: str
    purpose: str
    given_at: datetime
    source: str
    withdrawn_at: datetime | None
    withdrawn_how: str


def _row(c: ContactConsent) -> ConsentRow:
    return ConsentRow(
        pk=c.pk,
        to=mask(c.recipient),
        channel=c.channel,
        purpose=c.get_purpose_display(),
        given_at=c.given_at,
        source=c.get_source_display(),
        withdrawn_at=c.withdrawn_at,
        withdrawn_how=c.get_withdrawn_how_display() if c.withdrawn_how else "",
    )


def work_consent_of(user: Any) -> ContactConsent | None:
    """The user's own newest work-message consent (active first), for My messages."""
    return (
        ContactConsent.objects.filter(user=user, purpose=Purpose.WORK)
        .order_by(F("withdrawn_at").asc(nulls_first=True), "-given_at", "-pk")
        .first()
    )


def beneficiary_consents(beneficiary: Any) -> list[ConsentRow]:
    """The consents recorded for a beneficiary (the caller fetched it in scope), newest
    first, numbers masked."""
    return [
        _row(c)
        for c in ContactConsent.objects.filter(beneficiary=beneficiary).order_by("-given_at", "-pk")
    ]
