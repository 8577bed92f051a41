"""The area picker: suggestions while typing (scoped for staff, the whole country on public
pages), the server's reading of a typed name without script, and the form field."""

import pytest
from django import forms
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation

from pksai.accounts.tests.factories import make_user
from pksai.areas.forms import (
    NO_AREA,
    REGENCY_OR_DISTRICT,
    VILLAGE,
    AreaField,
    AreaFilterForm,
    scope_area_fields,
)
from pksai.areas.models import Area
from pksai.areas.selectors import area_resolve, area_search
from pksai.areas.tests.factories import make_areas

MAKASSAR = ("73.71",)


@pytest.fixture
def places(pilot_areas):
    """Two villages called Bontorannu (Makassar and Gowa), a village and a district both
    called Mariso, a district called Makassar, a few more regencies."""
    make_areas(
        [
            ("73.03", "Kabupaten Bantaeng"),
            ("73.09", "Kabupaten Maros"),
            ("73.06.01.2005", "Bontoramba"),
            ("73.06.01.2006", "Bontorannu"),
            ("73.71.01.1002", "Mattoangin"),
            ("73.71.01.1006", "Mariso"),
            ("73.71.03", "Makassar"),
            ("73.71.03.1001", "Maccini"),
            ("33.72.02", "Serengan"),
        ]
    )


def codes(found):
    return [p.code for p in found]


# --- suggestions -------------------------------------------------------------------------


def test_search_by_name_prefix_within_scope(places):
    found, total = area_search(q="Bontor", within=MAKASSAR)
    assert codes(found) == ["73.71.01.1001"] and total == 1
    assert found[0].label == "Bontorannu · Mariso · Kota Makassar"


def test_search_whole_country_prefix_first_then_by_name(places):
    found, total = area_search(q="bontor", within=None)
    assert codes(found) == ["73.06.01.2005", "73.06.01.2006", "73.71.01.1001"]
    assert total == 3
    # part of a name, any case; names that start with it come first
    found, _ = area_search(q="ANNU", within=None)
    assert {p.name for p in found} == {"Bontorannu"}
    found, _ = area_search(q="se", within=None)
    assert [p.name for p in found] == ["Serengan", "Sulawesi Selatan"]  # "se" inside the name


def test_search_orders_regencies_by_name_without_kabupaten_or_kota(places):
    found, _ = area_search(q="a", within=None, levels=[Area.Level.REGENCY])
    assert [p.name for p in found] == [
        "Kabupaten Bantaeng",
        "Kabupaten Gowa",
        "Kota Makassar",
        "Kabupaten Maros",
        "Kota Surakarta",
    ]
    # "Makassar" finds the city first: its name without "Kota " starts with it
    found, _ = area_search(q="makassar", within=None)
    assert codes(found)[:2] == ["73.71", "73.71.03"]
    found, _ = area_search(q="ma", within=MAKASSAR)
    assert [p.label for p in found] == [
        "Maccini · Makassar · Kota Makassar",
        "Kota Makassar · Sulawesi Selatan",
        "Makassar · Kota Makassar",
        "Mariso · Kota Makassar",
        "Mariso · Mariso · Kota Makassar",
        "Mattoangin · Mariso · Kota Makassar",
    ]


def test_search_by_code_with_or_without_dots(places):
    found, _ = area_search(q="7371", within=None)
    assert codes(found)[0] == "73.71"
    found, _ = area_search(q="73.71.01.1", within=None)
    assert codes(found) == ["73.71.01.1001", "73.71.01.1002", "73.71.01.1006"]


def test_search_limits_levels_and_counts_all(places):
    found, total = area_search(q="a", within=MAKASSAR, levels=VILLAGE, limit=2)
    assert len(found) == 2 and total == 4
    assert all(p.level == Area.Level.VILLAGE for p in found)


def test_search_in_an_empty_scope_finds_nothing(places):
    assert area_search(q="Bontorannu", within=()) == ([], 0)


# --- reading what was typed (the form without script) ------------------------------------


def test_resolve_one_place_by_name_code_or_label(places):
    assert area_resolve(text="bontorannu", within=MAKASSAR).place.code == "73.71.01.1001"
    assert area_resolve(text="Bontor", within=MAKASSAR).place.code == "73.71.01.1001"
    assert area_resolve(text="7371010001", within=None).problem == "none"
    assert area_resolve(text="7371011001", within=None).place.code == "73.71.01.1001"
    label = "Bontorannu · Mariso · Kota Makassar"
    assert area_resolve(text=label, within=None).place.code == "73.71.01.1001"
    assert area_resolve(text="Kota Makassar", within=None).place.code == "73.71"


