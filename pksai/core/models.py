from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """A background process saying it is alive: `pksai worker` (and `pksai scheduler`) update
    their row every few seconds; `/readyz` fails when no worker has reported recently. Rows of
    processes that stopped cleanly are deleted; rows of crashed ones simply go stale."""

    class Kind(models.TextChoices):
        WORKER = "worker", _("task worker")
        SCHEDULER = "scheduler", _("scheduler")

    process_id = models.CharField(max_length=64, primary_key=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("process heartbeat")

    def __str__(self) -> str:
        return f"{self.kind} {self.host}:{self.pid}"
