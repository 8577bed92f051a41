"""Demo users carry Indonesian names (not their role): every one has a first and a last
name of its own, the usernames stay <site>.<role>, and the home page greets them by name."""

import pytest

from pksai.accounts.demo import DEMO_NAMES, NATIONAL_ROLES, PILOT_SITES, SITE_ROLES, demo_accounts
from pksai.accounts.models import User
from pksai.accounts.roles import ROLES
from pksai.areas.tests.factories import make_areas

AREAS = [
    ("31", "DKI Jakarta"),
    ("73", "Sulawesi Selatan"),
    ("73.71", "Kota Makassar"),
    ("73.06", "Kabupaten Gowa"),
    ("33", "Jawa Tengah"),
    ("33.72", "Kota Surakarta"),
    ("33.10", "Kabupaten Klaten"),
    ("35", "Jawa Timur"),
    ("35.04", "Kabupaten Tulungagung"),
]


@pytest.fixture
def demo_users(db):
    make_areas(AREAS)
    return demo_accounts()


def test_every_demo_user_has_an_indonesian_name_not_a_role(demo_users):
    usernames = [username for username, _role, _scope in demo_users]
    assert len(usernames) == len(PILOT_SITES) * len(SITE_ROLES) + len(NATIONAL_ROLES)
    role_words = {str(r.label).lower() for r in ROLES} | {r.slug.replace("_", " ") for r in ROLES}
    names = []
    for user in User.objects.filter(username__in=usernames):
        slug, role = user.username.split(".")  # the usernames are unchanged: <site>.<role>
        assert role in SITE_ROLES + NATIONAL_ROLES
        assert (user.first_name, user.last_name) == DEMO_NAMES[user.username]
        assert user.first_name and user.last_name
        full = user.get_full_name()
        assert not any(word in full.lower() for word in role_words), full
        assert "Kota" not in full and "Kabupaten" not in full and "Kemensos" not in full
        names.append(full)
    assert len(set(names)) == len(names)  # no two demo users share a name
    # the civil registry's focal person of each site (pksai.referrals.demo) has one too
    assert {f"{slug}.dukcapil" for slug, _c, _n in PILOT_SITES} <= set(DEMO_NAMES)


def test_the_home_page_greets_the_demo_user_by_name(client, demo_users):
    client.force_login(User.objects.get(username="makassar.coordinator"))
    page = client.get("/").text  # Indonesian: the default language
    assert "Selamat datang, Andi Pratama" in page


def test_running_the_demo_again_keeps_the_names(demo_users):
    before = dict(User.objects.values_list("username", "first_name"))
    demo_accounts()
    assert dict(User.objects.values_list("username", "first_name")) == before
