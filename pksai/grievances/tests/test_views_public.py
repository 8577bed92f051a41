"""The public complaint pages: the form (happy path, the spam guard, bad input, the rate
limit), the status page (never personal data) and the rating."""

import pytest
from django.conf import settings
from django.utils import translation

from pksai.core.models import RateCounter
from pksai.core.ratelimit import sender_key
from pksai.grievances import services
from pksai.grievances.forms import FORM_SALT, form_stamp
from pksai.grievances.models import Complaint
from pksai.grievances.services import ComplaintInput

TEXT = "Tetangga saya kaya tetapi menerima bantuan JSLU setiap bulan."


@pytest.fixture(autouse=True)
def english(client, settings):
    settings.PKSAI_COMPLAINT_MIN_FILL_SECONDS = 0
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def post(client, **overrides):
    data = {
        "category": "mistargeting",
        "area": "73.71.01",
        "description": TEXT,
        "name": "Siti Rahma",
        "phone": "0812 3456 7890",
        "email": "siti@example.org",
        "website": "",
        "started": form_stamp(),
        **overrides,
    }
    return client.post("/pengaduan/", data, REMOTE_ADDR=overrides.pop("ip", "10.1.1.1"))


@pytest.mark.django_db
def test_the_form_is_public_and_indonesian_first(client, pilot_areas):
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    with translation.override("id"):
        page = client.get("/pengaduan/")
    assert page.status_code == 200
    assert '<html lang="id"' in page.content.decode()
    body = page.content.decode()
    assert 'name="website"' in body and 'class="hp-field"' in body  # the honeypot, hidden
    assert 'name="area"' in body and 'name="started"' in body
    # the area picker suggests regencies and districts of the whole country
    assert 'data-search-url="/areas/suggest/public/?level=2&amp;level=3"' in body
    # a link may fill the area in (?regency= as links made before)
    filled = client.get("/pengaduan/", {"regency": "73.71"}).content.decode()
    assert 'value="Kota Makassar · Sulawesi Selatan"' in filled


@pytest.mark.django_db
def test_a_complaint_gets_a_tracking_code_and_a_status_page(client, pilot_areas):
    response = post(client)
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response.url == f"/pengaduan/status/{complaint.code}/"
    assert (complaint.channel, complaint.area_id, complaint.complainant_name) == (
        "web",
        "73.71.01",
        "Siti Rahma",
    )
    page = client.get(response.url)
    body = page.content.decode()
    assert page.status_code == 200
    assert complaint.code in body and "Your complaint was received." in body
    # the "received" banner shows once; the status page stays
    assert "Your complaint was received." not in client.get(response.url).content.decode()


@pytest.mark.django_db
def test_anonymous_drops_the_contact(client, pilot_areas):
    post(client, anonymous="on", area="Kota Makassar")
    complaint = Complaint.objects.get()
    assert complaint.anonymous and complaint.complainant_name == ""
    assert complaint.area_id == "73.71"


@pytest.mark.django_db
def test_the_honeypot_refuses_quietly(client, pilot_areas):
    response = post(client, website="http://spam.example")
    assert response.status_code == 400
    assert "could not be accepted" in response.content.decode()
    assert not Complaint.objects.exists()


@pytest.mark.django_db
def test_too_fast_and_too_old_and_forged_are_refused(client, pilot_areas, settings):
    settings.PKSAI_COMPLAINT_MIN_FILL_SECONDS = 3
    response = post(client)
    assert response.status_code == 400
    assert "sent too quickly" in response.content.decode()
    assert TEXT in response.content.decode()  # the input is kept
    from django.core import signing

    old = signing.dumps({"t": 0}, salt=FORM_SALT)
    response = post(client, started=old)
    assert response.status_code == 400 and "open for too long" in response.content.decode()
    response = post(client, started="forged")
    assert response.status_code == 400 and "could not be checked" in response.content.decode()
    assert not Complaint.objects.exists()


@pytest.mark.django_db
def test_oversized_and_malformed_input_is_refused_with_the_message(client, pilot_areas):
    response = post(client, description="x" * 4001)
    assert response.status_code == 400
    assert "at most 4000 characters" in response.content.decode()
    response = post(client, phone="12ab", email="not-an-email", description="short")
    body = response.content.decode()
    assert response.status_code == 400
    assert "A phone number has 8 to 15 digits" in body
    assert "Enter a valid e-mail address." in body
    assert "at least 10 characters" in body
    response = post(client, area="99.99")
    assert response.status_code == 400 and "Unknown area code." in response.content.decode()
    response = post(client, area="73.71.01.1001")  # a village: the form asks for less
    assert response.status_code == 400 and "choose a regency, city or district" in (
        response.content.decode()
    )
    # a body far over the size of any honest complaint
    response = post(client, description="x" * 70_000)
    assert response.status_code == 400 and "too long to send" in response.content.decode()
    assert not Complaint.objects.exists()


