"""The public complaint limit under real concurrency (PostgreSQL, several connections): of
many submissions sent at once from one address, exactly the limit is accepted."""

import pytest
from django.db import connection

from pksai.core.tests.test_ratelimit import _in_parallel, postgresql_only
from pksai.grievances import services
from pksai.grievances.models import Complaint
from pksai.grievances.services import ComplaintInput

TEXT = "Tetangga saya kaya tetapi menerima bantuan JSLU setiap bulan."


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_parallel_public_submissions_pass_the_limit_exactly(pilot_areas, settings):
    settings.PKSAI_PUBLIC_COMPLAINTS_PER_HOUR = 5
    assert connection.vendor == "postgresql"

    def submit() -> str:
        try:
            services.complaint_submit_public(
                ComplaintInput(category="mistargeting", description=TEXT, area_code="73.71.01"),
                sender="203.0.113.5",
            )
        except services.Throttled:
            return "throttled"
        return "accepted"

    outcomes = _in_parallel(40, submit)
    assert outcomes.count("accepted") == 5
    assert outcomes.count("throttled") == 35
    assert Complaint.objects.count() == 5
