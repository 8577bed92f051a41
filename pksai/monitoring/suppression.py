"""Small-count suppression for published aggregate tables.

A count below the threshold (default 5, ``settings.PKSAI_SUPPRESS_BELOW``), other than zero,
is hidden (*primary* suppression). Totals are published too, so a hidden cell could be
recomputed by subtracting the other cells of its row or column from the total: *complementary*
suppression hides more entries until every line of the table — each row and each column, the
margins included, read as "cells add up to the total" — hides either nothing or at least two
entries. Then no single line gives a hidden value away. Complements are the smallest non-zero
cells of the line (least information lost), else a zero cell, else the line's total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings

Cell = tuple[int, int]


def threshold() -> int:
    return int(getattr(settings, "PKSAI_SUPPRESS_BELOW", 5))


@dataclass(frozen=True)
class Suppressed:
    """A table with its margins: ``values[i][j]`` for the rows and columns, the row totals as
    the last column and the column totals as the last row. ``hidden`` lists the entries
    published as suppressed (primary and complementary)."""

    row_labels: list[str]
    column_labels: list[str]
    values: list[list[int]]
    hidden: frozenset[Cell]
    primary: frozenset[Cell]

    def shown(self, i: int, j: int) -> int | None:
        """The published entry: the count, or None where suppressed."""
        return None if (i, j) in self.hidden else self.values[i][j]

    def published(self) -> list[list[int | None]]:
        return [[self.shown(i, j) for j in range(len(row))] for i, row in enumerate(self.values)]


def _lines(rows: int, columns: int) -> list[list[Cell]]:
    """Every additive constraint of a table with margins: each row (with its total) and each
    column (with its total), the totals row and column included. The margin comes last."""
    lines = [[(i, j) for j in range(columns + 1)] for i in range(rows + 1)]
    lines += [[(i, j) for i in range(rows + 1)] for j in range(columns + 1)]
    return lines


def suppress(
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    counts: Sequence[Sequence[int]],
    *,
    below: int | None = None,
) -> Suppressed:
    """Suppress ``counts`` (rows × columns, no margins) for publication; totals added."""
    below = threshold() if below is None else below
    n_rows, n_columns = len(row_labels), len(column_labels)
    values = [list(map(int, row)) + [sum(map(int, row))] for row in counts]
    values.append([sum(values[i][j] for i in range(n_rows)) for j in range(n_columns + 1)])
    primary = {
        (i, j) for i in range(n_rows + 1) for j in range(n_columns + 1) if 0 < values[i][j] < below
    }
    hidden = set(primary)
    lines = _lines(n_rows, n_columns)
    changed = True
    while changed:  # terminates: every pass hides more, and the table is finite
        changed = False
        for line in lines:
            if sum(cell in hidden for cell in line) != 1:
                continue
            cells, margin = line[:-1], line[-1]
            free = [c for c in cells if c not in hidden]
            positive = [c for c in free if values[c[0]][c[1]] > 0]
            pool = positive or free or ([margin] if margin not in hidden else [])
            if not pool:
                continue
            hidden.add(min(pool, key=lambda c: (values[c[0]][c[1]], c)))
            changed = True
    return Suppressed(
        row_labels=list(row_labels),
        column_labels=list(column_labels),
        values=values,
        hidden=frozenset(hidden),
        primary=frozenset(primary),
    )


def recoverable(table: Suppressed) -> set[Cell]:
    """Hidden entries a reader could recompute by subtraction: the only hidden entry of a row
    or column whose other entries and total are published — repeated, since a recomputed
    entry may uncover the next. Empty for a safe table."""
    n_rows, n_columns = len(table.row_labels), len(table.column_labels)
    unknown_cells = set(table.hidden)
    found: set[Cell] = set()
    progress = True
    while progress:
        progress = False
        for line in _lines(n_rows, n_columns):
            unknown = [c for c in line if c in unknown_cells]
            if len(unknown) == 1:
                found.add(unknown[0])
                unknown_cells.discard(unknown[0])
                progress = True
    return found
