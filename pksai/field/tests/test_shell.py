"""The field app's shell, service worker and manifest (decision 0032): no personal data in
anything the service worker caches, the shell within its byte budget, every word the
JavaScript shows in the catalogue, and the sign-out page that wipes the device."""

import json
import re
import struct
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import translation

from pksai.accounts.tests.factories import make_user
from pksai.field import strings
from pksai.field import views_app as views

# The budget stated in docs/field-app.md: the app shell (HTML + CSS + JS) at most 180 KB
# uncompressed; its icons apart, at most 60 KB.
SHELL_BUDGET = 180 * 1024  # 150 KB until the offline forms and sync (decision 0037)
ICON_BUDGET = 60 * 1024
STATIC = Path(__file__).resolve().parent.parent / "static" / "field"


@pytest.fixture
def worker(pilot_areas):
    return make_user("sw", roles=["social_worker"], scope=["73.71"], first_name="Fitriani")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_shell_needs_a_session_and_holds_no_personal_data(worker):
    assert Client().get("/lapangan/").status_code == 302
    answer = signed_in(worker).get("/lapangan/")
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "sw" not in re.findall(r">([^<]*)<", html)  # not the user's name either
    assert "Fitriani" not in html
    assert 'rel="manifest" href="/lapangan/manifest.webmanifest"' in html
    assert '<script type="module" src="/static/field/app.js"></script>' in html
    config = json.loads(re.search(r'id="field-config"[^>]*>(.*?)</script>', html).group(1))
    assert config["wipe_days"] == settings.PKSAI_FIELD_WIPE_DAYS == 14
    assert config["pin_attempts"] == 5 and config["scope"] == "/lapangan/"
    assert config["bundle_url"] == "/api/v1/field/bundle"
    # times in the worker's zone, named as everywhere (Makassar: WITA)
    assert config["zone"] == "Asia/Makassar" and config["zone_label"] == "WITA"


@pytest.mark.django_db
def test_the_shell_speaks_indonesian_by_default(worker, settings):
    settings.PKSAI_FIELD_WIPE_DAYS = 3
    html = signed_in(worker).get("/lapangan/").content.decode()
    assert '<html lang="id"' in html
    found = json.loads(re.search(r'id="field-strings"[^>]*>(.*?)</script>', html).group(1))
    assert set(found["words"]) == set(strings.WORDS)
    with translation.override("id"):
        assert found["labels"]["stage"]["triage"] == str(strings.LABELS["stage"]["triage"])
    config = json.loads(re.search(r'id="field-config"[^>]*>(.*?)</script>', html).group(1))
    assert config["wipe_days"] == 3


def test_every_word_the_javascript_uses_is_in_the_catalogue_list():
    used = set()
    for path in STATIC.glob("*.js"):
        used |= set(re.findall(r"\bt\(\"(\w+)\"", path.read_text()))
        for group in re.findall(r"\blabel\(\"(\w+)\"", path.read_text()):
            assert group in strings.LABELS, f"{path.name}: label group {group}"
    assert used, "the scan found no t() calls"
    assert used <= set(strings.WORDS), sorted(used - set(strings.WORDS))
    # and no word is kept that nothing shows (some keys travel as values: empty("…"))
    source = "".join(path.read_text() for path in STATIC.glob("*.js"))
    unused = [key for key in strings.WORDS if f'"{key}"' not in source]
    assert not unused, unused


@pytest.mark.django_db
def test_the_service_worker_precaches_the_shell_and_never_the_api(worker):
    answer = Client().get("/lapangan/sw.js")  # served signed out too (update checks)
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/javascript")
    assert answer["Service-Worker-Allowed"] == "/lapangan/"
    body = answer.content.decode()
    setup = json.loads(re.search(r"const SETUP = (\{.*?\});", body).group(1))
    assert setup["version"] == views.shell_version()
    assert "/lapangan/" in setup["shell"] and "/static/field/app.js" in setup["shell"]
    assert not [url for url in setup["shell"] if url.startswith("/api/")]
    assert setup["api"] == "/api/"
    assert "if (url.pathname.startsWith(SETUP.api)) return;" in body
    assert '"pksai-field-shell-" + SETUP.version' in body
    assert "caches.delete(name)" in body  # old versions removed on activate


@pytest.mark.django_db
def test_the_shell_version_changes_with_its_files(monkeypatch):
    before = views.shell_version()
    views.shell_version.cache_clear()
    monkeypatch.setattr(views, "SHELL_ASSETS", (*views.SHELL_ASSETS, "field/icons/icon-512.png"))
    try:
        assert views.shell_version() != before
    finally:
        views.shell_version.cache_clear()


@pytest.mark.django_db
def test_the_manifest_installs_the_app_in_indonesian():
    answer = Client().get("/lapangan/manifest.webmanifest")
    assert answer["Content-Type"] == "application/manifest+json"
    data = answer.json()
    assert data["name"] == "PKSAI Lapangan" and data["lang"] == "id"
    assert data["description"]  # in the reader's language
    assert data["start_url"] == data["scope"] == "/lapangan/"
    assert data["display"] == "standalone" and data["theme_color"] == "#0b3d6b"
    assert "--pksai-blue: #0b3d6b" in Path(finders.find("pksai/css/pksai.css")).read_text()
    purposes = {(icon["sizes"], icon["purpose"]) for icon in data["icons"]}
    assert purposes == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for icon in data["icons"]:
        head = Path(finders.find(icon["src"].removeprefix("/static/"))).read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", head[16:24])  # the IHDR chunk
        assert f"{width}x{height}" == icon["sizes"]


@pytest.mark.django_db
def test_the_app_shell_stays_within_its_budget(worker):
    shell = signed_in(worker).get("/lapangan/").content
    files = [finders.find(path) for path in views.SHELL_ASSETS]
    text = [f for f in files if not f.endswith((".png", ".svg"))]
    size = len(shell) + sum(Path(f).stat().st_size for f in text)
    assert size <= SHELL_BUDGET, f"app shell {size} bytes (budget {SHELL_BUDGET})"
    icons = sum(Path(finders.find(p)).stat().st_size for p, _s, _u in views.ICONS)
    icons += Path(finders.find("pksai/favicon.svg")).stat().st_size
    assert icons <= ICON_BUDGET, f"icons {icons} bytes (budget {ICON_BUDGET})"
    # every module the app imports is precached (else it would not start offline)
    for path in STATIC.glob("*.js"):
        for imported in re.findall(r'from "\./([\w.]+)"', path.read_text()):
            assert f"field/{imported}" in views.SHELL_ASSETS, imported


@pytest.mark.django_db
def test_signing_out_lands_on_the_page_that_wipes_the_device(worker):
    client = signed_in(worker)
    answer = client.post("/accounts/logout/")
    assert answer.status_code == 302
    assert answer["Location"] == "/accounts/login/?signed_out=1"
    page = client.get(answer["Location"]).content.decode()
    assert '<script src="/static/pksai/js/offline-wipe.js"></script>' in page
    assert "offline-wipe.js" not in Client().get("/accounts/login/").content.decode()
    script = Path(finders.find("pksai/js/offline-wipe.js")).read_text()
    assert 'var PREFIX = "pksai-field";' in script  # the store's DB_NAME and cache prefix
    store = (STATIC / "store.js").read_text()
    assert 'export const DB_NAME = "pksai-field";' in store
    assert 'export const CACHE_PREFIX = "pksai-field-";' in store
