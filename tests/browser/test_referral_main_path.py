"""Issue 5's main path in a real browser: a social worker refers a child from the case plan to
the civil registry for a birth certificate; the registry's focal person signs in, sees only
that referral, accepts it and records the certificate as delivered; the social worker sees it
on the case timeline; the services-provided report counts it."""

import re
from importlib import import_module
from zoneinfo import ZoneInfo

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from pksai.accounts.tests.factories import make_user
from pksai.areas.tests.factories import make_areas
from pksai.privacy.tests.factories import give_consent
from pksai.referrals.tests.factories import case_in_planning, make_provider, refer

PASSWORD = "correct-horse-battery"  # the factories' default


def sign_in(browser: Browser, base: str, username: str) -> Page:
    page = browser.new_context().new_page()
    page.goto(base + "/accounts/login/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.get_by_role("button", name="EN", exact=True).click()
    return page


def field(page: Page, label: str):
    return page.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


def test_referral_to_the_civil_registry(browser: Browser, live_server, pilot_areas):
    # Live-server tests may have emptied the tables, migration data included.
    import_module("pksai.cases.migrations.0002_default_slas_and_follow_ups").forward(apps, None)
    import_module("pksai.referrals.migrations.0002_default_services_and_slas").forward(apps, None)
    with transaction.atomic():  # the factories lock rows (PostgreSQL needs a transaction)
        make_areas([("73.06.01.2001", "Desa Gowa")])
        team = {
            "staff": make_user("reg", roles=["registration_staff"], scope=["73.71"]),
            "worker": make_user("sw", roles=["social_worker"], scope=["73.71"]),
            "supervisor": make_user("spv", roles=["supervisor"], scope=["73.71"]),
        }
        make_provider("Dinas Dukcapil Kota Makassar", focal="dukcapil")
        puskesmas = make_provider(
            "Puskesmas Mariso",
            area="73.71.01",
            sector="health_centre",
            services_offered=("health_check",),
            focal="pkm",
        )
        other = refer(team, puskesmas, service="health_check")  # someone else's referral
        case = case_in_planning(team)
        give_consent(case, team["worker"])  # the guardian agreed (the consent ledger)
    base = live_server.url

    # The social worker adds a referral action to the plan and refers from it.
    worker = sign_in(browser, base, "sw")
    worker.goto(f"{base}/cases/{case.pk}/")
    worker.get_by_text("Add a plan action", exact=True).click()
    field(worker, "Kind").select_option("referral")
    field(worker, "Action").fill("Akta kelahiran")
    worker.get_by_label("Responsible person or provider").fill("Dukcapil")
    field(worker, "Due").fill((timezone.localdate().replace(year=2030)).isoformat())
    worker.get_by_role("button", name="Add action").click()
    worker.get_by_role("link", name="Refer: Akta kelahiran").click()
    field(worker, "Service provider").select_option(
        label="Dinas Dukcapil Kota Makassar — civil registry (Dukcapil)"
    )
    field(worker, "Service needed").select_option("birth_certificate")
    field(worker, "Reason for the referral").fill("Anak belum memiliki akta kelahiran.")
    worker.get_by_role("button", name="Send the referral").click()
    expect(worker.get_by_text(re.compile(r"Referral RUJ-7371-\d{4}-000002 sent"))).to_be_visible()
    expect(worker.locator("#referrals")).to_contain_text("sent")

    # The registry's focal person sees only that referral, accepts it and delivers.
    focal = sign_in(browser, base, "dukcapil")
    expect(focal.get_by_role("heading", name="Referrals to us")).to_be_visible()
    rows = focal.locator("#inbox tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Birth certificate")
    expect(focal.locator("#inbox")).not_to_contain_text(other.number)
    rows.get_by_role("link").click()
    expect(focal.locator("#shared")).to_contain_text("Anak")
    focal.get_by_role("button", name="Accept").click()
    expect(focal.get_by_test_id("referral-status")).to_have_text("accepted")
    focal.get_by_label("Date delivered").fill(  # Makassar's date (WITA), not the server's
        timezone.localdate(timezone=ZoneInfo("Asia/Makassar")).isoformat()
    )
    focal.get_by_label("What was provided").fill("Akta kelahiran No. 7371-LT-2026-0042")
    focal.get_by_label("Outcome").fill("Akta diserahkan kepada ibu.")
    focal.get_by_role("button", name="Record the service as delivered").click()
    expect(focal.get_by_test_id("referral-status")).to_have_text("service delivered")
    # the case itself stays out of reach
    response = focal.goto(f"{base}/cases/{case.pk}/")
    assert response.status == 404

    # The social worker sees it on the case timeline.
    worker.goto(f"{base}/cases/{case.pk}/")
    timeline = worker.locator("#timeline")
    expect(timeline).to_contain_text("Referral: service delivered")
    expect(timeline).to_contain_text("Akta kelahiran No. 7371-LT-2026-0042")

    # The services-provided report counts it.
    supervisor = sign_in(browser, base, "spv")
    supervisor.goto(f"{base}/referrals/reports/")
    services = supervisor.locator("#services")
    expect(services.get_by_role("row", name=re.compile("Birth certificate"))).to_contain_text("1")
    for page in (worker, focal, supervisor):
        page.context.close()
