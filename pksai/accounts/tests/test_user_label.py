"""The header's "who is signed in": name, roles in the reader's language, where they work."""

from django.utils import translation

from pksai.accounts.demo import DEMO_NAMES
from pksai.accounts.selectors import user_label, user_profile
from pksai.accounts.tests.factories import make_user
from pksai.areas.tests.factories import make_areas


def test_name_role_and_place_in_the_readers_language(pilot_areas):
    user = make_user(roles=["social_worker"], scope=["73.71"], first_name="Ani", last_name="Wijaya")
    with translation.override("en"):
        label = user_label(user=user)
        assert (label.name, label.roles, label.place) == (
            "Ani Wijaya",
            "Social worker / facilitator",
            "Kota Makassar",
        )
        assert label.role_and_place == "Social worker / facilitator · Kota Makassar"
    with translation.override("id"):
        assert user_label(user=user).role_and_place == "Pekerja sosial / pendamping · Kota Makassar"


def test_the_kind_of_area_is_never_written_twice(pilot_areas):
    """Regency names already say Kota/Kabupaten; districts and villages get theirs once."""
    make_areas([("73.71.01.2002", "Lette")])
    user = make_user(roles=["supervisor"], scope=["73.71", "73.06"])
    place = user_label(user=user).place
    assert place == "Kabupaten Gowa, Kota Makassar"
    assert "Kota Kota" not in place and "Kabupaten Kabupaten" not in place
    village = make_user(roles=["social_worker"], scope=["73.71.01.2002", "73.71.01.1001"])
    assert user_label(user=village).place == "Kelurahan Bontorannu, Desa Lette"


def test_without_a_name_the_user_name_and_many_areas_are_counted(pilot_areas):
    user = make_user("petugas7", roles=["coordinator"], scope=["73.71", "73.06", "33.72"])
    with translation.override("en"):
        label = user_label(user=user)
    assert label.name == "petugas7"
    assert label.place == "Kota Surakarta, Kabupaten Gowa, +1 more"  # by code: 33.72, 73.06


def test_national_users_and_users_without_a_role(pilot_areas):
    with translation.override("en"):
        auditor = user_label(user=make_user(roles=["auditor"], national=True))
        assert (auditor.roles, auditor.place) == ("Auditor", "National")
        nobody = user_label(user=make_user(roles=[], scope=["73.71"]))
        assert nobody.role_and_place == "Kota Makassar"


def test_the_profile_carries_the_same_label(pilot_areas):
    user = make_user(roles=["coordinator"], scope=["73.71"])
    profile = user_profile(user=user)
    assert profile["label"] == user_label(user=user)
    assert [a.code for a in profile["scope"]] == ["73.71"]


def test_demo_people_have_peoples_names_all_different():
    names = list(DEMO_NAMES.values())
    assert len(set(names)) == len(names)
    assert all(first != family for first, family in names)
