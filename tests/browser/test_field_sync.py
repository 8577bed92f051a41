"""Recording offline and syncing in a real browser (issue 19, decision 0037): with the
context offline the worker records a visit and an assessment for one of her cases and
reports a new child; back online the sync sends them and the server has each once, with its
audit row. Two devices change the same case summary offline: the second sees a conflict with
both values on the device and in the web inbox, nothing overwritten; their changes to
different fields of one visit both land. An answer lost in the middle of a sync and a retry
create no duplicate. Screenshots in var/screenshots/field-*.png."""

from playwright.sync_api import Browser, Page, expect

from pksai.audit.models import AuditEvent
from pksai.cases.models import Assessment, Case, IntakeReport, Note, Visit
from pksai.field.models import ClientRecord, FieldConflict
from pksai.field.tests.factories import field_beneficiaries, field_cases
from pksai.programs.models import FacilitationVisit
from pksai.vulnerability.models import OutreachResult
from tests.browser.helpers import AXE_TAGS, axe_violations, describe_violations
from tests.browser.test_field_app import (
    LAPTOP,
    PHONE,
    PIN,
    RAW,
    SCREENSHOTS,
    WIDTH,
    open_app_and_set_pin,
    scored_village,
    sign_in,
    take,
)
from tests.browser.test_field_app import worker as worker_fixture

worker = worker_fixture  # the same worker, supervisor and registration staff


def fits(page: Page, width: int = PHONE["width"]) -> None:
    assert page.evaluate(WIDTH) <= width, "sideways scrolling"


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"field-{name}.png"), full_page=True)


def created(obj) -> bool:
    return AuditEvent.objects.filter(
        action="create", object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).exists()


def open_case(page: Page, number: str) -> None:
    page.evaluate("location.hash = '#/cases'")
    page.locator("[data-list=cases] > li a", has_text=number).click()
    expect(page.locator("section[data-case]")).to_be_visible()


def sync_page(page: Page) -> None:
    page.evaluate("location.hash = '#/sync'")
    expect(page.locator("#sync-button")).to_be_visible()


def sync_now(page: Page) -> None:
    """Back online: the app syncs by itself (the online event) or on the button."""
    sync_page(page)
    page.locator("#sync-button").click()


