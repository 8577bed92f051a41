"""Program rules are versioned data (upload, activate: the next round uses them) and the
nominee's photo is kept outside the web root, served only in scope."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.programs import services
from pksai.programs.models import Program
from pksai.programs.tests.factories import nominate_disabled

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def officer(pilot_areas, settings, tmp_path):
    settings.ATTACHMENT_ROOT = str(tmp_path)
    return make_user("po", roles=["program_officer"], scope=["73.71"])


@pytest.mark.django_db
def test_a_new_rules_version_changes_who_is_eligible_in_the_next_round(officer, tmp_path):
    moderate = nominate_disabled(officer, "Moderate", severity="moderate")
    jspaca = Program.objects.get(code="jspaca")
    first = services.round_run(by=officer, program=jspaca, year=2026, area_code="73.71", places=5)
    assert first.eligible == 0
    text = (
        (services.RULES_DIR / "jspaca.yaml")
        .read_text()
        .replace("disability_severity == 'severe'", "disability_severity in ['moderate', 'severe']")
    )
    path = tmp_path / "jspaca-v2.yaml"
    path.write_text(text)
    out = StringIO()
    call_command("program_rules", "upload", str(path), program="jspaca", stdout=out)
    call_command("program_rules", "activate", "2", program="jspaca", stdout=out)
    second = services.round_run(
        by=officer,
        program=jspaca,
        year=2026,
        area_code="73.71",
        places=5,
        sample_share=Decimal("0"),
    )
    assert second.eligible == 1 and second.round.ruleset.version == 2
    assert first.round.ruleset.version == 1  # the earlier round keeps the version it used
    assert second.round.entries.get().nomination == moderate
    path.write_text("name: broken\npurpose: program\nprogram: jspaca\neligibility: [{id: x}]")
    with pytest.raises(CommandError):
        call_command("program_rules", "upload", str(path), program="jspaca", stdout=out)


@pytest.mark.django_db
def test_the_photo_is_checked_stored_and_served_only_in_scope(client, officer):
    nomination = nominate_disabled(officer, "Foto")
    client.force_login(officer)
    bad = client.post(
        f"/programs/nominations/{nomination.pk}/photo/",
        {"photo": SimpleUploadedFile("x.png", b"<script>alert(1)</script>")},
    )
    assert bad.status_code == 400
    ok = client.post(
        f"/programs/nominations/{nomination.pk}/photo/",
        {"photo": SimpleUploadedFile("foto.png", PNG, content_type="image/png")},
    )
    assert ok.status_code == 302
    nomination.refresh_from_db()
    assert nomination.photo.endswith(".png") and "foto" not in nomination.photo
    url = f"/programs/nominations/{nomination.pk}/photo/"
    page = client.get(f"/programs/nominations/{nomination.pk}/")
    assert f'src="{url}?inline=1"' in page.text and 'name="purpose"' in page.text
    shown = client.get(f"{url}?inline=1")  # on the nomination page: a view
    assert shown.status_code == 200 and b"".join(shown.streaming_content) == PNG
    assert shown["Cache-Control"] == "private, no-store"
    assert AuditEvent.objects.filter(action="view", object_id=str(nomination.pk)).exists()
    # a download is an export of personal data: a stated purpose, audited, in the header
    refused = client.get(url)
    assert refused.status_code == 302 and refused.url == f"/programs/nominations/{nomination.pk}/"
    assert not AuditEvent.objects.filter(action="export", object_id=str(nomination.pk)).exists()
    download = client.get(url, {"purpose": "assessment visit"})
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert download["Content-Disposition"].startswith("attachment")
    assert "po" in download["X-PKSAI-Watermark"]
    assert "assessment visit" in download["X-PKSAI-Watermark"]
    assert download["Cache-Control"] == "private, no-store"
    event = AuditEvent.objects.get(action="export", object_id=str(nomination.pk))
    assert event.detail["purpose"] == "assessment visit" and event.detail["photo"]
    client.force_login(make_user("gpo", roles=["program_officer"], scope=["73.06"]))
    assert client.get(f"{url}?inline=1").status_code == 404
    assert client.get(url, {"purpose": "x"}).status_code == 404
