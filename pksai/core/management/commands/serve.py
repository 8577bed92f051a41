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

        def start(name: str) -> subprocess.Popen:
            argv, role = commands[name]
            env = {**os.environ, "PKSAI_DB_APPLICATION_NAME": f"pksai-{role}"}
            if role == "web":
                # A page may not hold its database connection past the request timeout.
                env.setdefault("PKSAI_DB_STATEMENT_TIMEOUT_MS", str(settings.WEB_TIMEOUT * 1000))
            # Each child leads its own process group, so a stop reaches its children too
            # (gunicorn's workers) and a terminal's Ctrl-C reaches only us, who forward it.
            child = subprocess.Popen(  # noqa: S603
                argv,
                env=env,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
            )
            started_at[name] = time.monotonic()
            self.stdout.write(f"{name} started (pid {child.pid}).")
            return child

        children: dict[str, subprocess.Popen] = {}
        started_at: dict[str, float] = {}
        restarts: dict[str, int] = {}  # quick failures in a row, for the back-off
        restart_at: dict[str, float] = {}
        failed = ""
        try:
            for name in commands:
                children[name] = start(name)
            self.stdout.write(f"Serving on http://{bind}/ — Ctrl-C to stop.")
            while not stopping and not failed:
                now = time.monotonic()
                for name, child in children.items():
                    if child.poll() is None:
                        continue
                    if name == "web server":
                        failed = f"{name} stopped (exit {child.returncode})"
                        break
                    if name not in restart_at:
                        # The worker or the scheduler died (e.g. the database went away):
                        # start it again after a pause that grows while it keeps failing.
                        quick = now - started_at[name] < 60
                        restarts[name] = restarts.get(name, 0) + 1 if quick else 1
                        pause = min(60, 2 ** restarts[name])
                        restart_at[name] = now + pause
                        self.stderr.write(
                            f"{name} stopped (exit {child.returncode}); restarting in {pause} s."
                        )
                    elif now >= restart_at[name]:
                        del restart_at[name]
                        children[name] = start(name)
                time.sleep(0.2)
        finally:
            self._stop(children)
        if failed:
            raise CommandError(f"{failed}; stopped the others.", returncode=1)

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
