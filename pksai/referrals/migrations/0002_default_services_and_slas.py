"""The default service catalogue and referral service levels (officials change both in the
admin). Services follow the pilot's mapping of providers and "types of services provided"."""

from django.db import migrations

SLAS = [  # urgency, hours to accept or decline, days to deliver
    ("emergency", 4, 1),
    ("urgent", 24, 7),
    ("routine", 72, 30),
]
SERVICES = [  # code, Bahasa Indonesia, English, usual sector
    ("birth_certificate", "Akta kelahiran", "Birth certificate", "civil_registry"),
    ("family_card", "Kartu keluarga (KK)", "Family card (KK)", "civil_registry"),
    ("child_id_card", "Kartu identitas anak (KIA)", "Child identity card (KIA)", "civil_registry"),
    ("health_check", "Pemeriksaan kesehatan", "Health check", "health_centre"),
    ("immunisation", "Imunisasi", "Immunisation", "health_centre"),
    ("nutrition", "Layanan gizi", "Nutrition support", "health_centre"),
    ("medical_treatment", "Pengobatan dan perawatan", "Medical treatment", "hospital"),
    ("visum", "Visum et repertum", "Forensic medical report (visum)", "hospital"),
    (
        "health_insurance",
        "Jaminan kesehatan (KIS/BPJS)",
        "Health insurance (KIS/BPJS)",
        "health_centre",
    ),
    ("school_enrolment", "Pendaftaran sekolah", "School enrolment", "education"),
    ("return_to_school", "Kembali ke sekolah", "Return to school", "education"),
    (
        "non_formal_education",
        "Pendidikan nonformal (Paket A/B/C)",
        "Non-formal education (Paket A/B/C)",
        "education",
    ),
    ("legal_aid", "Bantuan hukum", "Legal aid", "legal_aid"),
    (
        "legal_accompaniment",
        "Pendampingan hukum anak (ABH)",
        "Legal accompaniment (child in conflict with the law)",
        "legal_aid",
    ),
    (
        "police_report",
        "Laporan polisi dan perlindungan (Unit PPA)",
        "Police report and protection (PPA unit)",
        "police",
    ),
    (
        "psychosocial_counselling",
        "Konseling psikososial",
        "Psychosocial counselling",
        "psychosocial",
    ),
    ("psychological_assessment", "Asesmen psikologis", "Psychological assessment", "psychosocial"),
    (
        "temporary_shelter",
        "Rumah aman / shelter sementara",
        "Safe house / temporary shelter",
        "shelter",
    ),
    ("alternative_care", "Pengasuhan alternatif", "Alternative care", "lksa"),
    ("family_reunification", "Reunifikasi keluarga", "Family reunification", "lksa"),
    ("pkh", "Program Keluarga Harapan (PKH)", "Family Hope Program (PKH)", "social_assistance"),
    (
        "pksa",
        "Program Kesejahteraan Sosial Anak (PKSA)",
        "Child Social Welfare Program (PKSA)",
        "social_assistance",
    ),
    ("food_assistance", "Bantuan pangan (BPNT)", "Food assistance (BPNT)", "social_assistance"),
    (
        "economic_empowerment",
        "Pemberdayaan ekonomi keluarga",
        "Family economic empowerment",
        "economic",
    ),
    ("vocational_training", "Pelatihan keterampilan", "Vocational training", "economic"),
    ("other", "Layanan lain", "Other service", "other"),
]


def forward(apps, schema_editor):
    ReferralSla = apps.get_model("referrals", "ReferralSla")
    Service = apps.get_model("referrals", "Service")
    for urgency, hours, days in SLAS:
        ReferralSla.objects.get_or_create(
            urgency=urgency, defaults={"respond_hours": hours, "deliver_days": days}
        )
    for code, name_id, name_en, sector in SERVICES:
        Service.objects.get_or_create(
            code=code, defaults={"name_id": name_id, "name_en": name_en, "sector": sector}
        )


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
