"""Benchmarks: `make bench` runs every `bench_*.py` module's `run()` and prints the timings.

They run against a throw-away SQLite database unless BENCH_DATABASE_URL points elsewhere
(that database is migrated and written to).
"""
