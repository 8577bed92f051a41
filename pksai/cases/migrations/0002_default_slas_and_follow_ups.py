"""Default service levels (officials change them in the admin) and follow-up intervals."""

from django.db import migrations

SLAS = [
    ("triage", True, 24),  # triage within 24 hours of registration for reports of violence
    ("triage", False, 72),
    ("assessment", False, 7 * 24),
    ("planning", False, 14 * 24),
    ("plan_review", False, 3 * 24),
    ("implementation", False, 90 * 24),
    ("closure_review", False, 3 * 24),
]
FOLLOW_UP_MONTHS = [1, 3, 6]


def forward(apps, schema_editor):
    SlaRule = apps.get_model("cases", "SlaRule")
    FollowUpInterval = apps.get_model("cases", "FollowUpInterval")
    for stage, violence_only, hours in SLAS:
        SlaRule.objects.get_or_create(
            stage=stage, violence_only=violence_only, defaults={"hours": hours}
        )
    for months in FOLLOW_UP_MONTHS:
        FollowUpInterval.objects.get_or_create(months=months)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
