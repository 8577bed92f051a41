"""Issue 21 point 4 and acceptance 4: the aggregate export to DHIS2 — mapping as data (admin,
CSV import with rejected rows), the data value set of a pilot city (valid against the format,
totals equal to the dashboard's, small counts suppressed, unmapped areas and indicators
reported), the page's download (scoped, audited) and the push to a DHIS2 Web API with its
import summary recorded (decision 0036)."""

from __future__ import annotations

import base64
import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.core.tests import local_server
from pksai.monitoring.dhis2 import (
    Dhis2Error,
    dhis2_export_build,
    dhis2_mapping_import,
    dhis2_push,
    parse_period,
)
from pksai.monitoring.forms import Period
from pksai.monitoring.indicators import active_indicators
from pksai.monitoring.models import Dhis2Mapping, Dhis2OrgUnit, Dhis2Push, Indicator
from pksai.monitoring.targets import Goal
from pksai.monitoring.tests.test_views import THIS_YEAR, analyst, makassar, monitoring_cases
from pksai.monitoring.tiles import indicator_tile

__all__ = ["analyst", "makassar", "monitoring_cases"]  # fixtures used here

SCHEMA = (
    Path(settings.BASE_DIR) / "pksai" / "monitoring" / "data" / "dhis2_datavalueset.schema.json"
)
Q1 = f"{THIS_YEAR}-Q1"

# (kind, code, part, uid, category option combo)
MAPPING = [
    ("indicator", "cases_reported", "numerator", "CaseRepDE01", "HllvX50cXC0"),
    ("indicator", "cases_responded", "numerator", "CaseRspDE01", ""),
    ("indicator", "cases_responded", "denominator", "CaseRspDE02", ""),
    ("indicator", "cases_responded", "value", "CaseRspPct1", ""),
    ("orgunit", "73.71", "", "MakassarOU1", ""),
    ("orgunit", "73.71.01", "", "MarisoOU001", ""),
    ("orgunit", "73.06", "", "GowaOU00001", ""),
    ("orgunit", "73.06.01", "", "BontonompOU", ""),
]


@pytest.fixture
def mapped(pilot_areas, tmp_path):
    admin = make_user("mapper", roles=[], national=True)
    admin.is_superuser = True
    admin.save()
    path = tmp_path / "mapping.csv"
    lines = ["kind,code,part,uid,category_option_combo,attribute_option_combo"]
    lines += [",".join([*row, ""]) for row in MAPPING]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = dhis2_mapping_import(by=admin, path=path)
    assert (result.indicators, result.org_units, result.rejected) == (4, 4, [])
    return admin


def validator():
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    return jsonschema_rs.validator_for(json.loads(SCHEMA.read_text(encoding="utf-8")))


def sums(built, data_element: str) -> int:
    return sum(int(v["value"]) for v in built.data_values if v["dataElement"] == data_element)


# --- the acceptance: a pilot city ----------------------------------------------------------


def dashboard(user, code: str, period: str, area: str):
    when = parse_period(period).period
    return indicator_tile(
        Indicator.objects.get(code=code),
        user=user,
        period=Period(when.start, when.end),
        area=area,
        goal=Goal(),
        with_trend=False,
    )


