"""Record linkage of two registry editions, 1M × 1M people (rules, then splink on DuckDB)."""

import os
import resource
import time
from datetime import timedelta

PILOT_REGENCIES = ["7371", "7306", "3372", "3310", "3504"]
PEOPLE = int(os.environ.get("BENCH_LINKAGE_PEOPLE", "1000000"))
GOAL_SECONDS = 600  # issue 15: 1,000,000 × 1,000,000 records in under 10 minutes


def _verdict(label: str, seconds: float, pairs: int, peak_mb: float, records: str) -> dict:
    return {
        "goal": f"linkage {label} < {GOAL_SECONDS // 60} min ({records})",
        "passed": seconds < GOAL_SECONDS,
        "value": f"{seconds:.0f} s, {pairs:,} pairs compared by the model "
        f"({pairs / seconds:,.0f}/s), peak memory {peak_mb:,.0f} MB, load average "
        f"{os.getloadavg()[0]:.1f}",
    }


def run() -> list[dict]:
    import polars as pl
    from django.utils import timezone

    from pksai.areas.models import Area
    from pksai.areas.services import areas_load
    from pksai.registry import linkage
    from pksai.registry.synth import synth_registry_for_regencies
    from pksai.registry.synth_editions import synth_next_edition

    if not Area.objects.filter(level=Area.Level.VILLAGE).exists():
        started = time.perf_counter()
        areas_load()
        print(f"  (loaded the area list first: {time.perf_counter() - started:.2f} s)")

    # --- data (not timed) -------------------------------------------------------------------
    started = time.perf_counter()
    today = timezone.localdate()
    first = synth_registry_for_regencies(
        regencies=PILOT_REGENCIES, households=round(PEOPLE / 4.24), seed=1, today=today
    )
    second, truth = synth_next_edition(first, seed=2, today=today + timedelta(days=365))
    existing = linkage.records_from_extract(first, source="SYNTH", first_id=1)
    new = linkage.records_from_extract(second, source="SYNTH", first_id=100_000_001)
    print(
        f"  data: edition 1 {existing.height:,} people, edition 2 {new.height:,} "
        f"({time.perf_counter() - started:.1f} s, not timed)"
    )

    # --- linkage (timed) --------------------------------------------------------------------
    started = time.perf_counter()
    pairs = linkage.link(new, existing)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    compared = linkage.candidate_pairs_count(new, existing)  # the model's pairs (not timed)

    by_method = dict(pairs.group_by("method").len().iter_rows())
    print(
        f"  link: {elapsed:.1f} s wall, {len(pairs):,} pairs ≥ lower "
        f"({', '.join(f'{k} {v:,}' for k, v in sorted(by_method.items()))})"
    )
    print(
        f"  compared by the model: {compared:,} candidate pairs "
        f"({compared / elapsed:,.0f} pairs/s over the whole run)"
    )
    print(f"  peak memory (maxrss, whole process incl. data): {peak_mb:,.0f} MB")

    _quality(pairs, truth, label="rules + model")
    records = f"{new.height:,} × {existing.height:,}"
    verdicts = [_verdict("rules + model", elapsed, compared, peak_mb, records)]

    # --- worst case: no NIK and no family card at all, every pair through the model --------
    blind_new = new.with_columns(
        pl.lit(None, dtype=pl.String).alias("nik"), pl.lit(None, dtype=pl.String).alias("kk_number")
    )
    blind_existing = existing.with_columns(
        pl.lit(None, dtype=pl.String).alias("nik"), pl.lit(None, dtype=pl.String).alias("kk_number")
    )
    started = time.perf_counter()
    blind = linkage.link(blind_new, blind_existing)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    compared = linkage.candidate_pairs_count(blind_new, blind_existing)
    print(
        f"  model only (no NIK, no KK): {elapsed:.1f} s wall, {compared:,} candidate pairs "
        f"({compared / elapsed:,.0f} pairs/s), {len(blind):,} pairs ≥ lower; "
        f"peak memory {peak_mb:,.0f} MB"
    )
    _quality(blind, truth, label="model only")
    verdicts.append(
        _verdict("model only, no NIK or family card", elapsed, compared, peak_mb, records)
    )
    return verdicts


def _quality(pairs, truth, *, label: str) -> None:
    """Precision and recall of the automatic links against the truth."""
    import polars as pl

    from pksai.registry import linkage

    ids = [
        truth.filter(pl.col("edition") == edition)
        .with_row_index("i")
        .select((pl.col("i") + offset).cast(pl.Int64).alias(column), "true_person")
        for edition, offset, column in ((1, 1, "record_id_r"), (2, 100_000_001, "record_id_l"))
    ]
    true_pairs = ids[1].join(ids[0], on="true_person").drop("true_person")
    auto = pairs.filter(pl.col("match_probability") >= linkage.UPPER)
    correct = auto.join(true_pairs, on=["record_id_l", "record_id_r"]).height
    review = pairs.height - auto.height
    print(
        f"  {label} at upper {linkage.UPPER}: precision {correct / max(auto.height, 1):.4f}, "
        f"recall {correct / max(true_pairs.height, 1):.4f}; review queue {review:,} pairs"
    )
