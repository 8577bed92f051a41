import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from pksai.core.heartbeat import HeartbeatThread
from pksai.core.models import Heartbeat


class Command(db_worker.Command):
    help = (
        "Run background tasks (imports, scoring, exports) from the database queue. Run as "
        "many copies on as many machines as needed: each task is claimed under a row lock "
        "(SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL), so no two workers run the same one. "
        "Reports a heartbeat that /readyz checks. SIGTERM or Ctrl-C: finish the current task, "
        "then stop."
    )
    # Tasks are our own code; the system checks (URL configuration, admin) add seconds to
    # every start and check nothing the worker uses.
    requires_system_checks = []

    def handle(self, *args, **options):
        if options.get("reload") and not options.get("batch"):
            if os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
                # The autoreloader's watching parent: only the child it runs does the work.
                return super().handle(*args, **options)
        heartbeat = HeartbeatThread(kind=Heartbeat.Kind.WORKER)
        heartbeat.start()
        try:
            super().handle(*args, **options)
        finally:
            heartbeat.stop()