def test_pilot_city_payload_is_valid_and_its_totals_equal_the_dashboards(
    monitoring_cases, makassar, mapped, settings
):
    settings.PKSAI_SUPPRESS_BELOW = 1  # nothing suppressed: every figure is sent
    built = dhis2_export_build(user=makassar, area="73.71", period=Q1, level="below")
    payload = json.loads(built.body())
    errors = [e.message for e in validator().iter_errors(payload)]
    assert errors == [] and len(payload["dataValues"]) == 4
    assert {v["period"] for v in payload["dataValues"]} == {f"{THIS_YEAR}Q1"}
    assert {v["orgUnit"] for v in payload["dataValues"]} == {"MarisoOU001"}
    reported = next(v for v in payload["dataValues"] if v["dataElement"] == "CaseRepDE01")
    assert reported["categoryOptionCombo"] == "HllvX50cXC0"
    # the dashboard's tiles for the same area and period
    reported_tile = dashboard(makassar, "cases_reported", Q1, "73.71")
    responded_tile = dashboard(makassar, "cases_responded", Q1, "73.71")
    assert sums(built, "CaseRepDE01") == reported_tile.numerator == reported_tile.value == 7
    assert sums(built, "CaseRspDE01") == responded_tile.numerator == 4
    assert sums(built, "CaseRspDE02") == responded_tile.denominator == 7
    # a ratio indicator: its value as the dashboard rounds it (4 of 7 = 57.1 %)
    percent = [v["value"] for v in payload["dataValues"] if v["dataElement"] == "CaseRspPct1"]
    assert percent == [str(responded_tile.value)] == ["57.1"]
    # the same, as one value for the city itself
    itself = dhis2_export_build(user=makassar, area="73.71", period=Q1, level="self")
    assert {v["orgUnit"] for v in itself.data_values} == {"MakassarOU1"}
    assert sums(itself, "CaseRepDE01") == 7
    # a month: January only
    january = dhis2_export_build(user=makassar, area="73.71", period=f"{THIS_YEAR}-01")
    assert {v["period"] for v in january.data_values} == {f"{THIS_YEAR}01"}
    assert (
        sums(january, "CaseRepDE01")
        == dashboard(makassar, "cases_reported", f"{THIS_YEAR}-01", "73.71").numerator
        == 4
    )
    # every other active indicator is reported as not mapped, not silently dropped
    mapped_codes = {"cases_reported", "cases_responded"}
    assert set(built.unmapped_indicators) == {
        i.code for i in active_indicators() if i.code not in mapped_codes
    }


def test_pilot_city_with_publication_suppression(monitoring_cases, makassar, mapped):
    """The default rules: the 4 responded cases are a small count — left out, with the
    percentage built on them; the 7 reported and the 7 to respond to are sent. What is sent
    plus what is withheld is the dashboard's figure."""
    built = dhis2_export_build(user=makassar, area="73.71", period=Q1, level="below")
    assert validator().is_valid(built.payload())
    assert sorted(v["dataElement"] for v in built.data_values) == ["CaseRepDE01", "CaseRspDE02"]
    assert sums(built, "CaseRepDE01") == dashboard(makassar, "cases_reported", Q1, "73.71").value
    assert {(w.indicator, w.part, w.area) for w in built.suppressed} == {
        ("cases_responded", "numerator", "73.71.01"),
        ("cases_responded", "value", "73.71.01"),
    }
    assert built.summary()["suppressed"] == 2


def test_the_schema_refuses_what_dhis2_refuses():
    schema = validator()
    good = {
        "dataElement": "CaseRepDE01",
        "period": "202601",
        "orgUnit": "MarisoOU001",
        "value": "7",
    }
    assert schema.is_valid({"dataValues": [good]})
    for bad in (
        {**good, "dataElement": "1aseRepDE01"},  # a UID starts with a letter
        {**good, "orgUnit": "Mariso"},  # 11 characters
        {**good, "period": "2026-01"},
        {**good, "value": 7},  # values are strings
        {k: v for k, v in good.items() if k != "orgUnit"},
    ):
        assert not schema.is_valid({"dataValues": [bad]})


def test_periods():
    assert parse_period("2026-03").code == "202603"
    assert parse_period("2026-q4").code == "2026Q4"
    assert parse_period("2026-Q4").period.end.isoformat() == "2027-01-01"
    assert parse_period("2026-12").period.end.isoformat() == "2027-01-01"
    assert parse_period("2026-Q2").iso == "2026-04-01/P3M"
    for bad in ("2026-13", "2026", "2026-Q5", ""):
        with pytest.raises(Dhis2Error):
            parse_period(bad)


def test_small_counts_are_suppressed_and_said_so(monitoring_cases, analyst, mapped):
    # Sulawesi Selatan by regency, Q1: Gowa 2 (small) and Makassar 7 (its complement: the
    # province's total 9 is published by DHIS2's own aggregation)
    built = dhis2_export_build(user=analyst, area="73", period=Q1, level="below")
    assert not [v for v in built.data_values if v["dataElement"] == "CaseRepDE01"]
    withheld = {(w.indicator, w.part, w.area) for w in built.suppressed}
    assert {
        ("cases_reported", "numerator", "73.06"),
        ("cases_reported", "numerator", "73.71"),
    } <= withheld
    assert built.summary()["suppressed"] == len(built.suppressed) > 0
    # Gowa alone: its 2 cases are a small count, left out
    gowa = dhis2_export_build(user=analyst, area="73.06", period=Q1, level="self")
    assert gowa.data_values == [] or all(v["orgUnit"] != "GowaOU00001" for v in gowa.data_values)
    assert ("cases_reported", "numerator", "73.06") in {
        (w.indicator, w.part, w.area) for w in gowa.suppressed
    }


