from django.core.management import call_command

from pksai.accounts.demo import DEMO_PASSWORD
from pksai.accounts.models import User
from pksai.accounts.tests.factories import make_user
from pksai.areas.tests.factories import make_areas
from pksai.referrals.models import Referral
from pksai.registry.models import Household, ImportBatch
from pksai.registry.selectors import import_batch_list
from pksai.vulnerability.models import Score


def test_home_shows_role_scope_and_local_time_zone(client, pilot_areas):
    client.force_login(make_user(roles=["supervisor"], scope=["73.71"]))
    page = client.get("/").text
    assert "Supervisor" in page or "Penyelia" in page
    assert "Kota Makassar" in page
    assert "WITA" in page  # Makassar is UTC+8


def test_home_in_java_shows_wib(client, pilot_areas):
    client.force_login(make_user(roles=["supervisor"], scope=["33.72"]))
    assert "WIB" in client.get("/").text


def test_demo_creates_one_user_per_role_per_pilot_site(db, capsys):
    make_areas(
        [
            ("31", "DKI Jakarta"),
            ("73", "Sulawesi Selatan"),
            ("73.71", "Kota Makassar"),
            ("73.06", "Kabupaten Gowa"),
            ("33", "Jawa Tengah"),
            ("33.72", "Kota Surakarta"),
            ("33.10", "Kabupaten Klaten"),
            ("35", "Jawa Timur"),
            ("35.04", "Kabupaten Tulungagung"),
        ]
        + [(f"{r}.01", f"Kecamatan {r}") for r in ("73.71", "73.06", "33.72", "33.10", "35.04")]
        + [(f"{r}.01.2001", f"Desa {r}") for r in ("73.71", "73.06", "33.72", "33.10", "35.04")]
    )
    call_command("demo", "--households", "60", "--force")
    out = capsys.readouterr().out
    assert DEMO_PASSWORD in out
    coordinator = User.objects.get(username="gowa.coordinator")
    assert coordinator.check_password(DEMO_PASSWORD)
    assert list(coordinator.scope_areas.values_list("code", flat=True)) == ["73.06"]
    assert User.objects.get(username="national.auditor").is_national
    # one per role, and the civil registry's focal person (pksai.referrals.demo)
    assert User.objects.filter(username__startswith="tulungagung.").count() == 11
    # data protection (pksai.privacy.demo): each site's officer has requests and a breach
    from pksai.privacy.models import Breach, Consent, SubjectRequest

    assert SubjectRequest.objects.filter(area__code__startswith="73.71.").count() == 3
    assert Breach.objects.filter(area_id="73.71").count() == 1
    assert "Demo data protection" in out
    # every referral of the demo that shared identifying data rests on a recorded basis
    assert Consent.objects.exists()
    assert not Referral.objects.filter(disclosure__isnull=True, consent=True).exists()
    before = User.objects.count()
    assert Household.objects.count() == 60
    assert Score.objects.exists()
    assert "Scored" in out and "Demo registry" in out
    # the demo's extract spans three provinces: the ministry's data officer sees its batch,
    # a district's does not (batches are filed under the smallest area holding their regencies)
    batch = ImportBatch.objects.get()
    assert scoped_batches("national.data_officer").filter(pk=batch.pk).exists()
    assert not scoped_batches("gowa.data_officer").filter(pk=batch.pk).exists()
    call_command("demo", "--households", "60", "--force")  # idempotent
    assert User.objects.count() == before
    assert SubjectRequest.objects.filter(area__code__startswith="73.71.").count() == 3
    assert Household.objects.count() == 60


def scoped_batches(username: str):
    return import_batch_list(user=User.objects.get(username=username))
