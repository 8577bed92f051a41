"""Queues in a real browser, on a phone (390 × 844) and a laptop (1366 × 768): the supervisor
finds the submitted plan under "Awaiting my approval" on the home page, approves it from there,
and it leaves the queue; registration staff recording a report about a child who already has
an open case are shown that case and add the report to it. Screenshots of both homes go to
var/screenshots/ (home-supervisor-<width>.png, home-worker-<width>.png)."""

import re
from datetime import timedelta
from importlib import import_module
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from pksai.accounts.models import User
from pksai.accounts.tests.factories import make_user
from pksai.cases.models import Case, FollowUp
from pksai.cases.tests.factories import make_child, move, register
from pksai.referrals.services import Answer, referral_move
from pksai.referrals.tests.factories import make_provider, refer

PASSWORD = "s3cret-pass-123"
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
VIEWPORTS = [(390, 844), (1366, 768)]


def sign_in(browser: Browser, base: str, username: str, width: int, height: int) -> Page:
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.goto(base + "/accounts/login/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("^Welcome"))).to_be_visible()
    return page


def accessible(page: Page) -> None:
    """No axe-core violation in the page's main content (the shell is tested on its own)."""
    results = Axe().run(page, context="main")
    found = [
        (v["id"], v["help"], [n["target"] for n in v["nodes"]])
        for v in results.response["violations"]
    ]
    assert found == [], found


def fits_the_screen(page: Page) -> None:
    """Nothing wider than the viewport (no sideways scrolling on a phone)."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.fixture
def team(pilot_areas):
    # An earlier live-server test may have emptied the tables, migration data included.
    import_module("pksai.cases.migrations.0002_default_slas_and_follow_ups").forward(apps, None)
    import_module("pksai.referrals.migrations.0002_default_services_and_slas").forward(apps, None)
    return {
        "staff": make_user("reg", roles=["registration_staff"], scope=["73.71"], password=PASSWORD),
        "worker": make_user(
            "sw",
            roles=["social_worker"],
            scope=["73.71"],
            password=PASSWORD,
            first_name="Rahmat",
            last_name="Hidayat",
        ),
        "supervisor": make_user(
            "spv",
            roles=["supervisor"],
            scope=["73.71"],
            password=PASSWORD,
            first_name="Nurhayati",
        ),
    }


def worker_day(team) -> dict:
    """A worker's morning: a plan waiting for the supervisor, an overdue triage, a case due this
    week, a follow-up next month, and a referral the provider declined."""
    worker = team["worker"]
    plan = register(team, child=make_child("Dewi Lestari", nik="7371014512160001"))
    move(plan, "triage", worker, response="at_risk")
    move(plan, "complete_assessment", worker)
    move(plan, "submit_plan", worker)
    late = register(team, child=make_child("Andi Saputra"))
    Case.objects.filter(pk=late.pk).update(stage_due_at=timezone.now() - timedelta(hours=5))
    soon = register(team, child=make_child("Sinta Maharani"), concerns=["out_of_school"])
    later = register(team, child=make_child("Yusuf Ramadhan"), concerns=["neglect"])
    Case.objects.filter(pk=later.pk).update(stage="follow_up", stage_due_at=None)
    FollowUp.objects.create(
        case=later, months=1, due_date=timezone.localdate() + timedelta(days=24)
    )
    referral = refer(team, make_provider(focal="dukcapil"))
    referral_move(
        referral=referral,
        by=User.objects.get(username="dukcapil"),
        name="decline",
        expected_version=referral.version,
        answer=Answer(reason="Butuh KK asli orang tua."),
    )
    return {"plan": plan, "late": late, "soon": soon}


@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
def test_supervisor_approves_from_the_home_queue(
    browser: Browser, live_server, team, width, height
):
    cases = worker_day(team)
    plan = cases["plan"]
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)

    worker = sign_in(browser, base, "sw", width, height)
    expect(worker.locator("#overdue")).to_be_visible()
    work = worker.locator("#my-work")
    expect(work).to_contain_text(cases["late"].number)
    expect(work).to_contain_text("1-month follow-up")
    expect(worker.locator("#referrals-back")).to_contain_text("Butuh KK asli orang tua.")
    expect(worker.locator('[data-tile="approvals"]')).to_have_count(0)
    expect(worker.locator('[data-tile="overdue"] .tile-count')).to_have_text("1")
    fits_the_screen(worker)
    accessible(worker)
    worker.screenshot(path=str(SHOTS / f"home-worker-{width}.png"), full_page=True)
    worker.locator('[data-tile="overdue"]').click()  # the tile opens the whole list
    expect(worker.get_by_role("heading", name="Overdue", exact=True)).to_be_visible()
    expect(worker.locator("#queue-items")).to_contain_text(cases["late"].number)
    expect(worker.locator("#queue-items")).not_to_contain_text(plan.number)
    fits_the_screen(worker)

    supervisor = sign_in(browser, base, "spv", width, height)
    queue = supervisor.locator("#approvals")
    expect(queue).to_contain_text(plan.number)
    expect(queue).to_contain_text("Case plan to approve")
    expect(supervisor.locator('[data-tile="approvals"] .tile-count')).to_have_text("1")
    fits_the_screen(supervisor)
    accessible(supervisor)
    supervisor.screenshot(path=str(SHOTS / f"home-supervisor-{width}.png"), full_page=True)

    queue.get_by_role("link", name="Review and decide").click()
    expect(supervisor).to_have_url(re.compile(rf"/cases/{plan.pk}/#next-step$"))
    supervisor.get_by_role("button", name="Approve the plan", exact=True).click()
    expect(supervisor.get_by_test_id("stage")).to_have_text("implementation")
    supervisor.goto(base + "/")
    expect(supervisor.locator("#approvals")).not_to_contain_text(plan.number)
    expect(supervisor.locator("#approvals")).to_contain_text("No plan or closure is waiting")
    expect(supervisor.locator('[data-tile="approvals"] .tile-count')).to_have_text("0")
    for page in (worker, supervisor):
        page.context.close()


@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
def test_a_report_about_a_child_with_an_open_case_shows_that_case(
    browser: Browser, live_server, team, width, height
):
    child = make_child("Dewi Lestari", nik="7371014512160001")
    case = register(team, child=child)
    base = live_server.url

    staff = sign_in(browser, base, "reg", width, height)
    staff.goto(base + "/cases/new/")
    staff.get_by_label("Reported through").select_option("phone")
    staff.get_by_label("Child's NIK").fill("7371014512160001")
    staff.get_by_label("neglect", exact=True).check()
    staff.get_by_label("What was reported").fill("Guru melaporkan Dewi tidak sekolah seminggu.")
    staff.get_by_role("button", name="Register the case").click()
    # the registry record is found first, then its open case
    staff.get_by_label(re.compile("Dewi Lestari")).check()
    staff.get_by_role("button", name="Use the chosen record").click()
    warning = staff.locator("#open-case")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("This child already has an open case")
    expect(warning).to_contain_text(case.number)
    expect(warning.get_by_role("link", name="Open that case")).to_have_attribute(
        "href", f"/cases/{case.pk}/"
    )
    fits_the_screen(staff)
    accessible(staff)
    staff.screenshot(path=str(SHOTS / f"intake-open-case-{width}.png"), full_page=False)
    assert Case.objects.filter(child=child).count() == 1

    warning.get_by_role("button", name="Add this report to this case").click()
    expect(staff.get_by_role("heading", name=f"Case {case.number}")).to_be_visible()
    expect(staff.locator("#timeline")).to_contain_text("Another report added")
    expect(staff.locator("#timeline")).to_contain_text("Guru melaporkan Dewi")
    assert Case.objects.filter(child=child).count() == 1
    staff.context.close()
