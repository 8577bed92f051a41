import pytest

from pksai.cases.tests.conftest import team  # noqa: F401  (the case-work team fixture)
from pksai.primero.tests import fake_primero


@pytest.fixture
def primero(settings):
    """A local Primero v2 server; settings point at it with the right credentials."""
    settings.PKSAI_PRIMERO_TIMEOUT_SECONDS = 5
    with fake_primero.configured(settings) as store:
        yield store
