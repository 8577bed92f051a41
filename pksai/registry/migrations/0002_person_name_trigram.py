"""Name search at national scale on PostgreSQL: a trigram index serves ``name__icontains``
(UPPER(name) LIKE '%…%') and similarity search for misspelt names. SQLite (the embedded
default) has no such index and scans, which is fine at its scale."""

from django.db import migrations

CREATE = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS person_name_trgm ON registry_person "
    "USING gin (UPPER(name::text) gin_trgm_ops)",
)
DROP = ("DROP INDEX IF EXISTS person_name_trgm",)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in CREATE:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
