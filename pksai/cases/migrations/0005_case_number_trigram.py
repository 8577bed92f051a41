"""Search by part of a case number (``number__icontains``) at national scale: a trigram index
on PostgreSQL (the extension is created by registry 0002). Nothing on SQLite."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS case_number_trgm ON cases_case "
            "USING gin (UPPER(number::text) gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS case_number_trgm")


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_guardians"), ("registry", "0002_person_name_trigram")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
