"""Payment cycles, payer batches and return files — vectorised, exact to the rupiah.

- ``cycle_generate``: every beneficiary of the program (and its sub-programs) active in the
  period gets an entitlement: the benefit rule's amount for the period, prorated by the days
  they were active (start or exit inside the period) and reduced by a confirmed consequence,
  all in integer arithmetic (floor); plus the arrears of earlier entitlements that were never
  sent (a cycle funded late): those are marked carried, and the new payment covers several
  periods (a lump sum, flagged).
- ``batch_export``: the lines sent to the payer, frozen, with a SHA-256 of the exported CSV; a
  correction is a new version (``batch_diff`` shows what changed).
- ``returns_import``: the payer's return file: each row a paid delivery or a failed attempt,
  with row-level errors; rows are idempotent (importing the same file twice changes nothing).
  Two failed attempts → held at the post office; paid after the 15th → late.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import (
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from pksai.accounts.models import User
from pksai.accounts.scoping import require_perm, scope_for, scoped
from pksai.audit.services import audit_record
from pksai.core import exports
from pksai.core.bulk import bulk_update, bulk_upsert
from pksai.core.fields import seal_frame
from pksai.payments.models import (
    BatchLine,
    Channel,
    DeliveryEvent,
    DeliveryPreference,
    Entitlement,
    InKindItem,
    PayerBatch,
    PaymentCycle,
)
from pksai.programs.models import Beneficiary, BenefitRule, Program, Suspension
from pksai.programs.services import benefit_rule_on
from pksai.registry.importer import ERROR_SCHEMA, ROW, ExtractError, stable_hash
from pksai.registry.tabular import ImportCounts, read_table
from pksai.webhooks.services import events_emit_bulk

MANAGE = "payments.add_paymentcycle"
MAX_DISCREPANCIES = 500  # listed on the page; the counts cover all
MAX_ITEMS_PER_RECORD = 5_000  # in-kind items recorded in one go (a day-care centre's list)
HOLD_AFTER = 2  # failed delivery attempts before the benefit is held at the post office
DUE_DAY = 15


def _months_per_payment(rule: BenefitRule) -> int:
    return 12 // max(1, rule.payments_per_year)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


@transaction.atomic
def cycle_generate(*, by: User, program: Program, period: date) -> PaymentCycle:
    """Compute the cycle's entitlements (see the module's docstring). One cycle per program
    and period: generating it again is refused."""
    require_perm(by, MANAGE)
    if program.parent_id is not None:
        raise ValidationError(_("Payment cycles are generated for a whole program."))
    main_rule = benefit_rule_on(program, period)
    if main_rule is None:
        raise ValidationError(_("%(p)s has no benefit rule for that period.") % {"p": program})
    months = _months_per_payment(main_rule)
    if period.day != 1 or (period.month - 1) % months:
        raise ValidationError(_("A cycle starts on the first day of a payment period."))
    if PaymentCycle.objects.filter(program=program, period=period).exists():
        raise ValidationError(_("This cycle was already generated."))
    end = _add_months(period, months) - timedelta(days=1)
    cycle = PaymentCycle.objects.create(
        program=program, period=period, due_date=period.replace(day=DUE_DAY), created_by=by
    )
    family = [program, *program.subprograms.all()]
    rules = {p.pk: benefit_rule_on(p, period) for p in family}
    rate = pl.DataFrame(
        [(pk, r.amount, r.in_kind, r.in_kind_value) for pk, r in rules.items() if r is not None],
        schema={
            "program_id": pl.Int64,
            "rate": pl.Int64,
            "in_kind": pl.String,
            "in_kind_value": pl.Int64,
        },
        orient="row",
    )
    unsent = Entitlement.objects.filter(
        cycle__program=program, cycle__period__lt=period, status=Entitlement.Status.DUE
    )
    people = pl.DataFrame(
        list(
            Beneficiary.objects.filter(program__in=family)
            .filter(
                # active in the period, or owed arrears of a period never sent (a beneficiary
                # who left since is still paid what was due)
                Q(start_date__lte=end)
                & (Q(exit_date__isnull=True) | Q(exit_date__gte=period))
                & ~Q(status=Beneficiary.Status.EXITED, exit_date__isnull=True)
                | Q(pk__in=Subquery(unsent.values("beneficiary_id")))
            )
            .values_list(
                "id",
                "area_id",
                "program_id",
                "start_date",
                "exit_date",
                "reduction_percent",
                "partner_id",
                "delivery_preference__channel",
            )
        ),
        schema={
            "beneficiary_id": pl.Int64,
            "area_id": pl.String,
            "program_id": pl.Int64,
            "start": pl.Date,
            "exit": pl.Date,
            "reduction": pl.Int64,
            "partner_id": pl.Int64,
            "preferred": pl.String,
        },
        orient="row",
    )
    total_days = (end - period).days + 1
    period_lit, end_lit = pl.lit(period), pl.lit(end)
    frame = (
        people.join(rate, on="program_id", how="inner")
        .with_columns(
            pl.max_horizontal(pl.col("start"), period_lit).alias("from"),
            pl.min_horizontal(pl.col("exit").fill_null(end_lit), end_lit).alias("to"),
        )
        .with_columns(
            ((pl.col("to") - pl.col("from")).dt.total_days() + 1).clip(lower_bound=0).alias("days")
        )
    )
    # suspended days inside the active days of the period are not paid (never carried)
    suspensions = pl.DataFrame(
        list(
            Suspension.objects.filter(beneficiary__program__in=family, start__lte=end)
            .filter(Q(end__isnull=True) | Q(end__gte=period))
            .values_list("beneficiary_id", "start", "end")
        ),
        schema={"beneficiary_id": pl.Int64, "s_start": pl.Date, "s_end": pl.Date},
        orient="row",
    )
    suspended = (
        suspensions.join(frame.select("beneficiary_id", "from", "to"), on="beneficiary_id")
        .with_columns(
            (
                pl.min_horizontal(pl.col("s_end").fill_null(end_lit), pl.col("to"))
                - pl.max_horizontal(pl.col("s_start"), pl.col("from"))
            )
            .dt.total_days()
            .add(1)
            .clip(lower_bound=0)
            .alias("off")
        )
        .group_by("beneficiary_id")
        .agg(pl.col("off").sum().alias("suspended_days"))
    )
    frame = (
        frame.join(suspended, on="beneficiary_id", how="left")
        .with_columns(
            (pl.col("days") - pl.col("suspended_days").fill_null(0))
            .clip(lower_bound=0)
            .alias("days")
        )
        .with_columns(
            # integer arithmetic, floor: rate × days/period-days × (100 − reduction)/100
            (
                pl.col("rate") * pl.col("days") * (100 - pl.col("reduction")) // (total_days * 100)
            ).alias("own_amount")
        )
    )
    # arrears: earlier entitlements never sent (their cycle was not paid out)
    earlier = pl.DataFrame(
        list(unsent.values_list("id", "beneficiary_id", "amount", "months")),
        schema={
            "old_id": pl.Int64,
            "beneficiary_id": pl.Int64,
            "old_amount": pl.Int64,
            "old_months": pl.List(pl.String),
        },
        orient="row",
    )
    arrears = earlier.group_by("beneficiary_id").agg(
        pl.col("old_amount").sum().alias("arrears"),
        pl.col("old_months")
        .list.explode(keep_nulls=False, empty_as_null=False)
        .sort()
        .alias("arrear_months"),
    )
    this_month = period.strftime("%Y-%m")
    frame = frame.join(arrears, on="beneficiary_id", how="left").with_columns(
        pl.col("arrears").fill_null(0),
        pl.col("arrear_months").fill_null([]),
    )
    frame = frame.filter(pl.col("own_amount") + pl.col("arrears") > 0)
    pksa_family = [p.pk for p in family] if program.code == "pksa" else []
    own = pl.col("own_amount") > 0
    months_list = pl.concat_list(
        pl.col("arrear_months"),
        pl.when(own).then(pl.lit([this_month])).otherwise(pl.lit([], dtype=pl.List(pl.String))),
    )
    rows = frame.select(
        pl.lit(cycle.pk, dtype=pl.Int64).alias("cycle_id"),
        pl.col("beneficiary_id"),
        pl.col("area_id"),
        pl.col("own_amount"),
        pl.col("arrears"),
        (pl.col("own_amount") + pl.col("arrears")).alias("amount"),
        # the JSON text Django writes for a list of strings: ["2026-02", "2026-03"]
        (
            pl.lit("[")
            + months_list.list.eval(pl.lit('"') + pl.element() + pl.lit('"')).list.join(", ")
            + pl.lit("]")
        ).alias("months"),
        (pl.col("arrear_months").list.len() + own.cast(pl.Int64)).alias("periods"),
        pl.col("in_kind").fill_null(""),
        pl.when(pl.col("partner_id").is_not_null() & pl.col("program_id").is_in(pksa_family))
        .then(pl.lit(Channel.ACCOUNT.value))
        .otherwise(pl.col("preferred").fill_null(Channel.POST_HOME.value))
        .alias("channel"),
        pl.lit(Entitlement.Status.DUE.value).alias("status"),
        pl.lit(0, dtype=pl.Int64).alias("failed_attempts"),
        pl.lit(False).alias("late"),
    )
    bulk_upsert(
        table=Entitlement._meta.db_table, frame=rows, key=["cycle_id", "beneficiary_id"], update=[]
    )
    # in-kind parts (nutrition packages): one item for each beneficiary active in the period
    items = frame.filter((pl.col("days") > 0) & (pl.col("in_kind").fill_null("") != ""))
    bulk_upsert(
        table=InKindItem._meta.db_table,
        frame=items.select(
            pl.lit(cycle.pk, dtype=pl.Int64).alias("cycle_id"),
            pl.col("beneficiary_id"),
            pl.col("area_id"),
            pl.col("in_kind").alias("description"),
            pl.lit(1, dtype=pl.Int64).alias("quantity"),
            pl.col("in_kind_value").alias("value"),
            pl.lit(InKindItem.Status.DUE.value).alias("status"),
            pl.lit("").alias("delivered_by"),
            pl.lit("").alias("reason"),
        ),
        key=["cycle_id", "beneficiary_id"],
        update=[],
    )
    if earlier.height:
        # the same rows as ``earlier`` (this cycle's new rows are not before the period)
        unsent.update(
            status=Entitlement.Status.CARRIED,
            carried_into=Subquery(
                Entitlement.objects.filter(
                    cycle=cycle, beneficiary_id=OuterRef("beneficiary_id")
                ).values("pk")[:1]
            ),
        )
    audit_record(
        action="create",
        actor=by,
        obj=cycle,
        detail={
            "entitlements": frame.height,
            "total": int(frame["own_amount"].sum() + frame["arrears"].sum()) if frame.height else 0,
            "arrears": int(frame["arrears"].sum()) if frame.height else 0,
            "in_kind_items": items.height,
        },
    )
    transaction.on_commit(lambda: _enqueue_notices(cycle.pk))
    return cycle


def _enqueue_notices(cycle_id: int) -> None:
    from pksai.payments.tasks import queue_payment_notices

    queue_payment_notices.enqueue(cycle_id)


# --- payer batches ----------------------------------------------------------------------

BATCH_COLUMNS = [
    "batch_id",
    "line",
    "payment_id",
    "name",
    "nik",
    "address",
    "area_code",
    "months",
    "amount",
    "channel",
]


def _batch_frame(batch: PayerBatch) -> pl.DataFrame:
    rows = batch.lines.order_by("line").values_list(
        "line",
        "entitlement_id",
        "name",
        "nik",
        "address",
        "area_code",
        "months",
        "amount",
        "channel",
    )
    frame = pl.DataFrame(
        list(rows),
        schema={
            "line": pl.Int64,
            "payment_id": pl.Int64,
            "name": pl.String,
            "nik": pl.String,
            "address": pl.String,
            "area_code": pl.String,
            "months": pl.String,
            "amount": pl.Int64,
            "channel": pl.String,
        },
        orient="row",
    )
    return frame.with_columns(pl.lit(batch.reference).alias("batch_id")).select(BATCH_COLUMNS)


def batch_csv(batch: PayerBatch) -> bytes:
    """The batch in the payer format (docs/payer-format.md); its SHA-256 is the batch's
    checksum, so the payer can check the file is the one registered."""
    frame = _batch_frame(batch)
    content = exports.csv_bytes(frame)  # formula-leading text quoted; amounts stay numbers
    if batch.checksum and hashlib.sha256(content).hexdigest() != batch.checksum:
        # exported before text was quoted (issue 22): its registered bytes, never changed
        plain = frame.write_csv().encode()
        if hashlib.sha256(plain).hexdigest() == batch.checksum:
            return plain
    return content


def batch_xlsx(batch: PayerBatch) -> bytes:
    return exports.xlsx_bytes(_batch_frame(batch), worksheet=batch.reference)


@transaction.atomic
def batch_export(*, by: User, cycle: PaymentCycle, note: str = "") -> PayerBatch:
    """Freeze the lines to send: the first version holds every entitlement not yet sent; a
    correction (a new version, with a note) holds every entitlement of the cycle not paid
    yet. Lines never change once written."""
    require_perm(by, MANAGE)
    last = cycle.batches.order_by("-version").first()
    if last is not None and not note.strip():
        raise ValidationError(_("Say why a new version of the batch is made."))
    wanted = (
        [Entitlement.Status.DUE]
        if last is None
        else [Entitlement.Status.DUE, Entitlement.Status.SENT, Entitlement.Status.FAILED]
    )
    lines = pl.DataFrame(
        list(
            cycle.entitlements.filter(status__in=wanted)
            .order_by("area_id", "beneficiary__person__name", "id")
            .values_list(
                "id",
                "beneficiary__person__name",
                "beneficiary__person__nik",
                "beneficiary__person__household__address",
                "area_id",
                "months",
                "amount",
                "channel",
            )
        ),
        schema={
            "entitlement_id": pl.Int64,
            "name": pl.String,
            "nik": pl.String,
            "address": pl.String,
            "area_code": pl.String,
            "months": pl.List(pl.String),
            "amount": pl.Int64,
            "channel": pl.String,
        },
        orient="row",
    )
    if lines.is_empty():
        raise ValidationError(_("Nothing to send in this cycle."))
    version = (last.version + 1) if last else 1
    reference = f"PAY-{cycle.program.code.upper()}-{cycle.period:%Y%m}-v{version}"
    batch = PayerBatch.objects.create(
        cycle=cycle,
        version=version,
        reference=reference,
        checksum="",
        rows=lines.height,
        total=int(lines["amount"].sum()),
        note=note.strip(),
        created_by=by,
    )
    bulk_upsert(
        table=BatchLine._meta.db_table,
        frame=seal_frame(  # the NIK sealed, the whole column at once (decision 0024)
            BatchLine,
            lines.select(
                pl.lit(batch.pk, dtype=pl.Int64).alias("batch_id"),
                pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("line"),
                pl.col("entitlement_id"),
                pl.col("name"),
                pl.col("nik").fill_null(""),
                pl.col("address").fill_null(""),
                pl.col("area_code"),
                pl.col("months").list.join(";"),
                pl.col("amount"),
                pl.col("channel"),
            ),
        ),
        key=["batch_id", "line"],
        update=[],
    )
    batch.checksum = hashlib.sha256(batch_csv(batch)).hexdigest()
    PayerBatch.objects.filter(pk=batch.pk).update(checksum=batch.checksum)
    # every entitlement still due is in the batch (both kinds of version hold them)
    cycle.entitlements.filter(status=Entitlement.Status.DUE).update(status=Entitlement.Status.SENT)
    audit_record(
        action="export",
        actor=by,
        obj=batch,
        detail={"rows": batch.rows, "total": batch.total, "checksum": batch.checksum},
    )
    return batch


def batch_diff(old: PayerBatch, new: PayerBatch) -> dict[str, list]:
    """What a corrected version changed: entitlements added, removed, or with another
    amount."""
    a = dict(old.lines.values_list("entitlement_id", "amount"))
    b = dict(new.lines.values_list("entitlement_id", "amount"))
    return {
        "added": sorted(set(b) - set(a)),
        "removed": sorted(set(a) - set(b)),
        "changed": sorted((k, a[k], b[k]) for k in set(a) & set(b) if a[k] != b[k]),
    }


# --- payer return files -----------------------------------------------------------------

RETURN_COLUMNS = ["batch_id", "line", "payment_id", "result", "date", "channel", "reason"]
RETURN_COLUMNS += ["paid_by", "countersigned"]


class ReturnResult(ImportCounts):
    """Counts of a return file: created = new events, unchanged = rows already imported."""


def _reason(condition: pl.Expr, column: str, why: str) -> pl.Expr:
    return pl.when(condition).then(pl.lit(f"{column}\u241f{why}"))


def returns_import(*, by: User, batch: PayerBatch, path: str | Path) -> ReturnResult:
    """Import the payer's return file for ``batch`` (CSV/XLSX, docs/payer-format.md)."""
    require_perm(by, MANAGE)
    frame, _name = read_table(path)
    missing = [c for c in ("batch_id", "line", "result", "date") if c not in frame.columns]
    if missing:
        raise ExtractError(
            _("required columns missing from the file: %(columns)s")
            % {"columns": ", ".join(missing)}
        )
    frame = frame.with_columns(
        [pl.lit(None, dtype=pl.String).alias(c) for c in RETURN_COLUMNS if c not in frame.columns]
    ).with_columns(pl.col(c).cast(pl.String).str.strip_chars() for c in RETURN_COLUMNS)
    lines = pl.DataFrame(
        list(batch.lines.values_list("line", "entitlement_id")),
        schema={"line_no": pl.Int64, "entitlement_id": pl.Int64},
        orient="row",
    )
    typed = frame.with_columns(
        pl.col("line").cast(pl.Int64, strict=False).alias("line_no"),
        pl.col("date").str.to_date("%Y-%m-%d", strict=False).alias("on"),
        pl.col("result").str.to_lowercase().alias("result_code"),
        pl.col("channel").str.to_lowercase().alias("channel_code"),
        pl.col("countersigned")
        .str.to_lowercase()
        .is_in(["yes", "y", "ya", "1", "true"])
        .fill_null(False)
        .alias("signed"),
    ).join(lines, on="line_no", how="left")
    first = pl.col(ROW).min().over("line_no", "result_code", "on", "reason")
    today = date.today()  # noqa: DTZ011
    checks = [
        _reason(pl.col("batch_id") != batch.reference, "batch_id", "not this batch"),
        _reason(pl.col("line_no").is_null(), "line", "not a line number"),
        _reason(
            pl.col("line_no").is_not_null() & pl.col("entitlement_id").is_null(),
            "line",
            "not a line of this batch",
        ),
        _reason(
            pl.col("payment_id").is_not_null()
            & (pl.col("payment_id").cast(pl.Int64, strict=False) != pl.col("entitlement_id")),
            "payment_id",
            "does not match the line",
        ),
        _reason(~pl.col("result_code").is_in(["paid", "failed"]), "result", "paid or failed"),
        _reason(pl.col("on").is_null(), "date", "not a date (YYYY-MM-DD)"),
        _reason(pl.col("on") > pl.lit(today), "date", "in the future"),
        _reason(
            pl.col("channel_code").is_not_null() & ~pl.col("channel_code").is_in(Channel.values),
            "channel",
            "unknown channel",
        ),
        _reason(
            (pl.col("result_code") == "failed") & pl.col("reason").is_null(),
            "reason",
            "a failed attempt needs its reason",
        ),
        _reason(pl.col(ROW) != first, "line", "duplicate of an earlier row"),
    ]
    reasons = typed.with_columns(
        pl.concat_list([c.alias(f"c{i}") for i, c in enumerate(checks)]).alias("problems")
    )
    errors = (
        reasons.explode("problems")
        .filter(pl.col("problems").is_not_null())
        .with_columns(pl.col("problems").str.split_exact("\u241f", 1).alias("p"))
        .select(
            pl.col(ROW).alias("row"),
            pl.col("p").struct.field("field_0").alias("column"),
            pl.lit("").alias("value"),
            pl.col("p").struct.field("field_1").alias("reason"),
        )
    )
    errors = errors.cast({k: v for k, v in ERROR_SCHEMA.items() if k in errors.columns})
    good = typed.join(errors.select(pl.col("row").alias(ROW)).unique(), on=ROW, how="anti")
    # the event's key: the same row imported again is the same event
    good = good.with_columns(pl.lit(batch.reference).alias("__batch"))
    key = ["__batch", "line_no", "result_code", "on", "reason"]
    good = good.with_columns(stable_hash(good, key, key=True).alias("row_key"))
    stamp = timezone.now()  # marks this import's new events
    with transaction.atomic():
        before = DeliveryEvent.objects.filter(batch=batch).count()
        bulk_upsert(
            table=DeliveryEvent._meta.db_table,
            frame=good.select(
                pl.col("entitlement_id"),
                pl.lit(batch.pk, dtype=pl.Int64).alias("batch_id"),
                pl.col("result_code").alias("result"),
                pl.col("on"),
                pl.col("channel_code").fill_null("").alias("channel"),
                pl.col("reason").fill_null(""),
                pl.col("paid_by").fill_null(""),
                pl.col("signed").alias("countersigned"),
                pl.col("row_key"),
                pl.lit(stamp).alias("imported_at"),
            ),
            key=["row_key"],
            update=[],
        )
        created = DeliveryEvent.objects.filter(batch=batch).count() - before
        if created:  # only entitlements with a new event can change
            entitlement_status_update(
                Entitlement.objects.filter(
                    pk__in=DeliveryEvent.objects.filter(batch=batch, imported_at=stamp).values(
                        "entitlement_id"
                    )
                )
            )
        audit_record(
            action="update",
            actor=by,
            obj=batch,
            detail={"return_rows": frame.height, "new_events": created, "rejected": errors.height},
        )
    return ReturnResult(
        rows_read=frame.height,
        accepted=good.height,
        created=created,
        updated=0,
        unchanged=good.height - created,
        errors=errors,
    )


