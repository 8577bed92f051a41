"""Message history on the complaint page (masked, never the text) and the report per channel
and area (scoped; 403 without the permission)."""

import pytest
from django.utils import translation

from pksai.accounts.tests.factories import make_user
from pksai.grievances import services as complaints
from pksai.grievances.services import ComplaintInput
from pksai.messaging.models import Message

TEXT = "Tetangga saya kaya tetapi menerima bantuan JSLU setiap bulan."


def file(area, phone, sender):
    return complaints.complaint_submit_public(
        ComplaintInput(category="mistargeting", description=TEXT, area_code=area, phone=phone),
        sender=sender,
    )


@pytest.fixture
def sent(pilot_areas, channels, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mine = file("73.71.01", "0812 3456 7890", "10.0.0.1")
        other = file("73.06", "0813 1111 2222", "10.0.0.2")
    Message.objects.create(
        channel="sms",
        template="complaint_received",
        purpose="complaint",
        area_id="73.71.01",
        status=Message.Status.REFUSED_NO_CONSENT,
        last_error="no consent",
        complaint=mine,
    )
    return mine, other


@pytest.mark.django_db
def test_the_complaint_page_lists_its_messages_masked(client, sent):
    mine, _other = sent
    client.force_login(make_user("desk", roles=["registration_staff"], scope=["73.71"]))
    client.cookies["django_language"] = "en"
    page = client.get(f"/complaints/{mine.pk}/").content.decode()
    assert 'id="messages"' in page
    page = page[page.index('id="messages"') :]
    page = page[: page.index("</section>")]
    assert "complaint received, tracking code" in page
    assert "+6281****7890" in page and "3456" not in page
    assert "Your complaint" not in page and "Pengaduan Anda" not in page  # never the text
    assert "no consent to be contacted" in page


@pytest.mark.django_db
def test_the_report_counts_in_scope_and_refuses_without_the_permission(client, sent):
    coordinator = make_user("coord", roles=["coordinator"], scope=["73.71"])
    client.force_login(coordinator)
    with translation.override("en"):
        client.cookies["django_language"] = "en"
        page = client.get("/messaging/reports/?date_from=2020-01-01&date_to=2030-12-31")
    assert page.status_code == 200
    rows = page.context["table"]["rows"]
    # Makassar only (Gowa is out of scope): one sent, one not sent
    assert [r[1:] for r in rows] == [["sms", "2", "1", "0", "0", "1", "0"]]
    csv = client.get(
        "/messaging/reports/export/?format=csv&date_from=2020-01-01&date_to=2030-12-31"
    )
    assert csv.status_code == 200 and b"73.71" in csv.content
    client.force_login(make_user("sw", roles=["social_worker"], scope=["73.71"]))
    assert client.get("/messaging/reports/").status_code == 403
    assert client.get("/messaging/reports/export/?format=csv").status_code == 403


@pytest.mark.django_db
def test_the_admin_previews_a_template_with_sample_values_and_refuses_unknown_values(
    admin_client, channels
):
    from pksai.messaging.models import MessageTemplate

    tpl = MessageTemplate.objects.get(code="payment_notice", language="id", version=1)
    page = admin_client.get(f"/admin/messaging/messagetemplate/{tpl.pk}/change/").content.decode()
    assert "Bantuan PKSA sebesar Rp 600.000 untuk periode 2026-01, 2026-02" in page
    assert "{amount}" in page  # the values it may use are listed
    answer = admin_client.post(
        "/admin/messaging/messagetemplate/add/",
        {
            "code": "payment_notice",
            "language": "id",
            "channel": "",
            "version": 2,
            "valid_from": "2026-01-01",
            "subject": "",
            "text": "Bantuan {amout}",
            "provider_template": "",
        },
    )
    assert answer.status_code == 200 and "amout" in answer.content.decode()
    assert not MessageTemplate.objects.filter(version=2).exists()
