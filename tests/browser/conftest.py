"""Real-browser tests: Debian's Chromium driven by Playwright against pytest-django's live_server.
Recipe: ../shared/docs/BROWSER_TESTS.md. Skipped (with the reason) when chromium is absent."""

import os
import shutil

import pytest

# Playwright's sync API keeps an event loop running in this thread; the ORM must still work.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            if CHROMIUM is None:
                item.add_marker(
                    pytest.mark.skip(reason="chromium not installed (scripts/ensure-chromium)")
                )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM}
