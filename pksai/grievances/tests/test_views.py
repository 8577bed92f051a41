"""Staff complaint pages: the queues, staff entry (and a facilitator's), the complaint page
with its handling actions, optimistic locking (409), and who sees what (403 without the
role, 404 out of area or outside the restricted queue)."""

import pytest

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.grievances import services
from pksai.grievances.models import Complaint, Status
from pksai.grievances.services import ComplaintInput

TEXT = "Tetangga saya kaya tetapi menerima bantuan JSLU setiap bulan."


@pytest.fixture
def staff(pilot_areas):
    return {
        "desk": make_user("desk", roles=["registration_staff"], scope=["73.71"]),
        "coord": make_user("coord", roles=["coordinator"], scope=["73.71"]),
        "gowa": make_user("gowadesk", roles=["registration_staff"], scope=["73.06"]),
        "inspector": make_user("insp", roles=["complaints_officer"], scope=["73.71"]),
        "worker": make_user("sw", roles=["social_worker"], scope=["73.71"]),
    }


def login(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en"})


def submit(category="mistargeting", area="73.71.01", **kw) -> Complaint:
    return services.complaint_submit_public(
        ComplaintInput(category=category, description=TEXT, area_code=area, **kw),
        sender=f"10.0.{Complaint.objects.count()}.1",
    )


@pytest.mark.django_db
def test_queues_list_what_the_user_may_see(client, staff):
    mine = submit(name="Siti Rahma", phone="081234567890")
    restricted = submit("misconduct")
    other = submit(area="73.06.01")
    login(client, staff["desk"])
    page = client.get("/complaints/")
    body = page.content.decode()
    assert page.status_code == 200
    assert mine.code in body and restricted.code not in body and other.code not in body
    assert "Siti" not in body  # the list shows no complainant
    assert "?queue=restricted" not in body  # no restricted tab without the permission
    # asking for the restricted queue anyway shows the level queue
    assert restricted.code not in client.get("/complaints/?queue=restricted").content.decode()
    for queue in ("mine", "overdue", "escalated", "resolved", "all"):
        assert client.get(f"/complaints/?queue={queue}").status_code == 200
    assert mine.code in client.get("/complaints/?queue=all").content.decode()
    assert mine.code not in client.get("/complaints/?queue=resolved").content.decode()
    # the complaints officer sees the restricted queue
    login(client, staff["inspector"])
    body = client.get("/complaints/?queue=restricted").content.decode()
    assert restricted.code in body and mine.code not in body


@pytest.mark.django_db
def test_restricted_complaints_are_404_for_ordinary_staff(client, staff):
    restricted = submit("misconduct", about_staff=True)
    for who in ("desk", "coord"):
        login(client, staff[who])
        assert client.get(f"/complaints/{restricted.pk}/").status_code == 404
        response = client.post(f"/complaints/{restricted.pk}/start/", {"version": 1})
        assert response.status_code == 404
    login(client, staff["inspector"])
    assert client.get(f"/complaints/{restricted.pk}/").status_code == 200


@pytest.mark.django_db
def test_denials(client, staff):
    complaint = submit()
    login(client, staff["gowa"])  # another regency
    assert client.get(f"/complaints/{complaint.pk}/").status_code == 404
    response = client.post(
        f"/complaints/{complaint.pk}/resolve/", {"version": 1, "resolution": "Sudah beres semua."}
    )
    assert response.status_code == 404
    assert complaint.code not in client.get("/complaints/").content.decode()
    login(client, staff["worker"])  # takes complaints, does not read them
    assert client.get("/complaints/").status_code == 403
    assert client.get(f"/complaints/{complaint.pk}/").status_code == 404
    client.logout()
    assert client.get("/complaints/").status_code == 302  # to the login page
    complaint.refresh_from_db()
    assert complaint.status == Status.RECEIVED


@pytest.mark.django_db
def test_the_complaint_page_is_audited_and_shows_the_contact(client, staff):
    complaint = submit(name="Siti Rahma", phone="081234567890")
    login(client, staff["desk"])
    body = client.get(f"/complaints/{complaint.pk}/").content.decode()
    assert "Siti Rahma" in body and "081234567890" in body and TEXT in body
    assert "shown on the public status page" in body
    assert AuditEvent.objects.filter(
        action="view", actor=staff["desk"], object_id=str(complaint.pk)
    ).exists()


@pytest.mark.django_db
def test_assign_start_note_resolve(client, staff, settings, tmp_path):
    complaint = submit(phone="081234567890")
    login(client, staff["coord"])
    page = client.get(f"/complaints/{complaint.pk}/").content.decode()
    assert f'value="{staff["desk"].pk}"' in page  # the desk can be assigned
    assert f'value="{staff["gowa"].pk}"' not in page
    url = f"/complaints/{complaint.pk}"
    response = client.post(f"{url}/assign/", {"version": 1, "assigned_to": staff["desk"].pk})
    assert response.status_code == 302
    response = client.post(f"{url}/assign/", {"version": 2, "assigned_to": staff["gowa"].pk})
    assert response.status_code == 400  # not on the list
    assert client.post(f"{url}/start/", {"version": 2}).status_code == 302
    assert client.post(f"{url}/note/", {"text": "Ditelepon kembali."}).status_code == 302
    complaint.refresh_from_db()
    response = client.post(f"{url}/resolve/", {"version": complaint.version, "resolution": "ok"})
    assert response.status_code == 400
    assert "Write the resolution" in response.content.decode()
    response = client.post(
        f"{url}/resolve/",
        {
            "version": complaint.version,
            "resolution": "Penerima diverifikasi ulang.",
            "remedy": "Dikeluarkan",
            "internal_notes": "Kades dihubungi",
        },
        follow=True,
    )
    assert "Complaint resolved." in response.content.decode()
    complaint.refresh_from_db()
    assert (complaint.status, complaint.assigned_to, complaint.resolved_by) == (
        Status.RESOLVED,
        staff["desk"],
        staff["coord"],
    )
    assert "Ditelepon kembali." in response.content.decode()  # the note on the history
    assert f'action="/complaints/{complaint.pk}/resolve/"' not in response.content.decode()


@pytest.mark.django_db
def test_a_stale_version_is_a_visible_conflict(client, staff):
    complaint = submit()
    login(client, staff["desk"])
    services.complaint_start(by=staff["coord"], complaint=complaint, expected_version=1)
    response = client.post(
        f"/complaints/{complaint.pk}/resolve/",
        {"version": 1, "resolution": "Penerima diverifikasi ulang."},
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "was changed by someone else" in body and "Penerima diverifikasi ulang." in body
    complaint.refresh_from_db()
    assert (complaint.status, complaint.resolution) == (Status.INVESTIGATING, "")
    response = client.post(f"/complaints/{complaint.pk}/escalate/", {"version": 1, "reason": "x"})
    assert response.status_code == 409
    complaint.refresh_from_db()
    assert complaint.level == 1


def entry(**overrides):
    return {
        "channel": "phone",
        "category": "service_quality",
        "priority": "high",
        "area": "73.71.01",
        "description": TEXT,
        "name": "Pak Budi",
        "phone": "081298765432",
        **overrides,
    }


@pytest.mark.django_db
def test_staff_entry_with_links(client, staff):
    from pksai.cases.tests.factories import register
    from pksai.referrals.tests.factories import make_provider

    team = {"staff": staff["desk"], "worker": staff["worker"], "supervisor": staff["coord"]}
    case = register(team)
    provider = make_provider()
    login(client, staff["desk"])
    page = client.get("/complaints/new/").content.decode()
    # the area picker: regencies and districts, suggested and accepted in the user's scope
    assert 'data-search-url="/areas/suggest/?level=2&amp;level=3"' in page
    assert 'value="web"' not in page
    response = client.post(
        "/complaints/new/", entry(case_number=case.number, provider_id=provider.pk)
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response.url == f"/complaints/{complaint.pk}/"
    assert (complaint.channel, complaint.priority, complaint.created_by) == (
        "phone",
        "high",
        staff["desk"],
    )
    assert (complaint.case, complaint.provider, complaint.person) == (case, provider, case.child)
    # an unknown or out-of-area link is an error on its field; nothing is stored
    response = client.post("/complaints/new/", entry(case_number="KAS-0000", beneficiary_id=99))
    body = response.content.decode()
    assert response.status_code == 400
    assert "No case with this number in your area." in body
    assert "No beneficiary with this number in your area." in body
    response = client.post("/complaints/new/", entry(area="73.06.01", phone="12"))
    assert response.status_code == 400
    assert Complaint.objects.count() == 1
    response = client.post("/complaints/new/", entry(phone="12"))
    assert "A phone number has 8 to 15 digits" in response.content.decode()
    assert Complaint.objects.count() == 1
    # another regency's staff cannot link this case
    login(client, staff["gowa"])
    response = client.post("/complaints/new/", entry(area="73.06.01", case_number=case.number))
    assert response.status_code == 400 and Complaint.objects.count() == 1


@pytest.mark.django_db
def test_a_facilitator_enters_and_sees_only_the_tracking_code(client, staff):
    login(client, staff["worker"])
    response = client.post("/complaints/new/", entry(channel="facilitator"))
    complaint = Complaint.objects.get()
    assert response.status_code == 200
    assert complaint.code in response.content.decode()
    assert complaint.channel == "facilitator"
    assert client.get(f"/complaints/{complaint.pk}/").status_code == 404
    # a user without the complaint role cannot enter
    client.force_login(make_user("viewer", roles=["national_analyst"], national=True))
    assert client.get("/complaints/new/").status_code == 403


@pytest.mark.django_db
def test_the_home_page_counts_my_complaints(client, staff):
    submit()
    login(client, staff["desk"])
    body = client.get("/").content.decode()
    assert "1 open complaint at my level" in body and "/complaints/?queue=overdue" in body
    login(client, staff["worker"])
    assert 'id="complaints"' not in client.get("/").content.decode()
