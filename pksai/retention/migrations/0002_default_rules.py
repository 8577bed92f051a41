"""The shipped retention schedule (docs/data-protection.md explains each period) and the
scheduler's clock. Later changes are new rows with a later valid-from date."""

from datetime import date

from django.db import migrations
from django.utils import timezone

# UU PDP's obligations apply from 17 October 2024 (two years after it was enacted).
VALID_FROM = date(2024, 10, 17)
LAW_ID = (
    "UU 27/2022 tentang Pelindungan Data Pribadi: data pribadi diproses hanya selama "
    "diperlukan untuk tujuannya; pemrosesan diakhiri pada akhir masa retensi dan data yang "
    "tidak lagi diperlukan dihapus (Pasal 42–44). "
)
LAW_EN = (
    "UU 27/2022 on Personal Data Protection: personal data is processed only as long as its "
    "purpose needs; processing ends when the retention period ends and data no longer needed "
    "is deleted (Articles 42–44). "
)
DEFAULTS = [
    (
        "case_closed",
        60,
        "Kasus anak dapat dibuka kembali atau anak dilaporkan lagi; riwayat kasus membantu "
        "asesmen baru dan pemantauan pascalayanan. Lima tahun setelah kasus ditutup (setelah "
        "pemantauan pascalayanan selesai) tujuan itu tercapai.",
        "A child's case may be reopened or the child reported again; the history informs a "
        "new assessment and post-service monitoring. Five years after closure (after the "
        "post-service monitoring) that purpose is served.",
    ),
    (
        "intake_not_registered",
        12,
        "Laporan yang tidak didaftarkan sebagai kasus disimpan satu tahun untuk mengenali "
        "laporan berulang tentang anak yang sama dan menjawab pertanyaan pelapor.",
        "Reports not registered as cases are kept one year to recognise repeated reports about "
        "the same child and to answer the reporter's questions.",
    ),
    (
        "complaint_resolved",
        24,
        "Pengaduan yang selesai disimpan dua tahun: pengaduan dapat dibuka kembali atau "
        "diajukan banding, dan laporan pengaduan membandingkan tahun ke tahun.",
        "Resolved complaints are kept two years: a complaint may be reopened or appealed, and "
        "the complaint reports compare one year with the next.",
    ),
    (
        "registry_retired",
        24,
        "Baris yang tidak lagi ada di registri terbaru sering kembali pada edisi berikutnya "
        "(pemutakhiran DTKS/DTSEN); dua tahun mencakup beberapa edisi.",
        "Rows no longer in the current registry often return in a later edition (DTKS/DTSEN "
        "updates); two years cover several editions.",
    ),
    (
        "beneficiary_exited",
        60,
        "Data penerima manfaat yang keluar dari program disimpan lima tahun untuk pemeriksaan "
        "pembayaran, keberatan dan pendaftaran ulang.",
        "Data of beneficiaries who left a program is kept five years for payment audits, "
        "objections and re-enrolment.",
    ),
    (
        "payment_lines",
        120,
        "Baris berkas bayar adalah bukti keuangan negara: disimpan sepuluh tahun untuk "
        "pemeriksaan keuangan (BPK) sesuai jadwal retensi arsip keuangan.",
        "Payer batch lines are evidence of state spending: kept ten years for the financial "
        "audit (BPK), as the archive retention schedule for financial records.",
    ),
]


def forward(apps, schema_editor):
    Rule = apps.get_model("retention", "RetentionRule")
    Clock = apps.get_model("retention", "RetentionClock")
    for kind, months, reason_id, reason_en in DEFAULTS:
        Rule.objects.get_or_create(
            kind=kind,
            valid_from=VALID_FROM,
            defaults={
                "months": months,
                "action": "anonymise",
                "legal_basis_id": LAW_ID + reason_id,
                "legal_basis_en": LAW_EN + reason_en,
            },
        )
    Clock.objects.get_or_create(pk=1, defaults={"next_at": timezone.now()})


def backward(apps, schema_editor):
    apps.get_model("retention", "RetentionRule").objects.filter(valid_from=VALID_FROM).delete()
    apps.get_model("retention", "RetentionClock").objects.filter(pk=1).delete()


class Migration(migrations.Migration):
    dependencies = [("retention", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
