"""What the browser tests share: the demo data for the pilot sites, signing in as a demo user,
and axe-core (the offline copy shipped by axe-playwright-python) with readable findings."""

from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import Page

from conftest import restore_reference_data
from pksai.accounts.demo import DEMO_PASSWORD
from pksai.areas.tests.factories import make_areas

# The WCAG 2.1 A and AA rules (axe-core tags), the level issue 17 asks for ...
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
# ... and axe's best practices besides (landmarks, heading order, one main, unique ids).
AXE_TAGS = (*WCAG_TAGS, "best-practice")


def demo_data(households: int = 60) -> None:
    """The demo for the five pilot sites on a handful of areas (the test_demo recipe)."""
    restore_reference_data()  # an earlier live-server test may have emptied the tables
    sites = ("73.71", "73.06", "33.72", "33.10", "35.04")
    make_areas(
        [
            ("31", "DKI Jakarta"),
            ("73", "Sulawesi Selatan"),
            ("73.71", "Kota Makassar"),
            ("73.06", "Kabupaten Gowa"),
            ("33", "Jawa Tengah"),
            ("33.72", "Kota Surakarta"),
            ("33.10", "Kabupaten Klaten"),
            ("35", "Jawa Timur"),
            ("35.04", "Kabupaten Tulungagung"),
        ]
        + [(f"{r}.01", f"Kecamatan {r}") for r in sites]
        + [(f"{r}.01.1001", f"Kelurahan {r}") for r in sites]
        + [(f"{r}.01.2001", f"Desa {r}") for r in sites]
    )
    call_command("demo", "--households", str(households), "--force", verbosity=0)


def sign_in(page: Page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(base + "/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def axe_violations(page: Page, *, tags: tuple[str, ...] | None = None) -> list[dict]:
    """axe-core's violations on the page as it is now (all rules, or only those tagged)."""
    options: dict = {"resultTypes": ["violations"]}
    if tags:
        options["runOnly"] = {"type": "tag", "values": list(tags)}
    return Axe().run(page, options=options).response["violations"]


def describe_violations(violations: list[dict]) -> str:
    """One line per violating element: rule id, impact, target selector and help text."""
    return "\n".join(
        f"  {v['id']} [{v['impact']}] {node['target']}: {v['help']}"
        for v in violations
        for node in v["nodes"]
    )
