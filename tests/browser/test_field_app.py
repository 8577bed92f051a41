"""The field app in a real browser (issue 19, decision 0032): a social worker signs in, opens
/lapangan/, sets a PIN, takes her 50 cases and 50 beneficiaries offline; with the connection
cut, the shell comes from the service worker, the PIN unlocks the encrypted store and the
lists and a case read at 390 px without sideways scrolling. Signing out online leaves no
case data in IndexedDB or the caches. Wrong PINs and a stale sync wipe the device; the
outbox is kept encrypted. Screenshots in var/screenshots/field-*.png."""

import csv
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect

from conftest import restore_reference_data
from pksai.accounts.tests.factories import make_user
from pksai.areas.tests.factories import make_areas
from pksai.field.tests.factories import field_beneficiaries, field_cases
from pksai.registry.services import registry_import
from pksai.vulnerability.services import score_people
from pksai.vulnerability.tests.conftest import HEADER
from tests.browser.helpers import AXE_TAGS, axe_violations, describe_violations

PASSWORD = "s3cret-pass-123"
PIN = "246810"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"

WIDTH = "() => document.documentElement.scrollWidth"
# What this device keeps: IndexedDB databases and Cache Storage entries, their names.
DEVICE = """async () => ({
  databases: (await indexedDB.databases()).map(d => d.name),
  caches: await caches.keys(),
})"""
# The raw records of a store, as IndexedDB holds them (no key: ciphertext only).
RAW = """async (store) => new Promise((resolve, reject) => {
  const open = indexedDB.open("pksai-field");
  open.onsuccess = () => {
    const db = open.result;
    const request = db.transaction(store).objectStore(store).getAll();
    request.onsuccess = () => {
      db.close();
      const text = (r) => r.ct ? new TextDecoder("latin1").decode(r.ct) : JSON.stringify(r);
      resolve(request.result.map(text));
    };
    request.onerror = () => reject(request.error);
  };
})"""


@pytest.fixture
def worker(live_server, pilot_areas):
    restore_reference_data()
    staff = make_user("reg", roles=["registration_staff"], scope=["73.71"])
    supervisor = make_user("spv", roles=["supervisor"], scope=["73.71"])
    return {
        "user": make_user("sw", roles=["social_worker"], scope=["73.71"], password=PASSWORD),
        "staff": staff,
        "supervisor": supervisor,
    }


