import pytest

from pksai.cases.tests.conftest import team  # noqa: F401  (the case-work team fixture)
from pksai.primero.tests import fake_primero


@pytest.fixture
def primero(settings):
    """A local Primero v2 server; settings point at it with the right credentials."""
    server, store = fake_primero.start()
    settings.PKSAI_PRIMERO_URL = f"http://127.0.0.1:{server.server_address[1]}"
    settings.PKSAI_PRIMERO_USERNAME = fake_primero.USER
    settings.PKSAI_PRIMERO_PASSWORD = fake_primero.PASSWORD
    settings.PKSAI_PRIMERO_TIMEOUT_SECONDS = 5
    yield store
    server.shutdown()
    server.server_close()
