import pytest

from pksai.cases.tests.conftest import team  # noqa: F401  (the case-work team fixture)
from pksai.cases.tests.factories import make_child, register


@pytest.fixture
def case(team):  # noqa: F811
    return register(team, child=make_child("Budi"))


@pytest.fixture(autouse=True)
def _attachment_root(settings, tmp_path):
    settings.ATTACHMENT_ROOT = str(tmp_path / "attachments")
