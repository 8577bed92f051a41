import time

from django.core.management.base import BaseCommand


def alert_jobs() -> dict[str, int]:
    """One round of the overdue jobs: case alerts, referral escalations, complaint escalations.
    Each job locks the rows it handles and marks them in the same transaction, so rounds that
    run at the same time (several schedulers) never alert or escalate anything twice."""
    from pksai.cases.services import alert_overdue
    from pksai.grievances.services import escalate_overdue
    from pksai.privacy.services import remind_due_requests
    from pksai.referrals.services import alert_overdue_referrals

    return {
        "cases": alert_overdue(),
        "referrals": alert_overdue_referrals(),
        "complaints": escalate_overdue(),
        "data_requests": remind_due_requests(),
    }


def alert_summary(counts: dict[str, int]) -> str:
    return (
        f"{counts['cases']} case(s) and {counts['referrals']} referral(s) newly overdue; owners "
        f"and supervisors alerted. {counts['complaints']} overdue complaint(s) escalated. "
        f"{counts.get('data_requests', 0)} request(s) from data subjects due within a day: "
        "data protection officers reminded."
    )


class Command(BaseCommand):
    help = (
        "Alert owners and supervisors about cases whose stage became overdue and escalate "
        "overdue referrals to the case's supervisor (in the app, and by e-mail where a mailer "
        "is configured); send overdue complaints one level up (district → province → "
        "ministry); remind data protection officers of requests from data subjects due within "
        "a day. Runs once (for cron); `pksai scheduler` repeats it and is what `pksai "
        "serve` starts."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=int, default=0, help="repeat every N seconds until stopped"
        )

    def handle(self, *args, every: int = 0, **options):
        while True:
            counts = alert_jobs()
            if any(counts.values()) or not every:
                self.stdout.write(alert_summary(counts))
            if not every:
                return
            time.sleep(every)