def test_recorded_offline_then_synced_once_with_audit_rows(browser: Browser, live_server, worker):
    cases = field_cases(
        worker=worker["user"], supervisor=worker["supervisor"], staff=worker["staff"], count=2
    )
    case = cases[0]
    visits, assessments = case.visits.count(), case.assessments.count()
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    sign_in(page, live_server.url)
    open_app_and_set_pin(page, live_server.url)
    take(page, "cases")
    page.reload()  # the service worker controls the page from here on
    page.locator("#pin").fill(PIN)
    page.locator("#unlock-form button").click()
    context.set_offline(True)

    open_case(page, case.number)
    page.locator("[data-form=visit]").click()
    form = page.locator("#visit-form")
    form.locator("#visited_on").fill("2099-01-01")  # the device checks as the server does
    form.locator("#place").fill("")
    form.locator("button[type=submit]").click()
    expect(page.locator("#visited_on-error")).not_to_be_empty()
    expect(page.locator("#seen-error")).not_to_be_empty()
    expect(page.locator("#place-error")).not_to_be_empty()
    assert page.locator("#visited_on").get_attribute("aria-invalid") == "true"
    fits(page)
    shot(page, "visit-form-390")
    form.locator("#visited_on").fill(form.locator("#visited_on").get_attribute("max"))  # today
    form.locator("#visit_time").fill("00:05")
    form.locator("#place").fill("Rumah nenek, Bontorannu")
    form.locator("#seen").fill("Anak dan nenek")
    form.locator("#observations").fill("Anak sudah kembali bersekolah.")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-notice=info]")).to_be_visible()
    pending = page.locator("[data-list=pending] > li")
    expect(pending).to_have_count(1)
    expect(page.locator("[data-list=visits] > li").first).to_contain_text("Rumah nenek")
    expect(page.locator("[data-list=visits] [data-pending=waiting]")).to_have_count(1)

    page.locator("[data-form=assessment]").click()
    form = page.locator("#assessment-form")
    form.locator("#complete").check()
    form.locator("button[type=submit]").click()
    expect(page.locator("#risk-error")).not_to_be_empty()
    expect(page.locator("#rating-safety-error")).not_to_be_empty()
    fits(page)
    shot(page, "assessment-form-390")
    form.locator("#complete").uncheck()
    form.locator("#kind").select_option("comprehensive")
    form.locator("#risk input[value=high]").check()
    form.locator("#rating-safety").select_option("high")
    form.locator("#notes-safety").fill("Ayah kembali ke rumah.")
    form.locator("#summary").fill("Risiko naik: ayah kembali.")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-list=pending] > li")).to_have_count(2)
    violations = axe_violations(page, tags=AXE_TAGS)
    assert not violations, describe_violations(violations)

    page.evaluate("location.hash = '#/'")
    page.locator("[data-go=report]").click()
    form = page.locator("#report-form")
    form.locator("#area").fill("73.71.01.1001")
    form.locator("#summary").fill("Anak laki-laki sekitar 8 tahun tidur di pasar.")
    form.locator("#reporter_name").fill("Pak RT")
    fits(page)
    violations = axe_violations(page, tags=AXE_TAGS)
    assert not violations, describe_violations(violations)
    shot(page, "report-form-390")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-go=sync]")).to_contain_text("3")

    sync_page(page)
    expect(page.locator("[data-waiting]")).to_have_attribute("data-waiting", "3")
    expect(page.locator("[data-list=waiting] > li")).to_have_count(3)
    fits(page)
    shot(page, "sync-waiting-390")
    # nothing sent while offline; the outbox holds ciphertext only
    assert Visit.objects.filter(case=case).count() == visits
    assert not any("Rumah nenek" in r or "pasar" in r for r in page.evaluate(RAW, "outbox"))
    page.locator("#sync-button").click()
    expect(page.locator("[data-notice=error]")).to_be_visible()  # offline: nothing lost
    expect(page.locator("[data-waiting]")).to_have_attribute("data-waiting", "3")

    context.set_offline(False)
    sync_now(page)
    expect(page.locator("[data-waiting]")).to_have_attribute("data-waiting", "0")
    expect(page.locator("[data-list=sent] > li")).to_have_count(3)

    new_visits = Visit.objects.filter(case=case, place="Rumah nenek, Bontorannu")
    assert new_visits.count() == 1 and Visit.objects.filter(case=case).count() == visits + 1
    visit = new_visits.get()
    assert visit.seen == "Anak dan nenek" and visit.recorded_at is not None
    assessment = Assessment.objects.filter(case=case).order_by("-pk").first()
    assert Assessment.objects.filter(case=case).count() == assessments + 1
    assert assessment.kind == "comprehensive" and assessment.risk == "high"
    assert assessment.domains["safety"] == {"rating": "high", "notes": "Ayah kembali ke rumah."}
    report = IntakeReport.objects.get()
    assert report.source == IntakeReport.Source.FIELD and report.reporter_name == "Pak RT"
    assert report.area_id == "73.71.01.1001" and report.reported_by == worker["user"]
    assert ClientRecord.objects.count() == 3
    assert created(visit) and created(assessment) and created(report)
    # the local copy is the server's: the visit is listed without a "waiting" mark
    open_case(page, case.number)
    expect(page.locator("[data-list=visits] > li").first).to_contain_text("Rumah nenek")
    expect(page.locator("[data-pending]")).to_have_count(0)
    page.set_viewport_size(LAPTOP)
    sync_page(page)
    fits(page, LAPTOP["width"])
    shot(page, "sync-sent-1366")
    context.close()


def device(browser: Browser, base: str, *, label: str) -> tuple:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    sign_in(page, base)
    open_app_and_set_pin(page, base)
    take(page, "cases", device=label)
    return context, page


def edit_summary(page: Page, number: str, text: str) -> None:
    open_case(page, number)
    page.locator("[data-form=summary]").click()
    page.locator("#summary-form #summary").fill(text)
    page.locator("#summary-form button[type=submit]").click()
    expect(page.locator("[data-list=pending] > li")).to_have_count(1)


