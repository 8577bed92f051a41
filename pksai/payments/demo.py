"""Demo payments: JSLU and JSPACA cycles for the two months before the current one, for the
demo beneficiaries (pksai.programs.demo); the older cycle with beneficiaries is exported to the
payer and its return file imported (most paid on the 10th, one paid late on the 20th, one
held after two failed attempts).

PKSA: the current year's PKSA cycle for the demo children of the first pilot site, three of
them placed with a demo LKSA (their payment goes to a child savings account): accounts opened,
the cycle exported and paid, the payments credited to the accounts, an approved
fund-utilisation plan with one withdrawal, and half of the PKS-ABT nutrition packages recorded
as delivered. One JSLU or JSPACA beneficiary is suspended from this month.

Everything goes through the services with a demo program officer as the actor — the plan is
approved by the ministry's demo program officer, as who drafts a plan does not approve it
(only the LKSA placement of the three children is set directly: it comes from a partner's
proposal in real use). Running it again creates nothing new: a cycle is only generated while
it does not exist, a batch only exported while its cycle has none, an account only opened for a
child without one, a plan only drafted for an account without one, a suspension only started
while none exists."""

import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from pksai.accounts.demo import PILOT_SITES
from pksai.accounts.models import Organisation, User
from pksai.accounts.scoping import scope_for
from pksai.payments import savings, services
from pksai.payments.models import InKindItem, PayerBatch, PaymentCycle, SavingsAccount
from pksai.programs import compliance
from pksai.programs.models import Beneficiary, Program, Suspension

PROGRAMS = ("jslu", "jspaca")
APPROVER = "national.program_officer"  # approves the demo plan (four eyes)


@dataclass
class DemoPayments:
    cycles: int = 0
    batches: int = 0
    events: int = 0
    accounts: int = 0
    deposits: int = 0
    withdrawals: int = 0
    items_delivered: int = 0
    suspensions: int = 0


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
    _pksa(result, officer, this_month)
    _suspension(result, this_month)
    return result


SAVERS = 3  # PKSA children placed with the demo LKSA, each with a savings account


def _pksa(result: DemoPayments, officer: User, this_month: date) -> None:
    """The year's PKSA cycle with three children's savings accounts, paid and credited; an
    approved plan and a withdrawal on the first account; half the nutrition packages handed
    over. Skipped once the cycle exists."""
    program = Program.objects.filter(code=savings.PKSA, parent__isnull=True).first()
    period = this_month.replace(month=1)
    if program is None or PaymentCycle.objects.filter(program=program, period=period).exists():
        return
    children = Beneficiary.objects.filter(
        scope_for(officer).q("area"),
        Q(program=program) | Q(program__parent=program),
        status=Beneficiary.Status.ACTIVE,
        start_date__lt=this_month,
    ).order_by("id")
    if not children.exists():
        return
    first = children.select_related("area").first()
    lksa, _created = Organisation.objects.get_or_create(
        name="LKSA Harapan Bangsa (demo)",
        kind=Organisation.Kind.LKSA,
        defaults={"area_id": first.area_id, "address": "Jl. Demo No. 1"},
    )
    savers = list(children.filter(savings_account__isnull=True)[:SAVERS])
    Beneficiary.objects.filter(pk__in=[b.pk for b in savers], partner__isnull=True).update(
        partner=lksa
    )
    for child in Beneficiary.objects.filter(pk__in=[b.pk for b in savers]).select_related(
        "person", "program__parent", "partner"
    ):
        try:
            savings.account_open(
                by=officer,
                beneficiary=child,
                number=f"DEMO-{child.pk:07d}",
                guardian_name=f"Wali {child.person.name}"[:200],
                opened_on=period,
            )
        except ValidationError:  # placed with another partner that is not an LKSA
            continue
        result.accounts += 1
    try:
        cycle = services.cycle_generate(by=officer, program=program, period=period)
    except ValidationError:
        return
    result.cycles += 1
    if cycle.entitlements.exists():
        batch = services.batch_export(by=officer, cycle=cycle)
        result.batches += 1
        result.events += _return(officer, batch, paid_on=_add_days(this_month, -20))
        result.deposits += savings.deposits_from_cycle(by=officer, cycle=cycle).deposited
    account = (
        SavingsAccount.objects.filter(plans__isnull=True, entries__kind="deposit")
        .order_by("id")
        .first()
    )
    approver = User.objects.filter(username=APPROVER, is_active=True).first()
    if account is not None and approver is not None:
        plan = savings.plan_create(
            by=officer,
            account=account,
            items=[("Seragam dan sepatu sekolah", 350_000), ("Buku dan alat tulis", 200_000)],
            needs_assessment="Anak masuk sekolah dasar; perlu seragam, sepatu dan buku.",
        )
        plan = savings.plan_approve(by=approver, plan=plan)  # four eyes: not who drafted it
        uniform = plan.items.order_by("id").first()
        amount = min(150_000, savings.balance(account))
        if amount > 0:
            savings.withdraw(
                by=officer,
                account=account,
                item=uniform,
                amount=amount,
                purpose="Seragam sekolah dibeli di koperasi sekolah",
                on=_add_days(this_month, -10),
            )
            result.withdrawals += 1
    due = list(cycle.items.filter(status=InKindItem.Status.DUE).values_list("pk", flat=True))
    if due:
        result.items_delivered += services.in_kind_record(
            by=officer,
            items=InKindItem.objects.filter(pk__in=due[: (len(due) + 1) // 2]),
            delivered=True,
            on=_add_days(this_month, -15),
            delivered_by="TAS Melati (demo)",
        )


def _suspension(result: DemoPayments, this_month: date) -> None:
    """One JSLU/JSPACA beneficiary suspended from this month, under review — by the program
    officer of the beneficiary's pilot site."""
    if Suspension.objects.exists():
        return
    candidates = Beneficiary.objects.filter(
        program__code__in=PROGRAMS, status=Beneficiary.Status.ACTIVE, start_date__lt=this_month
    ).order_by("-id")
    for slug, code, _name in PILOT_SITES:
        elder = candidates.filter(area__code__startswith=code + ".").first()
        officer = User.objects.filter(username=f"{slug}.program_officer", is_active=True).first()
        if elder is None or officer is None or not officer.has_perm(compliance.SUSPEND):
            continue
        compliance.suspension_start(
            by=officer,
            beneficiary=elder,
            start=this_month,
            reason="Dalam pemeriksaan: dilaporkan pindah ke luar daerah (demo).",
        )
        result.suspensions += 1
        return


def _add_days(day: date, days: int) -> date:
    return day + timedelta(days=days)


def _return(officer: User, batch: PayerBatch, *, paid_on: date | None = None) -> int:
    """The payer's return file: paid on the 10th, the second line on the 20th (late), the
    first line absent twice (held at the post office). With ``paid_on`` (a yearly PKSA
    payment) every line is paid that day, through its own channel."""
    period = batch.cycle.period
    lines = list(batch.lines.order_by("line").values_list("line", "entitlement_id", "channel"))
    header = "batch_id,line,payment_id,result,date,channel,reason,paid_by,countersigned\n"
    rows = []
    for i, (line, pid, channel) in enumerate(lines):
        if paid_on is not None:
            by = "Bank (rekening anak)" if channel == "account" else "Petugas Pos"
            rows.append(f"{line},{pid},paid,{paid_on},{channel},,{by},yes")
        elif i == 0 and len(lines) > 2:
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
