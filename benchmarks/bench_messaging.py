"""Payment notices for a JSLU cycle of BENCH_MESSAGING_BENEFICIARIES beneficiaries (10,000).

Acceptance (issue 20): "A payment cycle for 10,000 beneficiaries queues its notices in one
background task without a query per beneficiary; make bench prints the time." Creates the
beneficiaries in bulk (as bench_payments does), gives 90 % of them a consent to be contacted
by SMS for payments (10 % never asked: recorded as refused), generates the January cycle, then
times what the one background task does — ``payment_notices_queue``: one read of the
entitlements, one of the consents, one bulk insert of sealed messages — and counts its
queries. Sending is the worker's and the provider's pace (rate limits), not timed here."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime

import polars as pl

BENEFICIARIES = int(os.environ.get("BENCH_MESSAGING_BENEFICIARIES", 10_000))
PERIOD = date(2026, 1, 1)
LIMIT = 60.0  # seconds: generous; the point is no query per beneficiary


def _consents(share: float = 0.9) -> int:
    """Consents for ``share`` of the JSLU beneficiaries, written in bulk (sealed, hashed)."""
    from pksai.core.bulk import bulk_insert
    from pksai.core.fields import seal_frame
    from pksai.messaging.contacts import contact_hash_many
    from pksai.messaging.models import ContactConsent
    from pksai.programs.models import Beneficiary

    ids = list(
        Beneficiary.objects.filter(program__code="jslu", contact_consents__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chosen = ids[: int(len(ids) * share)]
    phones = [f"+62812{pk:08d}" for pk in chosen]
    n = len(chosen)
    frame = pl.DataFrame(
        {
            "recipient": phones,
            "recipient_hash": contact_hash_many(phones),
            "channel": ["sms"] * n,
            "purpose": ["payment"] * n,
            "beneficiary_id": chosen,
            "language": ["id"] * n,
            "given_at": [datetime.now(UTC)] * n,
            "source": ["staff"] * n,
            "withdrawn_how": [""] * n,
        },
        schema_overrides={"given_at": pl.Datetime("us", "UTC")},
    )
    bulk_insert(table=ContactConsent._meta.db_table, frame=seal_frame(ContactConsent, frame))
    return n


def run(beneficiaries: int | None = None) -> list[dict]:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from benchmarks.bench_payments import _make
    from benchmarks.bench_programs import REGENCY, _areas
    from pksai.accounts.models import User
    from pksai.accounts.tests.factories import make_user
    from pksai.messaging.models import Message
    from pksai.payments import services
    from pksai.payments.models import PaymentCycle
    from pksai.payments.notices import payment_notices_queue
    from pksai.programs.models import Program

    n = beneficiaries or BENEFICIARIES
    started = time.perf_counter()
    with transaction.atomic():
        villages = _areas()
        officer = User.objects.filter(username="bench.msg.po").first() or make_user(
            "bench.msg.po", roles=["program_officer"], scope=[REGENCY[0]]
        )
        _make(n, villages)
        consented = _consents()
    print(
        f"  {n:,} JSLU beneficiaries, {consented:,} consents: {time.perf_counter() - started:.1f} s"
    )
    jslu = Program.objects.get(code="jslu")
    cycle = PaymentCycle.objects.filter(program=jslu, period=PERIOD).first()
    if cycle is None:
        with transaction.atomic():
            cycle = services.cycle_generate(by=officer, program=jslu, period=PERIOD)
    before = Message.objects.count()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        counts = payment_notices_queue(cycle_id=cycle.pk)
    seconds = time.perf_counter() - started
    written = Message.objects.count() - before
    print(
        f"  payment_notices_queue, {n:,} beneficiaries: {seconds:.2f} s, {written:,} messages "
        f"({counts}), {len(queries)} queries"
    )
    return [
        {
            "goal": f"notices of a {n:,}-beneficiary cycle queued in one task, no query each",
            "value": f"{seconds:.2f} s, {len(queries)} queries",
            "passed": seconds < LIMIT and len(queries) < 20,
        }
    ]
