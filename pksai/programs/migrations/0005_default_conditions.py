"""PKSA's conditionalities and the default consequence ladder (warning → benefit reduction →
exit), as data officials change in the admin."""

from django.db import migrations

CONDITIONS = [
    ("school_enrolment", "Terdaftar di sekolah", "Enrolled in school"),
    (
        "school_attendance",
        "Hadir di sekolah (minimal 85% hari sekolah)",
        "Attends school (85% of school days)",
    ),
    (
        "basic_services",
        "Menggunakan layanan dasar (kesehatan, akta kelahiran)",
        "Uses basic services (health, birth certificate)",
    ),
]
LADDER = [(1, "warning", 0), (2, "reduction", 25), (3, "exit", 0)]


def forward(apps, schema_editor):
    Program = apps.get_model("programs", "Program")
    Conditionality = apps.get_model("programs", "Conditionality")
    ConsequenceStep = apps.get_model("programs", "ConsequenceStep")
    pksa = Program.objects.filter(code="pksa").first()
    if pksa is None:
        return
    for code, label_id, label_en in CONDITIONS:
        Conditionality.objects.get_or_create(
            program=pksa, code=code, defaults={"label_id": label_id, "label_en": label_en}
        )
    for misses, action, percent in LADDER:
        ConsequenceStep.objects.get_or_create(
            program=pksa, misses=misses, defaults={"action": action, "reduction_percent": percent}
        )


class Migration(migrations.Migration):
    dependencies = [("programs", "0004_conditionalities_and_reconfirmation")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
