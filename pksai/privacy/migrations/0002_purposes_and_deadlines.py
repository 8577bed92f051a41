"""The purposes of sharing and the request deadlines the law sets (data; see
docs/data-protection.md for the readings of UU 27/2022 and what is uncertain)."""

import datetime

from django.db import migrations

PURPOSES = [
    ("referral", "Rujukan ke penyedia layanan", "Referral to a service provider"),
    ("transfer", "Pemindahan kasus ke daerah lain", "Case transfer to another area"),
    ("program", "Berbagi data dengan program bantuan sosial", "Sharing with a social program"),
]
RULES = [
    ("access", 72, "UU 27/2022 Pasal 32 ayat (2): paling lambat 3 x 24 jam"),
    ("correction", 72, "UU 27/2022 Pasal 30 ayat (2): paling lambat 3 x 24 jam"),
    (
        "deletion",
        72,
        "UU 27/2022 Pasal 40 ayat (2) (penghentian pemrosesan), diterapkan juga pada "
        "penghapusan (Pasal 43): 3 x 24 jam",
    ),
]


def forwards(apps, schema_editor):
    Purpose = apps.get_model("privacy", "Purpose")
    RequestRule = apps.get_model("privacy", "RequestRule")
    for code, name_id, name_en in PURPOSES:
        Purpose.objects.update_or_create(
            code=code, defaults={"name_id": name_id, "name_en": name_en}
        )
    for kind, hours, reference in RULES:
        RequestRule.objects.update_or_create(
            kind=kind,
            valid_from=datetime.date(2022, 10, 17),
            defaults={"hours": hours, "legal_reference": reference},
        )


def backwards(apps, schema_editor):
    apps.get_model("privacy", "RequestRule").objects.filter(
        valid_from=datetime.date(2022, 10, 17)
    ).delete()
    apps.get_model("privacy", "Purpose").objects.filter(code__in=[p[0] for p in PURPOSES]).delete()


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
