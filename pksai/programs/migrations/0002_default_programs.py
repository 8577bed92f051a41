"""The programs of DOMAIN.md and their benefit rules as data (officials change them in the
admin; a benefit change is a new rule with a later valid-from date)."""

from datetime import date

from django.db import migrations

PROGRAMS = [  # code, Bahasa Indonesia, English, parent, target, permanent
    (
        "pksa",
        "Program Kesejahteraan Sosial Anak (PKSA)",
        "Child Social Welfare Program (PKSA)",
        None,
        "children",
        True,
    ),
    (
        "pks_abt",
        "PKS Anak Balita Terlantar (PKS-ABT)",
        "Neglected children under five (PKS-ABT)",
        "pksa",
        "children",
        True,
    ),
    (
        "pks_anjal",
        "PKS Anak Jalanan dan Terlantar (PKS-Anjal/Antar)",
        "Street and neglected children (PKS-Anjal/Antar)",
        "pksa",
        "children",
        True,
    ),
    (
        "pks_abh",
        "PKS Anak Berhadapan dengan Hukum (PKS-ABH)",
        "Children in contact with the law (PKS-ABH)",
        "pksa",
        "children",
        True,
    ),
    (
        "pks_adk",
        "PKS Anak dengan Kedisabilitasan (PKS-ADK)",
        "Children with disabilities (PKS-ADK)",
        "pksa",
        "children",
        True,
    ),
    (
        "pks_ampk",
        "PKS Anak yang Memerlukan Perlindungan Khusus (PKS-AMPK)",
        "Children in need of special protection (PKS-AMPK)",
        "pksa",
        "children",
        True,
    ),
    (
        "jslu",
        "Jaminan Sosial Lanjut Usia (JSLU)",
        "Social assistance for the elderly (JSLU)",
        None,
        "elderly",
        True,
    ),
    (
        "jspaca",
        "Jaminan Sosial Penyandang Cacat Berat (JSPACA)",
        "Social assistance for people with severe disabilities (JSPACA)",
        None,
        "disabled",
        True,
    ),
    ("pkh", "Program Keluarga Harapan (PKH)", "Family Hope Program (PKH)", None, "families", False),
]
BENEFITS = [  # program, amount per payment, frequency, payments a year, in kind, in-kind value
    ("pksa", 1_500_000, "yearly", 1, "", 0),
    (
        "pks_abt",
        1_100_000,
        "yearly",
        1,
        "Paket gizi melalui TAS/PAUD (nutrition packages)",
        400_000,
    ),
    ("jslu", 300_000, "monthly", 12, "", 0),
    ("jspaca", 300_000, "monthly", 12, "", 0),
]


def forward(apps, schema_editor):
    Program = apps.get_model("programs", "Program")
    BenefitRule = apps.get_model("programs", "BenefitRule")
    by_code = {}
    for code, name_id, name_en, parent, target, permanent in PROGRAMS:
        by_code[code], _ = Program.objects.get_or_create(
            code=code,
            defaults={
                "name_id": name_id,
                "name_en": name_en,
                "parent": by_code.get(parent),
                "target": target,
                "permanent_assistance": permanent,
            },
        )
    for code, amount, frequency, per_year, in_kind, in_kind_value in BENEFITS:
        BenefitRule.objects.get_or_create(
            program=by_code[code],
            valid_from=date(2009, 1, 1),
            defaults={
                "amount": amount,
                "frequency": frequency,
                "payments_per_year": per_year,
                "in_kind": in_kind,
                "in_kind_value": in_kind_value,
                "notes": "DOMAIN.md: PKSA Rp 1.3–1.8 million a year; JSLU/JSPACA Rp 300,000 a month",
            },
        )


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_initial")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
