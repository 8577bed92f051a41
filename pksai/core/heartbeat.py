"""Heartbeats of background processes: `pksai worker` and `pksai scheduler` report every
``settings.WORKER_HEARTBEAT_SECONDS`` from a thread of their own (with its own database
connection), so a long task does not make the worker look dead; `/readyz` reads them."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from pksai.core.models import Heartbeat

logger = logging.getLogger(__name__)


def heartbeat_record(*, process_id: str, kind: str, started_at) -> None:
    """Create or refresh this process's row."""
    Heartbeat.objects.update_or_create(
        process_id=process_id,
        defaults={
            "kind": kind,
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "seen_at": timezone.now(),
        },
    )


def heartbeat_recent(*, kind: str = Heartbeat.Kind.WORKER, within_seconds: int) -> bool:
    since = timezone.now() - timedelta(seconds=within_seconds)
    return Heartbeat.objects.filter(kind=kind, seen_at__gte=since).exists()


def heartbeat_prune(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Forget processes that stopped reporting long ago (crashed, or their machine is gone)."""
    deleted, _ = Heartbeat.objects.filter(seen_at__lt=timezone.now() - older_than).delete()
    return deleted


class HeartbeatThread(threading.Thread):
    """Reports every `every` seconds until `stop()`; then deletes the row. A database
    outage is logged and retried at the next beat, never fatal."""

    def __init__(self, *, kind: str, every: float | None = None):
        super().__init__(name=f"pksai-{kind}-heartbeat", daemon=True)
        self.kind = kind
        self.every = every if every is not None else settings.WORKER_HEARTBEAT_SECONDS
        self.process_id = f"{kind}-{uuid.uuid4().hex}"
        self.started_at = timezone.now()
        self._stopping = threading.Event()

    def beat(self, *, close: bool = True) -> None:
        try:
            heartbeat_record(process_id=self.process_id, kind=self.kind, started_at=self.started_at)
        except DatabaseError:
            logger.warning("%s heartbeat could not be written", self.kind, exc_info=True)
        finally:
            if close:
                connection.close()  # give the connection back (to the pool) between beats

    def start(self) -> None:
        """The first beat in the caller's thread, before any work starts (so it never races
        the work for the database); then one every ``every`` seconds from the thread."""
        self.beat(close=False)
        super().start()

    def run(self) -> None:
        while not self._stopping.wait(self.every):
            self.beat()

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=5)
        try:
            Heartbeat.objects.filter(process_id=self.process_id).delete()
        except DatabaseError:
            logger.warning("%s heartbeat row could not be removed", self.kind, exc_info=True)
