"""A published table with a cell of 3: the cell is suppressed, and no row or column total lets
a reader recompute it (nor any other hidden cell)."""

import itertools
import random

from pksai.monitoring.suppression import recoverable, suppress

REGENCIES = ["Kota Makassar", "Kabupaten Gowa", "Kota Surakarta"]
SEXES = ["F", "M"]


def test_a_cell_of_three_is_hidden_and_cannot_be_recomputed():
    counts = [[40, 3], [25, 31], [12, 18]]
    table = suppress(REGENCIES, SEXES, counts)
    published = table.published()
    assert published[0][1] is None  # Makassar, M: 3
    assert (0, 1) in table.primary
    # the row total (43) and the column total (52) are published, so a complement must hide
    # another cell in that row and in that column: Makassar F and Surakarta M (the smallest)
    assert published[0][0] is None and published[2][1] is None
    assert published[2][0] is None  # and then Surakarta's row needs a second hidden cell
    assert published[3][2] == 129  # the grand total stays
    assert not recoverable(table)
    # every row and column, with its total, hides nothing or at least two entries
    for i, row in enumerate(published):
        assert sum(v is None for v in row) != 1, i
    for j in range(3):
        assert sum(published[i][j] is None for i in range(4)) != 1, j


def test_safe_tables_and_configurable_threshold(settings):
    assert not suppress(REGENCIES, SEXES, [[5, 6], [7, 8], [0, 9]]).hidden  # zero is not small
    settings.PKSAI_SUPPRESS_BELOW = 10
    table = suppress(REGENCIES, SEXES, [[5, 60], [70, 80], [90, 90]])
    assert (0, 0) in table.hidden and not recoverable(table)


def test_random_tables_never_reveal_a_hidden_cell():
    rng = random.Random(7)  # noqa: S311 - reproducible test tables
    for rows, columns in itertools.product((1, 2, 3, 5), (1, 2, 4)):
        for _ in range(25):
            counts = [
                [rng.choice([0, 1, 2, 4, 6, 9, 30]) for _ in range(columns)] for _ in range(rows)
            ]
            table = suppress(
                [f"r{i}" for i in range(rows)], [f"c{j}" for j in range(columns)], counts
            )
            assert not recoverable(table), counts
            assert table.primary <= table.hidden
