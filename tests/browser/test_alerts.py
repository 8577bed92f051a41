"""Alerts in a real browser, on a phone (390 × 844): the supervisor's "plan awaits your
approval" alert, in English, with the WITA time; ticked and marked read; raised again when the
plan comes back, and shown as done once the plan is approved. No horizontal scrolling; axe-core
finds no violations on the alerts page."""

from importlib import import_module
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from pksai.accounts.tests.factories import make_user
from pksai.cases import services
from pksai.cases.models import Alert
from pksai.cases.tests.factories import make_child, move

PASSWORD = "s3cret-pass-123"
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def sign_in(browser: Browser, base: str, username: str) -> Page:
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(base + "/accounts/login/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.get_by_role("button", name="EN", exact=True).click()
    return page


def test_alerts_on_a_phone(browser: Browser, live_server, pilot_areas):
    import_module("pksai.cases.migrations.0002_default_slas_and_follow_ups").forward(apps, None)
    team = {
        role: make_user(name, roles=[role], scope=["73.71"], password=PASSWORD)
        for name, role in (
            ("reg", "registration_staff"),
            ("sw", "social_worker"),
            ("spv", "supervisor"),
        )
    }
    case = services.case_register(
        by=team["registration_staff"],
        child=make_child("Dewi"),
        channel="phone",
        summary="Tetangga melaporkan anak dipukul.",
        concerns=["physical_violence"],
        owner=team["social_worker"],
        supervisor=team["supervisor"],
    )
    worker = team["social_worker"]
    move(case, "triage", worker, response="at_risk")
    move(case, "complete_assessment", worker)
    move(case, "submit_plan", worker)
    base = live_server.url

    page = sign_in(browser, base, "spv")
    home_alert = page.locator("#alerts li", has_text=f"Case {case.number}: the case plan")
    expect(home_alert).to_contain_text("awaits your approval")
    expect(home_alert).to_contain_text("WITA")
    page.get_by_role("link", name="All alerts").click()
    expect(page.get_by_role("heading", name="Alerts")).to_be_visible()
    row = page.locator(".alert-row", has_text="awaits your approval")
    expect(row).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "alerts-390.png"), full_page=True)
    result = Axe().run(page)
    assert result.violations_count == 0, result.generate_report()

    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Mark selected as read").click()
    expect(page.get_by_text("1 alert marked as read.")).to_be_visible()
    expect(page.locator(".alert-row")).to_have_count(0)
    assert Alert.objects.get(user=team["supervisor"], code="plan_awaits_approval").read_at

    # Sent back and submitted again: a new to-do; approved: it is done.
    move(case, "reject_plan", team["supervisor"], reason="Tambahkan tujuan sekolah.")
    move(case, "submit_plan", worker)
    page.reload()
    expect(page.locator(".alert-row", has_text="awaits your approval")).to_have_count(1)
    move(case, "approve_plan", team["supervisor"])
    page.reload()
    expect(page.locator(".alert-row")).to_have_count(0)
    page.get_by_role("link", name="All, including read and done").click()
    done = page.locator(".alert-done", has_text="awaits your approval")
    expect(done).to_have_count(2)
    expect(done.first.locator(".tag-done")).to_have_text("done")
    assert Alert.objects.filter(case=case, resolved_at__lte=timezone.now()).count() >= 2
    page.context.close()
