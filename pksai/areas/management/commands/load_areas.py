import time

from django.core.management.base import BaseCommand

from pksai.areas.models import Area
from pksai.areas.services import SOURCE, areas_load


class Command(BaseCommand):
    help = "Load every official area of Indonesia (provinces to villages). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if areas are already loaded."
        )

    def handle(self, *args, if_empty: bool = False, **options):
        if if_empty and Area.objects.exists():
            self.stdout.write("Areas already loaded; nothing to do.")
            return
        started = time.perf_counter()
        result = areas_load()
        elapsed = time.perf_counter() - started
        counts = ", ".join(f"{k} {v:,}" for k, v in result.as_dict().items())
        self.stdout.write(self.style.SUCCESS(f"Areas from {SOURCE}: {counts} ({elapsed:.1f} s)."))
        by_level = {
            label: Area.objects.filter(level=value, is_active=True).count()
            for value, label in Area.Level.choices
        }
        self.stdout.write("Now loaded: " + ", ".join(f"{n:,} {lbl}" for lbl, n in by_level.items()))