@pytest.mark.django_db
def test_a_flood_is_throttled(client, pilot_areas, settings):
    settings.PKSAI_PUBLIC_COMPLAINTS_PER_HOUR = 2
    assert post(client).status_code == 302
    assert post(client, description="short").status_code == 400  # refused ones count too
    response = post(client)
    assert response.status_code == 429
    assert "try again later" in response.content.decode()
    assert Complaint.objects.count() == 1
    assert post(client, ip="10.9.9.9").status_code == 302  # another sender
    # one counter row per sender, holding its count (the address itself is not stored)
    counts = dict(RateCounter.objects.values_list("key", "hits"))
    assert counts == {sender_key("10.1.1.1"): 3, sender_key("10.9.9.9"): 1}


@pytest.mark.django_db
def test_the_status_page_never_shows_personal_data(client, pilot_areas, django_user_model):
    from pksai.accounts.tests.factories import make_user

    desk = make_user("desk_officer_x", roles=["registration_staff"], scope=["73.71"])
    complaint = services.complaint_submit_public(
        ComplaintInput(
            category="mistargeting",
            description=TEXT,
            area_code="73.71.01",
            name="Siti Rahma",
            phone="081234567890",
            email="siti@example.org",
        ),
        sender="10.2.2.2",
    )
    services.complaint_assign(by=desk, complaint=complaint, to=desk, expected_version=1)
    services.complaint_resolve(
        by=desk,
        complaint=complaint,
        resolution="Penerima telah diverifikasi ulang dan dikeluarkan.",
        remedy="Bantuan dihentikan",
        internal_notes="Catatan internal rahasia",
        expected_version=2,
    )
    body = client.get(f"/pengaduan/status/{complaint.code.lower()}/").content.decode()
    assert "Penerima telah diverifikasi ulang" in body and "Bantuan dihentikan" in body
    for secret in (
        "Siti",
        "081234567890",
        "siti@example.org",
        TEXT[:20],
        "73.71",
        "Mariso",
        "Makassar",
        "desk_officer_x",
        "Catatan internal",
    ):
        assert secret not in body, secret


@pytest.mark.django_db
def test_lookup_and_unknown_code(client, pilot_areas):
    complaint = services.complaint_submit_public(
        ComplaintInput(category="other", description=TEXT, area_code="73.71"), sender="10.3.3.3"
    )
    response = client.get("/pengaduan/status/", {"code": complaint.code.lower()})
    assert response.status_code == 302 and response.url.endswith(f"/{complaint.code}/")
    response = client.get("/pengaduan/status/", {"code": "ADU-AAAA-AAAA"})
    assert response.status_code == 400
    assert "No complaint has this tracking code" in response.content.decode()
    response = client.get("/pengaduan/status/ADU-AAAA-AAAA/")
    assert response.status_code == 404
    assert "could not find a complaint" in response.content.decode()


@pytest.mark.django_db
def test_the_complainant_rates_the_resolution_once(client, pilot_areas):
    from pksai.accounts.tests.factories import make_user

    desk = make_user("desk", roles=["registration_staff"], scope=["73.71"])
    complaint = services.complaint_submit_public(
        ComplaintInput(category="other", description=TEXT, area_code="73.71"), sender="10.4.4.4"
    )
    url = f"/pengaduan/status/{complaint.code}/"
    assert "Rate the resolution" not in client.get(url).content.decode()
    assert client.post(url, {"rating": "5"}).status_code == 400  # not resolved yet
    services.complaint_resolve(
        by=desk, complaint=complaint, resolution="Sudah ditangani dengan baik.", expected_version=1
    )
    assert "Rate the resolution" in client.get(url).content.decode()
    assert client.post(url, {"rating": "9"}).status_code == 400
    response = client.post(url, {"rating": "4", "comment": "Cepat"}, follow=True)
    assert "Your rating was recorded" in response.content.decode()
    complaint.refresh_from_db()
    assert (complaint.rating, complaint.rating_comment, complaint.status) == (4, "Cepat", "closed")
    assert "Rate the resolution" not in client.get(url).content.decode()
    assert client.post(url, {"rating": "1"}).status_code == 400
