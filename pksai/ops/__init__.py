"""Operations: metrics, structured logs, backups and restores, the read-replica router.

What a data centre needs to run PKSAI on several machines (docs/operations.md). Composes the
domain apps from above (reads their tables for metrics and backups); no domain app imports it.
"""
