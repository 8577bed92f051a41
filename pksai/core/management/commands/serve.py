import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pksai.core.server import SHUTDOWN_SECONDS, gunicorn_argv


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the child gets SIGTERM if `pksai serve` itself dies (even by SIGKILL), so no
    process is left behind."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Command(BaseCommand):
    help = (
        "Serve the web app with the production server (gunicorn, gthread workers; "
        "PKSAI_WEB_WORKERS × PKSAI_WEB_THREADS) and, for one-machine installs, the task "
        "worker and the scheduler beside it. SIGTERM or Ctrl-C stops all of them."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, help="web server processes")
        parser.add_argument("--threads", type=int, help="threads per web server process")
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start `pksai worker` here"
        )
        parser.add_argument(
            "--no-scheduler", action="store_true", help="do not start `pksai scheduler` here"
        )

    def handle(self, *args, addrport: str, workers=None, threads=None, **options):
        bind = addrport if ":" in addrport else f"127.0.0.1:{addrport}"
        # name → (command line, application name its database connections carry)
        commands = {
            "web server": (gunicorn_argv(bind=bind, workers=workers, threads=threads), "web")
        }
        if not options["no_worker"]:
            commands["task worker"] = ([sys.executable, "-m", "pksai", "worker"], "worker")
        if not options["no_scheduler"]:
            commands["scheduler"] = ([sys.executable, "-m", "pksai", "scheduler"], "scheduler")

        stopping: list[int] = []

        def on_signal(signum, frame):
            stopping.append(signum)

        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, on_signal)

        children: dict[str, subprocess.Popen] = {}
        try:
            for name, (argv, role) in commands.items():
                env = {**os.environ, "PKSAI_DB_APPLICATION_NAME": f"pksai-{role}"}
                if role == "web":
                    # A page may not hold its database connection past the request timeout.
                    env.setdefault(
                        "PKSAI_DB_STATEMENT_TIMEOUT_MS", str(settings.WEB_TIMEOUT * 1000)
                    )
                # Each child leads its own process group, so a stop reaches its children too
                # (gunicorn's workers) and a terminal's Ctrl-C reaches only us, who forward it.
                children[name] = subprocess.Popen(  # noqa: S603
                    argv,
                    env=env,
                    start_new_session=True,
                    preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
                )
                self.stdout.write(f"{name} started (pid {children[name].pid}).")
            self.stdout.write(f"Serving on http://{bind}/ — Ctrl-C to stop.")
            while not stopping:
                ended = [name for name, child in children.items() if child.poll() is not None]
                if ended:
                    code = children[ended[0]].returncode
                    self.stderr.write(f"{ended[0]} stopped (exit {code}); stopping the others.")
                    break
                time.sleep(0.2)
        finally:
            self._stop(children)
        if not stopping and children:
            raise CommandError("a process ended unexpectedly", returncode=1)

    def _stop(self, children: dict[str, "subprocess.Popen"]) -> None:
        """SIGTERM to every child's process group, wait up to SHUTDOWN_SECONDS, then SIGKILL
        what is left; a worker in the middle of a long task is killed, its task stays claimed
        for the operator to re-enqueue."""
        for child in children.values():
            _signal_group(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + SHUTDOWN_SECONDS
        for child in children.values():
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for name, child in children.items():
            # Also reaches grandchildren (gunicorn workers) whose parent already left.
            _signal_group(child.pid, signal.SIGKILL)
            if child.poll() is None:
                self.stderr.write(f"{name} did not stop in {SHUTDOWN_SECONDS} s; killed.")
                child.wait()


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass
