"""The pilot's indicator set (issue 9; DOMAIN.md "Monitoring, evaluation and money").
Officials change or add indicators in the admin; these rows are only the starting set."""

from django.db import migrations

INDICATORS = [
    # code, name (id), name (en), numerator, denominator, unit, parameter, disaggregations, SDG
    (
        "cases_reported",
        "Kasus dilaporkan",
        "Cases reported",
        "cases_reported",
        "",
        "count",
        None,
        ["area", "sex", "age_group", "month"],
        "16.2",
    ),
    (
        "cases_responded",
        "Kasus yang direspons (ditriase)",
        "Cases responded (triaged)",
        "cases_responded",
        "cases_reported",
        "percent",
        None,
        ["area", "sex", "age_group", "month"],
        "16.2",
    ),
    (
        "immediate_24h",
        "Kasus respons segera yang ditangani dalam 24 jam",
        "Immediate-response cases acted on within 24 hours",
        "cases_immediate_acted",
        "cases_immediate",
        "percent",
        24,
        ["area", "month"],
        "16.2",
    ),
    (
        "plan_30d",
        "Kasus dengan rencana disetujui dalam 30 hari",
        "Cases with an approved plan within 30 days",
        "cases_plan_approved",
        "cases_reported",
        "percent",
        30,
        ["area", "month"],
        "16.2",
    ),
    (
        "referral_completion",
        "Rujukan yang layanannya diberikan",
        "Referrals with the service delivered",
        "referrals_completed",
        "referrals_sent",
        "percent",
        None,
        ["area", "month"],
        "",
    ),
    (
        "birth_certificates",
        "Akta kelahiran diperoleh",
        "Birth certificates obtained",
        "birth_certificates",
        "",
        "count",
        None,
        ["area", "month"],
        "16.9",
    ),
    (
        "vulnerable_reached",
        "Anak rentan yang terjangkau",
        "Vulnerable children reached (case or enrolment)",
        "vulnerable_reached",
        "vulnerable_children",
        "percent",
        None,
        ["area", "sex", "age_group"],
        "1.2",
    ),
    (
        "beneficiaries",
        "Penerima manfaat",
        "Beneficiaries",
        "beneficiaries",
        "",
        "count",
        None,
        ["area", "program", "sex", "age_group"],
        "1.3",
    ),
    (
        "facilitator_caseload",
        "Beban kerja pendamping (penerima per pendamping)",
        "Facilitator caseload (beneficiaries per facilitator)",
        "facilitated_beneficiaries",
        "facilitators",
        "average",
        None,
        ["area", "program"],
        "",
    ),
    (
        "payment_timeliness",
        "Pembayaran tepat waktu (paling lambat tanggal 15)",
        "Payments made by the 15th",
        "payments_on_time",
        "payments_paid",
        "percent",
        None,
        ["area", "program", "month"],
        "1.3",
    ),
    (
        "complaints_on_time",
        "Pengaduan diselesaikan tepat waktu",
        "Complaints resolved on time",
        "complaints_resolved_on_time",
        "complaints_resolved",
        "percent",
        None,
        ["area", "month"],
        "16.6",
    ),
    (
        "satisfaction",
        "Kepuasan klien (1–5)",
        "Client satisfaction (1–5)",
        "satisfaction_points",
        "satisfaction_answers",
        "average",
        None,
        ["area", "month"],
        "",
    ),
]


def forward(apps, schema_editor):
    Indicator = apps.get_model("monitoring", "Indicator")
    for position, row in enumerate(INDICATORS, start=1):
        code, name_id, name_en, num, den, unit, param, groups, sdg = row
        Indicator.objects.get_or_create(
            code=code,
            defaults={
                "name_id": name_id,
                "name_en": name_en,
                "numerator": num,
                "denominator": den,
                "unit": unit,
                "parameter": param,
                "disaggregations": groups,
                "sdg_target": sdg,
                "position": position * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0002_indicators")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
