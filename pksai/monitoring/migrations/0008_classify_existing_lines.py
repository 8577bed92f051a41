"""Budget lines imported before the economic classification existed: benefits are social
assistance, civil-servant salaries are personnel, the rest goods and services (the default the
importer applies when a file gives no class)."""

from django.db import migrations


def classify(apps, schema_editor):
    line = apps.get_model("monitoring", "BudgetLine")
    line.objects.filter(category="benefits").update(economic="social_assistance")
    line.objects.filter(category="salaries").update(economic="personnel")


def unclassify(apps, schema_editor):
    apps.get_model("monitoring", "BudgetLine").objects.update(economic="goods_services")


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0007_finance_sources_areas_population")]

    operations = [migrations.RunPython(classify, unclassify)]
