import pytest

from pksai.accounts.tests.factories import make_user
from pksai.webhooks.tests.receiver import Receiver


@pytest.fixture
def receiver(settings):
    settings.PKSAI_WEBHOOK_ALLOW_HTTP_HOSTS = ["127.0.0.1"]
    settings.PKSAI_WEBHOOK_TIMEOUT_SECONDS = 5
    running = Receiver().start()
    yield running
    running.stop()


@pytest.fixture
def admin(pilot_areas):
    return make_user("admin", roles=["administrator"], scope=["73"])


@pytest.fixture
def team(pilot_areas):
    """Makassar case staff (as pksai/cases/tests/conftest.py makes them)."""
    return {
        "staff": make_user("reg", roles=["registration_staff"], scope=["73.71"]),
        "worker": make_user("sw", roles=["social_worker"], scope=["73.71"]),
        "supervisor": make_user("spv", roles=["supervisor"], scope=["73.71"]),
        "coordinator": make_user("coord", roles=["coordinator"], scope=["73.71"]),
    }
