"""A photo taken offline in the field app (issue 19, decision 0037): with the context
offline the worker adds a photo to one of her cases; the device makes it a JPEG of at most
1600 pixels, keeps it sealed in the outbox and shows a thumbnail made in memory. Back online
the sync sends it with the resumable upload; the connection breaks on a chunk once and the
upload resumes from the server's offset: exactly one attachment, with its audit row. A photo
still too big after downscaling is refused with a clear message. Screenshot in
var/screenshots/field-photo-form-390.png."""

import hashlib
import io
import random

from PIL import Image
from playwright.sync_api import Browser, Page, expect

from pksai.audit.models import AuditEvent
from pksai.cases.models import Attachment
from pksai.cases.records import ATTACHMENTS
from pksai.core import files
from pksai.field.models import ClientRecord, FieldUpload
from pksai.field.tests.factories import field_cases
from tests.browser.test_field_app import PHONE, PIN, RAW, sign_in, take
from tests.browser.test_field_app import worker as worker_fixture
from tests.browser.test_field_sync import fits, open_case, shot, sync_now

worker = worker_fixture


def camera_png(width: int = 2400, height: int = 1200) -> bytes:
    """A large "camera" picture: red on the left, blue on the right, with grain (so that the
    JPEG made on the device needs several 256 KB chunks)."""
    base = Image.new("RGB", (width, height), (200, 30, 30))
    base.paste((30, 30, 200), (width // 2, 0, width, height))
    grain = Image.frombytes("RGB", (width, height), random.Random(19).randbytes(width * height * 3))  # noqa: S311 (test picture)
    out = io.BytesIO()
    Image.blend(base, grain, 0.4).save(out, "PNG")
    return out.getvalue()


def offline_app(browser: Browser, base: str) -> tuple:
    # service workers blocked so that page.route sees every request
    context = browser.new_context(viewport=PHONE, service_workers="block")
    page = context.new_page()
    sign_in(page, base)
    page.goto(base + "/lapangan/")
    page.locator("#pin").fill(PIN)
    page.locator("#pin2").fill(PIN)
    page.locator("#pin-form button").click()
    take(page, "cases")
    context.set_offline(True)
    return context, page


def choose(page: Page, png: bytes) -> None:
    page.locator("#photo-form #photo").set_input_files(
        {"name": "IMG_0042.png", "mimeType": "image/png", "buffer": png}
    )


def test_a_photo_taken_offline_is_uploaded_once_even_when_a_chunk_is_lost(
    browser: Browser, live_server, worker
):
    (case,) = field_cases(
        worker=worker["user"], supervisor=worker["supervisor"], staff=worker["staff"], count=1
    )
    context, page = offline_app(browser, live_server.url)
    open_case(page, case.number)
    page.locator("[data-form=photo]").click()
    form = page.locator("#photo-form")
    photo = form.locator("#photo")
    assert photo.get_attribute("accept") == "image/*"
    assert photo.get_attribute("capture") == "environment"
    form.locator("button[type=submit]").click()
    expect(page.locator("#photo-error")).not_to_be_empty()
    expect(page.locator("#title-error")).not_to_be_empty()
    fits(page)
    shot(page, "photo-form-390")
    choose(page, camera_png())
    form.locator("#title").fill("Kamar tidur anak")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-notice=info]")).to_be_visible()
    pending = page.locator("[data-list=pending] > li")
    expect(pending).to_have_count(1)
    expect(pending.locator("[data-pending=waiting]")).to_have_count(1)
    thumb = pending.locator("img[data-thumb]")
    expect(thumb).to_have_attribute("alt", "Kamar tidur anak")
    expect(thumb).to_have_js_property("complete", True)
    assert thumb.evaluate("(img) => img.naturalWidth") > 0  # drawn from the decrypted bytes
    src = thumb.get_attribute("src")
    assert src.startswith("blob:")
    # drawn, then the object URL is revoked: the picture is in no URL any more
    again = """(src) => new Promise((done) => {
      const img = new Image();
      img.onload = () => done("open");
      img.onerror = () => done("revoked");
      img.src = src;
    })"""
    assert page.evaluate(again, src) == "revoked"
    fits(page)
    shot(page, "photo-waiting-390")
    # the outbox holds ciphertext only: no JPEG (base64 "/9j/") nor the title in clear
    raw = page.evaluate(RAW, "outbox")
    assert len(raw) == 1 and "/9j/" not in raw[0] and "Kamar" not in raw[0]
    assert len(raw[0]) > 300_000  # the photo is inside the sealed item
    assert not Attachment.objects.exists()

    chunks = []

    def lose_the_first_chunk(route):
        if route.request.method == "PATCH" and "/uploads/" in route.request.url:
            chunks.append(route.request.headers.get("upload-offset"))
            if len(chunks) == 1:
                route.fetch()  # the server keeps the chunk...
                route.abort("connectionreset")  # ...and the answer never arrives
                return
        route.continue_()

    page.route("**/api/v1/field/**", lose_the_first_chunk)
    context.set_offline(False)
    sync_now(page)
    expect(page.locator("[data-waiting]")).to_have_attribute("data-waiting", "0")
    expect(page.locator("[data-list=sent] > li")).to_have_count(1)

    attachment = Attachment.objects.get()
    # after the lost answer the device asked where the upload stood and went on from there
    # (the server had the first chunk: it was not sent again)
    assert chunks == [str(n) for n in range(0, attachment.size, 262144)], chunks
    assert len(chunks) >= 2
    assert attachment.case == case and attachment.kind == "photo"
    assert attachment.title == "Kamar tidur anak" and attachment.content_type == "image/jpeg"
    with files.open_file(ATTACHMENTS, attachment.stored_name) as f:
        data = f.read()
    assert len(data) == attachment.size and hashlib.sha256(data).hexdigest() == attachment.sha256
    upload = FieldUpload.objects.get()
    assert upload.attachment == attachment and upload.sha256 == attachment.sha256
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "JPEG" and picture.size == (1600, 800)  # downscaled on the device
    left, right = picture.getpixel((200, 400)), picture.getpixel((1400, 400))
    assert left[0] > left[2] and right[2] > right[0]  # the photo taken, not another picture
    assert not picture.getexif()  # re-encoded: no camera data (location) travels
    assert AuditEvent.objects.filter(
        action="create", object_type="cases.attachment", object_id=str(attachment.pk)
    ).exists()
    assert ClientRecord.objects.filter(kind="attachments", object_id=attachment.pk).count() == 1

    # a second run (nothing waits) and the same start sent again create nothing more
    page.unroute("**/api/v1/field/**")
    page.locator("#sync-button").click()
    expect(page.locator("[data-notice]")).to_be_visible()
    assert Attachment.objects.count() == 1 and FieldUpload.objects.count() == 1
    context.close()


def test_a_photo_too_big_after_downscaling_is_refused_with_a_clear_message(
    browser: Browser, live_server, worker, settings
):
    (case,) = field_cases(
        worker=worker["user"], supervisor=worker["supervisor"], staff=worker["staff"], count=1
    )
    settings.ATTACHMENT_MAX_BYTES = 100_000  # the device's cap follows the server's limit
    context, page = offline_app(browser, live_server.url)
    open_case(page, case.number)
    page.locator("[data-form=photo]").click()
    choose(page, camera_png())
    page.locator("#photo-form #title").fill("Terlalu besar")
    page.locator("#photo-form button[type=submit]").click()
    expect(page.locator("#photo-error")).to_contain_text("0.1 MB")
    assert page.locator("#photo").get_attribute("aria-invalid") == "true"
    assert page.evaluate(RAW, "outbox") == []
    context.close()
