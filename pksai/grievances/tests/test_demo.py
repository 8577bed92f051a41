"""Demo complaints: every state for every pilot site, through the services; running it again
creates nothing."""

from pksai.cases.models import IntakeReport
from pksai.cases.tests.test_demo import pilot_sites  # noqa: F401  (the five pilot regencies)
from pksai.grievances.demo import SCENARIOS, demo_complaints
from pksai.grievances.models import Complaint, Level, Status


def test_demo_complaints_in_every_state_and_idempotent(pilot_sites, settings, tmp_path):  # noqa: F811
    result = demo_complaints()
    sites = 5
    assert result.total() == Complaint.objects.count() == len(SCENARIOS) * sites
    assert set(result.by_status) == set(Status.values)
    assert (result.restricted, result.intake_reports) == (sites, sites)
    assert result.escalated == 2 * sites

    makassar = Complaint.objects.filter(area__code__startswith="73.71")
    assert set(makassar.values_list("status", flat=True)) == set(Status.values)
    assert set(makassar.values_list("level", flat=True)) == set(Level.values)
    closed = makassar.get(status=Status.CLOSED)
    assert closed.rating == 4 and closed.resolved_at > closed.created_at
    misconduct = makassar.get(category="misconduct")
    assert misconduct.restricted and misconduct.assigned_to.username == (
        "makassar.complaints_officer"
    )
    web = makassar.filter(channel="web", anonymous=True).get()
    assert web.status == Status.RECEIVED and web.complainant_name == ""
    child = makassar.get(category="child_protection")
    assert IntakeReport.objects.get(pk=child.intake_report_id).reference == child.code
    assert makassar.get(level=Level.MINISTRY).escalated_at is not None

    again = demo_complaints()
    assert again.total() == 0
    assert Complaint.objects.count() == len(SCENARIOS) * sites
