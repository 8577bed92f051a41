"""Demo payments: cycles for the last two months of JSLU/JSPACA demo beneficiaries, one
exported and its return file imported; the year's PKSA cycle with savings accounts credited,
an approved plan and a withdrawal, nutrition packages partly delivered; one suspension;
running it again creates nothing."""

from datetime import date

from pksai.cases.tests.test_demo import pilot_sites  # noqa: F401  (the five pilot regencies)
from pksai.payments.demo import demo_payments
from pksai.payments.models import (
    DeliveryEvent,
    Entitlement,
    FundPlan,
    InKindItem,
    PayerBatch,
    PaymentCycle,
    SavingsAccount,
    SavingsEntry,
)
from pksai.programs.demo import demo_programs
from pksai.programs.models import Suspension
from pksai.registry.models import Person
from pksai.vulnerability.services import score_people


def test_demo_payments_is_idempotent(pilot_sites):  # noqa: F811
    # The test registry is tiny: its only severely disabled adults receive PKH/BPNT, which
    # Table 3 excludes from JSPACA ("not currently receiving other assistance from
    # government"). Here they receive none, so the demo has JSPACA beneficiaries to pay.
    Person.objects.filter(disability_severity="severe").update(other_programs="")
    score_people()
    demo_programs()
    today = date(2026, 11, 23)
    result = demo_payments(today)
    assert result.cycles == PaymentCycle.objects.count() > 0
    assert set(
        PaymentCycle.objects.exclude(program__code="pksa").values_list("period", flat=True)
    ) <= {date(2026, 9, 1), date(2026, 10, 1)}
    [batch] = PayerBatch.objects.exclude(cycle__program__code="pksa")
    assert batch.cycle.period == date(2026, 9, 1)
    assert result.events == DeliveryEvent.objects.count() > 0
    statuses = set(Entitlement.objects.filter(cycle=batch.cycle).values_list("status", flat=True))
    assert "paid" in statuses
    assert result.batches == PayerBatch.objects.count()

    # PKSA: accounts credited from the year's cycle, a plan approved, one withdrawal
    pksa = PaymentCycle.objects.get(program__code="pksa")
    assert pksa.period == date(2026, 1, 1)
    assert result.accounts == SavingsAccount.objects.count() > 0
    assert result.deposits == SavingsEntry.objects.filter(kind="deposit").count() > 0
    assert result.withdrawals == SavingsEntry.objects.filter(kind="withdrawal").count() == 1
    assert FundPlan.objects.get().status == "approved"
    items = InKindItem.objects.filter(cycle=pksa)
    assert result.items_delivered == items.filter(status="delivered").count()
    if items.count() > 1:
        assert items.filter(status="due").exists()
    assert result.suspensions == Suspension.objects.count() == 1

    counts = (
        SavingsAccount.objects.count(),
        SavingsEntry.objects.count(),
        FundPlan.objects.count(),
        InKindItem.objects.filter(status="delivered").count(),
        Suspension.objects.count(),
    )
    again = demo_payments(today)
    assert (again.cycles, again.batches, again.events) == (0, 0, 0)
    assert (again.accounts, again.deposits, again.withdrawals, again.suspensions) == (0, 0, 0, 0)
    assert PaymentCycle.objects.count() == result.cycles
    assert counts == (
        SavingsAccount.objects.count(),
        SavingsEntry.objects.count(),
        FundPlan.objects.count(),
        InKindItem.objects.filter(status="delivered").count(),
        Suspension.objects.count(),
    )