def entitlement_status_update(entitlements: QuerySet[Entitlement]) -> int:
    """Recompute the status of ``entitlements`` from all their delivery events: paid (first
    paid date; late after the cycle's 15th; days late counted from the 15th of the earliest
    period covered), held after two failed attempts, failed, or still sent. Events and
    entitlements are read once into frames; the new values go back in one bulk UPDATE."""
    events = pl.DataFrame(
        list(
            DeliveryEvent.objects.filter(entitlement__in=entitlements.values("pk")).values_list(
                "entitlement_id", "result", "on"
            )
        ),
        schema={"id": pl.Int64, "result": pl.String, "on": pl.Date},
        orient="row",
    )
    if events.is_empty():
        return 0
    per = events.group_by("id").agg(
        (pl.col("result") == DeliveryEvent.Result.FAILED.value).sum().alias("failed_attempts"),
        pl.col("on")
        .filter(pl.col("result") == DeliveryEvent.Result.PAID.value)
        .min()
        .alias("paid_on"),
    )
    rows = pl.DataFrame(
        list(entitlements.order_by().values_list("pk", "cycle__due_date", "months", "status")),
        schema={"id": pl.Int64, "due": pl.Date, "months": pl.List(pl.String), "_was": pl.String},
        orient="row",
    )
    first_due = (pl.col("months").list.sort().list.first() + pl.lit(f"-{DUE_DAY:02d}")).str.to_date(
        "%Y-%m-%d", strict=False
    )
    S = Entitlement.Status
    frame = rows.join(per, on="id", how="inner").select(
        pl.col("id"),
        pl.when(pl.col("paid_on").is_not_null())
        .then(pl.lit(S.PAID.value))
        .when(pl.col("failed_attempts") >= HOLD_AFTER)
        .then(pl.lit(S.HELD.value))
        .when(pl.col("failed_attempts") >= 1)
        .then(pl.lit(S.FAILED.value))
        .otherwise(pl.lit(S.SENT.value))
        .alias("status"),
        pl.col("failed_attempts").cast(pl.Int64),
        pl.col("paid_on"),
        (pl.col("paid_on") > pl.col("due")).fill_null(False).alias("late"),
        (pl.col("paid_on") - pl.coalesce(first_due, pl.col("due")))
        .dt.total_days()
        .cast(pl.Int64)
        .alias("days_late"),
    )
    held = frame.join(rows.select("id", "_was"), on="id").filter(
        (pl.col("status") == S.HELD.value) & (pl.col("_was") != S.HELD.value)
    )
    changed = bulk_update(table=Entitlement._meta.db_table, frame=frame, key="id")
    # outbound webhooks, once per entitlement (decision 0035)
    events_emit_bulk(
        kind="payment.delivered", queryset=entitlements.filter(status=S.PAID), once=True
    )
    events_emit_bulk(kind="payment.held", queryset=entitlements.filter(status=S.HELD), once=True)
    if held.height:  # just turned held: tell the beneficiaries where their money waits
        from pksai.payments.notices import held_notices_queue

        held_notices_queue(entitlement_ids=held["id"].to_list())
    return changed


