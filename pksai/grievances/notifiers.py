"""How complainants hear back: a pluggable notifier (``settings.PKSAI_NOTIFIER``, a dotted
path to a class with ``send(targets, message, ref)``). The default appends one JSON line per
message to ``settings.PKSAI_NOTIFY_LOG`` — an SMS gateway or an e-mail sender replaces it
without touching the complaint code. A failing notifier is logged, never lost silently and
never undoes the complaint's change."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class Notifier(Protocol):
    def send(self, targets: Sequence[str], message: str, ref: str) -> None: ...


class LogFileNotifier:
    """Writes each message to a log file (one JSON object a line)."""

    def send(self, targets: Sequence[str], message: str, ref: str) -> None:
        path = settings.PKSAI_NOTIFY_LOG
        path.parent.mkdir(parents=True, exist_ok=True)
        line = {
            "at": timezone.now().isoformat(),
            "ref": ref,
            "to": list(targets),
            "message": message,
        }
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


def notify(*, targets: Sequence[str], message: str, ref: str) -> None:
    try:
        import_string(settings.PKSAI_NOTIFIER)().send(targets, message, ref)
    except Exception:  # the complaint is saved; the failure is visible in the logs
        log.exception("complaint notification %s failed", ref)
