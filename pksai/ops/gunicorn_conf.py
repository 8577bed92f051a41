"""gunicorn hooks for Prometheus' multiprocess mode (``-c python:pksai.ops.gunicorn_conf``).

With ``PROMETHEUS_MULTIPROC_DIR`` set, the directory is emptied when the server starts (old
counters of dead processes would be added forever) and a worker's live gauges are dropped when
it exits; without it these hooks do nothing.
"""

import os
import shutil
from pathlib import Path


def on_starting(server) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        path = Path(directory)
        if path.exists():
            for entry in path.iterdir():
                if entry.is_dir():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
        path.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
