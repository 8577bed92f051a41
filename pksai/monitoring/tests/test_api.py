"""The monitoring API: indicator definitions and values in the caller's scope, the period
comparison (suppressed), the finance reports; 401 without a token, 403 without the role, 404
for an area outside the scope."""

from datetime import date

from pksai.accounts.tests.factories import make_user
from pksai.api.tests.helpers import bearer, english_messages  # noqa: F401  (autouse)
from pksai.monitoring.demo import demo_finance
from pksai.monitoring.tests.test_views import THIS_YEAR, analyst, makassar, monitoring_cases

__all__ = ["analyst", "makassar", "monitoring_cases"]  # fixtures used here
API = "/api/v1/monitoring/"


def get(client, path, user):
    return client.get(API + path, headers=bearer(user))


def test_denials(client, monitoring_cases, makassar):
    assert client.get(API + "indicators").status_code == 401
    worker = make_user("worker", roles=["social_worker"], scope=["73.71"])
    assert get(client, "indicators", worker).status_code == 403
    assert get(client, "compare", worker).status_code == 403
    assert get(client, "finance/execution?year=2026", makassar).status_code == 403
    assert get(client, "indicators/cases_reported/values?area=73.06", makassar).status_code == 404
    assert get(client, "compare?area=73.06", makassar).status_code == 404
    assert get(client, "indicators/nope/values", makassar).status_code == 404
    assert get(client, "indicators/cases_reported/values?area=bad", makassar).status_code == 400


def test_indicators_and_values_in_scope(client, monitoring_cases, makassar, analyst):
    definitions = get(client, "indicators", makassar).json()
    reported = next(d for d in definitions if d["code"] == "cases_reported")
    assert reported["numerator"] == "cases_reported" and "district" in reported["groups"]
    answer = get(client, "indicators/cases_reported/values", makassar).json()
    assert answer["group"] == "district" and answer["total"]["numerator"] == 7
    assert [(v["key"], v["numerator"]) for v in answer["values"]] == [("73.71.01", 7)]
    national = get(
        client, f"indicators/cases_responded/values?group=regency&start={THIS_YEAR}-01-01", analyst
    ).json()
    by_key = {v["key"]: v for v in national["values"]}
    assert by_key["73.71"]["numerator"] == 4 and by_key["73.71"]["denominator"] == 7
    assert by_key["73.71"]["value"] == "57.1"
    months = get(client, "indicators/cases_reported/values?group=month", analyst).json()
    assert [v["key"] for v in months["values"]][:2] == [f"{THIS_YEAR}-01", f"{THIS_YEAR}-02"]


def test_comparison_is_suppressed(client, monitoring_cases, analyst):
    table = get(client, "compare?measures=cases_reported", analyst).json()
    rows = {row[0]: row[1:] for row in table["rows"]}
    assert rows["Kota Makassar"] == [6, 7, 1]
    assert rows["Kabupaten Gowa"] == ["≤4", "≤4", "—"]
    assert table["total"][1:] == [12, 14, 2] and table["suppressed"] == 4
    assert table["notes"]


def test_finance(client, pilot_areas):
    officer = make_user("officer", roles=["program_officer"], national=True)
    demo_finance(date(THIS_YEAR, 6, 1))
    year = THIS_YEAR - 1
    efficiency = get(client, f"finance/efficiency?year={year}", officer).json()
    assert [row[0] for row in efficiency["rows"]] == ["JSLU", "JSPACA", "PKSA"]
    execution = get(client, f"finance/execution?year={year}", officer).json()
    assert execution["rows"][0][4] == "93.0"
    months = get(client, f"finance/by-month?year={THIS_YEAR}&program=pksa", officer).json()
    assert len(months["rows"]) == 12
    assert get(client, f"finance/by-month?year={year}&program=nope", officer).status_code == 404
