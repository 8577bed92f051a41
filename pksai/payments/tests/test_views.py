"""Payment pages: who sees what (403 without the role, 404 for a card out of area, no
entitlements of another regency), then the happy path through the forms — generate a cycle,
export the batch, download the CSV (its SHA-256 is the header), import a return file with one
bad row (400 with the row's reason, the good rows applied; importing it again changes
nothing), a corrected version with its difference — and the membership card."""

import hashlib
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.cases.tests.conftest import team  # noqa: F401  (the case-work team fixture)
from pksai.payments import services
from pksai.payments.models import DeliveryEvent, Entitlement, PayerBatch, PaymentCycle
from pksai.programs.models import Beneficiary, BenefitRule, Program
from pksai.registry.models import Household, Person

N = 20
FULL = 300_000
JAN = date(2026, 1, 1)


def login(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en"})


def make_beneficiaries(n: int, village: str, prefix: str) -> list[Beneficiary]:
    jslu = Program.objects.get(code="jslu")
    rule = BenefitRule.objects.get(program=jslu)
    households = Household.objects.bulk_create(
        [
            Household(source="T", registry_id=f"{prefix}{i}", village_id=village, row_hash="-")
            for i in range(n)
        ]
    )
    persons = Person.objects.bulk_create(
        [
            Person(
                household=h,
                source="T",
                household_key=h.registry_id,
                person_key="1",
                village_id=village,
                name=f"{prefix} Lansia {i:02d}",
                sex="F",
                birth_date=date(1950, 1, 1),
                relationship="head",
                row_hash="-",
            )
            for i, h in enumerate(households)
        ]
    )
    return Beneficiary.objects.bulk_create(
        [
            Beneficiary(
                program=jslu,
                person=p,
                area_id=village,
                start_date=date(2025, 12, 1),
                benefit_rule=rule,
            )
            for p in persons
        ]
    )


@pytest.fixture
def pay(team):  # noqa: F811
    """Program officers of Makassar and Gowa (and a national one), 20 JSLU beneficiaries in
    Makassar and 2 in Gowa."""
    return {
        **team,
        "officer": make_user("po", roles=["program_officer"], scope=["73"]),
        "gowa_officer": make_user("gpo", roles=["program_officer"], scope=["73.06"]),
        "makassar": make_beneficiaries(N, "73.71.01.1001", "Mks"),
        "gowa": make_beneficiaries(2, "73.06.01.2001", "Gowa"),
        "jslu": Program.objects.get(code="jslu"),
    }


def return_csv(batch: PayerBatch, rows) -> bytes:
    text = "batch_id,line,payment_id,result,date,channel,reason,paid_by,countersigned\n"
    text += "".join(
        f"{batch.reference},{line},{pid},{result},{on},post_home,{reason},Petugas Pos,yes\n"
        for line, pid, result, on, reason in rows
    )
    return text.encode()


# --- denials ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, pay):
    for url in (
        "/payments/",
        "/payments/cycles/1/",
        f"/payments/beneficiaries/{pay['makassar'][0].pk}/card/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.django_db
def test_social_worker_is_refused(client, pay):
    cycle = services.cycle_generate(by=pay["officer"], program=pay["jslu"], period=JAN)
    login(client, pay["worker"])
    assert client.get("/payments/").status_code == 403
    assert client.get(f"/payments/cycles/{cycle.pk}/").status_code == 403
    assert (
        client.post("/payments/generate/", {"program": "jslu", "period": "2026-02"}).status_code
        == 403
    )
    assert client.get(f"/payments/beneficiaries/{pay['makassar'][0].pk}/card/").status_code == 404
    assert not PaymentCycle.objects.filter(period=date(2026, 2, 1)).exists()
    # no nav link either
    assert b'href="/payments/"' not in client.get("/").content


@pytest.mark.django_db
def test_gowa_officer_sees_no_makassar_entitlements(client, pay):
    cycle = services.cycle_generate(by=pay["officer"], program=pay["jslu"], period=JAN)
    login(client, pay["gowa_officer"])
    page = client.get(f"/payments/cycles/{cycle.pk}/")
    assert page.status_code == 200
    assert b"Gowa Lansia 00" in page.content and b"Mks Lansia" not in page.content
    makassar = pay["makassar"][0]
    assert client.get(f"/payments/beneficiaries/{makassar.pk}/card/").status_code == 404
    assert AuditEvent.objects.filter(
        action="permission_denied", object_id=str(makassar.pk)
    ).exists()
    assert client.get(f"/payments/beneficiaries/{pay['gowa'][0].pk}/card/").status_code == 200


# --- the happy path --------------------------------------------------------------------


@pytest.mark.django_db
def test_generate_export_download_and_return_file(client, pay):
    officer = pay["officer"]
    login(client, officer)
    assert b"/payments/" in client.get("/").content  # the nav link
    # a bad period, then a good one; generating it again is refused with the reason
    bad = client.post("/payments/generate/", {"program": "jslu", "period": "2026-13"})
    assert bad.status_code == 400 and b"YYYY-MM" in bad.content
    response = client.post("/payments/generate/", {"program": "jslu", "period": "2026-01"})
    cycle = PaymentCycle.objects.get(program=pay["jslu"], period=JAN)
    assert response.status_code == 302 and response["Location"] == f"/payments/cycles/{cycle.pk}/"
    again = client.post("/payments/generate/", {"program": "jslu", "period": "2026-01"})
    assert again.status_code == 400 and b"already generated" in again.content
    listing = client.get("/payments/")
    assert listing.status_code == 200 and b"6,600,000" in listing.content  # 22 × 300,000

    page = client.get(f"/payments/cycles/{cycle.pk}/")
    assert page.status_code == 200 and page.content.count(b"Mks Lansia") == N
    assert AuditEvent.objects.filter(action="view", object_type="payments.entitlement").exists()

    # export
    assert client.post(f"/payments/cycles/{cycle.pk}/export/", {"note": ""}).status_code == 302
    batch = PayerBatch.objects.get(cycle=cycle)
    assert batch.rows == N + 2 and batch.total == (N + 2) * FULL
    # a new version needs a note
    refused = client.post(f"/payments/cycles/{cycle.pk}/export/", {"note": " "})
    assert refused.status_code == 400 and b"Say why" in refused.content

    # download: the file's SHA-256 is the header and the batch's checksum
    refused = client.get(f"/payments/batches/{batch.pk}/file/?format=csv")  # no purpose
    assert refused.status_code == 302 and refused["Location"] == f"/payments/cycles/{cycle.pk}/"
    csv = client.get(f"/payments/batches/{batch.pk}/file/?format=csv&purpose=send+to+payer")
    assert csv.status_code == 200
    assert "purpose: send to payer" in csv["X-PKSAI-Watermark"]  # the file itself unchanged
    assert csv["Content-Disposition"].startswith("attachment")
    assert hashlib.sha256(csv.content).hexdigest() == csv["X-Checksum-SHA256"] == batch.checksum
    assert AuditEvent.objects.filter(action="export", object_id=str(batch.pk)).count() == 2
    xlsx = client.get(f"/payments/batches/{batch.pk}/file/?format=xlsx&purpose=send+to+payer")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get(f"/payments/batches/{batch.pk}/file/?format=pdf&purpose=x").status_code == 404
    # the file names people of every regency: an officer of one regency cannot download it
    login(client, pay["gowa_officer"])
    assert client.get(f"/payments/batches/{batch.pk}/file/?format=csv").status_code == 404
    login(client, officer)

    # a return file: every line paid on the 10th, and one bad row (row 2 of the file)
    lines = list(batch.lines.order_by("line").values_list("line", "entitlement_id"))
    rows = [(lines[-1][0], lines[-1][1], "lost", "2026-01-10", "")]  # a Makassar line
    rows += [(line, pid, "paid", "2026-01-10", "") for line, pid in lines[:-1]]
    content = return_csv(batch, rows)
    upload = SimpleUploadedFile("return.csv", content, content_type="text/csv")
    response = client.post(f"/payments/batches/{batch.pk}/return/", {"file": upload})
    assert response.status_code == 400
    html = response.content.decode()
    assert "paid or failed" in html and 'data-label="Row">2</td>' in html
    assert response.context["result"].created == N + 1
    statuses = set(Entitlement.objects.filter(cycle=cycle).values_list("status", flat=True))
    assert statuses == {"paid", "sent"}
    assert Entitlement.objects.get(pk=lines[-1][1]).status == "sent"
    # uploading again changes nothing
    events = DeliveryEvent.objects.count()
    upload = SimpleUploadedFile("return.csv", content, content_type="text/csv")
    response = client.post(f"/payments/batches/{batch.pk}/return/", {"file": upload})
    assert response.status_code == 400
    assert response.context["result"].created == 0
    assert response.context["result"].unchanged == N + 1
    assert DeliveryEvent.objects.count() == events
    # a file that is not a spreadsheet is refused
    upload = SimpleUploadedFile("return.pdf", b"%PDF", content_type="application/pdf")
    response = client.post(f"/payments/batches/{batch.pk}/return/", {"file": upload})
    assert response.status_code == 400 and b"unsupported file type" in response.content

    # a corrected version holds the one line not paid; the page shows the difference
    assert (
        client.post(
            f"/payments/cycles/{cycle.pk}/export/", {"note": "re-send the unpaid line"}
        ).status_code
        == 302
    )
    v2 = PayerBatch.objects.get(cycle=cycle, version=2)
    assert v2.rows == 1
    page = client.get(f"/payments/cycles/{cycle.pk}/")
    assert b"re-send the unpaid line" in page.content
    assert b"Version 2 against version 1: 0 added, 21 removed" in page.content
    # filters
    paid = client.get(f"/payments/cycles/{cycle.pk}/?status=paid")
    assert paid.content.count(b"Mks Lansia") == N - 1
    assert client.get(f"/payments/cycles/{cycle.pk}/?late=1").content.count(b"Mks Lansia") == 0
    sent = client.get(f"/payments/cycles/{cycle.pk}/?status=sent")
    assert sent.content.count(b"Mks Lansia") == 1


@pytest.mark.django_db
def test_amounts_in_indonesian_use_dots(client, pay):
    services.cycle_generate(by=pay["officer"], program=pay["jslu"], period=JAN)
    client.force_login(pay["officer"])
    client.post("/i18n/setlang/", {"language": "id"})
    assert b"6.600.000" in client.get("/payments/").content


@pytest.mark.django_db
def test_membership_card(client, pay, tmp_path):
    officer = pay["officer"]
    cycle = services.cycle_generate(by=officer, program=pay["jslu"], period=JAN)
    batch = services.batch_export(by=officer, cycle=cycle)
    person = pay["makassar"][0]
    line, pid = batch.lines.get(entitlement__beneficiary=person).line, None
    pid = Entitlement.objects.get(cycle=cycle, beneficiary=person).pk
    path = tmp_path / "r.csv"
    path.write_bytes(return_csv(batch, [(line, pid, "paid", "2026-01-20", "")]))
    services.returns_import(by=officer, batch=batch, path=path)
    login(client, officer)
    response = client.get(f"/payments/beneficiaries/{person.pk}/card/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mks Lansia 00" in html and "300,000" in html and "2026-01" in html
    assert "Petugas Pos" in html and "late" in html
    assert AuditEvent.objects.filter(
        action="view", object_type="programs.beneficiary", object_id=str(person.pk)
    ).exists()
    # a beneficiary not yet paid has an empty card
    other = pay["makassar"][1]
    assert (
        b"No payment received yet"
        in client.get(f"/payments/beneficiaries/{other.pk}/card/").content
    )


def test_the_batch_file_writes_formula_like_names_as_text_and_amounts_as_numbers(client, pay):
    """Only the text cells are quoted: the columns, amounts and the checksum stay as the payer
    format says (docs/payer-format.md)."""
    from pksai.core.tests.spreadsheet import (
        HOSTILE,
        assert_csv_safe,
        assert_xlsx_safe,
        xlsx_cells,
    )

    names = sorted(Person.objects.filter(name__startswith="Mks").values_list("pk", flat=True))
    for pk, name in zip(names, HOSTILE, strict=False):
        Person.objects.filter(pk=pk).update(name=name)
    Household.objects.filter(registry_id="Mks0").update(address="-")
    cycle = services.cycle_generate(by=pay["officer"], program=pay["jslu"], period=JAN)
    batch = services.batch_export(by=pay["officer"], cycle=cycle)
    login(client, pay["officer"])
    csv = client.get(f"/payments/batches/{batch.pk}/file/?format=csv&purpose=payer")
    rows = assert_csv_safe(csv.content, HOSTILE)
    assert rows[0] == services.BATCH_COLUMNS
    amounts = {row[rows[0].index("amount")] for row in rows[1:]}
    assert amounts == {str(FULL)}
    assert hashlib.sha256(csv.content).hexdigest() == batch.checksum
    xlsx = client.get(f"/payments/batches/{batch.pk}/file/?format=xlsx&purpose=payer")
    assert_xlsx_safe(xlsx.content, HOSTILE)
    amount_column = "ABCDEFGHIJ"[services.BATCH_COLUMNS.index("amount")]
    amount_cells = [c for c in xlsx_cells(xlsx.content) if c.ref[0] == amount_column][1:]
    assert amount_cells and {c.type for c in amount_cells} == {"n"}


def test_a_batch_exported_before_quoting_keeps_its_registered_bytes(client, pay):
    """Lines never change: a batch whose checksum was taken over the file without quotes is
    served as it was registered."""
    names = sorted(Person.objects.filter(name__startswith="Mks").values_list("pk", flat=True))
    Person.objects.filter(pk=names[0]).update(name="=Old")
    cycle = services.cycle_generate(by=pay["officer"], program=pay["jslu"], period=JAN)
    batch = services.batch_export(by=pay["officer"], cycle=cycle)
    plain = services._batch_frame(batch).write_csv().encode()
    PayerBatch.objects.filter(pk=batch.pk).update(checksum=hashlib.sha256(plain).hexdigest())
    batch.refresh_from_db()
    assert services.batch_csv(batch) == plain
    PayerBatch.objects.filter(pk=batch.pk).update(checksum="")
    batch.refresh_from_db()
    assert b"'=Old" in services.batch_csv(batch)
