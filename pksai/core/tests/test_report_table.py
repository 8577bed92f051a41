"""The shared report table on a phone: cells carry their column heading (cards), or the table
scrolls inside a labelled, focusable region (wide numeric tables)."""

import re

from django.template.loader import render_to_string
from django.utils import translation

from pksai.core.reports import Table, display

TABLE = Table(
    columns=[("area", "Area"), ("sent", "Sent"), ("rate", "Accepted (%)")],
    rows=[["Kota Makassar", 1200, 50.0], ["Kabupaten Gowa", 3, None]],
    total=["Total", 1203, 49.9],
)


def test_cells_carry_their_column_heading_for_the_card_layout():
    with translation.override("en"):
        html = render_to_string("core/_report_table.html", {"table": display(TABLE), "empty": "-"})
    assert '<table class="striped responsive">' in html
    # a wide table scrolls in a region a keyboard can reach, named (a default name without one)
    assert '<div class="table-scroll" tabindex="0" role="region" aria-label="Table">' in html
    assert '<th scope="row">Kota Makassar</th><td data-label="Sent">1.200</td>' in html.replace(
        "1,200", "1.200"
    )
    assert '<td data-label="Accepted (%)">—</td>' in html
    assert re.search(r'<tfoot><tr><th scope="row">Total</th><th data-label="Sent">', html)


def test_scroll_mode_is_a_labelled_focusable_region_without_cards():
    html = render_to_string(
        "core/_report_table.html",
        {"table": display(TABLE), "empty": "-", "scroll": True, "label": "Referrals sent"},
    )
    assert (
        '<div class="table-scroll" tabindex="0" role="region" aria-label="Referrals sent">' in html
    )
    assert "responsive" not in html


def test_an_empty_table_says_so_across_all_columns():
    empty = Table(columns=TABLE.columns, rows=[], total=None)
    html = render_to_string("core/_report_table.html", {"table": display(empty), "empty": "None."})
    assert '<td colspan="3">None.</td>' in html and "<tfoot>" not in html