def test_unmapped_areas_are_reported(monitoring_cases, makassar, mapped):
    Dhis2OrgUnit.objects.filter(area_id="73.71.01").delete()
    built = dhis2_export_build(user=makassar, area="73.71", period=Q1, level="below")
    assert built.unmapped_areas == ["73.71.01"] and built.data_values == []


def test_scope_and_levels(monitoring_cases, makassar, mapped):
    from django.http import Http404

    with pytest.raises(Http404):  # another regency
        dhis2_export_build(user=makassar, area="73.06", period=Q1)
    with pytest.raises(Dhis2Error):  # nothing below a district
        dhis2_export_build(user=makassar, area="73.71.01", period=Q1, level="below")
    worker = make_user("worker", roles=["social_worker"], scope=["73.71"])
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        dhis2_export_build(user=worker, area="73.71", period=Q1)


def test_adx_holds_the_same_values(monitoring_cases, makassar, mapped, settings):
    """ADX (IHE QRPH ADX 2015, as in dhis2-core's adx test resources): a group per org unit
    with the period as start/duration and the data set; the same values as the JSON. (No XSD
    check: lxml is not installed; the structure is checked here.)"""
    from xml.etree import ElementTree

    from pksai.monitoring.dhis2 import ADX_NS

    settings.PKSAI_SUPPRESS_BELOW = 1
    built = dhis2_export_build(user=makassar, area="73.71", period=Q1)
    with pytest.raises(Dhis2Error):
        built.adx(data_set="", exported="2026-12-04T00:00:00Z")
    root = ElementTree.fromstring(  # noqa: S314  (our own output)
        built.adx(data_set="PksaiDSet01", exported="2026-12-04T00:00:00Z")
    )
    assert root.tag == f"{{{ADX_NS}}}adx" and root.get("exported") == "2026-12-04T00:00:00Z"
    groups = root.findall(f"{{{ADX_NS}}}group")
    assert [(g.get("orgUnit"), g.get("period"), g.get("dataSet")) for g in groups] == [
        ("MarisoOU001", f"{THIS_YEAR}-01-01/P3M", "PksaiDSet01")
    ]
    values = [
        {k: v for k, v in e.attrib.items()} for e in groups[0].findall(f"{{{ADX_NS}}}dataValue")
    ]
    expected = [
        {k: v for k, v in d.items() if k not in ("orgUnit", "period")} for d in built.data_values
    ]
    assert values == expected and len(values) == 4


def test_page_downloads_adx_when_a_data_set_is_configured(
    client, monitoring_cases, makassar, mapped, settings
):
    client.force_login(makassar)
    url = f"/monitoring/dhis2/?area=73.71&period={Q1}&level=below"
    settings.PKSAI_DHIS2_DATA_SET = ""
    assert "download=adx" not in client.get(url).text
    assert client.get(url + "&download=adx").status_code == 400
    settings.PKSAI_DHIS2_DATA_SET = "PksaiDSet01"
    assert "download=adx" in client.get(url).text
    answer = client.get(url + "&download=adx")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/adx+xml"
    assert b"urn:ihe:qrph:adx:2015" in answer.content and b'dataSet="PksaiDSet01"' in answer.content
    assert AuditEvent.objects.filter(
        action="export", object_type="monitoring.dhis2", detail__format="adx"
    ).exists()


# --- the mapping import ------------------------------------------------------------------------


