"""Indicators from case data: the period-vs-period report of cases reported and responded per
regency matches hand counts (national roll-up and a regency's own view), and indicator
values divide their measures as defined."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from pksai.accounts.tests.factories import make_user
from pksai.cases.models import Case
from pksai.cases.tests.factories import make_child
from pksai.monitoring.indicators import compare_periods, indicator_values
from pksai.monitoring.models import Indicator

PKSA_2016 = (date(2016, 1, 1), date(2017, 1, 1))
PKSAI_2017 = (date(2017, 1, 1), date(2017, 11, 1))  # January–October 2017
# (regency, district, reported on, triaged?, void?)
CASES = [
    ("73.71", "73.71.01", date(2016, 3, 4), True, False),
    ("73.71", "73.71.01", date(2016, 7, 1), True, False),
    ("73.71", "73.71.01", date(2016, 12, 31), False, False),
    ("73.71", "73.71.01", date(2017, 1, 1), True, False),
    ("73.71", "73.71.01", date(2017, 2, 14), True, False),
    ("73.71", "73.71.01", date(2017, 5, 5), True, False),
    ("73.71", "73.71.01", date(2017, 8, 17), True, False),
    ("73.71", "73.71.01", date(2017, 10, 31), False, False),
    ("73.71", "73.71.01", date(2017, 6, 1), True, True),  # void: not a case
    ("73.71", "73.71.01", date(2017, 11, 2), True, False),  # after the period
    ("73.06", "73.06.01", date(2016, 9, 9), False, False),
    ("73.06", "73.06.01", date(2017, 3, 3), True, False),
    ("73.06", "73.06.01", date(2017, 4, 4), True, False),
]


@pytest.fixture
def cases(pilot_areas):
    owner = make_user("sw", roles=["social_worker"], scope=["73.71"])
    child = make_child()
    made = Case.objects.bulk_create(
        [
            Case(
                number=f"T-{i}",
                regency_id=regency,
                area_id=district,
                child=child,
                channel="phone",
                summary="-",
                stage="void" if void else ("assessment" if triaged else "triage"),
                response="at_risk" if triaged else "",
                owner=owner,
                created_by=owner,
            )
            for i, (regency, district, _on, triaged, void) in enumerate(CASES)
        ]
    )
    for case, (_r, _d, on, _t, _v) in zip(made, CASES, strict=True):
        Case.objects.filter(pk=case.pk).update(
            created_at=datetime(on.year, on.month, on.day, 2, tzinfo=UTC)
        )
    return made


@pytest.mark.django_db
def test_cases_responded_per_regency_period_vs_period_matches_hand_counts(cases):
    analyst = make_user("pusdatin", roles=["national_analyst"], national=True)
    rows = compare_periods(
        user=analyst,
        measures=["cases_reported", "cases_responded"],
        first=PKSA_2016,
        second=PKSAI_2017,
        group="regency",
    )
    table = {r.label: (r.first, r.second) for r in rows}
    assert table == {
        "Kabupaten Gowa": (
            {"cases_reported": 1, "cases_responded": 0},
            {"cases_reported": 2, "cases_responded": 2},
        ),
        "Kota Makassar": (
            {"cases_reported": 3, "cases_responded": 2},
            {"cases_reported": 5, "cases_responded": 4},
        ),
    }
    # a district coordinator sees their regency only; a worker without the dashboard: refused
    coordinator = make_user("coord", roles=["coordinator"], scope=["73.71"])
    mine = compare_periods(
        user=coordinator,
        measures=["cases_reported"],
        first=PKSA_2016,
        second=PKSAI_2017,
        group="regency",
    )
    assert [(r.key, r.second["cases_reported"]) for r in mine] == [("73.71", 5)]
    with pytest.raises(PermissionDenied):
        compare_periods(
            user=make_user("sw2", roles=["social_worker"]),
            measures=["cases_reported"],
            first=PKSA_2016,
            second=PKSAI_2017,
        )


@pytest.mark.django_db
def test_indicator_values_divide_their_measures(cases):
    analyst = make_user("pusdatin", roles=["national_analyst"], national=True)
    responded = Indicator.objects.get(code="cases_responded")
    (national,) = indicator_values(responded, user=analyst, start=PKSAI_2017[0], end=PKSAI_2017[1])
    assert (national.numerator, national.denominator, national.value) == (6, 7, Decimal("85.7"))
    by_month = indicator_values(
        Indicator.objects.get(code="cases_reported"),
        user=analyst,
        start=PKSA_2016[0],
        end=PKSAI_2017[1],
        group="month",
    )
    assert {v.key: v.numerator for v in by_month}["2017-01"] == 1
    assert sum(v.numerator for v in by_month) == 11
    by_age = indicator_values(
        responded, user=analyst, start=PKSA_2016[0], end=PKSAI_2017[1], group="age_group"
    )
    assert [(v.key, v.numerator, v.denominator) for v in by_age] == [("0-4", 8, 11)]


@pytest.mark.django_db
def test_an_area_narrows_the_count_within_the_scope(cases):
    analyst = make_user("pusdatin", roles=["national_analyst"], national=True)
    rows = compare_periods(
        user=analyst,
        measures=["cases_reported"],
        first=PKSA_2016,
        second=PKSAI_2017,
        group="district",
        area="73.71",
    )
    assert [(r.key, r.first["cases_reported"], r.second["cases_reported"]) for r in rows] == [
        ("73.71.01", 3, 5)
    ]
    # an area code that is a prefix of another's text but not its parent does not match
    assert not compare_periods(
        user=analyst,
        measures=["cases_reported"],
        first=PKSA_2016,
        second=PKSAI_2017,
        area="73.7",
    )
