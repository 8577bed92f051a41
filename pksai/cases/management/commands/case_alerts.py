import time

from django.core.management.base import BaseCommand

from pksai.cases.services import alert_overdue


class Command(BaseCommand):
    help = (
        "Alert owners and supervisors about cases whose stage became overdue and escalate "
        "overdue referrals to the case's supervisor (in the app, and by e-mail where a mailer "
        "is configured); send overdue complaints one level up (district → province → "
        "ministry). Run from cron, or with --every beside the server (`pksai serve` does "
        "that)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=int, default=0, help="repeat every N seconds until stopped"
        )

    def handle(self, *args, every: int = 0, **options):
        while True:
            from pksai.grievances.services import escalate_overdue
            from pksai.referrals.services import alert_overdue_referrals

            count = alert_overdue()
            referrals = alert_overdue_referrals()
            complaints = escalate_overdue()
            if count or referrals or complaints or not every:
                self.stdout.write(
                    f"{count} case(s) and {referrals} referral(s) newly overdue; owners and "
                    f"supervisors alerted. {complaints} overdue complaint(s) escalated."
                )
            if not every:
                return
            time.sleep(every)
