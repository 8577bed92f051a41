"""Complaint history: system sentences become a code and values, said in the reader's language
when shown. Entries written before hold the sentence in the writer's language (Indonesian or
English); each is recognised in either language and turned into its code, the person's words
(an escalation reason) kept as text. An entry not recognised is left as it was."""

import re

from django.db import migrations, models
from django.utils import translation


def _sentences():
    from pksai.grievances.models import Channel, Level, Status

    found = []  # (kind, regex, code, params, keeps the rest as text)
    for language in ("en", "id"):
        with translation.override(language):
            for channel in Channel:
                found.append(
                    (
                        "received",
                        re.escape(str(channel.label)) + "$",
                        "received",
                        {"channel": channel.value},
                        False,
                    )
                )
            found.append(
                (
                    "note",
                    re.escape(str(translation.gettext("Sent to the case intake queue."))) + "$",
                    "sent_to_intake",
                    {},
                    False,
                )
            )
            found.append(
                (
                    "status",
                    re.escape(str(Status.INVESTIGATING.label)) + "$",
                    "status",
                    {"status": Status.INVESTIGATING.value},
                    False,
                )
            )
            for level in Level:
                overdue = translation.gettext("Overdue: sent to the %(level)s level.") % {
                    "level": level.label
                }
                found.append(
                    (
                        "escalated",
                        re.escape(overdue) + "$",
                        "overdue_escalated",
                        {"level": level.value},
                        False,
                    )
                )
                found.append(
                    (
                        "escalated",
                        re.escape(str(level.label)) + ": ",
                        "escalated",
                        {"level": level.value},
                        True,
                    )
                )
    return found


def to_codes(apps, schema_editor):
    ComplaintEvent = apps.get_model("grievances", "ComplaintEvent")
    kinds = {"received", "note", "status", "escalated"}
    sentences = _sentences()
    # only history entries of these kinds; a district holds few thousand at most
    for event in ComplaintEvent.objects.filter(kind__in=kinds, code="").only("id", "kind", "text"):
        for kind, pattern, code, params, keeps_rest in sentences:
            match = kind == event.kind and re.match(pattern, event.text)
            if match:
                event.code, event.params = code, params
                event.text = event.text[match.end() :] if keeps_rest else ""
                event.save(update_fields=["code", "params", "text"])
                break


class Migration(migrations.Migration):
    dependencies = [
        ("grievances", "0003_counter_row_rate_limit"),
    ]

    operations = [
        migrations.AddField(
            model_name="complaintevent",
            name="code",
            field=models.CharField(blank=True, max_length=24),
        ),
        migrations.AddField(
            model_name="complaintevent",
            name="params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(to_codes, migrations.RunPython.noop),
    ]