# --- the card ledger and reconciliation ---------------------------------------------------


@dataclass(frozen=True)
class LedgerRow:
    paid_on: date
    amount: int
    months: list[str]
    paid_by: str
    countersigned: bool
    channel: str
    late: bool


def card_ledger(beneficiary: Beneficiary) -> list[LedgerRow]:
    """The membership card: every payment with its date, amount, months covered, who paid
    it and whether the beneficiary countersigned — read from the delivery events."""
    paid = DeliveryEvent.objects.filter(
        entitlement__beneficiary=beneficiary, result=DeliveryEvent.Result.PAID
    ).select_related("entitlement")
    first: dict[int, DeliveryEvent] = {}
    for event in paid.order_by("on", "id"):  # one beneficiary's payments: a few dozen rows
        first.setdefault(event.entitlement_id, event)
    return [
        LedgerRow(
            paid_on=e.on,
            amount=e.entitlement.amount,
            months=e.entitlement.months,
            paid_by=e.paid_by,
            countersigned=e.countersigned,
            channel=e.channel,
            late=e.entitlement.late,
        )
        for e in first.values()
    ]


def reconcile(cycle: PaymentCycle) -> dict:
    """Entitled vs sent vs confirmed paid vs returned, to the rupiah, and the discrepancies —
    grouped sums and two anti-joins in the database, whatever the cycle's size."""
    by_status = dict(
        cycle.entitlements.values_list("status").annotate(total=Sum("amount")).order_by()
    )
    entitled = sum(v for k, v in by_status.items() if k != Entitlement.Status.CARRIED)
    latest = cycle.batches.order_by("-version").first()
    sent = latest.total if latest else 0
    lines = BatchLine.objects.filter(batch=latest) if latest else BatchLine.objects.none()
    differing = lines.exclude(amount=F("entitlement__amount")).values_list(
        "entitlement_id", "amount", "entitlement__amount"
    )
    discrepancies = [
        {"entitlement": pk, "issue": "amount differs", "sent": a, "entitled": e}
        for pk, a, e in differing[:MAX_DISCREPANCIES]
    ]
    unsent_paid = cycle.entitlements.filter(status=Entitlement.Status.PAID).exclude(
        pk__in=lines.values("entitlement_id")
    )
    discrepancies += [
        {"entitlement": pk, "issue": "paid but not in the latest batch"}
        for pk in unsent_paid.values_list("pk", flat=True)[:MAX_DISCREPANCIES]
    ]
    counts = cycle.entitlements.aggregate(
        late=Count("pk", filter=Q(late=True)), bundled=Count("pk", filter=Q(periods__gt=1))
    )
    items = dict(cycle.items.values_list("status").annotate(n=Sum("quantity")).order_by())
    return {
        "entitled": entitled,
        "sent": sent,
        "paid": by_status.get(Entitlement.Status.PAID, 0),
        "held": by_status.get(Entitlement.Status.HELD, 0),
        "failed": by_status.get(Entitlement.Status.FAILED, 0),
        "outstanding": by_status.get(Entitlement.Status.SENT, 0),
        "not_sent": by_status.get(Entitlement.Status.DUE, 0),
        "carried": by_status.get(Entitlement.Status.CARRIED, 0),
        "late": counts["late"],
        "bundled": counts["bundled"],
        "items_due": items.get(InKindItem.Status.DUE, 0),
        "items_delivered": items.get(InKindItem.Status.DELIVERED, 0),
        "items_undelivered": items.get(InKindItem.Status.UNDELIVERED, 0),
        "discrepancies": discrepancies,
    }


