import pytest

from pksai.cases.tests.conftest import team  # noqa: F401  (the case-work team fixture)
from pksai.referrals.tests.factories import make_provider


@pytest.fixture
def dukcapil(team):  # noqa: F811
    """The civil registry of Makassar with its focal person ``dukcapil``."""
    return make_provider(focal="dukcapil")


@pytest.fixture
def puskesmas(team):  # noqa: F811
    """Another provider in Makassar with its own focal person ``pkm``."""
    return make_provider(
        "Puskesmas Mariso",
        area="73.71.01",
        sector="health_centre",
        services_offered=("health_check", "immunisation"),
        focal="pkm",
    )
