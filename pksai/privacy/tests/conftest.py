import pytest

from pksai.accounts.tests.factories import make_user
from pksai.cases.tests.conftest import team  # noqa: F401  (the case-work team fixture)
from pksai.referrals.tests.conftest import dukcapil, puskesmas  # noqa: F401


@pytest.fixture
def officer(team):  # noqa: F811
    """Makassar's data protection officer."""
    return make_user("dpo", roles=["data_protection_officer"], scope=["73.71"])


@pytest.fixture
def gowa_officer(team):  # noqa: F811
    return make_user("gdpo", roles=["data_protection_officer"], scope=["73.06"])