def sign_in(page: Page, base: str) -> None:
    page.goto(base + "/accounts/login/")
    page.locator("#id_username").fill("sw")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def open_app_and_set_pin(page: Page, base: str) -> None:
    page.goto(base + "/lapangan/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.locator("#pin").fill(PIN)
    page.locator("#pin2").fill(PIN)
    page.locator("#pin-form button").click()
    expect(page.locator("#take-form")).to_be_visible()


def take(page: Page, what: str, device: str = "HP Fitri") -> None:
    page.locator(f"#take-form input[value={what}]").check()
    page.locator("#device").fill(device)
    page.locator("#take-button").click()
    expect(page.locator("[data-notice=info]")).to_be_visible()


def scored_village(tmp_path) -> None:
    """Three high-risk children of Bontorannu (73.71.01.1001), imported and scored: each an
    orphaned grandchild of a grandmother heading the household."""
    path = tmp_path / "kids.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for n in range(3):
            common = [f"H{n}", "7371011001", f"Jl. Tiga No. {n}", "2", "no", "yes", "3", "5"]
            head = ["1", f"Nenek {n}", "F", "1950-01-01", "head", "none", "not_working"]
            child = ["2", f"Cucu {n}", "F", "2012-04-04", "grandchild", "both", "school"]
            writer.writerow([*common, *head])
            writer.writerow([*common, *child])
    assert registry_import(path=path, source="TEST").rows_rejected == 0
    score_people(as_of=date(2026, 11, 1))


def unlock(page: Page, pin: str = PIN) -> None:
    page.locator("#pin").fill(pin)
    page.locator("#unlock-form button").click()


def test_take_offline_read_offline_at_390_and_1366_then_sign_out_wipes(
    browser: Browser, live_server, worker
):
    field_cases(
        worker=worker["user"], supervisor=worker["supervisor"], staff=worker["staff"], count=50
    )
    field_beneficiaries(worker=worker["user"], count=50)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    sign_in(page, live_server.url)
    open_app_and_set_pin(page, live_server.url)
    take(page, "cases")
    take(page, "beneficiaries")
    expect(page.locator("[data-go=cases]")).to_contain_text("(50)")
    expect(page.locator("[data-go=beneficiaries]")).to_contain_text("(50)")
    assert "null" not in page.locator("#field-app").inner_text().split()
    violations = axe_violations(page, tags=AXE_TAGS)  # the home page and its form
    assert not violations, describe_violations(violations)
    page.screenshot(path=str(SCREENSHOTS / "field-home-390.png"), full_page=True)
    page.reload()  # controlled by the service worker from here on
    assert page.evaluate("Boolean(navigator.serviceWorker.controller)")
    # the case data are in IndexedDB as ciphertext only
    raw = page.evaluate(RAW, "data")
    assert len(raw) == 2 and not any("Anak Lapangan" in r or "0812" in r for r in raw)
    assert not [c for c in page.evaluate(DEVICE)["caches"] if "shell" not in c]

    context.set_offline(True)
    page.reload()
    expect(page.locator("#unlock-form")).to_be_visible()  # the shell, from the service worker
    expect(page.locator("#field-status")).to_have_attribute("data-state", "offline")
    expect(page.locator("#field-status")).to_contain_text("WITA")
    unlock(page)
    page.locator("[data-go=cases]").click()
    cases = page.locator("[data-list=cases] > li")
    expect(cases).to_have_count(50)
    assert page.evaluate(WIDTH) <= PHONE["width"]
    page.screenshot(path=str(SCREENSHOTS / "field-cases-390.png"), full_page=False)
    cases.first.locator("a").click()
    article = page.locator("section[data-case]")
    expect(article).to_contain_text("Kunjungan rumah bersama guru kelas")
    expect(article.locator("a[href^='tel:0812']")).to_be_visible()
    assert page.evaluate(WIDTH) <= PHONE["width"]
    page.screenshot(path=str(SCREENSHOTS / "field-case-390.png"), full_page=True)
    violations = axe_violations(page, tags=AXE_TAGS)
    assert not violations, describe_violations(violations)
    page.go_back()
    page.locator(".field-back a").click()
    page.locator("[data-go=beneficiaries]").click()
    expect(page.locator("[data-list=beneficiaries] > li")).to_have_count(50)
    assert page.evaluate(WIDTH) <= PHONE["width"]
    violations = axe_violations(page, tags=AXE_TAGS)
    assert not violations, describe_violations(violations)
    page.screenshot(path=str(SCREENSHOTS / "field-beneficiaries-390.png"), full_page=False)

    page.set_viewport_size(LAPTOP)
    page.evaluate("location.hash = '#/cases'")
    page.reload()  # still offline: locked again after a reload
    unlock(page)
    expect(page.locator("[data-list=cases] > li")).to_have_count(50)
    assert page.evaluate(WIDTH) <= LAPTOP["width"]
    page.screenshot(path=str(SCREENSHOTS / "field-cases-1366.png"), full_page=False)
    page.locator("[data-list=cases] > li a").nth(1).click()
    expect(page.locator("section[data-case]")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "field-case-1366.png"), full_page=True)

    context.set_offline(False)
    page.goto(live_server.url + "/")
    page.locator("form.logout").evaluate("form => form.submit()")
    page.wait_for_url("**/accounts/login/?signed_out=1")
    page.wait_for_selector("html[data-field-wiped]", state="attached")
    device = page.evaluate(DEVICE)
    assert "pksai-field" not in device["databases"], device
    assert not [c for c in device["caches"] if c.startswith("pksai-field")], device
    context.close()