def test_resolve_several_places_lists_them(places):
    found = area_resolve(text="Bontorannu", within=None)
    assert found.problem == "many"
    assert [p.label for p in found.candidates] == [
        "Bontorannu · Bontonompo · Kabupaten Gowa",
        "Bontorannu · Mariso · Kota Makassar",
    ]
    # an exact name is both a district and a village
    found = area_resolve(text="mariso", within=MAKASSAR)
    assert found.problem == "many" and codes(found.candidates) == ["73.71.01", "73.71.01.1006"]
    # one of them when the field wants a village
    assert area_resolve(text="Mariso", within=MAKASSAR, levels=VILLAGE).place.code == (
        "73.71.01.1006"
    )


def test_resolve_refuses_unknown_other_level_and_out_of_scope(places):
    assert area_resolve(text="Sungguminasa", within=MAKASSAR).problem == "none"
    # Gowa's Bontoramba is not in Makassar: by name it is simply not there
    assert area_resolve(text="Bontoramba", within=MAKASSAR).problem == "none"
    by_code = area_resolve(text="73.06.01.2005", within=MAKASSAR)
    assert by_code.problem == "scope" and by_code.found.name == "Bontoramba"
    wrong = area_resolve(text="73.71.01", within=MAKASSAR, levels=VILLAGE)
    assert wrong.problem == "level" and wrong.found.name == "Mariso"


# --- the suggestion endpoints ------------------------------------------------------------


def test_suggestions_for_staff_stay_in_their_scope(client, places):
    client.force_login(make_user(roles=["social_worker"], scope=["73.71"]))
    body = client.get("/areas/suggest/", {"q": "bontor"}).json()
    assert [r["code"] for r in body["results"]] == ["73.71.01.1001"]
    assert body["results"][0]["label"] == "Bontorannu · Mariso · Kota Makassar"
    # denied: villages of another regency, by name or by code
    assert client.get("/areas/suggest/", {"q": "Bontoramba"}).json()["count"] == 0
    assert client.get("/areas/suggest/", {"q": "73.06"}).json()["results"] == []


def test_suggestions_for_a_national_user_cover_the_country(client, places):
    client.force_login(make_user(roles=["coordinator"], national=True))
    body = client.get("/areas/suggest/", {"q": "bontor", "level": "village"}).json()
    assert body["count"] == 3


def test_suggestions_limit_levels_and_announce_the_count(client, places):
    client.force_login(make_user(roles=["social_worker"], scope=["73.71"]))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the answer speaks the reader's language
    with translation.override("en"):
        body = client.get("/areas/suggest/", {"q": "mariso", "level": "4"}).json()
        assert [r["level"] for r in body["results"]] == [4]
        assert body["message"] == "1 place found."
        body = client.get("/areas/suggest/", {"q": "zzz"}).json()
        assert body["results"] == [] and "No place found" in body["message"]
    # two letters: no search yet (thousands of villages); two digits: a province's code
    assert client.get("/areas/suggest/", {"q": "ma"}).json() == {
        "count": 0,
        "results": [],
        "message": "",
    }
    assert client.get("/areas/suggest/", {"q": "7"}).json()["results"] == []
    assert [r["code"] for r in client.get("/areas/suggest/", {"q": "73"}).json()["results"]][
        :2
    ] == ["73.71", "73.71.01"]


def test_staff_suggestions_need_an_account(client, places):
    response = client.get("/areas/suggest/", {"q": "bontor"})
    assert response.status_code == 302


def test_public_suggestions_cover_regencies_and_districts_only(client, places):
    body = client.get("/areas/suggest/public/", {"q": "mariso"}).json()
    assert [r["code"] for r in body["results"]] == ["73.71.01"]  # not the village
    body = client.get("/areas/suggest/public/", {"q": "bontor", "level": "4"}).json()
    assert body["results"] == []
    body = client.get("/areas/suggest/public/", {"q": "gowa", "level": "2"}).json()
    assert [r["label"] for r in body["results"]] == ["Kabupaten Gowa · Sulawesi Selatan"]


# --- the form field ----------------------------------------------------------------------


class VillageForm(forms.Form):
    village = AreaField(label="Village", levels=VILLAGE)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        scope_area_fields(self, user)


class PublicForm(forms.Form):
    area = AreaField(label="Where", levels=REGENCY_OR_DISTRICT, public=True)


@pytest.fixture
def worker(places):
    return make_user(roles=["social_worker"], scope=["73.71"])


def test_field_takes_the_one_place_and_keeps_its_code(worker):
    form = VillageForm({"village": "Bontorannu"}, user=worker)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["village"] == "73.71.01.1001"
    # what the script submits: the code
    assert VillageForm({"village": "73.71.01.1001"}, user=worker).is_valid()


