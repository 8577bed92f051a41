"""Synthesising a 100,000-household registry extract for the five pilot regencies (Parquet)."""

import tempfile
import time
from pathlib import Path

PILOT_REGENCIES = ["7371", "7306", "3372", "3310", "3504"]
HOUSEHOLDS = 100_000


def run() -> None:
    from django.utils import timezone

    from pksai.areas.models import Area
    from pksai.areas.services import areas_load
    from pksai.registry.synth import synth_registry_for_regencies

    if not Area.objects.filter(level=Area.Level.VILLAGE).exists():
        started = time.perf_counter()
        areas_load()
        print(f"  (loaded the area list first: {time.perf_counter() - started:.2f} s)")

    started = time.perf_counter()
    frame = synth_registry_for_regencies(
        regencies=PILOT_REGENCIES, households=HOUSEHOLDS, seed=1, today=timezone.localdate()
    )
    synthesised = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="pksai-bench-synth-") as directory:
        path = Path(directory) / "synth.parquet"
        started = time.perf_counter()
        frame.write_parquet(path)
        written = time.perf_counter() - started
        size_mb = path.stat().st_size / 1e6
    villages = frame["village_code"].n_unique()
    print(
        f"  synthesise: {HOUSEHOLDS:,} households, {frame.height:,} people in {villages:,} "
        f"villages in {synthesised:.2f} s ({HOUSEHOLDS / synthesised:,.0f} households/s)"
    )
    print(f"  write Parquet: {size_mb:.1f} MB in {written:.2f} s")
    total = synthesised + written
    print(f"  total: {total:.2f} s ({HOUSEHOLDS / total:,.0f} households/s)")
