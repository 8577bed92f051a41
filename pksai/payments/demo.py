"""Demo payments: JSLU and JSPACA cycles for the two months before the current one, for the
demo beneficiaries (pksai.programs.demo); the older cycle with beneficiaries is exported to the
payer and its return file imported (most paid on the 10th, one paid late on the 20th, one
held after two failed attempts).

Everything goes through the services with a demo program officer as the actor. Running it
again creates nothing new: a cycle is only generated while it does not exist, and a batch only
exported while its cycle has none."""

import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from pksai.accounts.demo import PILOT_SITES
from pksai.accounts.models import User
from pksai.payments import services
from pksai.payments.models import PayerBatch, PaymentCycle
from pksai.programs.models import Beneficiary, Program

PROGRAMS = ("jslu", "jspaca")


@dataclass
class DemoPayments:
    cycles: int = 0
    batches: int = 0
    events: int = 0


def _officer() -> User | None:
    for slug, _code, _name in PILOT_SITES:
        user = User.objects.filter(username=f"{slug}.program_officer", is_active=True).first()
        if user is not None and user.has_perm(services.MANAGE):
            return user
    return None


def demo_payments(today: date | None = None) -> DemoPayments:
    result = DemoPayments()
    officer = _officer()
    if officer is None:
        return result
    this_month = (today or timezone.localdate()).replace(day=1)
    months = [services._add_months(this_month, -2), services._add_months(this_month, -1)]
    exported = PayerBatch.objects.filter(cycle__period__in=months).exists()
    for period in months:  # in order: the older cycle is sent before the next one carries it
        end = services._add_months(period, 1) - timedelta(days=1)
        for code in PROGRAMS:
            program = Program.objects.filter(code=code, parent__isnull=True).first()
            if program is None:
                continue
            active = Beneficiary.objects.filter(
                Q(program=program) | Q(program__parent=program), start_date__lte=end
            )
            if (
                not active.exists()
                or PaymentCycle.objects.filter(program=program, period=period).exists()
            ):
                continue
            try:
                cycle = services.cycle_generate(by=officer, program=program, period=period)
            except ValidationError:
                continue
            result.cycles += 1
            if not exported and period == months[0] and cycle.entitlements.exists():
                batch = services.batch_export(by=officer, cycle=cycle)
                exported = True
                result.batches += 1
                result.events += _return(officer, batch)
    return result


def _return(officer: User, batch: PayerBatch) -> int:
    """The payer's return file: paid on the 10th, the second line on the 20th (late), the
    first line absent twice (held at the post office)."""
    period = batch.cycle.period
    lines = list(batch.lines.order_by("line").values_list("line", "entitlement_id"))
    header = "batch_id,line,payment_id,result,date,channel,reason,paid_by,countersigned\n"
    rows = []
    for i, (line, pid) in enumerate(lines):
        if i == 0 and len(lines) > 2:
            for day in (8, 12):
                on = period.replace(day=day)
                rows.append(f"{line},{pid},failed,{on},post_home,tidak di rumah,Petugas Pos,no")
        else:
            on = period.replace(day=20 if i == 1 else 10)
            rows.append(f"{line},{pid},paid,{on},post_home,,Petugas Pos,yes")
    text = header + "".join(f"{batch.reference},{row}\n" for row in rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "return.csv"
        path.write_text(text)
        return services.returns_import(by=officer, batch=batch, path=path).created