def test_mapping_import_rejects_bad_rows_with_row_column_and_reason(pilot_areas, tmp_path):
    admin = make_user("mapper", roles=[], national=True)
    admin.is_superuser = True
    admin.save()
    path = tmp_path / "m.csv"
    path.write_text(
        "kind,code,part,uid,category_option_combo\n"
        "indicator,cases_reported,numerator,CaseRepDE01,\n"  # 2: good
        "indicator,no_such,numerator,CaseRepDE02,\n"  # 3: unknown indicator
        "indicator,cases_reported,share,CaseRepDE03,\n"  # 4: bad part
        "indicator,cases_responded,numerator,1bad,\n"  # 5: bad UID
        "orgunit,73.71,,MakassarOU1,\n"  # 6: good
        "orgunit,99.99,,Nowhere0001,\n"  # 7: unknown area
        "orgunit,73.71,,MakassarOU2,\n"  # 8: repeated
        "district,73.71,,MakassarOU3,\n"  # 9: bad kind
        "indicator,cases_responded,numerator,CaseRspDE01,cocTooLong123\n"  # 10: bad combo
        "indicator,cases_reported,denominator,CaseRepDE09,\n",  # 11: a count has none
        encoding="utf-8",
    )
    with translation.override("en"):
        result = dhis2_mapping_import(by=admin, path=path)
    assert (result.indicators, result.org_units) == (1, 1)
    assert [(row, column) for row, column, _v, _why in result.rejected] == [
        (3, "code"),
        (4, "part"),
        (5, "uid"),
        (7, "code"),
        (8, "code"),
        (9, "kind"),
        (10, "category_option_combo"),
        (11, "part"),
    ]
    assert result.rejected[0][3] == "unknown indicator code"
    assert Dhis2OrgUnit.objects.get(area_id="73.71").org_unit == "MakassarOU1"
    # a re-import replaces the mapping of its figure
    path.write_text("kind,code,part,uid\nindicator,cases_reported,numerator,NewRepDE001\n")
    dhis2_mapping_import(by=admin, path=path)
    assert Dhis2Mapping.objects.get(indicator__code="cases_reported").data_element == "NewRepDE001"
    # no permission to change the mapping: refused
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        dhis2_mapping_import(by=make_user("coord", roles=["coordinator"]), path=path)


def test_model_validation_refuses_a_bad_uid(pilot_areas):
    from django.core.exceptions import ValidationError

    unit = Dhis2OrgUnit(area_id="73.71", org_unit="73-71-city!")
    with pytest.raises(ValidationError):
        unit.full_clean()


# --- the page ----------------------------------------------------------------------------------


def test_page_shows_the_summary_and_downloads_the_set_audited(
    client, monitoring_cases, makassar, mapped
):
    client.force_login(makassar)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(f"/monitoring/dhis2/?area=73.71&period={Q1}&level=below")
    assert page.status_code == 200
    assert "2 values in the set" in page.text and "2 figures left out" in page.text
    download = client.get(f"/monitoring/dhis2/?area=73.71&period={Q1}&level=below&download=json")
    assert download.status_code == 200 and download["Content-Type"] == "application/json"
    assert "attachment" in download["Content-Disposition"]
    body = json.loads(download.content)
    assert validator().is_valid(body) and body["dataValues"]
    event = AuditEvent.objects.filter(action="export", object_type="monitoring.dhis2").latest("pk")
    assert event.detail["area"] == "73.71" and event.detail["period"] == f"{THIS_YEAR}Q1"
    # without an area: the coordinator's own city, the last full month
    assert client.get("/monitoring/dhis2/").status_code == 200


def test_page_denials(client, monitoring_cases, makassar, mapped):
    assert client.get("/monitoring/dhis2/").status_code == 302  # sign in first
    client.force_login(make_user("worker", roles=["social_worker"], scope=["73.71"]))
    assert client.get("/monitoring/dhis2/").status_code == 403
    client.force_login(makassar)
    assert client.get(f"/monitoring/dhis2/?area=73.06&period={Q1}").status_code == 404
    assert client.get(f"/monitoring/dhis2/?area=73.06&period={Q1}&download=json").status_code == 404
    assert client.get("/monitoring/dhis2/?area=73.71&period=2026-13").status_code == 400
    assert client.get("/monitoring/dhis2/?area=73.71.01&level=below").status_code == 400
    assert not AuditEvent.objects.filter(action="export", object_type="monitoring.dhis2").exists()


# --- the push ----------------------------------------------------------------------------------


