"""score-file from Parquet at 2 and 10 million people, against the raw-scan and copy floors.

The people are generated once (vectorised, typed columns, 1M-row parts) and cached under
var/bench/. Each measurement runs in its own process so its peak memory (max RSS) is its own.
Targets (issue 3): >= 1.5M rows/s, <= 2x the copy floor, < 2 GB peak at 10M rows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SIZES = [int(s) for s in os.environ.get("SCORE_BENCH_SIZES", "2000000,10000000").split(",")]
PART = 1_000_000


def _generate(directory: Path, rows: int) -> None:
    """Typed synthetic people with every column the default rules read."""
    from datetime import date

    import numpy as np
    import polars as pl

    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2026)
    codes = {
        "school_participation": ["never", "attending", "dropped_out", "completed"],
        "school_level": ["none", "sd", "smp", "sma", "higher"],
        "disability_type": ["none"] * 30 + ["physical", "intellectual", "multiple"],
        "disability_severity": ["none"] * 30 + ["mild", "moderate", "severe"],
        "work_status": ["school", "school", "not_working", "working", "housekeeping"],
        "orphanhood": ["none"] * 40 + ["father", "mother", "both"],
        "floor_type": ["earth", "bamboo_wood", "cement", "tile_ceramic", "other"],
        "wall_type": ["bamboo_thatch", "wood", "brick_unplastered", "brick_plastered", "other"],
        "roof_type": ["thatch_leaves", "zinc_asbestos", "tile", "concrete", "other"],
        "water_source": ["piped", "protected_well", "unprotected_well_spring", "river_rain"],
        "toilet": ["private", "shared", "public", "none"],
        "lighting": ["pln_metered", "pln_unmetered", "non_pln", "none"],
        "cooking_fuel": ["electricity_gas", "kerosene", "wood_charcoal", "none"],
    }
    start = date(1950, 1, 1).toordinal()
    span = date(2026, 10, 31).toordinal() - start
    for part, offset in enumerate(range(0, rows, PART)):
        n = min(PART, rows - offset)
        births = rng.integers(0, span, n) + start - date(1970, 1, 1).toordinal()
        frame = pl.DataFrame(
            {
                "household_id": pl.Series(offset + np.arange(n) // 4).cast(pl.String),
                "person_id": pl.Series(np.arange(n) % 4 + 1).cast(pl.String),
                "village_code": pl.Series(rng.integers(1001, 1020, n)).cast(pl.String),
                "sex": pl.Series(rng.choice(["M", "F"], n)),
                "birth_date": pl.Series(births).cast(pl.Date),
                **{k: pl.Series(rng.choice(v, n)) for k, v in codes.items()},
                "meals_per_day": pl.Series(rng.integers(1, 4, n)),
                "protein_days_per_week": pl.Series(rng.integers(0, 8, n)),
                "clothes_pairs": pl.Series(rng.integers(1, 10, n)),
                "welfare_decile": pl.Series(rng.integers(1, 5, n)),
                **{
                    k: pl.Series(rng.random(n) < p)
                    for k, p in {
                        "proper_sleeping_place": 0.9,
                        "health_access": 0.9,
                        "birth_certificate": 0.8,
                        "has_refrigerator": 0.3,
                        "has_motorcycle": 0.5,
                        "has_land": 0.4,
                    }.items()
                },
            }
        )
        frame = frame.with_columns(
            pl.lit("73.71.01.").add(pl.col("village_code")).alias("village_code")
        )
        frame.write_parquet(directory / f"part-{part:03d}.parquet")


def _measure(kind: str, source: str) -> dict:
    """Run one measurement in a fresh process; returns seconds and peak RSS."""
    code = f"""
import json, resource, time, tempfile, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pksai.settings")
import django; django.setup()
import polars as pl
from pksai.vulnerability.rules import compile_ruleset, parse_ruleset, used_columns
from pksai.vulnerability.files import score_file
from pksai.vulnerability.services import DEFAULT_RULES
rules = compile_ruleset(parse_ruleset(DEFAULT_RULES.read_text()))
cols = sorted(used_columns(rules.spec) | {{"sex"}})
out = tempfile.mktemp(suffix=".parquet")
scan = pl.scan_parquet({source!r})
started = time.perf_counter()
if {kind!r} == "scan":
    scan.select([pl.col(c).null_count() for c in cols]).collect(engine="streaming")
elif {kind!r} == "copy":
    keep = ["household_id", "person_id", "village_code"]
    scan.select(keep + cols[:8]).sink_parquet(out)
else:
    score_file(source={source!r}, out=out, rules=rules)
elapsed = time.perf_counter() - started
rows = pl.scan_parquet({source!r}).select(pl.len()).collect().item()
written = 0
if os.path.exists(out):
    written = pl.scan_parquet(out).select(pl.len()).collect().item()
    os.remove(out)
print(json.dumps({{"seconds": elapsed, "rows": rows, "written": written,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def run() -> None:
    from django.conf import settings

    cache = Path(settings.VAR_DIR) / "bench"
    for rows in SIZES:
        directory = cache / f"people-{rows}"
        if not directory.exists() or not any(directory.glob("*.parquet")):
            print(f"  generating {rows:,} people in {directory} (once)…")
            with tempfile.TemporaryDirectory(dir=cache.parent) as tmp:
                _generate(Path(tmp) / "parts", rows)
                directory.parent.mkdir(parents=True, exist_ok=True)
                (Path(tmp) / "parts").rename(directory)
        source = str(directory / "*.parquet")
        scan, copy, score = (_measure(kind, source) for kind in ("scan", "copy", "score"))
        rate = score["rows"] / score["seconds"]
        print(
            f"  {rows:>11,} rows ({score['written']:,} children scored): "
            f"score-file {score['seconds']:.2f} s = {rate:,.0f} rows/s, "
            f"peak {score['peak_mb']:,.0f} MB | raw scan {scan['seconds']:.2f} s "
            f"(x{score['seconds'] / scan['seconds']:.2f}) | copy floor {copy['seconds']:.2f} s "
            f"(x{score['seconds'] / copy['seconds']:.2f}, peak {copy['peak_mb']:,.0f} MB)"
        )
