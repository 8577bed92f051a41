"""Three monthly JSLU cycles for 1,000 beneficiaries, a payer return file with failed
attempts, a month funded late (carried into the next: a two-month bundle) and a month paid
after the 15th: entitlements, arrears, held status, card ledgers and reconciliation exact to
the rupiah; re-importing the return file changes nothing."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count

from pksai.accounts.tests.factories import make_user
from pksai.payments import services
from pksai.payments.models import Entitlement, PayerBatch
from pksai.programs.models import Beneficiary, BenefitRule, Program
from pksai.registry.models import Household, Person

N = 1000
FULL = 300_000


@pytest.fixture
def officer(pilot_areas):
    return make_user("po", roles=["program_officer"], scope=["73.71"])


@pytest.fixture
def people(officer):
    """1,000 JSLU beneficiaries: 990 since December, 8 starting 16 January, one leaving on
    10 February, one with a confirmed 25 % reduction."""
    jslu = Program.objects.get(code="jslu")
    rule = BenefitRule.objects.get(program=jslu)
    households = Household.objects.bulk_create(
        [
            Household(source="T", registry_id=f"H{i}", village_id="73.71.01.1001", row_hash="-")
            for i in range(N)
        ]
    )
    persons = Person.objects.bulk_create(
        [
            Person(
                household=h,
                source="T",
                household_key=h.registry_id,
                person_key="1",
                village_id="73.71.01.1001",
                name=f"Lansia {i:04d}",
                sex="F",
                birth_date=date(1950, 1, 1),
                relationship="head",
                row_hash="-",
            )
            for i, h in enumerate(households)
        ]
    )
    starts = [date(2025, 12, 1)] * 990 + [date(2026, 1, 16)] * 8 + [date(2025, 12, 1)] * 2
    beneficiaries = Beneficiary.objects.bulk_create(
        [
            Beneficiary(
                program=jslu,
                person=p,
                area_id="73.71.01.1001",
                start_date=start,
                benefit_rule=rule,
            )
            for p, start in zip(persons, starts, strict=True)
        ]
    )
    leaver, reduced = beneficiaries[998], beneficiaries[999]
    Beneficiary.objects.filter(pk=leaver.pk).update(
        status="exited", exit_reason="moved", exit_date=date(2026, 2, 10)
    )
    Beneficiary.objects.filter(pk=reduced.pk).update(reduction_percent=25)
    return {
        "all": beneficiaries,
        "late_start": beneficiaries[990:998],
        "leaver": leaver,
        "reduced": reduced,
        "jslu": jslu,
    }


def return_file(tmp_path, name, batch, rows):
    text = "batch_id,line,payment_id,result,date,channel,reason,paid_by,countersigned\n"
    text += "".join(
        f"{batch.reference},{line},{pid},{result},{on},{channel},{reason},Petugas Pos,{signed}\n"
        for line, pid, result, on, channel, reason, signed in rows
    )
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.django_db
def test_three_monthly_jslu_cycles_to_the_rupiah(officer, people, tmp_path):
    jslu = people["jslu"]
    # January: everyone; eight start on the 16th (16 of 31 days), one is reduced by 25 %
    jan = services.cycle_generate(by=officer, program=jslu, period=date(2026, 1, 1))
    late_start = Entitlement.objects.get(cycle=jan, beneficiary=people["late_start"][0])
    assert late_start.amount == 300_000 * 16 // 31 == 154_838
    assert Entitlement.objects.get(cycle=jan, beneficiary=people["reduced"]).amount == 225_000
    jan_total = 991 * FULL + 8 * 154_838 + 225_000
    assert services.reconcile(jan)["entitled"] == jan_total
    with pytest.raises(ValidationError):
        services.cycle_generate(by=officer, program=jslu, period=date(2026, 1, 1))
    batch = services.batch_export(by=officer, cycle=jan)
    assert (batch.rows, batch.total) == (N, jan_total)
    import hashlib

    assert hashlib.sha256(services.batch_csv(batch)).hexdigest() == batch.checksum
    lines = list(batch.lines.order_by("line").values_list("line", "entitlement_id"))
    held = lines[:3]  # absent at two delivery attempts
    retried = lines[3:5]  # absent once, paid at the second attempt
    rows = []
    for line, pid in held:
        rows += [(line, pid, "failed", "2026-01-08", "post_home", "tidak di rumah", "no")]
        rows += [(line, pid, "failed", "2026-01-12", "post_home", "tidak di rumah", "no")]
    for line, pid in retried:
        rows += [(line, pid, "failed", "2026-01-08", "post_home", "tidak di rumah", "no")]
        rows += [(line, pid, "paid", "2026-01-14", "post_home", "", "yes")]
    rows += [(line, pid, "paid", "2026-01-10", "post_home", "", "yes") for line, pid in lines[5:]]
    rows += [(9999, 1, "paid", "2026-01-10", "post_home", "", "yes")]  # not a line: rejected
    rows += [(lines[5][0], lines[5][1], "lost", "2026-01-10", "post_home", "", "yes")]
    path = return_file(tmp_path, "jan.csv", batch, rows)
    result = services.returns_import(by=officer, batch=batch, path=path)
    assert result.rejected == 2 and result.created == len(rows) - 2
    assert sorted(result.errors["reason"].to_list()) == [
        "not a line of this batch",
        "paid or failed",
    ]
    statuses = dict(
        Entitlement.objects.filter(cycle=jan).values_list("status").annotate(n=Count("id"))
    )
    assert statuses == {"held": 3, "paid": N - 3}
    jan_rec = services.reconcile(jan)
    held_total = sum(Entitlement.objects.get(pk=pid).amount for _l, pid in held)
    assert jan_rec["paid"] + jan_rec["held"] == jan_rec["entitled"] == jan_rec["sent"]
    assert jan_rec["held"] == held_total and jan_rec["late"] == 0 and not jan_rec["discrepancies"]
    # re-importing the same file changes nothing
    again = services.returns_import(by=officer, batch=batch, path=path)
    assert (again.created, again.unchanged) == (0, len(rows) - 2)
    assert services.reconcile(jan) == jan_rec

    # February is generated but not funded: nothing is sent
    feb = services.cycle_generate(by=officer, program=jslu, period=date(2026, 2, 1))
    leaver_feb = Entitlement.objects.get(cycle=feb, beneficiary=people["leaver"])
    assert leaver_feb.amount == 300_000 * 10 // 28 == 107_142

    # March carries February: a two-month payment, paid on the 20th (late)
    mar = services.cycle_generate(by=officer, program=jslu, period=date(2026, 3, 1))
    assert not Entitlement.objects.filter(cycle=feb).exclude(status="carried").exists()
    bundle = Entitlement.objects.get(cycle=mar, beneficiary=people["all"][10])
    assert (bundle.own_amount, bundle.arrears, bundle.amount) == (FULL, FULL, 2 * FULL)
    assert bundle.months == ["2026-02", "2026-03"] and bundle.bundled
    gone = Entitlement.objects.get(cycle=mar, beneficiary=people["leaver"])
    assert (gone.own_amount, gone.arrears, gone.months) == (0, 107_142, ["2026-02"])
    feb_total = 990 * FULL + 8 * FULL + 107_142 + 225_000
    mar_own = 990 * FULL + 8 * FULL + 225_000
    mar_rec_before = services.reconcile(mar)
    assert mar_rec_before["entitled"] == feb_total + mar_own
    assert services.reconcile(feb)["carried"] == feb_total
    mar_batch = services.batch_export(by=officer, cycle=mar)
    mar_rows = [
        (line, pid, "paid", "2026-03-20", "post_office", "", "yes")
        for line, pid in mar_batch.lines.values_list("line", "entitlement_id")
    ]
    services.returns_import(
        by=officer, batch=mar_batch, path=return_file(tmp_path, "mar.csv", mar_batch, mar_rows)
    )
    mar_rec = services.reconcile(mar)
    assert mar_rec["paid"] == mar_rec["entitled"] == mar_batch.total == feb_total + mar_own
    # all paid after the 15th; all but the leaver (owed February only) cover two months
    assert mar_rec["late"] == N and mar_rec["bundled"] == N - 1
    # days late count from the 15th of the earliest month a payment covers
    assert bundle.__class__.objects.get(pk=bundle.pk).days_late == (20 - 15) + 28 == 33
    assert Entitlement.objects.get(pk=gone.pk).days_late == 33
    jan_days = dict(
        Entitlement.objects.filter(cycle=jan).values_list("days_late").annotate(n=Count("id"))
    )
    assert jan_days == {-5: N - 5, -1: 2, None: 3}  # paid on the 10th, the 14th; held

    # the card of a bundled beneficiary: January, then February + March together, late
    card = services.card_ledger(people["all"][10])
    assert [(r.paid_on, r.amount, r.months, r.late) for r in card] == [
        (date(2026, 1, 10), FULL, ["2026-01"], False),
        (date(2026, 3, 20), 2 * FULL, ["2026-02", "2026-03"], True),
    ]
    assert all(r.countersigned and r.paid_by == "Petugas Pos" for r in card)
    # a held one: January never paid, so only March on the card
    held_card = services.card_ledger(Entitlement.objects.get(pk=held[0][1]).beneficiary)
    assert [r.months for r in held_card] == [["2026-02", "2026-03"]]


@pytest.mark.django_db
def test_an_exported_batch_never_changes_and_a_correction_is_a_new_version(officer, people):
    jan = services.cycle_generate(by=officer, program=people["jslu"], period=date(2026, 1, 1))
    first = services.batch_export(by=officer, cycle=jan)
    with pytest.raises(ValidationError):  # a new version needs a reason
        services.batch_export(by=officer, cycle=jan)
    # the payer lost three lines: they are sent again in version 2 (not yet paid)
    second = services.batch_export(by=officer, cycle=jan, note="Berkas rusak, kirim ulang")
    assert (second.version, second.rows) == (2, N)
    assert services.batch_diff(first, second) == {"added": [], "removed": [], "changed": []}
    assert PayerBatch.objects.get(pk=first.pk).checksum == first.checksum
    assert first.reference != second.reference
