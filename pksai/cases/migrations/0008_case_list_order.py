# The case list's order (newest first) as an index: the first page of a scope of 1M cases
# without sorting it (1.5 s → 1 ms; benchmarks/bench_load.py).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_caseevent_plan_approved_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["-created_at", "-id"], name="case_list_order"),
        ),
    ]
