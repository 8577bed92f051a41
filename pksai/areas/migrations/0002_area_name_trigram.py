"""The area picker searches names as people type them (``name__icontains``: UPPER(name) LIKE
'%…%') over 91,000 areas on every keystroke: on PostgreSQL a trigram index serves it instead of
a scan. SQLite (the embedded default) scans, which is fine at its scale."""

from django.db import migrations

CREATE = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS area_name_trgm ON areas_area "
    "USING gin (UPPER(name::text) gin_trgm_ops)",
)
DROP = ("DROP INDEX IF EXISTS area_name_trgm",)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in CREATE:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("areas", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