def test_field_lists_the_candidates_and_takes_the_one_chosen(places):
    national = make_user(roles=["coordinator"], national=True)
    with translation.override("en"):
        form = VillageForm({"village": "Bontorannu"}, user=national)
        assert not form.is_valid()
        assert form.errors["village"] == [
            "Several places match “Bontorannu”: choose one from the list, or type more."
        ]
    html = str(form["village"])
    assert 'name="village__pick" value="73.06.01.2006"' in html
    assert 'name="village__pick" value="73.71.01.1001"' in html
    assert "Bontorannu · Bontonompo · Kabupaten Gowa" in html
    assert 'name="village__for" value="Bontorannu"' in html
    chosen = VillageForm(
        {"village": "Bontorannu", "village__for": "Bontorannu", "village__pick": "73.06.01.2006"},
        user=national,
    )
    assert chosen.is_valid() and chosen.cleaned_data["village"] == "73.06.01.2006"
    # the text was changed instead of choosing: the new text counts
    changed = VillageForm(
        {"village": "Mattoangin", "village__for": "Bontorannu", "village__pick": "73.06.01.2006"},
        user=national,
    )
    assert changed.is_valid() and changed.cleaned_data["village"] == "73.71.01.1002"


def test_field_refuses_out_of_scope_unknown_and_wrong_level(worker):
    with translation.override("en"):
        form = VillageForm({"village": "Sungguminasa"}, user=worker)
        assert not form.is_valid()
        assert form.errors["village"] == ["No village called “Sungguminasa” in your area."]
        form = VillageForm({"village": "73.06.01.2006"}, user=worker)
        assert not form.is_valid()
        assert form.errors["village"] == [
            "Bontorannu · Bontonompo · Kabupaten Gowa is outside your area of work."
        ]
        # a chosen candidate is checked like a typed code
        form = VillageForm(
            {"village": "x", "village__for": "x", "village__pick": "73.06.01.2006"}, user=worker
        )
        assert not form.is_valid()
        form = VillageForm({"village": "73.71.01"}, user=worker)
        assert not form.is_valid()
        assert "is a district (kecamatan); choose a village" in form.errors["village"][0]


def test_field_without_a_user_is_a_mistake(places):
    with pytest.raises(ImproperlyConfigured):
        VillageForm({"village": "Bontorannu"}).is_valid()


def test_field_shows_the_place_not_the_code(worker):
    form = VillageForm(initial={"village": "73.71.01.1001"}, user=worker)
    html = str(form["village"])
    assert 'value="Bontorannu · Mariso · Kota Makassar"' in html
    assert 'data-code="73.71.01.1001"' in html
    assert "73.71.01.1001</span>" in html  # the code only in small print
    assert 'data-search-url="/areas/suggest/?level=4"' in html
    assert 'aria-describedby="id_village-hint"' in html


def test_public_field_searches_the_whole_country(places):
    form = PublicForm({"area": "Bontonompo"})
    assert form.is_valid() and form.cleaned_data["area"] == "73.06.01"
    with translation.override("en"):
        form = PublicForm({"area": "Bontorannu"})  # a village: not what this field asks for
        assert form.errors["area"] == ["No regency, city or district called “Bontorannu”."]
    assert "/areas/suggest/public/?level=2&amp;level=3" in str(PublicForm()["area"])


def test_filter_form(worker):
    assert AreaFilterForm({}, user=worker).filter_code == ""
    assert AreaFilterForm({"area": "Mattoangin"}, user=worker).filter_code == "73.71.01.1002"
    assert AreaFilterForm({"area": "Bontoramba"}, user=worker).filter_code == NO_AREA
    within = AreaFilterForm({"within": "Makassar"}, user=worker, name="within")
    assert within.filter_code == NO_AREA  # the city and the district: choose one
    assert 'name="within__pick"' in str(within.field)


def test_a_label_of_another_level_is_not_guessed(places):
    # the district's label in a village field: not the village of the same name below it
    found = area_resolve(text="Mariso · Kota Makassar", within=MAKASSAR, levels=VILLAGE)
    assert found.problem == "level" and found.found.code == "73.71.01"
    # an edited label falls back to its name
    edited = area_resolve(text="Mattoangin · Somewhere", within=MAKASSAR, levels=VILLAGE)
    assert edited.place.code == "73.71.01.1002"


@pytest.mark.parametrize("asset", ["pksai/js/area-picker.js", "pksai/css/area-picker.css"])
def test_the_picker_assets_are_served_from_here(asset):
    from django.contrib.staticfiles import finders

    assert finders.find(asset)
