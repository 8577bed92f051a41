"""The shipped texts of every message, in Bahasa Indonesia and English (version 1; the admin
adds later versions). The texts are copied here, not imported, so the migration stays as it
was written."""

from django.db import migrations

SUBJECTS = {
    "complaint_received": ("Pengaduan diterima", "Complaint received"),
    "complaint_escalated": ("Pengaduan diteruskan", "Complaint escalated"),
    "complaint_resolved": ("Pengaduan selesai", "Complaint resolved"),
    "payment_notice": ("Pemberitahuan bantuan", "Payment notice"),
    "payment_held": ("Bantuan disimpan di kantor pos", "Payment held at the post office"),
    "referral_satisfaction": ("Bagaimana layanan kami?", "How was the service?"),
    "referral_new": ("Rujukan baru", "New referral"),
    "referral_overdue": ("Rujukan lewat batas waktu", "Referral overdue"),
    "work_alert": ("Peringatan PKSAI", "PKSAI alert"),
    "opt_out_confirmed": ("Berhenti berlangganan", "Unsubscribed"),
    "complaint_status": ("Status pengaduan", "Complaint status"),
    "inbound_unknown_code": ("Kode tidak dikenal", "Unknown code"),
    "inbound_help": ("Layanan pesan PKSAI", "PKSAI messaging service"),
}

TEXTS = {
    "complaint_received": (
        "Pengaduan Anda sudah kami terima. Kode lacak: {code}. Cek status: {status_link}",
        "Your complaint was received. Tracking code: {code}. Status: {status_link}",
    ),
    "complaint_escalated": (
        "Pengaduan {code} diteruskan ke tingkat {level} agar segera ditangani.",
        "Complaint {code} was escalated to the {level} level to be handled quickly.",
    ),
    "complaint_resolved": (
        "Pengaduan {code} selesai: {resolution} Beri penilaian Anda: {rating_link}",
        "Complaint {code} is resolved: {resolution} Please rate our answer: {rating_link}",
    ),
    "payment_notice": (
        "Bantuan {program} sebesar {amount} untuk periode {periods} dapat diambil melalui "
        "{where} mulai {from_date}.",
        "Your {program} payment of {amount} for {periods} can be collected through {where} "
        "from {from_date}.",
    ),
    "payment_held": (
        "Bantuan {program} sebesar {amount} disimpan di kantor pos. Silakan ambil dengan "
        "membawa kartu peserta.",
        "Your {program} payment of {amount} is held at the post office. Please collect it "
        "with your programme card.",
    ),
    "referral_satisfaction": (
        "Layanan dari {provider} sudah diberikan. Bagaimana pengalaman Anda? {link}",
        "The service from {provider} was delivered. How was it? {link}",
    ),
    "referral_new": (
        "Rujukan baru untuk layanan {service}. Buka: {link}",
        "A new referral for {service}. Open: {link}",
    ),
    "referral_overdue": (
        "Rujukan untuk layanan {service} melewati batas waktu. Buka: {link}",
        "A referral for {service} is overdue. Open: {link}",
    ),
    "work_alert": ("PKSAI: {text} {link}", "PKSAI: {text} {link}"),
    "opt_out_confirmed": (
        "Anda tidak akan menerima pesan lagi dari PKSAI di nomor ini.",
        "You will receive no more messages from PKSAI at this number.",
    ),
    "complaint_status": (
        "Pengaduan {code}: {status}, ditangani di tingkat {level}.",
        "Complaint {code}: {status}, handled at the {level} level.",
    ),
    "inbound_unknown_code": (
        "Kode lacak {code} tidak ditemukan. Periksa kembali kodenya.",
        "Tracking code {code} was not found. Please check the code.",
    ),
    "inbound_help": (
        "Kirim ADUAN <isi pengaduan> untuk mengadu, LAPOR <kejadian> untuk melaporkan anak "
        "dalam bahaya, kode lacak (ADU-XXXX-XXXX) untuk melihat status, atau STOP untuk "
        "berhenti menerima pesan.",
        "Send ADUAN <your complaint> to complain, LAPOR <what happened> to report a child at "
        "risk, a tracking code (ADU-XXXX-XXXX) for its status, or STOP to receive no more "
        "messages.",
    ),
}


def forwards(apps, schema_editor):
    MessageTemplate = apps.get_model("messaging", "MessageTemplate")
    rows = []
    for code, (text_id, text_en) in TEXTS.items():
        subject_id, subject_en = SUBJECTS[code]
        rows.append(MessageTemplate(code=code, language="id", subject=subject_id, text=text_id))
        rows.append(MessageTemplate(code=code, language="en", subject=subject_en, text=text_en))
    for row in rows:
        row.valid_from = "2026-01-01"
    MessageTemplate.objects.bulk_create(rows, ignore_conflicts=True)


forward = forwards  # conftest.restore_reference_data puts the templates back after a flush


def backwards(apps, schema_editor):
    MessageTemplate = apps.get_model("messaging", "MessageTemplate")
    MessageTemplate.objects.filter(version=1, code__in=list(TEXTS)).delete()


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
