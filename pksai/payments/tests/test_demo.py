"""Demo payments: cycles for the last two months of JSLU/JSPACA demo beneficiaries, one
exported and its return file imported; running it again creates nothing."""

from datetime import date

from pksai.cases.tests.test_demo import pilot_sites  # noqa: F401  (the five pilot regencies)
from pksai.payments.demo import demo_payments
from pksai.payments.models import DeliveryEvent, Entitlement, PayerBatch, PaymentCycle
from pksai.programs.demo import demo_programs
from pksai.vulnerability.services import score_people


def test_demo_payments_is_idempotent(pilot_sites):  # noqa: F811
    score_people()
    demo_programs()
    today = date(2026, 11, 23)
    result = demo_payments(today)
    assert result.cycles == PaymentCycle.objects.count() > 0
    assert set(PaymentCycle.objects.values_list("period", flat=True)) <= {
        date(2026, 9, 1),
        date(2026, 10, 1),
    }
    [batch] = PayerBatch.objects.all()
    assert batch.cycle.period == date(2026, 9, 1) and result.batches == 1
    assert result.events == DeliveryEvent.objects.count() > 0
    statuses = set(Entitlement.objects.filter(cycle=batch.cycle).values_list("status", flat=True))
    assert "paid" in statuses
    again = demo_payments(today)
    assert (again.cycles, again.batches, again.events) == (0, 0, 0)
    assert PaymentCycle.objects.count() == result.cycles
