from datetime import date

import pytest

from pksai.areas.tests.factories import make_areas
from pksai.cases.tests.factories import make_child
from pksai.dci import signing
from pksai.dci.models import Caller
from pksai.dci.tests.helpers import CrvsRegistry, new_key, write_private_key

NIK_A = "7371014505140001"  # Makassar girl, born 2014
NIK_B = "7371010101800002"  # Makassar man, born 1980
NIK_G = "7306016606150003"  # Gowa girl, born 2015


@pytest.fixture
def our_key(settings, tmp_path):
    """PKSAI's own signing key, written where PKSAI_DCI_PRIVATE_KEY_FILE points."""
    key = new_key()
    settings.PKSAI_DCI_PRIVATE_KEY_FILE = write_private_key(key, tmp_path / "dci.pem")
    settings.PKSAI_DCI_SENDER_ID = "pksai"
    return key


@pytest.fixture
def people(pilot_areas):
    make_areas([("73.06.01.2001", "Desa Gowa")])
    girl = make_child("Siti Aminah", birth=date(2014, 5, 5), sex="F", nik=NIK_A)
    man = make_child("Baso Daeng", birth=date(1980, 1, 1), sex="M", nik=NIK_B)
    gowa = make_child("Nur Gowa", village="73.06.01.2001", birth=date(2015, 6, 26), nik=NIK_G)
    retired = make_child("Lama", birth=date(2013, 1, 1), sex="F")
    retired.in_registry = False
    retired.save(update_fields=["in_registry"])
    return {"girl": girl, "man": man, "gowa": gowa, "retired": retired}


@pytest.fixture
def caller_key():
    return new_key()


@pytest.fixture
def caller(people, caller_key):
    registered = Caller.objects.create(
        name="Social registry Makassar",
        sender_id="sr.makassar",
        public_key=signing.public_pem(caller_key),
    )
    registered.areas.set(["73.71"])
    return registered


@pytest.fixture
def crvs(settings, our_key):
    registry = CrvsRegistry(caller_public_key=our_key.public_key()).start()
    settings.PKSAI_DCI_CRVS_URL = registry.url
    settings.PKSAI_DCI_CRVS_RECEIVER_ID = registry.receiver_id
    settings.PKSAI_DCI_TIMEOUT_SECONDS = 5
    yield registry
    registry.stop()