class FakeDhis2(BaseHTTPRequestHandler):
    """Speaks DHIS2's POST /api/dataValueSets: basic auth or an ApiToken, a JSON data value
    set, an import summary in a WebMessage (2.38+) with a conflict for an unknown data
    element; 401 for bad credentials; 500 when told to fail once."""

    known = {"CaseRepDE01", "CaseRspDE01", "CaseRspPct1"}
    received: list = []
    fail_next = False

    def log_message(self, *args):  # quiet
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        auth = self.headers.get("Authorization", "")
        good = {
            "Basic " + base64.b64encode(b"pksai:rahasia").decode(),
            "ApiToken d2pat_goodtoken",
        }
        if self.path != "/api/dataValueSets":
            return self._answer(404, {"httpStatusCode": 404, "status": "ERROR"})
        if auth not in good:
            return self._answer(
                401, {"httpStatusCode": 401, "status": "ERROR", "message": "Unauthorized"}
            )
        if FakeDhis2.fail_next:
            FakeDhis2.fail_next = False
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"Internal Server Error")
            return None
        payload = json.loads(body)
        FakeDhis2.received.append(payload)
        values = payload["dataValues"]
        conflicts = [
            {
                "object": v["dataElement"],
                "objects": {"dataElement": v["dataElement"]},
                "value": "Data element not found or not accessible",
                "errorCode": "E7610",
                "property": "dataElement",
                "indexes": [i],
            }
            for i, v in enumerate(values)
            if v["dataElement"] not in self.known
        ]
        imported = len(values) - len(conflicts)
        summary = {
            "responseType": "ImportSummary",
            "status": "WARNING" if conflicts else "SUCCESS",
            "importCount": {
                "imported": imported,
                "updated": 0,
                "ignored": len(conflicts),
                "deleted": 0,
            },
            "conflicts": conflicts,
        }
        status = 409 if conflicts else 200
        return self._answer(
            status,
            {
                "httpStatus": "Conflict" if conflicts else "OK",
                "httpStatusCode": status,
                "status": "WARNING" if conflicts else "OK",
                "response": summary,
            },
        )

    def _answer(self, status, data):
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def dhis2_server(settings):
    server = local_server.serve(FakeDhis2)
    FakeDhis2.received, FakeDhis2.fail_next = [], False
    settings.PKSAI_DHIS2_URL = f"http://127.0.0.1:{server.server_address[1]}"
    settings.PKSAI_DHIS2_USERNAME, settings.PKSAI_DHIS2_PASSWORD = "pksai", "rahasia"
    settings.PKSAI_DHIS2_TOKEN = ""
    settings.PKSAI_DHIS2_TIMEOUT_SECONDS = 5
    yield server
    local_server.stop(server)


def test_push_records_each_answer(monitoring_cases, makassar, mapped, dhis2_server, settings):
    built = dhis2_export_build(user=makassar, area="73.71", period=Q1)
    # a conflict: CaseRspDE02 is unknown to this DHIS2
    push = dhis2_push(by=makassar, built=built)
    assert (push.http_status, push.status) == (409, "WARNING")
    assert (push.imported, push.ignored, push.values_sent) == (1, 1, 2)
    assert push.conflicts == [
        {
            "object": "CaseRspDE02",
            "value": "Data element not found or not accessible",
            "errorCode": "E7610",
            "property": "dataElement",
        }
    ]
    assert FakeDhis2.received[-1] == built.payload()
    # all known: success
    FakeDhis2.known = FakeDhis2.known | {"CaseRspDE02"}
    try:
        push = dhis2_push(by=makassar, built=built)
    finally:
        FakeDhis2.known = FakeDhis2.known - {"CaseRspDE02"}
    assert (push.http_status, push.status, push.imported, push.conflicts) == (
        200,
        "SUCCESS",
        2,
        [],
    )
    # a personal access token instead of a password
    settings.PKSAI_DHIS2_USERNAME, settings.PKSAI_DHIS2_TOKEN = "", "d2pat_goodtoken"
    assert dhis2_push(by=makassar, built=built).http_status == 409
    # bad credentials
    settings.PKSAI_DHIS2_TOKEN = "d2pat_wrong"
    push = dhis2_push(by=makassar, built=built)
    assert (push.http_status, push.status, push.imported) == (401, "ERROR", 0)
    assert push.error == "authentication refused (401)"
    # a server error, once
    settings.PKSAI_DHIS2_TOKEN = "d2pat_goodtoken"
    FakeDhis2.fail_next = True
    push = dhis2_push(by=makassar, built=built)
    assert (push.http_status, push.status, push.error) == (500, "ERROR", "HTTP 500")
    assert Dhis2Push.objects.count() == 5
    assert (
        AuditEvent.objects.filter(action="export", object_type="monitoring.dhis2push").count() == 5
    )
    # nobody listening
    local_server.stop(dhis2_server)
    push = dhis2_push(by=makassar, built=built)
    assert (
        push.http_status is None and push.status == "ERROR" and push.error.startswith("no answer")
    )


def test_push_without_a_configured_dhis2_is_refused(monitoring_cases, makassar, mapped, settings):
    settings.PKSAI_DHIS2_URL = ""
    built = dhis2_export_build(user=makassar, area="73.71", period=Q1)
    with pytest.raises(Dhis2Error):
        dhis2_push(by=makassar, built=built)
    assert not Dhis2Push.objects.exists()
