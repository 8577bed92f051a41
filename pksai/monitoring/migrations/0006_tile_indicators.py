"""Indicators the at-a-glance dashboard adds (issue 18): cases responded as a count (the pilot
sites' before/after table: PKSA 2016 baselines entered by hand, pksai/monitoring/data/), and
the facilitation caseload figures the World Bank review asks for — the share of facilitators
within the program's caseload target range and above its maximum (the range is data on the
program: caseload_min, caseload_target, caseload_max)."""

from django.db import migrations

NEW = [
    # code, name (id), name (en), numerator, denominator, unit, groups, position, higher is better
    (
        "cases_responded_count",
        "Jumlah kasus yang direspons",
        "Cases responded (number)",
        "cases_responded",
        "",
        "count",
        ["area", "sex", "age_group", "month"],
        25,
        True,
    ),
    (
        "caseload_in_target",
        "Pendamping dengan beban kasus sesuai target",
        "Facilitators within the caseload target",
        "facilitators_in_target",
        "facilitators",
        "percent",
        ["area", "program"],
        92,
        True,
    ),
    (
        "caseload_over_max",
        "Pendamping dengan beban kasus di atas batas",
        "Facilitators above the caseload maximum",
        "facilitators_over_max",
        "facilitators",
        "percent",
        ["area", "program"],
        94,
        False,
    ),
]


def forward(apps, schema_editor):
    Indicator = apps.get_model("monitoring", "Indicator")
    for code, name_id, name_en, num, den, unit, groups, position, higher in NEW:
        Indicator.objects.get_or_create(
            code=code,
            defaults={
                "name_id": name_id,
                "name_en": name_en,
                "numerator": num,
                "denominator": den,
                "unit": unit,
                "disaggregations": groups,
                "position": position,
                "higher_is_better": higher,
            },
        )


def backward(apps, schema_editor):
    Indicator = apps.get_model("monitoring", "Indicator")
    Indicator.objects.filter(code__in=[row[0] for row in NEW]).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0005_indicator_targets")]
    operations = [migrations.RunPython(forward, backward)]
