"""Facilitation: caseloads against the program's maximum on the supervisor's home page, and
the monthly facilitator report made from the visit logs."""

import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.programs import facilitation
from pksai.programs.models import Beneficiary, BenefitRule, Program
from pksai.programs.tests.factories import make_person


def _page(response, query: str) -> str:
    """A page without what differs by construction: the query asked and the CSRF token."""
    return re.sub(r"\b[A-Za-z0-9]{64}\b", "", response.text.replace(query, ""))


def english(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en"})


def beneficiaries(n: int, facilitator, program_code="jslu", start=date(2026, 1, 1)):
    program = Program.objects.get(code=program_code)
    rule = BenefitRule.objects.filter(program=program).first()
    return Beneficiary.objects.bulk_create(
        [
            Beneficiary(
                program=program,
                person=make_person(f"Lansia {i}"),
                area_id="73.71.01.1001",
                start_date=start,
                benefit_rule=rule,
                facilitator=facilitator,
            )
            for i in range(n)
        ]
    )


@pytest.fixture
def people(team):
    return {
        **team,
        "officer": make_user("po", roles=["program_officer"], scope=["73.71"]),
        "busy": make_user("busy", roles=["social_worker"], scope=["73.71"]),
    }


@pytest.mark.django_db
def test_a_facilitator_above_the_maximum_is_flagged_on_the_supervisors_home(client, people):
    Program.objects.filter(code="jslu").update(caseload_max=5)
    beneficiaries(6, people["busy"])
    beneficiaries(3, people["worker"])
    over = facilitation.caseloads(user=people["supervisor"], over_only=True)
    assert [(c.username, c.active, c.limit) for c in over] == [("busy", 6, 5)]
    english(client, people["supervisor"])
    home = client.get("/")
    section = home.text.split('id="caseloads"')[1].split("</section>")[0]
    assert "busy" in section and "sw" not in section
    # a Gowa supervisor does not see Makassar's facilitators
    gowa = make_user("gspv", roles=["supervisor"], scope=["73.06"])
    assert facilitation.caseloads(user=gowa) == []
    english(client, people["worker"])  # workers have no caseload table
    assert 'id="caseloads"' not in client.get("/").text


@pytest.mark.django_db
def test_the_monthly_report_lists_the_months_visits_and_topics_from_the_logs(client, people):
    worker = people["worker"]
    first, second = beneficiaries(2, worker)
    today = timezone.localdate()
    last_month = today.replace(day=1) - timedelta(days=1)
    facilitation.visit_log(
        by=worker,
        beneficiary=first,
        visited_on=today,
        topics=["fund_plan", "school"],
        notes="Rencana penggunaan dana dibahas.",
    )
    facilitation.visit_log(
        by=worker, beneficiary=first, visited_on=last_month, topics=["jobs"], notes="Bulan lalu"
    )
    with pytest.raises(PermissionDenied):  # not their facilitator
        facilitation.visit_log(
            by=people["other_worker"], beneficiary=second, visited_on=today, topics=["jobs"]
        )
    with pytest.raises(ValidationError):
        facilitation.visit_log(by=worker, beneficiary=second, visited_on=today, topics=[])
    report = facilitation.month_report(
        user=worker, facilitator=worker, year=today.year, month=today.month
    )
    assert [v.notes for v in report.visits] == ["Rencana penggunaan dana dibahas."]
    assert report.by_topic["fund_plan"] == 1 and report.by_topic["jobs"] == 0
    assert [b.pk for b in report.not_visited] == [second.pk]
    english(client, people["supervisor"])
    page = client.get(f"/facilitation/report/?facilitator=sw&month={today:%Y-%m}")
    assert page.status_code == 200
    assert "Rencana penggunaan dana dibahas." in page.text and "Bulan lalu" not in page.text
    assert "fund-utilisation plan" in page.text
    assert 'name="purpose"' in page.text  # the CSV has names: a stated purpose
    refused = client.get(f"/facilitation/report/?facilitator=sw&month={today:%Y-%m}&format=csv")
    assert refused.status_code == 302
    assert refused.url == f"/facilitation/report/?facilitator=sw&month={today:%Y-%m}"
    assert not AuditEvent.objects.filter(
        action="export", object_type="programs.facilitationvisit"
    ).exists()
    csv = client.get(
        f"/facilitation/report/?facilitator=sw&month={today:%Y-%m}&format=csv&purpose=review"
    )
    assert csv.status_code == 200 and "Rencana penggunaan dana" in csv.content.decode()
    assert "purpose: review" in csv["X-PKSAI-Watermark"]
    event = AuditEvent.objects.get(action="export", object_type="programs.facilitationvisit")
    assert event.detail["purpose"] == "review" and event.detail["personal_data"]
    # another worker may not read it; a Gowa supervisor neither — and neither can tell the
    # real username from a missing one (issue 22): the same 404, the real one audited
    for reader in (
        people["other_worker"],
        make_user("gspv", roles=["supervisor"], scope=["73.06"]),
    ):
        english(client, reader)
        client.get("/")  # shows (and so clears) a message left from the export refused above
        real = client.get("/facilitation/report/?facilitator=sw")
        missing = client.get("/facilitation/report/?facilitator=no-such-user")
        assert real.status_code == missing.status_code == 404
        assert _page(real, "facilitator=sw") == _page(missing, "facilitator=no-such-user")
        assert client.get("/facilitation/report/?facilitator=sw&format=csv").status_code == 404
        denied = AuditEvent.objects.filter(
            action="permission_denied", actor_username=reader.username
        )
        assert set(denied.values_list("object_type", "object_id")) == {
            ("accounts.user", str(worker.pk))
        }


@pytest.mark.django_db
def test_the_facilitator_logs_a_visit_through_the_page(client, people):
    worker = people["worker"]
    (b,) = beneficiaries(1, None)
    english(client, people["officer"])
    client.post(f"/facilitation/beneficiaries/{b.pk}/", {"action": "assign", "facilitator": "sw"})
    b.refresh_from_db()
    assert b.facilitator == worker
    english(client, worker)
    assert "Lansia 0" in client.get("/facilitation/").text
    bad = client.post(
        f"/facilitation/beneficiaries/{b.pk}/", {"action": "visit", "visited_on": "2026-02-01"}
    )
    assert bad.status_code == 400
    ok = client.post(
        f"/facilitation/beneficiaries/{b.pk}/",
        {
            "action": "visit",
            "visited_on": timezone.localdate().isoformat(),
            "topics": ["family_health", "daily_life"],
            "notes": "Sehat",
        },
    )
    assert ok.status_code == 302 and b.visits.count() == 1
    english(client, people["other_worker"])  # neither the facilitator nor program staff
    assert client.get(f"/facilitation/beneficiaries/{b.pk}/").status_code == 404


@pytest.mark.django_db
def test_the_monthly_report_counts_the_months_payments_of_the_facilitators_beneficiaries(
    client, people
):
    from pksai.payments.models import Entitlement, PaymentCycle

    worker = people["worker"]
    paid, held, failed, carried = beneficiaries(4, worker)
    (someone_elses,) = beneficiaries(1, people["other_worker"])
    jslu = Program.objects.get(code="jslu")
    jan, feb = (
        PaymentCycle.objects.create(
            program=jslu, period=date(2026, m, 1), due_date=date(2026, m, 15), created_by=worker
        )
        for m in (1, 2)
    )
    S = Entitlement.Status

    def entitlement(cycle, b, status, attempts=0, amount=300_000):
        return Entitlement(
            cycle=cycle,
            beneficiary=b,
            area_id=b.area_id,
            own_amount=amount,
            amount=amount,
            months=[f"{cycle.period:%Y-%m}"],
            channel="post_home",
            status=status,
            failed_attempts=attempts,
            paid_on=date(2026, 1, 14) if status == S.PAID else None,
        )

    Entitlement.objects.bulk_create(
        [
            entitlement(jan, paid, S.PAID),
            entitlement(jan, held, S.HELD, attempts=2),
            entitlement(jan, failed, S.FAILED, attempts=1, amount=250_000),
            entitlement(jan, carried, S.CARRIED),
            entitlement(jan, someone_elses, S.PAID),  # another facilitator's
            entitlement(feb, paid, S.DUE),  # another month
        ]
    )
    report = facilitation.month_report(user=worker, facilitator=worker, year=2026, month=1)
    assert report.payments == {
        "entitlements": 3,
        "paid": 1,
        "paid_amount": 300_000,
        "failed_attempts": 3,
        "held": 1,
        "held_amount": 300_000,
        "outstanding": 1,
        "outstanding_amount": 250_000,
    }
    # a reader outside the area counts nothing (aggregates only, within the reader's scope)
    gowa = make_user("gpo", roles=["program_officer"], scope=["73.06"], national=False)
    assert (
        facilitation.month_payments(user=gowa, facilitator=worker, period=date(2026, 1, 1))[
            "entitlements"
        ]
        == 0
    )
    english(client, people["supervisor"])
    page = client.get("/facilitation/report/?facilitator=sw&month=2026-01")
    section = page.text.split('id="month-payments"')[1].split("</section>")[0]
    assert "3 failed delivery attempts." in section and "250,000" in section
    march = client.get("/facilitation/report/?facilitator=sw&month=2026-03").text
    assert "No payments were due this month." in march


@pytest.mark.django_db
def test_the_monthly_report_csv_quotes_formula_like_names_and_notes(client, people):
    from pksai.core.tests.spreadsheet import HOSTILE, assert_csv_safe
    from pksai.registry.models import Person

    worker = people["worker"]
    (first,) = beneficiaries(1, worker)
    Person.objects.filter(pk=first.person_id).update(name=HOSTILE[0])
    today = timezone.localdate()
    facilitation.visit_log(
        by=worker, beneficiary=first, visited_on=today, topics=["jobs"], notes=HOSTILE[1]
    )
    english(client, people["supervisor"])
    csv = client.get(
        f"/facilitation/report/?facilitator=sw&month={today:%Y-%m}&format=csv&purpose=review"
    )
    assert csv.status_code == 200
    rows = assert_csv_safe(csv.content, HOSTILE[:2])
    assert rows[1][0] == today.isoformat()