def test_two_devices_change_the_same_field_a_conflict_on_both_inboxes_nothing_overwritten(
    browser: Browser, live_server, worker
):
    (case,) = field_cases(
        worker=worker["user"], supervisor=worker["supervisor"], staff=worker["staff"], count=1
    )
    visit = case.visits.order_by("pk").first()
    context_a, a = device(browser, live_server.url, label="HP A")
    context_b, b = device(browser, live_server.url, label="HP B")
    context_a.set_offline(True)
    context_b.set_offline(True)
    edit_summary(a, case.number, "Versi perangkat A")
    edit_summary(b, case.number, "Versi perangkat B")
    # two different fields of one visit, each corrected on one device
    for page, field, value in ((a, "place", "Balai desa"), (b, "seen", "Anak dan kakak")):
        page.locator(f"[data-list=visits] a[href$='/visits/{visit.pk}']").click()
        page.locator(f"#visit-edit-form #{field}").fill(value)
        page.locator("#visit-edit-form button[type=submit]").click()
        expect(page.locator("[data-list=pending] > li")).to_have_count(2)

    context_a.set_offline(False)
    sync_now(a)
    expect(a.locator("[data-waiting]")).to_have_attribute("data-waiting", "0")
    expect(a.locator("[data-conflicts]")).to_have_attribute("data-conflicts", "0")
    case.refresh_from_db()
    assert case.summary == "Versi perangkat A"

    context_b.set_offline(False)
    sync_now(b)
    expect(b.locator("[data-waiting]")).to_have_attribute("data-waiting", "0")
    expect(b.locator("[data-conflicts]")).to_have_attribute("data-conflicts", "1")
    conflict = b.locator("[data-list=conflicts] > li")
    expect(conflict.locator("[data-mine]")).to_have_text("Versi perangkat B")
    expect(conflict.locator("[data-theirs]")).to_have_text("Versi perangkat A")
    fits(b)
    violations = axe_violations(b, tags=AXE_TAGS)
    assert not violations, describe_violations(violations)
    shot(b, "sync-conflict-390")
    b.set_viewport_size(LAPTOP)
    fits(b, LAPTOP["width"])
    shot(b, "sync-conflict-1366")
    b.set_viewport_size(PHONE)
    # nothing overwritten: the server keeps A's value until someone chooses
    case.refresh_from_db()
    assert case.summary == "Versi perangkat A"
    (kept,) = FieldConflict.objects.filter(resolved_at__isnull=True)
    assert (kept.kind, kept.object_id, kept.field) == ("cases", case.pk, "summary")
    assert (kept.mine, kept.theirs) == ("Versi perangkat B", "Versi perangkat A")
    # the different fields of the visit both landed
    visit.refresh_from_db()
    assert (visit.place, visit.seen) == ("Balai desa", "Anak dan kakak")
    assert visit.observations == case.visits.order_by("pk").first().observations

    # the web inbox has the same conflict
    web = context_b.new_page()
    web.goto(live_server.url + "/field/conflicts/")
    expect(web.locator("main")).to_contain_text("Versi perangkat B")
    expect(web.locator("main")).to_contain_text("Versi perangkat A")
    # choosing on the device settles it there too
    conflict.locator("[data-choose=mine]").click()
    expect(b.locator("[data-conflicts]")).to_have_attribute("data-conflicts", "0")
    case.refresh_from_db()
    kept.refresh_from_db()
    assert case.summary == "Versi perangkat B" and kept.choice == "mine" and kept.resolved_at
    web.reload()
    expect(web.locator("main")).not_to_contain_text("Versi perangkat B")
    # the device's copy is the server's now
    open_case(b, case.number)
    expect(b.locator("[data-summary]")).to_have_text("Versi perangkat B")
    context_a.close()
    context_b.close()


