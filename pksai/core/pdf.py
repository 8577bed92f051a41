"""PDF documents made with fpdf2: the shipped Unicode font and the one document every PDF of
PKSAI is drawn on (decree list, case summary, outreach list, every report table).

fpdf2's core fonts (Helvetica…) know only Latin-1: an em dash, an en dash, "≤" or a name with
"ă" comes out as "?". ``add_unicode_font`` registers a TrueType family shipped with the code
(no font has to be installed on the server) and returns its name for ``set_font``; fpdf2
embeds only the glyphs a document uses, so a PDF grows by a few kilobytes.

The family is DejaVu Sans Condensed (narrow: good for tables; licence in
data/DejaVu-LICENSE.txt), cut to what PKSAI's documents need — Latin with every accented
letter, punctuation, currency, arrows, maths and box drawing — with fontTools::

    pyftsubset /usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf \\
      --unicodes="U+0020-007E,U+00A0-02FF,U+0300-036F,U+1E00-1EFF,U+2000-206F,U+20A0-20CF,\\
    U+2100-214F,U+2190-21FF,U+2200-22FF,U+2500-25FF,U+2713-2717" --layout-features='' \\
      --no-hinting --name-IDs='*' --name-legacy --name-languages='*' --notdef-outline \\
      --output-file=pksai/core/data/DejaVuSansCondensed-Latin.ttf

(the same for DejaVuSansCondensed-Bold.ttf).

``document()`` gives an A4 page (portrait or landscape) in that font with "Page n of N" in
the reader's language at the foot of every page, and what the documents are made of: a
title, lines of text, section headings kept with what follows, label–value pairs and tables.
A table's cells wrap inside their column (the row grows; a row taller than a page goes on
over the next), its headings are repeated at the top of every page it runs onto, and its
columns are either given or sized from their contents. Rows are drawn with ``rect`` and
``text`` and wrapped by measuring with the font's widths: fpdf2's ``cell`` and
``multi_cell`` cost ten times more a call (report tables have thousands of rows), and a
dry-run ``multi_cell`` near the foot of a page lays out a page break.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from fpdf import FPDF

FONT_DIR = Path(__file__).resolve().parent / "data"
FAMILY = "PKSAISans"
FACES = {"": "DejaVuSansCondensed-Latin.ttf", "B": "DejaVuSansCondensed-Bold-Latin.ttf"}

MARGIN = 10  # mm on every side; the watermark of a personal-data export sits above the top one
FOOT = 14  # mm kept free at the foot of a page for its number
PAD = 0.8  # mm above and below a cell's text
LINE_PER_PT = 0.525  # mm of line height per point of font size (4.2 mm for 8 pt)
HEADING_FILL = (230, 230, 230)
STRIPE_FILL = (246, 246, 246)
RULE_GREY = (150, 150, 150)
SMALLEST = 6.5  # pt: a table too wide for the page is set smaller, down to this
# a cell that reads as a number: "1.811", "-3,5", "12,5 %", "Rp 300.000", "≤4", "—"
NUMBER = re.compile(r"^(?:[-+−]?(?:Rp\s?)?[\d.,]+\s?%?|[≤<>≥]\s?\d+|—|-)$")


def add_unicode_font(pdf: FPDF) -> str:
    """Register the Unicode family on ``pdf`` (once) and return its name for ``set_font``:
    regular ("") and bold ("B"); no italic is shipped."""
    # fontTools logs every subset at INFO (dozens of lines a document): warnings only
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    for style, filename in FACES.items():
        if not has_unicode_font(pdf, style):
            pdf.add_font(FAMILY, style, FONT_DIR / filename)
    return FAMILY


def has_unicode_font(pdf: FPDF, style: str = "") -> bool:
    """Whether ``pdf`` has the Unicode family (in ``style``) registered."""
    return f"{FAMILY.lower()}{style}" in pdf.fonts


def document(*, landscape: bool = False) -> Any:
    """A new A4 document in the Unicode font, numbered "Page n of N" (in the language active
    now) at the foot of every page, its first page started. See ``Document``."""
    return _document_class()(landscape=landscape)


def printed_at(when: datetime | None = None) -> str:
    """Now (or ``when``) in the reader's time zone, as a PDF says when it was printed:
    "3 Des 2026, 14.35 WITA"."""
    return formats.date_format(timezone.localtime(when), "j M Y, H.i T")


def looks_numeric(values: Sequence[str]) -> bool:
    """Whether a column's cells all read as numbers (and at least one is): set flush right."""
    filled = [v for v in values if v]
    return bool(filled) and all(NUMBER.match(v) for v in filled)


