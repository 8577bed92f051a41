"""Issue 8's main path in a real browser: an anonymous member of the public files a
mistargeting complaint on the public form and gets a tracking code; district staff find it in
their queue and resolve it; the public status page shows the resolution — and no personal data
(the description, the area, the staff member; for a second, named complainant their name and
phone)."""

import re

from django.db import transaction
from playwright.sync_api import Browser, Page, expect

from pksai.accounts.tests.factories import make_user
from pksai.grievances import services
from pksai.grievances.models import Complaint

PASSWORD = "correct-horse-battery"  # the factories' default
ABOUT = "Tetangga kami di Mariso punya mobil dan toko tetapi menerima bantuan JSLU tiap bulan."


def sign_in(browser: Browser, base: str, username: str) -> Page:
    page = browser.new_context().new_page()
    page.goto(base + "/accounts/login/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.get_by_role("button", name="EN", exact=True).click()
    return page


def file_complaint(browser: Browser, base: str, *, name: str = "", phone: str = "") -> str:
    """Fill the public form on a phone-sized screen; returns the tracking code shown."""
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(base + "/pengaduan/")
    expect(page.locator("html")).to_have_attribute("lang", "id")  # Bahasa Indonesia first
    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label(re.compile(r"receiving but not eligible \(mistargeting\)")).check()
    # the area picker suggests the country's regencies and districts by name
    page.get_by_role("combobox", name=re.compile(r"^Regency, city or district")).fill("Maris")
    page.get_by_role("option", name=re.compile(r"^Mariso · Kota Makassar")).click()
    page.locator("textarea[name=description]").fill(ABOUT)
    if name:
        page.locator("input[name=name]").fill(name)
        page.locator("input[name=phone]").fill(phone)
    else:
        page.locator("input[name=anonymous]").check()
    expect(page.locator("input[name=website]")).not_to_be_in_viewport()  # the honeypot
    page.get_by_role("button", name="Send the complaint").click()
    expect(page.get_by_text("Your complaint was received.")).to_be_visible()
    code = page.get_by_test_id("tracking-code").inner_text().strip()
    assert re.fullmatch(r"ADU-[A-Z2-9]{4}-[A-Z2-9]{4}", code), code
    page.context.close()
    return code


def test_complaint_from_the_public_form_to_its_resolution(
    browser: Browser, live_server, pilot_areas, settings
):
    settings.PKSAI_COMPLAINT_MIN_FILL_SECONDS = 0  # a test fills the form faster than people
    with transaction.atomic():  # PostgreSQL: the factories lock rows
        desk = make_user("desk_makassar", roles=["registration_staff"], scope=["73.71"])
    base = live_server.url

    # An anonymous member of the public files a complaint and gets a tracking code.
    code = file_complaint(browser, base)
    complaint = Complaint.objects.get(code=code)
    assert (complaint.anonymous, complaint.area_id, complaint.channel) == (True, "73.71.01", "web")

    # District staff find it in their queue and resolve it.
    staff = sign_in(browser, base, desk.username)
    staff.get_by_role("link", name="Complaints", exact=True).click()
    staff.get_by_role("link", name=code).click()
    expect(staff.locator("#description")).to_contain_text(ABOUT)
    staff.get_by_text("Resolve", exact=True).click()
    staff.get_by_label(re.compile(r"^Resolution \(shown publicly")).fill(
        "Rumah tangga tersebut diverifikasi ulang dan tidak lagi menerima bantuan."
    )
    staff.get_by_label(re.compile(r"^Internal notes")).fill("Dicek bersama lurah Mariso.")
    staff.get_by_role("button", name="Resolve the complaint").click()
    expect(staff.get_by_test_id("complaint-status")).to_have_text("resolved")

    # The public status page shows the resolution and nothing personal.
    public = browser.new_context().new_page()
    public.goto(base + "/pengaduan/status/")
    public.get_by_role("button", name="EN", exact=True).click()
    public.locator("input[name=code]").fill(code.lower())
    public.get_by_role("button", name="Show the status").click()
    expect(public.get_by_test_id("complaint-status")).to_have_text("resolved")
    expect(public.locator("#resolution")).to_contain_text("diverifikasi ulang")
    page_text = public.locator("body").inner_text()
    for secret in (ABOUT[:30], "Mariso", "73.71", "Makassar", desk.username, "lurah"):
        assert secret not in page_text, secret
    assert "Mariso" not in public.content()

    # A named complainant: their name and phone never appear on the status page either.
    named = file_complaint(browser, base, name="Daeng Sompa", phone="0813 5555 1234")
    with transaction.atomic():
        other = Complaint.objects.get(code=named)
        assert other.complainant_name == "Daeng Sompa"
        services.complaint_resolve(
            by=desk,
            complaint=other,
            resolution="Data penerima sudah dikoreksi.",
            expected_version=other.version,
        )
    public.goto(f"{base}/pengaduan/status/{named}/")
    expect(public.locator("#resolution")).to_contain_text("Data penerima sudah dikoreksi.")
    html = public.content()
    for secret in ("Daeng", "Sompa", "0813", "5555", "1234", ABOUT[:30], desk.username):
        assert secret not in html, secret
    for page in (staff, public):
        page.context.close()
