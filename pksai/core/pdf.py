"""Unicode text in PDFs made with fpdf2.

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
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

FONT_DIR = Path(__file__).resolve().parent / "data"
FAMILY = "PKSAISans"
FACES = {"": "DejaVuSansCondensed-Latin.ttf", "B": "DejaVuSansCondensed-Bold-Latin.ttf"}


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