def test_an_answer_lost_in_the_middle_of_a_sync_and_a_retry_create_no_duplicate(
    browser: Browser, live_server, worker
):
    (case,) = field_cases(
        worker=worker["user"], supervisor=worker["supervisor"], staff=worker["staff"], count=1
    )
    # service workers blocked so that page.route sees every request
    context = browser.new_context(viewport=PHONE, service_workers="block")
    page = context.new_page()
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/lapangan/")  # (no service worker to wait for)
    page.locator("#pin").fill(PIN)
    page.locator("#pin2").fill(PIN)
    page.locator("#pin-form button").click()
    take(page, "cases")
    context.set_offline(True)
    for text in ("Catatan pertama", "Catatan kedua"):
        open_case(page, case.number)
        page.locator("[data-form=note]").click()
        page.locator("#note-form #text").fill(text)
        page.locator("#note-form button[type=submit]").click()
        expect(page.locator("[data-notice=info]")).to_be_visible()
    # a report the server will refuse (a village code that does not exist)
    for village in ("73.71.01.1001", "73.71.99.9999"):
        page.evaluate("location.hash = '#/report'")
        page.locator("#report-form #area").fill(village)
        page.locator("#report-form #summary").fill("Anak tanpa pengasuh di pelabuhan.")
        page.locator("#report-form button[type=submit]").click()
        expect(page.locator("[data-notice=info]")).to_be_visible()
    expect(page.locator("[data-go=sync]")).to_contain_text("4")

    posts = []

    def lose_the_second_answer(route):
        if route.request.method == "POST":
            posts.append(route.request.url)
            if len(posts) == 2:
                route.fetch()  # the server creates the note...
                route.abort("connectionreset")  # ...and the answer never arrives
                return
        route.continue_()

    page.route("**/api/v1/field/**", lose_the_second_answer)
    sync_page(page)
    context.set_offline(False)  # the connection is back: the app syncs by itself
    expect(page.locator("[data-notice=error]")).to_be_visible()  # the run stopped
    expect(page.locator("[data-waiting]")).to_have_attribute("data-waiting", "3")
    assert len(posts) == 2
    assert Note.objects.filter(case=case).count() == 2  # both reached the server
    assert IntakeReport.objects.count() == 0

    page.unroute("**/api/v1/field/**")
    page.locator("#sync-button").click()  # the retry
    expect(page.locator("[data-waiting]")).to_have_attribute("data-waiting", "0")
    # the refused report stays on the device as failed, with the server's reason
    expect(page.locator("[data-failed]")).to_have_attribute("data-failed", "1")
    expect(page.locator("[data-list=failed] [data-reason]")).not_to_be_empty()
    shot(page, "sync-failed-390")
    fits(page)
    assert Note.objects.filter(case=case).count() == 2  # the second one only once
    assert sorted(Note.objects.filter(case=case).values_list("text", flat=True)) == [
        "Catatan kedua",
        "Catatan pertama",
    ]
    assert IntakeReport.objects.count() == 1 and ClientRecord.objects.count() == 3
    assert Case.objects.count() == 1
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("[data-list=failed] button.outline").click()  # discard it
    expect(page.locator("[data-failed]")).to_have_attribute("data-failed", "0")
    assert IntakeReport.objects.count() == 1
    context.close()


def test_a_facilitation_visit_and_an_outreach_outcome_recorded_offline_land_once(
    browser: Browser, live_server, worker, tmp_path
):
    (beneficiary,) = field_beneficiaries(worker=worker["user"], count=1)
    scored_village(tmp_path)
    visits = FacilitationVisit.objects.filter(beneficiary=beneficiary).count()
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    sign_in(page, live_server.url)
    open_app_and_set_pin(page, live_server.url)
    take(page, "beneficiaries")
    page.locator("#take-form input[value=outreach]").check()
    page.locator("#village").fill("73.71.01.1001")
    page.locator("#take-button").click()
    expect(page.locator("[data-notice=info]")).to_be_visible()
    context.set_offline(True)

    page.locator("[data-go=beneficiaries]").click()
    page.locator("[data-list=beneficiaries] [data-form=facilitation]").click()
    page.locator("#facilitation-form button[type=submit]").click()
    expect(page.locator("#topics-error")).not_to_be_empty()  # at least one topic
    page.locator("#topics input[value=school]").check()
    page.locator("#facilitation-form #notes").fill("Anak kembali sekolah.")
    page.locator("#facilitation-form button[type=submit]").click()
    expect(page.locator("[data-list=beneficiaries] [data-pending=waiting]")).to_have_count(1)

    page.evaluate("location.hash = '#/outreach/73.71.01.1001'")
    person = page.locator("[data-list=outreach] > li").first
    person.locator("[data-form=outreach]").click()
    form = page.locator("#outreach-form")
    form.locator("#outcome input[value=case_opened]").check()
    form.locator("button[type=submit]").click()
    expect(page.locator("#case-error")).not_to_be_empty()  # "case opened" needs its case
    form.locator("#outcome input[value=not_found]").check()
    form.locator("#note").fill("Rumah kosong, tetangga tidak tahu.")
    fits(page)
    shot(page, "outreach-form-390")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-list=outreach] [data-pending=waiting]")).to_have_count(1)

    context.set_offline(False)
    sync_now(page)
    expect(page.locator("[data-waiting]")).to_have_attribute("data-waiting", "0")
    expect(page.locator("[data-failed]")).to_have_attribute("data-failed", "0")
    assert FacilitationVisit.objects.filter(beneficiary=beneficiary).count() == visits + 1
    visit = FacilitationVisit.objects.filter(beneficiary=beneficiary).order_by("-pk").first()
    assert visit.topics == ["school"] and created(visit)
    result = OutreachResult.objects.get()
    assert result.outcome == "not_found" and result.worker == worker["user"] and created(result)
    # the local copies are the server's: the outcome shows on the list, nothing waits
    page.evaluate("location.hash = '#/outreach/73.71.01.1001'")
    expect(page.locator("[data-list=outreach] [data-pending]")).to_have_count(0)
    expect(page.locator("[data-list=outreach] .field-tag-progress")).to_have_count(1)
    context.close()
