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


class RateCounter(models.Model):
    """How often one sender did one thing in the current window (pksai/core/ratelimit.py):
    one row per scope and sender, counted by one atomic INSERT … ON CONFLICT DO UPDATE, so
    several web servers share the count. The sender is a keyed hash, never an address."""

    scope = models.CharField(max_length=32)
    key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("rate counter")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="core_ratecounter_scope_key")
        ]
        indexes = [models.Index(fields=["scope", "window_start"], name="core_ratecounter_window")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key[:8]} {self.hits}"
