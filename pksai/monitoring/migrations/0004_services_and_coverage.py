"""Two more of the pilot's indicators: services provided by type, and program coverage
(active beneficiaries ÷ eligible people identified). Referral completion may be broken down
by type of service too."""

from django.db import migrations

NEW = [
    # code, name (id), name (en), numerator, denominator, unit, disaggregations, SDG, position
    (
        "services_by_type",
        "Layanan yang diberikan menurut jenis",
        "Services provided by type",
        "referrals_completed",
        "",
        "count",
        ["area", "type", "month"],
        "",
        55,
    ),
    (
        "program_coverage",
        "Cakupan program (penerima aktif ÷ orang layak yang teridentifikasi)",
        "Program coverage (active beneficiaries ÷ eligible people identified)",
        "active_beneficiaries",
        "people_nominated",
        "percent",
        ["area", "program"],
        "1.3",
        85,
    ),
]


def forward(apps, schema_editor):
    Indicator = apps.get_model("monitoring", "Indicator")
    for code, name_id, name_en, num, den, unit, groups, sdg, position in NEW:
        Indicator.objects.get_or_create(
            code=code,
            defaults={
                "name_id": name_id,
                "name_en": name_en,
                "numerator": num,
                "denominator": den,
                "unit": unit,
                "disaggregations": groups,
                "sdg_target": sdg,
                "position": position,
            },
        )
    Indicator.objects.filter(code="referral_completion", disaggregations=["area", "month"]).update(
        disaggregations=["area", "type", "month"]
    )


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0003_pilot_indicators")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
