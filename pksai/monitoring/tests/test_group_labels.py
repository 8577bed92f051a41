"""Indicators grouped by sex or program name their groups in the reader's language, never
by code — on the page, in the downloads and in the PDF."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from pksai.accounts.tests.factories import make_user
from pksai.cases.tests.conftest import team  # noqa: F401  (the case-work team fixture)
from pksai.cases.tests.factories import make_child, register
from pksai.core.tests.pdf_text import pdf_text
from pksai.monitoring.indicators import indicator_values
from pksai.monitoring.models import Indicator
from pksai.programs.models import Beneficiary, Nomination, Program


@pytest.fixture
def analyst(team):  # noqa: F811
    register(team, child=make_child("Siti", sex="F"))
    register(team, child=make_child("Budi", sex="M"))
    return make_user("pusdatin", roles=["national_analyst"], national=True)


def by(group: str, user, code: str = "cases_reported") -> dict[str, str]:
    today = timezone.localdate()
    values = indicator_values(
        Indicator.objects.get(code=code),
        user=user,
        start=today - timedelta(days=1),
        end=today + timedelta(days=1),
        group=group,
    )
    return {v.key: v.label for v in values}


@pytest.mark.django_db
def test_sexes_are_words_in_the_readers_language(analyst, client):
    assert by("sex", analyst) == {"F": "Perempuan", "M": "Laki-laki"}
    with translation.override("en"):
        assert by("sex", analyst) == {"F": "Female", "M": "Male"}
    client.force_login(analyst)
    today = timezone.localdate()
    pdf = client.get(
        "/monitoring/export/",
        {
            "report": "indicator",
            "indicator": "cases_reported",
            "group": "sex",
            "format": "pdf",
            "date_from": (today - timedelta(days=1)).isoformat(),
            "date_to": (today + timedelta(days=1)).isoformat(),
        },
    )
    lines = pdf_text(pdf.content).splitlines()
    assert "Perempuan" in lines and "Laki-laki" in lines
    assert "F" not in lines and "M" not in lines


@pytest.mark.django_db
def test_programs_are_named(team):  # noqa: F811
    from pksai.programs.tests.factories import make_person

    jslu = Program.objects.get(code="jslu")
    person = make_person("Lansia", village="73.71.01.1001")
    Nomination.objects.create(
        program=jslu,
        year=2026,
        person=person,
        area_id="73.71.01.1001",
        source="vulnerability",
        created_by=team["staff"],
    )
    Beneficiary.objects.create(
        program=jslu,
        person=person,
        area_id="73.71.01.1001",
        start_date=timezone.localdate(),
        benefit_rule=jslu.benefit_rules.first(),
        status="active",
    )
    analyst = make_user("pusdatin", roles=["national_analyst"], national=True)
    labels = by("program", analyst, "program_coverage")
    assert labels == {"jslu": jslu.name} and jslu.name != "jslu"
