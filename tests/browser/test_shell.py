import re

from playwright.sync_api import Page, expect

from pksai.accounts.tests.factories import make_user


def test_sign_in_see_role_and_scope_switch_language_and_sign_out(
    page: Page, live_server, pilot_areas
):
    make_user("mks.coordinator", roles=["coordinator"], scope=["73.71"], password="s3cret-pass-123")

    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", name="Masuk")).to_be_visible()

    page.get_by_label("Nama pengguna").fill("mks.coordinator")
    page.get_by_label("Kata sandi").fill("s3cret-pass-123")
    page.get_by_role("button", name="Masuk").click()

    expect(page.get_by_role("heading", name="Peran Anda")).to_be_visible()
    expect(page.get_by_text("Koordinator", exact=True)).to_be_visible()  # not the header's line
    expect(page.get_by_text("73.71 Kota Makassar")).to_be_visible()
    expect(page.get_by_text(re.compile(r"WITA"))).to_be_visible()

    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.get_by_role("heading", name="Your role")).to_be_visible()
    expect(page.get_by_text("Coordinator", exact=True)).to_be_visible()

    page.get_by_role("button", name=re.compile("Log out")).click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_wrong_password_shows_a_clear_error(page: Page, live_server, pilot_areas):
    make_user("ani", scope=["73.71"], password="s3cret-pass-123")
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Nama pengguna").fill("ani")
    page.get_by_label("Kata sandi").fill("nope")
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("alert")).to_contain_text("Nama pengguna atau kata sandi salah")


def test_area_search_with_htmx(page: Page, live_server, pilot_areas):
    make_user("sw", roles=["social_worker"], scope=["73.71"], password="s3cret-pass-123")
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Nama pengguna").fill("sw")
    page.get_by_label("Kata sandi").fill("s3cret-pass-123")
    page.get_by_role("button", name="Masuk").click()
    page.goto(live_server.url + "/areas/")
    page.get_by_role("searchbox").fill("makas")
    expect(page.get_by_role("cell", name="Kota Makassar")).to_be_visible()
    expect(page.get_by_role("cell", name="Sulawesi Selatan")).to_have_count(0)
