"""Default service levels: days each level has to resolve a complaint before it escalates.
Officials change them in the admin (a change is a new row with a later valid-from date)."""

from datetime import date

from django.db import migrations

CATEGORIES = [
    "exclusion",
    "mistargeting",
    "payment_late",
    "wrong_amount",
    "deduction",
    "service_quality",
    "misconduct",
    "data_correction",
    "child_protection",
    "other",
]
DAYS = {"normal": 14, "high": 7, "urgent": 3}
CHILD_PROTECTION_DAYS = {"normal": 3, "high": 2, "urgent": 1}


def forward(apps, schema_editor):
    ComplaintSla = apps.get_model("grievances", "ComplaintSla")
    for category in CATEGORIES:
        days = CHILD_PROTECTION_DAYS if category == "child_protection" else DAYS
        for priority, n in days.items():
            ComplaintSla.objects.get_or_create(
                category=category,
                priority=priority,
                valid_from=date(2026, 1, 1),
                defaults={"days": n},
            )


class Migration(migrations.Migration):
    dependencies = [("grievances", "0001_initial")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