# --- in-kind items ------------------------------------------------------------------------

RECORD_ITEMS = "payments.change_inkinditem"


@transaction.atomic
def in_kind_record(
    *,
    by: User,
    items: QuerySet[InKindItem],
    delivered: bool,
    on: date | None = None,
    delivered_by: str = "",
    reason: str = "",
) -> int:
    """Record the delivery (date, by whom — the day-care centre or facilitator) or the
    non-delivery (why) of in-kind items, in one UPDATE. Only items in the user's areas that
    are not delivered yet change; a delivered item is final. Returns how many changed."""
    todo = scoped(items, by, perm=RECORD_ITEMS, area_field="area").exclude(
        status=InKindItem.Status.DELIVERED
    )
    if delivered:
        if on is None:
            raise ValidationError(_("Give the date the items were handed over."))
        if on > timezone.localdate():
            raise ValidationError(_("The delivery date cannot be in the future."))
        changes = {
            "status": InKindItem.Status.DELIVERED,
            "delivered_on": on,
            "delivered_by": delivered_by.strip()[:200],
            "reason": "",
        }
    else:
        if not reason.strip():
            raise ValidationError(_("Say why the items were not delivered."))
        changes = {"status": InKindItem.Status.UNDELIVERED, "reason": reason.strip()[:200]}
    ids = list(todo.values_list("pk", flat=True)[: MAX_ITEMS_PER_RECORD + 1])
    if len(ids) > MAX_ITEMS_PER_RECORD:
        raise ValidationError(
            _("Record at most %(n)s items at once.") % {"n": MAX_ITEMS_PER_RECORD}
        )
    changed = InKindItem.objects.filter(pk__in=ids).update(recorded_by=by, **changes)
    if changed:
        audit_record(
            action="update",
            actor=by,
            obj=InKindItem.objects.get(pk=ids[0]).cycle,
            detail={"in_kind_items": ids, "delivered": delivered, "on": str(on or "")},
        )
    return changed


# --- delivery preferences -------------------------------------------------------------------

POST_CHANNELS = [c for c in Channel.values if c != Channel.ACCOUNT]


@transaction.atomic
def delivery_preference_set(
    *, by: User, beneficiary: Beneficiary, channel: str, reason: str = ""
) -> DeliveryPreference:
    """Record how the post office should deliver this beneficiary's cash from the next
    cycle on (cycles already generated keep their channel)."""
    require_perm(by, MANAGE)
    if not scope_for(by).covers(beneficiary.area_id):
        raise PermissionDenied("beneficiary outside the user's scope")
    if channel not in POST_CHANNELS:
        raise ValidationError({"channel": [_("Choose how the post office delivers.")]})
    preference, _created = DeliveryPreference.objects.update_or_create(
        beneficiary=beneficiary,
        defaults={"channel": channel, "reason": reason.strip()[:200], "updated_by": by},
    )
    audit_record(
        action="update", actor=by, obj=beneficiary, detail={"delivery": channel, "reason": reason}
    )
    return preference
