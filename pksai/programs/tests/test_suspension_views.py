"""The suspensions box of the facilitation beneficiary page: listed for whoever sees the
page, the forms only for program staff; suspending and ending go through the service —
403 without the role, 404 for another regency's officer, the service's refusal shown (400)
with nothing changed, and audited."""

from datetime import date

import pytest

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.cases.tests.conftest import team  # noqa: F401  (the case-work team fixture)
from pksai.payments.tests.test_views import login, make_beneficiaries
from pksai.programs.models import Beneficiary, Suspension


@pytest.fixture
def people(team):  # noqa: F811
    (elder,) = make_beneficiaries(1, "73.71.01.1001", "Mks")
    Beneficiary.objects.filter(pk=elder.pk).update(facilitator=team["worker"])
    return {
        **team,
        "elder": elder,
        "officer": make_user("po", roles=["program_officer"], scope=["73.71"]),
        "gowa_officer": make_user("gpo", roles=["program_officer"], scope=["73.06"]),
    }


@pytest.mark.django_db
def test_suspend_and_end(client, people):
    elder, officer = people["elder"], people["officer"]
    page_url = f"/facilitation/beneficiaries/{elder.pk}/"
    url = f"{page_url}suspensions/"
    good = {"start": "2026-03-11", "end": "", "reason": "dalam pemeriksaan"}

    login(client, people["worker"])  # the facilitator sees the box, not the forms
    page = client.get(page_url).content.decode()
    assert 'id="suspensions"' in page and "Never suspended." in page
    assert "Suspend the benefit" not in page
    assert client.post(url, good).status_code == 403

    login(client, people["gowa_officer"])
    assert client.post(url, good).status_code == 404
    assert not Suspension.objects.exists()

    login(client, officer)
    assert "Suspend the benefit" in client.get(page_url).content.decode()
    backwards = client.post(url, {**good, "end": "2026-03-01"})
    assert backwards.status_code == 400
    assert "A suspension cannot end before it starts." in backwards.content.decode()
    no_reason = client.post(url, {**good, "reason": ""})
    assert no_reason.status_code == 400 and not Suspension.objects.exists()
    assert client.post(url, good).status_code == 302
    suspension = Suspension.objects.get()
    assert (suspension.start, suspension.end, suspension.created_by) == (
        date(2026, 3, 11),
        None,
        officer,
    )
    overlap = client.post(url, {**good, "start": "2026-04-01"})
    assert overlap.status_code == 400
    assert "already suspended during that time" in overlap.content.decode()
    page = client.get(page_url).content.decode()
    assert "dalam pemeriksaan" in page and "End the suspension" in page

    end_url = f"/facilitation/suspensions/{suspension.pk}/end/"
    login(client, people["worker"])
    assert client.post(end_url, {"last_day": "2026-03-31"}).status_code == 403
    login(client, people["gowa_officer"])
    assert client.post(end_url, {"last_day": "2026-03-31"}).status_code == 404
    login(client, officer)
    early = client.post(end_url, {"last_day": "2026-03-01"})
    assert early.status_code == 400
    assert "A suspension cannot end before it starts." in early.content.decode()
    assert Suspension.objects.get().end is None
    assert client.post(end_url, {"last_day": "2026-03-31"}).status_code == 302
    again = client.post(end_url, {"last_day": "2026-04-30"})
    assert (
        again.status_code == 400 and "This suspension has already ended." in again.content.decode()
    )
    suspension.refresh_from_db()
    assert (suspension.end, suspension.ended_by) == (date(2026, 3, 31), officer)
    assert set(
        AuditEvent.objects.filter(object_type="programs.suspension").values_list(
            "action", flat=True
        )
    ) == {"create", "update", "permission_denied"}  # the Gowa officer's attempt too
