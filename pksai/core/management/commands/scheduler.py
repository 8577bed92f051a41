import logging
import signal
import threading
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections, connection

from pksai.core.heartbeat import HeartbeatThread, heartbeat_prune
from pksai.core.models import Heartbeat

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run the timed jobs every N seconds: overdue-case alerts, referral and complaint "
        "escalations (what `pksai case-alerts` does once), and once a day "
        "(PKSAI_RETENTION_EVERY_HOURS) queue the retention run for the worker; webhook "
        "deliveries due for a retry are handed to the worker; stale field-app uploads are "
        "removed; every round, queue the message sender when messages wait for their retry, "
        "return messages a crashed worker held, and blank message texts past "
        "PKSAI_MESSAGING_BODY_DAYS. Several "
        "copies may run on several machines: each job locks the rows it works on "
        "(SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL) and marks them in the same "
        "transaction, so nothing is sent twice. "
        "SIGTERM or Ctrl-C: finish the current round, then stop."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=int,
            default=None,
            help="seconds between rounds (default: PKSAI_SCHEDULER_EVERY, 300)",
        )
        parser.add_argument("--once", action="store_true", help="run one round and stop")

    def handle(self, *args, every: int | None = None, once: bool = False, **options):
        from pksai.cases.management.commands.case_alerts import alert_jobs, alert_summary
        from pksai.field.cleanup import uploads_cleanup
        from pksai.messaging.sending import messaging_schedule
        from pksai.retention.services import retention_schedule
        from pksai.webhooks.services import webhooks_schedule

        every = every if every is not None else settings.SCHEDULER_EVERY_SECONDS
        stopping = threading.Event()

        def stop(signum, frame):
            stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        heartbeat = HeartbeatThread(kind=Heartbeat.Kind.SCHEDULER)
        heartbeat.start()
        self.stdout.write(f"Scheduler: overdue alerts and escalations every {every} s.")
        try:
            while not stopping.is_set():
                close_old_connections()
                try:
                    counts = alert_jobs()
                    if retention_schedule():
                        self.stdout.write("Retention run queued.")
                    webhooks_schedule()  # retries of webhook deliveries that came due
                    if removed := uploads_cleanup():
                        self.stdout.write(f"{removed} stale field-app upload(s) removed.")
                    messaging_schedule()
                    heartbeat_prune(older_than=timedelta(days=1))
                except DatabaseError:
                    # The database is away (restart, failover): try again next round.
                    logger.warning("scheduler round failed", exc_info=True)
                else:
                    if any(counts.values()) or once:
                        self.stdout.write(alert_summary(counts))
                finally:
                    connection.close()
                if once:
                    break
                stopping.wait(every)
        finally:
            heartbeat.stop()
