from django.conf import settings
from django.core.management.base import BaseCommand

from pksai.dci.services import received_messages_prune
from pksai.retention.models import RetentionRun
from pksai.retention.services import retention_due, retention_run
from pksai.webhooks.services import webhook_log_prune


class Command(BaseCommand):
    help = (
        "Anonymise the records whose retention period has ended (the retention rules in "
        "force), except those a legal hold keeps: names, NIK, phones, addresses, notes and "
        "free text are blanked, attachments removed; the counts the monitoring reads stay. "
        "The run is recorded and audited; running it again does nothing new. The webhook "
        "delivery log older than PKSAI_WEBHOOK_LOG_DAYS is deleted too. --dry-run: only "
        "list per kind how many records are due and how many a hold keeps."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="count what is due; change nothing"
        )

    def handle(self, *args, dry_run: bool = False, **options):
        if dry_run:
            for row in retention_due():
                if row.cutoff is None:
                    self.stdout.write(f"{row.kind}: no anonymising rule in force")
                    continue
                self.stdout.write(
                    f"{row.kind}: {row.due} due (ended before {row.cutoff:%Y-%m-%d}, "
                    f"{row.rule.months} months), {row.held} kept by a legal hold"
                )
            self.stdout.write("Dry run: nothing was changed.")
            return
        run = retention_run(trigger=RetentionRun.Trigger.COMMAND)
        for kind, count in run.counts.items():
            self.stdout.write(f"{kind}: {count} anonymised, {run.held.get(kind, 0)} held")
        self.stdout.write(f"Retention run {run.pk}: {run.total} record(s) anonymised.")
        pruned = webhook_log_prune()
        self.stdout.write(
            f"Webhook log: {pruned['deliveries']} delivery(ies) and {pruned['events']} "
            f"event(s) older than {settings.PKSAI_WEBHOOK_LOG_DAYS} days deleted."
        )
        dci = received_messages_prune()
        self.stdout.write(f"DCI message log: {dci} message id(s) deleted.")
