# At most one open (unread, not done) alert per user, code, case and ref; 0010 left no
# duplicates among the converted rows. Rows without a code (legacy text) are not constrained.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_alert_event_codes_from_text"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="alert",
            constraint=models.UniqueConstraint(
                condition=models.Q(read_at__isnull=True, resolved_at__isnull=True)
                & ~models.Q(code=""),
                fields=("user", "code", "case", "ref"),
                name="alert_open_once",
            ),
        ),
    ]
