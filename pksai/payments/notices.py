"""Messages to beneficiaries about their payments (issue 20 point 3): the payment notice when a
cycle is generated (amount, periods, where and from when) and the notice when the money is held
at the post office. Set-based: the entitlements and the beneficiaries' consents are read in one
query each, joined in Polars, and every notice is written with one bulk insert that queues one
send task (``messaging.services.messages_queue_bulk``). A beneficiary without consent to be
contacted for payments gets nothing; the message is recorded as refused and the log says how
many."""

from __future__ import annotations

import polars as pl
from django.conf import settings
from django.utils import formats, translation

from pksai.messaging.models import ContactConsent, Purpose
from pksai.messaging.services import messages_queue_bulk
from pksai.payments.models import Channel, Entitlement

LANGUAGES = ("id", "en")


def _rupiah(amount: int) -> str:
    return "Rp " + f"{amount:,}".replace(",", ".")


def _frame(entitlements) -> pl.DataFrame:
    """One row per entitlement × consent of its beneficiary (purpose payment; a beneficiary
    without any: one row with ``consent`` = 'none')."""
    rows = pl.DataFrame(
        list(
            entitlements.order_by().values_list(
                "pk",
                "beneficiary_id",
                "area_id",
                "amount",
                "months",
                "channel",
                "cycle__due_date",
                "cycle__program__name_id",
                "cycle__program__name_en",
            )
        ),
        schema={
            "entitlement_id": pl.Int64,
            "beneficiary_id": pl.Int64,
            "area_id": pl.String,
            "amount": pl.Int64,
            "months": pl.List(pl.String),
            "where": pl.String,
            "due": pl.Date,
            "program_id_name": pl.String,
            "program_en_name": pl.String,
        },
        orient="row",
    )
    if rows.is_empty():
        return rows
    consents = pl.DataFrame(
        list(
            ContactConsent.objects.filter(
                purpose=Purpose.PAYMENT,
                beneficiary_id__in=entitlements.order_by().values("beneficiary_id"),
            )
            .order_by("beneficiary_id", "channel", "-given_at")
            .values_list("beneficiary_id", "channel", "recipient", "withdrawn_at", "language")
        ),
        schema={
            "beneficiary_id": pl.Int64,
            "channel": pl.String,
            "to": pl.String,
            "withdrawn_at": pl.Datetime("us", "UTC"),
            "language": pl.String,
        },
        orient="row",
    )
    # per beneficiary and channel: the newest active consent, else the newest withdrawn one
    consents = (
        consents.with_columns(pl.col("withdrawn_at").is_null().alias("_active"))
        .sort(["beneficiary_id", "channel", "_active"], descending=[False, False, True])
        .unique(["beneficiary_id", "channel"], keep="first", maintain_order=True)
        .with_columns(
            pl.when(pl.col("_active"))
            .then(pl.lit("ok"))
            .otherwise(pl.lit("opted_out"))
            .alias("consent")
        )
        .select("beneficiary_id", "channel", "to", "language", "consent")
    )
    frame = rows.join(consents, on="beneficiary_id", how="left").with_columns(
        pl.col("channel").fill_null(settings.PKSAI_MESSAGING_PHONE_CHANNEL),
        pl.col("consent").fill_null("none"),
        pl.col("language").fill_null("id"),
    )
    # words in each recipient's language: where (the payment channel), the programme, the date
    words = []
    for language in LANGUAGES:
        with translation.override(language):
            words += [(language, value, str(label)) for value, label in Channel.choices]
    where = pl.DataFrame(
        words, schema={"language": pl.String, "where": pl.String, "_where": pl.String}, orient="row"
    )
    amounts = frame.select(pl.col("amount").unique())
    amounts = amounts.with_columns(
        pl.Series("_amount", [_rupiah(a) for a in amounts["amount"].to_list()], pl.String)
    )
    dues = frame.select(pl.col("due").unique())
    dates = []
    for language in LANGUAGES:
        with translation.override(language):
            dates += [(language, d, formats.date_format(d, "j M Y")) for d in dues["due"].to_list()]
    dates_frame = pl.DataFrame(
        dates, schema={"language": pl.String, "due": pl.Date, "from_date": pl.String}, orient="row"
    )
    return (
        frame.join(where, on=["language", "where"], how="left")
        .join(amounts, on="amount", how="left")
        .join(dates_frame, on=["language", "due"], how="left")
        .with_columns(
            pl.coalesce(pl.col("_where"), pl.col("where")).alias("where"),
            pl.col("_amount").alias("amount"),
            pl.col("months").list.sort().list.join(", ").alias("periods"),
            pl.when(pl.col("language") == "en")
            .then(
                pl.coalesce(pl.col("program_en_name").replace("", None), pl.col("program_id_name"))
            )
            .otherwise(pl.col("program_id_name"))
            .alias("program"),
        )
        .drop("_where", "_amount", "months", "program_id_name", "program_en_name", "due")
    )


def payment_notices_queue(*, cycle_id: int) -> dict[str, int]:
    """The payment notice to every beneficiary of the cycle who consented (one bulk insert,
    one send task)."""
    frame = _frame(Entitlement.objects.filter(cycle_id=cycle_id))
    return messages_queue_bulk(frame=frame, template="payment_notice")


def held_notices_queue(*, entitlement_ids: list[int]) -> dict[str, int]:
    """The held-at-the-post-office notice for these entitlements (just turned held)."""
    if not entitlement_ids:
        return {}
    frame = _frame(Entitlement.objects.filter(pk__in=entitlement_ids))
    return messages_queue_bulk(frame=frame, template="payment_held")
