import pytest

from pksai.accounts.tests.factories import make_user
from pksai.areas.tests.factories import make_areas


@pytest.fixture
def team(pilot_areas):
    make_areas([("73.06.01.2001", "Desa Gowa")])
    supervisor = make_user("spv", roles=["supervisor"], scope=["73.71"])
    return {
        "staff": make_user("reg", roles=["registration_staff"], scope=["73.71"]),
        "worker": make_user("sw", roles=["social_worker"], scope=["73.71"]),
        "other_worker": make_user("sw2", roles=["social_worker"], scope=["73.71"]),
        "gowa_worker": make_user("gw", roles=["social_worker"], scope=["73.06"]),
        "supervisor": supervisor,
        "coordinator": make_user("coord", roles=["coordinator"], scope=["73.71"]),
    }
