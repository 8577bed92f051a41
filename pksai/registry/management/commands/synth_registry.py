import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pksai.registry.synth import synth_registry_for_regencies

FORMATS = (".csv", ".parquet")


class Command(BaseCommand):
    help = (
        "Write a synthetic social-registry extract (docs/registry-format.md) for the loaded "
        "villages of the given regencies: for tests, the demo and benchmarks. "
        "The same seed gives the same file."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--regencies",
            required=True,
            help="Comma-separated regency codes, with or without dots: 7371,7306 or 73.71.",
        )
        parser.add_argument(
            "--households", type=int, required=True, help="Number of households to write."
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (default 1); same seed, same file."
        )
        parser.add_argument("--out", required=True, help="Output file: .csv or .parquet.")

    def handle(self, *args, regencies: str, households: int, seed: int, out: str, **options):
        path = Path(out)
        suffix = path.suffix.lower()
        if suffix not in FORMATS:
            raise CommandError(f"{path.name}: the output file must end in .csv or .parquet")
        if households < 1:
            raise CommandError("--households must be at least 1")
        if seed < 0:
            raise CommandError("--seed must be zero or positive")
        codes = [c.strip() for c in regencies.split(",") if c.strip()]
        started = time.perf_counter()
        try:
            frame = synth_registry_for_regencies(
                regencies=codes, households=households, seed=seed, today=timezone.localdate()
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            frame.write_csv(path)
        else:
            frame.write_parquet(path)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {frame.height:,} rows ({households:,} households) to {path} "
                f"in {elapsed:.2f} s."
            )
        )