@dataclass
class _Table:
    headings: list[str] | None
    widths: list[float]
    aligns: list[str]
    size: float
    fresh: float | None = None  # room for rows on a new page, once measured
    top: float | None = None  # where this page's body rows start (for the column rules)


@functools.cache
def _document_class() -> type:
    from fpdf import FPDF  # imported only when a PDF is made (start-up time)

    class Document(FPDF):
        """See the module's docstring. ``family`` is the Unicode family's name."""

        def __init__(self, *, landscape: bool = False) -> None:
            super().__init__(orientation="L" if landscape else "P", format="A4")
            self.family = add_unicode_font(self)
            self.page_label = _("Page %(n)s of %(total)s")
            self.set_margins(MARGIN, MARGIN, MARGIN)
            self.set_auto_page_break(auto=True, margin=FOOT)
            self._table: _Table | None = None
            self._widths: dict[tuple[str, float, str], float] = {}
            self.add_page()

        # --- every page ---------------------------------------------------------------------

        def header(self) -> None:
            if self._table is not None and self._table.headings is not None:
                self._row(self._table.headings, self._table, heading=True)

        def footer(self) -> None:
            self.set_y(-11)
            self.set_font(self.family, "", 7)
            self.set_text_color(90, 90, 90)
            label = self.page_label % {"n": self.page_no(), "total": self.str_alias_nb_pages}
            self.cell(0, 5, label, align="C")
            self.set_text_color(0, 0, 0)

        # --- text ---------------------------------------------------------------------------

        def heading(self, text: str, *, size: float = 13) -> None:
            """The document's title (wrapped), on the first page."""
            self.set_font(self.family, "B", size)
            self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
            self.ln(1)

        def paragraph(
            self, text: str, *, size: float = 9, bold: bool = False, grey: bool = False
        ) -> None:
            """Text over the full width, wrapped (line breaks in ``text`` kept)."""
            self.set_font(self.family, "B" if bold else "", size)
            if grey:
                self.set_text_color(80, 80, 80)
            self.multi_cell(
                0, size * LINE_PER_PT, _clean(text) or "—", new_x="LMARGIN", new_y="NEXT"
            )
            self.set_text_color(0, 0, 0)

        def section(self, text: str, *, size: float = 11) -> None:
            """A section heading with a rule below it; on the next page when too little of the
            section would follow it on this one."""
            if self.will_page_break(size * 0.6 + 22):
                self.add_page()
            else:
                self.ln(3)
            self.set_font(self.family, "B", size)
            self.multi_cell(0, size * 0.6, text, new_x="LMARGIN", new_y="NEXT")
            self.set_draw_color(*RULE_GREY)
            self.line(self.l_margin, self.y + 0.3, self.w - self.r_margin, self.y + 0.3)
            self.set_draw_color(0, 0, 0)
            self.ln(1.5)

        # --- measuring ----------------------------------------------------------------------

        def measure(self, text: str) -> float:
            """Width of ``text`` in the current font, in mm (remembered: cells repeat)."""
            key = (self.font_style, self.font_size_pt, text)
            width = self._widths.get(key)
            if width is None:
                width = self.current_font.get_text_width(text, self.font_size_pt, None)[1]
                width = self._widths[key] = width / self.k
            return width

        def lines(self, text: str, width: float) -> list[str]:
            """``text`` wrapped at spaces to a column ``width`` mm wide (its line breaks kept;
            a word wider than the column is cut)."""
            room = width - 2 * self.c_margin
            if "\n" not in text and self.measure(text) <= room:
                return [text]
            out: list[str] = []
            for paragraph in text.split("\n"):
                line = ""
                for word in paragraph.split():
                    joined = f"{line} {word}" if line else word
                    if self.measure(joined) <= room:
                        line = joined
                        continue
                    if line:
                        out.append(line)
                    while len(word) > 1 and self.measure(word) > room:
                        cut = max(1, int(len(word) * room / self.measure(word)))
                        while cut > 1 and self.measure(word[:cut]) > room:
                            cut -= 1
                        out.append(word[:cut])
                        word = word[cut:]
                    line = word
                out.append(line)
            while len(out) > 1 and not out[-1]:
                out.pop()
            return out

        # --- tables -------------------------------------------------------------------------

        def data_table(
            self,
            headings: Sequence[str] | None,
            rows: Sequence[Sequence[str]],
            *,
            widths: Sequence[float] | None = None,
            aligns: Sequence[str] | None = None,
            total: Sequence[str] | None = None,
            size: float = 8,
            stripes: bool = False,
        ) -> None:
            """A table over the page's width. ``widths``: relative column widths (scaled to
            the page), or None to size the columns from their contents. ``aligns``: "L" or
            "R" a column, or None for numbers flush right. ``total``: a last row in bold.
            ``headings`` None: no heading row (label–value pairs)."""
            body = [[_clean(v) for v in row] for row in rows]
            last = [_clean(v) for v in total] if total is not None else None
            columns = len(headings) if headings is not None else len(body[0]) if body else 0
            if not columns:
                return
            heads = [_clean(h) for h in headings] if headings is not None else None
            everything = [*body, *([last] if last else [])]
            if aligns is None:
                aligns = [
                    "R" if looks_numeric([r[i] for r in everything]) else "L"
                    for i in range(columns)
                ]
            if widths is None:
                size, sized = self._fit(heads, body, last, size)
            else:
                scale = self.epw / sum(widths)
                sized = [w * scale for w in widths]
            table = _Table(heads, sized, list(aligns), size)
            self._table = None  # no headings from header() until this table's are drawn
            first = self._height(heads, table, heading=True) if heads else 0
            if everything:
                first += min(self._height(everything[0], table), 30)
            if self.will_page_break(first):
                self.add_page()
            if heads is not None:
                self._row(heads, table, heading=True)
            self._table = table
            for number, values in enumerate(body):
                if last is not None and number == len(body) - 1:  # the total not alone
                    both = self._height(values, table) + self._height(last, table, bold=True)
                    if both <= self._fresh_room(table) and self.will_page_break(both):
                        self._new_page(table)
                self._row(values, table, fill=stripes and number % 2 == 1)
            if last is not None:
                self._row(last, table, bold=True)
            self._close(table)
            self.set_draw_color(0, 0, 0)
            self._table = None
            self.ln(2)

        def pairs(self, items: Sequence[tuple[str, str]], *, label: float = 45) -> None:
            """Label–value pairs: labels in bold in a column ``label`` mm wide, both wrapped."""
            table = _Table(None, [label, self.epw - label], ["L", "L"], 9)
            self._table = None
            for key, value in items:
                self._row([_clean(key), _clean(value) or "—"], table, borders=False)
            self.ln(1)

        def _fit(
            self,
            headings: list[str] | None,
            rows: list[list[str]],
            total: list[str] | None,
            size: float,
        ) -> tuple[float, list[float]]:
            """Column widths (mm) from the contents, and the font size that lets them fit.

            1. Every cell and heading on one line when the page allows (a small table is
               widened by half, or to the page's width when nearly as wide).
            2. Else every cell on one line and the headings wrapped (a heading wraps once,
               a cell in every row), the room left unwrapping the headings.
            3. Else the narrow columns keep their width and the wide ones (names,
               addresses, notes) share what is left in proportion to the text they
               typically hold, never narrower than their longest word. The text is set
               smaller when even that is too wide; words are cut only at the smallest size.
            """
            while True:
                body, head, least, typical = self._natural(headings, rows, total, size)
                if sum(least) <= self.epw or size <= SMALLEST:
                    break
                size = max(SMALLEST, size - 0.5)
            room = self.epw
            full = [max(b, h, w) for b, h, w in zip(body, head, least, strict=True)]
            if sum(full) <= room:
                grow = min(room / sum(full), 1.5)
                if sum(full) * grow > 0.75 * room:
                    grow = room / sum(full)
                return size, [w * grow for w in full]
            base = [max(b, w) for b, w in zip(body, least, strict=True)]
            if sum(base) <= room:
                need = [f - b for f, b in zip(full, base, strict=True)]
                give = (room - sum(base)) / sum(need)  # < 1: else step 1
                return size, [b + n * give for b, n in zip(base, need, strict=True)]
            if sum(least) >= room:  # even the longest words do not fit: cut them
                return size, [w * room / sum(least) for w in least]
            widths = list(base)
            free = set(range(len(widths)))
            while True:  # the columns narrower than an equal share keep their width
                share = room / len(free)
                narrow = {i for i in free if base[i] <= share}
                if not narrow:
                    break
                free -= narrow
                room -= sum(base[i] for i in narrow)
            # the others share the rest in proportion to the text they typically hold (one
            # long address does not widen its column at the expense of every row's reasons),
            # each at least as wide as its longest word
            weight = [max(t, 1.0) for t in typical]
            while free:
                scale = room / sum(weight[i] for i in free)
                pinned = {i for i in free if weight[i] * scale < least[i]}
                if not pinned:
                    for i in free:
                        widths[i] = weight[i] * scale
                    break
                for i in pinned:
                    widths[i] = least[i]
                free -= pinned
                room -= sum(least[i] for i in pinned)
            return size, widths

        def _natural(
            self,
            headings: list[str] | None,
            rows: list[list[str]],
            total: list[str] | None,
            size: float,
        ) -> tuple[list[float], list[float], list[float], list[float]]:
            """Per column (mm, padded): the widest cell on one line, the heading on one line,
            the longest word (heading or cell), and the mean width of the cells (how much
            text the column typically holds). The total row is measured in bold."""
            columns = len(headings) if headings is not None else len((rows or [total])[0])
            body, head = [0.0] * columns, [0.0] * columns
            least, typical = [0.0] * columns, [0.0] * columns
            pad = 2 * self.c_margin + 0.2
            parts = (
                ("B", [headings] if headings else [], head),
                ("", rows, body),
                ("B", [total] if total else [], body),
            )
            for style, texts, widest in parts:
                self.set_font(self.family, style, size)
                for i in range(columns):
                    widths: dict[str, float] = {}
                    for cell in {row[i] for row in texts}:
                        widths[cell] = 0.0
                        for paragraph in cell.split("\n"):
                            width = self.measure(paragraph)
                            widths[cell] = max(widths[cell], width + pad)
                            if " " in paragraph:
                                word = max(paragraph.split(), key=len)
                                width = self.measure(word)
                            least[i] = max(least[i], width + pad)
                        widest[i] = max(widest[i], widths[cell])
                    if texts is rows and texts:
                        typical[i] = sum(widths[row[i]] for row in texts) / len(texts)
            # a column of long texts (notes, reasons) is not held wide by one long word, nor
            # made so narrow that its longest text becomes a tall strip
            least = [max(min(w, 45.0), min(b, 28.0)) for w, b in zip(least, body, strict=True)]
            return body, head, least, typical

        def _height(
            self, values: Sequence[str], table: _Table, *, heading: bool = False, bold: bool = False
        ) -> float:
            self.set_font(self.family, "B" if heading or bold else "", table.size)
            wrapped = [self.lines(v, w) for v, w in zip(values, table.widths, strict=True)]
            return max(len(lines) for lines in wrapped) * table.size * LINE_PER_PT + 2 * PAD

        def _row(
            self,
            values: Sequence[str],
            table: _Table,
            *,
            heading: bool = False,
            bold: bool = False,
            fill: bool = False,
            borders: bool = True,
        ) -> None:
            """One row: its cells wrapped in their columns; on the next page (below the
            headings) when it does not fit here, split over pages when taller than a page."""
            size = table.size
            step = size * LINE_PER_PT
            self.set_font(self.family, "B" if heading or bold else "", size)
            wrapped = [self.lines(v, w) for v, w in zip(values, table.widths, strict=True)]
            if not borders:  # pairs: the label in bold
                self.set_font(self.family, "B", size)
                wrapped[0] = self.lines(values[0], table.widths[0])
            count = max(len(lines) for lines in wrapped)
            start, moved = 0, False
            while start < count:
                left = count - start
                room = self.page_break_trigger - self.y - 2 * PAD
                fits = int(room // step + 1e-6)
                if heading or left <= fits:
                    take = left
                elif not moved and (left * step <= self._fresh_room(table) or fits < 3):
                    self._new_page(table)  # the whole row (or its rest) on the next page
                    moved = True
                    continue
                else:  # taller than a page: as much as fits here, the rest over the page
                    take = max(1, fits)
                self._draw(wrapped, start, take, table, heading, bold, fill, borders)
                start += take
                if start < count:
                    self._new_page(table)
                    moved = True

        def _fresh_room(self, table: _Table) -> float:
            """Height (mm) a row has on a new page, below the repeated headings."""
            if table.fresh is None:
                head = self._height(table.headings, table, heading=True) if table.headings else 0
                table.fresh = self.page_break_trigger - self.t_margin - head - 2 * PAD
            return table.fresh

        def _new_page(self, table: _Table) -> None:
            self._close(table)
            self.add_page()  # header() repeats the headings of the table being drawn
            self.set_font(self.family, "", table.size)

        def _close(self, table: _Table) -> None:
            """The column rules of the rows drawn on this page since ``table.top``."""
            if table.top is None:
                return
            x = self.l_margin
            self.line(x, table.top, x, self.y)
            for width in table.widths:
                x += width
                self.line(x, table.top, x, self.y)
            table.top = None

        def _draw(self, wrapped, start, take, table, heading, bold, fill, borders) -> None:
            """Lines ``start`` to ``start + take`` of a row's cells, at the current height.
            Body rows get one rule below them; the column rules are drawn once a page
            (``_close``), the heading's cells as shaded boxes."""
            size = table.size
            step = size * LINE_PER_PT
            height = take * step + 2 * PAD
            x, y = self.l_margin, self.y
            right_edge = x + sum(table.widths)
            if borders:
                self.set_draw_color(*RULE_GREY)
            if heading:
                self.set_fill_color(*HEADING_FILL)
                for width in table.widths:
                    self.rect(x, y, width, height, style="DF")
                    x += width
                x = self.l_margin
            elif borders:
                if fill:
                    self.set_fill_color(*STRIPE_FILL)
                    self.rect(x, y, right_edge - x, height, style="F")
                if table.top is None:  # the first row on this page below the headings
                    table.top = y
                    self.line(x, y, right_edge, y)
                self.line(x, y + height, right_edge, y + height)
            baseline = y + PAD + step / 2 + 0.35 * size / self.k  # of the first line
            for index, (lines, width) in enumerate(zip(wrapped, table.widths, strict=True)):
                style = "B" if heading or bold or (not borders and index == 0) else ""
                if style != self.font_style:
                    self.set_font(self.family, style, size)
                right = table.aligns[index] == "R"
                for number, line in enumerate(lines[start : start + take]):
                    if not line:
                        continue
                    left = x + self.c_margin
                    if right:
                        left = x + width - self.c_margin - self.measure(line)
                    self.text(left, baseline + number * step, line)
                x += width
            self.set_xy(self.l_margin, y + height)

    return Document


def _clean(value: object) -> str:
    """A cell's text: None as empty, line breaks as "\\n", tabs as spaces."""
    if value is None:
        return ""
    text = str(value)
    if "\r" in text or "\t" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return text.strip()