def test_an_outreach_list_offline_wrong_pins_wipe_and_the_outbox_is_kept_encrypted(
    browser: Browser, live_server, worker, settings, tmp_path
):
    settings.PKSAI_FIELD_PIN_ATTEMPTS = 3
    field_cases(
        worker=worker["user"], supervisor=worker["supervisor"], staff=worker["staff"], count=2
    )
    scored_village(tmp_path)
    make_areas([("73.06.01.2001", "Desa Gowa")])
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    sign_in(page, live_server.url)
    open_app_and_set_pin(page, live_server.url)
    take(page, "cases")
    page.locator("#take-form input[value=outreach]").check()
    page.locator("#village").fill("73.06.01.2001")  # not her area: refused, nothing kept
    page.locator("#take-button").click()
    expect(page.locator("[data-notice=error]")).to_be_visible()
    page.locator("#take-form input[value=outreach]").check()
    page.locator("#village").fill("73.71.01.1001")
    page.locator("#take-button").click()
    expect(page.locator("[data-notice=info]")).to_be_visible()
    context.set_offline(True)
    page.locator("[data-go='outreach:73.71.01.1001']").click()
    outreach = page.locator("[data-list=outreach] > li")
    expect(outreach).to_have_count(3)
    expect(outreach.first).to_contain_text("Nenek")
    expect(page.locator("h1")).to_contain_text("Bontorannu")
    assert page.evaluate(WIDTH) <= PHONE["width"]
    page.screenshot(path=str(SCREENSHOTS / "field-outreach-390.png"), full_page=True)
    context.set_offline(False)
    # a change made offline waits in the outbox, encrypted (sending it is the sync's work)
    queued = page.evaluate(
        """async () => {
      const store = await import("/static/field/store.js");
      const item = await store.outboxAdd({kind: "case_note", record_id: 1, base_version: 1,
        base_values: {}, changes: {text: "Catatan rahasia lapangan"}});
      return {item, count: await store.outboxCount(), list: await store.outboxList()};
    }"""
    )
    assert queued["count"] == 1 and queued["list"][0]["changes"]["text"].startswith("Catatan")
    assert len(queued["item"]["client_id"]) == 36
    assert not any("Catatan" in r or "case_note" in r for r in page.evaluate(RAW, "outbox"))

    page.evaluate("location.hash = '#/'")
    page.reload()
    unlock(page)
    expect(page.locator("[data-outbox='1']")).to_be_visible()  # the home page says so

    page.reload()
    expect(page.locator("#unlock-form")).to_be_visible()
    violations = axe_violations(page, tags=AXE_TAGS)  # the PIN page
    assert not violations, describe_violations(violations)
    unlock(page, "000000")
    expect(page.locator("#unlock-error")).to_contain_text("2")
    unlock(page, "111111")
    expect(page.locator("#unlock-error")).to_contain_text("1")
    unlock(page, "222222")
    expect(page.locator("[data-notice=error]")).to_be_visible()
    expect(page.locator("#pin-form")).to_be_visible()  # a new PIN: the old store is gone
    assert not page.evaluate(RAW, "data") and not page.evaluate(RAW, "outbox")
    context.close()


def test_data_not_synced_for_longer_than_the_setting_are_wiped(
    browser: Browser, live_server, worker, settings
):
    settings.PKSAI_FIELD_WIPE_DAYS = 2
    field_cases(
        worker=worker["user"], supervisor=worker["supervisor"], staff=worker["staff"], count=1
    )
    page = browser.new_context(viewport=PHONE).new_page()
    sign_in(page, live_server.url)
    open_app_and_set_pin(page, live_server.url)
    take(page, "cases")
    # the last sync three days ago
    page.evaluate(
        """async () => new Promise((resolve) => {
      const open = indexedDB.open("pksai-field");
      open.onsuccess = () => {
        const tx = open.result.transaction("meta", "readwrite");
        tx.objectStore("meta").put(Date.now() - 3 * 86400000, "synced");
        tx.oncomplete = () => { open.result.close(); resolve(true); };
      };
    })"""
    )
    page.reload()
    expect(page.locator("[data-notice=error]")).to_contain_text("2")
    expect(page.locator("#pin-form")).to_be_visible()
    assert not page.evaluate(RAW, "data")


def test_the_menu_leads_a_social_worker_to_the_field_app_on_one_line_at_1366(
    browser: Browser, live_server, worker
):
    page = browser.new_context(viewport=LAPTOP).new_page()
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/")
    tops = page.locator(".nav-main a").evaluate_all(
        "links => links.map(a => Math.round(a.getBoundingClientRect().top))"
    )
    assert len(set(tops)) == 1, tops  # the main menu stays one line
    page.screenshot(path=str(SCREENSHOTS / "field-menu-1366.png"))
    page.locator(".nav-main a[href='/lapangan/']").click()
    expect(page.locator("#pin-form")).to_be_visible()
