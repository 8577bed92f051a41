"""The main path of a case in a real browser: phone report → triage (immediate response) →
emergency action started → assessment and plan → supervisor approves → visit → closure
requested and approved → the 1-month follow-up is in the worker's queue."""

import re
from importlib import import_module

from django.apps import apps
from django.utils import translation
from playwright.sync_api import Browser, Page, expect

from pksai.accounts.tests.factories import make_user
from pksai.areas.tests.factories import make_areas
from pksai.cases.models import Domain

PASSWORD = "s3cret-pass-123"


def sign_in(browser: Browser, base: str, username: str) -> Page:
    page = browser.new_context().new_page()
    page.goto(base + "/accounts/login/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.get_by_role("heading", name="Your role")).to_be_visible()
    return page


def field(page: Page, label: str):
    """The form control labelled exactly ``label`` (a required field's label ends in " *")."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


def step(page: Page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


def test_case_main_path(browser: Browser, live_server, pilot_areas):
    # An earlier live-server test may have emptied the tables, migration data included:
    # put the default SLAs and follow-up intervals back.
    import_module("pksai.cases.migrations.0002_default_slas_and_follow_ups").forward(apps, None)
    make_areas([("73.71.01.1002", "Lette")])
    for username, role in (
        ("reg", "registration_staff"),
        ("sw", "social_worker"),
        ("spv", "supervisor"),
    ):
        make_user(username, roles=[role], scope=["73.71"], password=PASSWORD)
    base = live_server.url

    # Registration staff record a phone report.
    staff = sign_in(browser, base, "reg")
    staff.goto(base + "/cases/")
    staff.get_by_role("button", name="Record a new report").click()
    staff.get_by_label("Reported through").select_option("phone")
    field(staff, "Reporter").fill("Ibu Ketua RT")
    staff.get_by_label("Child's name").fill("Dewi Lestari")
    staff.get_by_label("Birth date").fill("2016-04-12")
    field(staff, "Sex").select_option("F")
    staff.get_by_role("combobox", name="Village").fill("73.71.01.1002")  # the area picker
    staff.locator("#id_g0_name").fill("Sari Lestari")
    staff.locator("#id_g0_relation").fill("ibu")
    staff.locator("#id_g0_lives_with_child").check()
    staff.get_by_label("physical or psychological violence").check()
    staff.get_by_label("What was reported").fill("Tetangga mendengar anak dipukul setiap malam.")
    staff.get_by_label("Consent recorded").check()
    staff.get_by_label("Social worker").select_option("sw")
    field(staff, "Supervisor").select_option("spv")
    staff.get_by_role("button", name="Register the case").click()
    expect(staff.get_by_role("heading", name=re.compile(r"Case 7371-\d{4}-000001"))).to_be_visible()
    expect(staff.locator("#child")).to_contain_text("Sari Lestari (ibu)")
    case_url = staff.url

    # The social worker triages it as immediate response and starts an emergency action.
    worker = sign_in(browser, base, "sw")
    expect(worker.locator("#my-work")).to_contain_text("7371-")
    worker.goto(case_url)
    worker.get_by_label("Triage decision").select_option("immediate")
    step(worker, "Triage")
    expect(worker.get_by_text("Immediate response: record an emergency action")).to_be_visible()
    worker.get_by_text("Record an emergency action", exact=True).click()
    field(worker, "Emergency action").select_option("shelter")
    worker.get_by_label("Already started").check()
    step(worker, "Record")
    expect(worker.get_by_text("Immediate response: record an emergency action")).to_have_count(0)

    # Comprehensive assessment, every domain rated.
    worker.get_by_role("button", name="New assessment").click()
    field(worker, "Kind").select_option("comprehensive")
    worker.get_by_label("Overall risk").select_option("high")
    with translation.override("en"):
        domains = [(key, str(label)) for key, label in Domain.choices]
    for key, label in domains:
        field(worker, label).select_option("high" if key == "safety" else "medium")
    worker.get_by_label("Complete the assessment").check()
    step(worker, "Save assessment")
    expect(worker.get_by_text("Assessment completed.")).to_be_visible()
    step(worker, "Assessment complete: go to case plan")

    # The case plan: goals and an action, then submitted for approval.
    worker.get_by_role("link", name="Write the goals").click()
    field(worker, "Goals").fill("Dewi aman di rumah\nDewi kembali bersekolah")
    step(worker, "Save the plan")
    worker.get_by_text("Add a plan action", exact=True).click()
    field(worker, "Kind").select_option("service")
    field(worker, "Action").fill("Konseling keluarga")
    worker.get_by_label("Responsible person or provider").fill("Psikolog P2TP2A")
    field(worker, "Due").fill("2030-01-15")
    step(worker, "Add action")
    step(worker, "Submit the plan for approval")
    expect(worker.get_by_test_id("stage")).to_have_text("case plan awaiting approval")

    # The supervisor approves.
    supervisor = sign_in(browser, base, "spv")
    supervisor.goto(case_url)
    step(supervisor, "Approve the plan")
    expect(supervisor.get_by_test_id("stage")).to_have_text("implementation")

    # A visit is logged; closure requested and approved.
    worker.goto(case_url)
    worker.get_by_role("link", name="Log a visit").click()
    field(worker, "Place").fill("Rumah Dewi")
    worker.get_by_label("Who was seen").fill("Dewi dan ibunya")
    field(worker, "Observations").fill("Dewi tampak tenang; ayah sudah ikut konseling.")
    step(worker, "Log visit")
    expect(worker.locator("#visits")).to_contain_text("Rumah Dewi")
    step(worker, "Request closure")
    supervisor.goto(case_url)
    step(supervisor, "Approve closure")
    expect(supervisor.get_by_test_id("stage")).to_have_text("post-service monitoring")

    # The 1-month follow-up is now in the worker's queue.
    worker.goto(base + "/")
    expect(worker.locator("#my-work")).to_contain_text("1-month follow-up")
    for page in (staff, worker, supervisor):
        page.context.close()
