"""Registry import at national scale on PostgreSQL: peak memory and wall time of a first
import of BENCH_SCALE_PEOPLE people (comma-separated sizes, default "500000,1000000"; each
size into an empty registry), to show memory stays flat as the file grows (the importer works
in parts of whole households: pksai.registry.chunks). With BENCH_SCALE_REIMPORT=1 the same
file is imported again (writes nothing).

Runs on its own PostgreSQL database, created and dropped here: BENCH_SCALE_DATABASE_URL, else
postgres://postgres@127.0.0.1:5432/pksai_chunk_bench. Skipped, saying why, when that server
cannot be reached. Every step runs in its own process (``python -m
benchmarks.bench_import_scale STEP …``), so its peak memory (maxrss, DuckDB's threads
included) is its own; a step longer than BENCH_SCALE_TIMEOUT seconds (default 3600) is
stopped and the larger sizes are skipped. The extract (CSV) is generated in pieces of
BENCH_SCALE_PIECE people over BENCH_SCALE_REGENCIES regencies (default 50), not timed.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_import import _admin, run_step

SIZES = [int(s) for s in os.environ.get("BENCH_SCALE_PEOPLE", "500000,1000000").split(",") if s]
TIMEOUT = int(os.environ.get("BENCH_SCALE_TIMEOUT", "3600"))
PIECE = int(os.environ.get("BENCH_SCALE_PIECE", "500000"))
REGENCIES = int(os.environ.get("BENCH_SCALE_REGENCIES", "50"))
REIMPORT = os.environ.get("BENCH_SCALE_REIMPORT", "") == "1"
DATABASE = "pksai_chunk_bench"
ROOT = Path(__file__).resolve().parent.parent
PEOPLE_PER_HOUSEHOLD = 4.24


def _database_url() -> str:
    return os.environ.get(
        "BENCH_SCALE_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
    )


def _step(name: str, url: str, workdir: Path, *args: str) -> dict | None:
    return run_step(
        "benchmarks.bench_import_scale",
        name,
        url,
        workdir,
        *args,
        timeout=TIMEOUT,
        timeout_hint="BENCH_SCALE_TIMEOUT; larger sizes skipped",
    )


def run() -> None:
    import psycopg

    url = _database_url()
    try:
        _admin(url, f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    except psycopg.Error as exc:
        print(f"  skipped: PostgreSQL is not reachable ({str(exc).strip().splitlines()[0]})")
        return
    workdir = Path(tempfile.mkdtemp(prefix="pksai-bench-scale-"))
    print(
        f"  {'people':>11} {'parts':>5} {'check s':>8} {'write s':>8} {'link s':>7} "
        f"{'total s':>8} {'peak MB':>8}  (generate s, file MB)"
    )
    try:
        for people in SIZES:
            _admin(url, f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
            _admin(url, f'CREATE DATABASE "{DATABASE}"')
            data = _step("generate", url, workdir, str(people))
            if data is None:
                break
            done = _step("import", url, workdir, data["path"])
            if done is None:
                break
            _show(people, done, data)
            if REIMPORT:
                again = _step("import", url, workdir, data["path"])
                if again is None:
                    break
                _show(people, again, data, label="  again")
            Path(data["path"]).unlink(missing_ok=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        try:
            _admin(url, f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        except psycopg.Error as exc:
            print(f"  could not drop {DATABASE}: {exc}")


def _show(people: int, done: dict, data: dict, label: str = "") -> None:
    phases = done["phases"]
    print(
        f"  {data['rows']:>11,} {done['chunks']:>5} {phases.get('check', 0):>8.1f} "
        f"{phases.get('write', 0):>8.1f} {phases.get('link', 0):>7.1f} "
        f"{done['seconds']:>8.1f} {done['peak_mb']:>8.0f}  "
        f"({data['seconds']:.0f} s, {data['mb']:.0f} MB; created {done['created']:,}, "
        f"unchanged {done['unchanged']:,}, rejected {done['rejected']:,}){label}"
    )
    before = done.get("peak_before_mb", {})
    print(
        "  "
        + " " * 11
        + " peak MB when each phase began: "
        + ", ".join(f"{k} {v:.0f}" for k, v in before.items())
    )


# --- the steps (each in its own process) ------------------------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _generate(workdir: Path, people: int) -> dict:
    """Migrate, load every village, and write a synthetic extract of ``people`` in pieces over
    the first REGENCIES regencies (by code) that have villages."""
    from django.core.management import call_command
    from django.utils import timezone

    from pksai.areas.models import Area
    from pksai.areas.services import areas_load
    from pksai.registry.synth import synth_registry_for_regencies

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if not Area.objects.filter(level=Area.Level.VILLAGE).exists():
        areas_load()
    regencies = sorted(
        {
            c[:5]
            for c in Area.objects.filter(level=Area.Level.VILLAGE).values_list("code", flat=True)
        }
    )[:REGENCIES]
    today = timezone.localdate()
    path = workdir / f"extract-{people}.csv"
    rows, seed = 0, 1
    with path.open("wb") as out:
        while rows < people:
            households = max(1, round(min(PIECE, people - rows) / PEOPLE_PER_HOUSEHOLD))
            piece = synth_registry_for_regencies(
                regencies=regencies, households=households, seed=seed, today=today
            )
            piece.write_csv(out, include_header=seed == 1)
            rows += piece.height
            seed += 1
            del piece
    return {
        "path": str(path),
        "rows": rows,
        "mb": path.stat().st_size / 1e6,
        "seconds": time.perf_counter() - started,
    }


def _import(path: str) -> dict:
    from pksai.registry.services import registry_import

    marks: dict[str, float] = {}
    peaks: dict[str, float] = {}  # the peak memory when the phase began

    def progress(pct: int, message: str) -> None:
        phase = "check" if pct < 50 else "write" if pct < 80 else "link" if pct < 100 else "end"
        marks.setdefault(phase, time.perf_counter())
        peaks.setdefault(phase, _peak_mb())

    started = time.perf_counter()
    batch = registry_import(path=path, source="DTKS-2026-03", score="no", progress=progress)
    ended = time.perf_counter()
    order = ["check", "write", "link", "end"]
    points = [started] + [marks.get(p, ended) for p in order[1:]]
    phases = {p: b - a for p, a, b in zip(order, points, points[1:], strict=False)}
    return {
        "seconds": ended - started,
        "phases": phases,
        "peak_mb": _peak_mb(),
        "peak_before_mb": peaks,
        "chunks": batch.chunks,
        "created": batch.created,
        "unchanged": batch.unchanged,
        "rejected": batch.rows_rejected,
    }


def main() -> None:
    import django

    django.setup()
    step, result, *args = sys.argv[1:]
    if step == "generate":
        out = _generate(Path(result).parent, int(args[0]))
    else:
        out = _import(args[0])
    Path(result).write_text(json.dumps(out))


if __name__ == "__main__":
    main()
