import signal
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the web app and run the background-task worker beside it (local use)."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        worker = subprocess.Popen([sys.executable, "-m", "pksai", "db_worker"])  # noqa: S603
        self.stdout.write(f"Task worker started (pid {worker.pid}).")
        alerts = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "pksai", "case-alerts", "--every", "300"]
        )
        self.stdout.write(f"Overdue-case alerts every 5 minutes (pid {alerts.pid}).")
        try:
            call_command("runserver", addrport, use_reloader=False, skip_checks=False)
        finally:
            for process in (worker, alerts):
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
