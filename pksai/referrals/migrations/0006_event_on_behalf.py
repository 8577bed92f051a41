"""Referral history: "recorded by case staff for the provider" becomes a flag, said in the
reader's language when shown; entries written before kept it as text in the writer's language,
so the sentence (Indonesian or English) is taken off their text and the flag set."""

from django.db import migrations, models

ON_BEHALF = (
    "(recorded by case staff for the provider)",
    "(dicatat oleh petugas kasus atas nama penyedia layanan)",
)


def flag_on_behalf(apps, schema_editor):
    ReferralEvent = apps.get_model("referrals", "ReferralEvent")
    for sentence in ON_BEHALF:
        # few rows (on-behalf updates only); the text is the person's words before the sentence
        for event in ReferralEvent.objects.filter(text__endswith=sentence).only("id", "text"):
            event.text = event.text[: -len(sentence)].rstrip()
            event.on_behalf = True
            event.save(update_fields=["text", "on_behalf"])


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0005_alter_referralcounter_options_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="referralevent",
            name="on_behalf",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(flag_on_behalf, migrations.RunPython.noop),
    ]
