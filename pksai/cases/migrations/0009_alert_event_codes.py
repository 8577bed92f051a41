# Alerts and timeline events as codes + params rendered in the reader's language (cases/messages.py);
# alerts become live to-dos (resolved_at) keyed for dedupe by ref. Data: 0010; constraint: 0011.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_case_list_order"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="alert",
            options={"ordering": ["-created_at", "-id"]},
        ),
        migrations.AddField(
            model_name="alert",
            name="code",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AddField(
            model_name="alert",
            name="params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="alert",
            name="ref",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AddField(
            model_name="alert",
            name="resolved_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="caseevent",
            name="code",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AddField(
            model_name="caseevent",
            name="params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="alert",
            name="text",
            field=models.CharField(blank=True, max_length=300),
        ),
    ]
