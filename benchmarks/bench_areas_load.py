"""Loading all 91,599 Kemendagri areas: first load, then an idempotent re-run."""

import time


def run() -> None:
    from pksai.areas.models import Area
    from pksai.areas.services import areas_load, areas_read_source

    started = time.perf_counter()
    frame = areas_read_source()
    elapsed = time.perf_counter() - started
    print(f"  read 4 CSV files with Polars: {frame.height:,} rows in {elapsed:.2f} s")

    started = time.perf_counter()
    first = areas_load()
    print(f"  first load:  {first.as_dict()} in {time.perf_counter() - started:.2f} s")

    started = time.perf_counter()
    second = areas_load()
    print(f"  second load: {second.as_dict()} in {time.perf_counter() - started:.2f} s")
    assert second.created == second.updated == 0

    started = time.perf_counter()
    n = Area.objects.filter(code__startswith="73.71.").count()
    print(
        f"  scope prefix count (73.71.*): {n:,} in {(time.perf_counter() - started) * 1000:.1f} ms"
    )
