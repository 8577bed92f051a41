"""What tests need to read the text of a PDF made by fpdf2, without a PDF library: every
text run with its page, position (points from the bottom left), font and font size, decoded
through the embedded fonts' ToUnicode maps (Unicode fonts) or as cp1252 (core fonts); and
where runs of the shipped Unicode font overlap one another (``overlapping``) or leave the
page's margins (``outside``), measured with the font's own widths.

It reads what fpdf2 writes (objects in the clear, content streams deflated, a ``Td`` before
each run, literal strings), not every PDF."""

from __future__ import annotations

import functools
import re
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

OBJECT_START = re.compile(rb"(\d+) 0 obj\s*")
STREAM = re.compile(rb"stream\r?\n")
LENGTH = re.compile(rb"/Length (\d+)\b(?! 0 R)")
TOKEN = re.compile(rb"\s*(/[^\s/\[\]()<>]+|[-+]?\d*\.?\d+|[A-Za-z'\"*]+|\[|\]|\(|<[0-9A-Fa-f]*>)")
ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


@dataclass(frozen=True)
class Run:
    page: int
    x: float
    y: float
    size: float
    text: str
    font: str = ""  # the embedded font's name without its subset tag, e.g. "DejaVuSansCondensed"


def _objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Every object's dictionary and its stream's data (inflated), read by the stream's
    /Length: compressed data may end in a byte that looks like a line end."""
    found = {}
    position = 0
    while match := OBJECT_START.search(pdf, position):
        start = match.end()
        stream = STREAM.search(pdf, start)
        end = pdf.index(b"endobj", start)
        data = None
        if stream and stream.start() < end:
            head = pdf[start : stream.start()]
            length = int(LENGTH.search(head).group(1))
            data = pdf[stream.end() : stream.end() + length]
            if b"/FlateDecode" in head:
                data = zlib.decompress(data)
            end = pdf.index(b"endobj", stream.end() + length)
            body = head
        else:
            body = pdf[start:end]
        found[int(match.group(1))] = (body, data)
        position = end + len(b"endobj")
    return found


def _cmap(data: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for code, text in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for first, last, start in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            base = int(start, 16)
            for offset, code in enumerate(range(int(first, 16), int(last, 16) + 1)):
                mapping[code] = chr(base + offset)
    return mapping


def _literal(content: bytes, start: int) -> tuple[bytes, int]:
    """The literal string opening at ``content[start] == b"("``, and the index after it."""
    out, depth, i = bytearray(), 1, start + 1
    while True:
        char = content[i : i + 1]
        if char == b"\\":
            following = content[i + 1 : i + 2]
            if following.isdigit():
                digits = re.match(rb"[0-7]{1,3}", content[i + 1 : i + 4]).group()
                out.append(int(digits, 8))
                i += 1 + len(digits)
                continue
            out += ESCAPES.get(following, following)
            i += 2
            continue
        if char == b"(":
            depth += 1
        elif char == b")":
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out += char
        i += 1


def _runs(
    content: bytes,
    page: int,
    fonts: dict[bytes, dict[int, str] | None],
    names: dict[bytes, str],
) -> list[Run]:
    runs, operands, font, size, x, y, i, moved = [], [], None, 0.0, 0.0, 0.0, 0, True
    while i < len(content):
        match = TOKEN.match(content, i)
        if match is None:
            i += 1
            continue
        value = match.group(1)
        i = match.end()
        if value == b"(":
            string, i = _literal(content, match.start(1))
            operands.append(string)
        elif value[:1] == b"/" or value[:1].isdigit() or value[:1] in b"-+.[]<":
            operands.append(value)
        else:
            if value == b"Tf":
                font, size = operands[-2][1:], float(operands[-1])
            elif value == b"Td":
                x, y, moved = float(operands[-2]), float(operands[-1]), True
            elif value == b"Tj":
                text = _decode(operands[-1], fonts.get(font))
                if moved:
                    runs.append(Run(page, x, y, size, text, names.get(font, "")))
                else:  # a second string without moving (fpdf2 writes "{nb}" apart)
                    runs[-1] = replace(runs[-1], text=runs[-1].text + text)
                moved = False
            operands = []
    return runs


def _decode(raw: bytes, cmap: dict[int, str] | None) -> str:
    if cmap is None:
        return raw.decode("cp1252", errors="replace")
    return "".join(
        cmap.get(int.from_bytes(raw[i : i + 2], "big"), "\ufffd") for i in range(0, len(raw), 2)
    )


def pdf_runs(pdf: bytes) -> list[Run]:
    """Every text run of the document, page by page, in drawing order."""
    objects = _objects(pdf)
    fonts: dict[bytes, dict[int, str] | None] = {}
    names: dict[bytes, str] = {}
    for body, _data in objects.values():
        for name, number in re.findall(rb"/(F\d+) (\d+) 0 R", body):
            font_body = objects[int(number)][0]
            unicode = re.search(rb"/ToUnicode (\d+) 0 R", font_body)
            fonts[name] = _cmap(objects[int(unicode.group(1))][1]) if unicode else None
            base = re.search(rb"/BaseFont /(?:[A-Z]{6}\+)?([^\s/>]+)", font_body)
            names[name] = base.group(1).decode() if base else ""
    [pages] = [body for body, _d in objects.values() if re.search(rb"/Type /Pages\b", body)]
    refs = re.search(rb"/Kids \[(.*?)\]", pages, re.S)[1]
    kids = [int(n) for n in re.findall(rb"(\d+) 0 R", refs)]
    runs = []
    for page, number in enumerate(kids, start=1):
        contents = re.search(rb"/Contents (\d+) 0 R", objects[number][0])
        runs += _runs(objects[int(contents.group(1))][1], page, fonts, names)
    return runs


def pdf_text(pdf: bytes) -> str:
    """The document's text, one run a line."""
    return "\n".join(run.text for run in pdf_runs(pdf))


# --- geometry: widths from the shipped font files --------------------------------------------

FONT_FILES = {
    "DejaVuSansCondensed": "DejaVuSansCondensed-Latin.ttf",
    "DejaVuSansCondensedBold": "DejaVuSansCondensed-Bold-Latin.ttf",
}
ASCENT, DESCENT = 0.76, 0.24  # of the font size, above and below the baseline


@functools.cache
def _metrics(font: str) -> tuple[dict[int, str], dict[str, tuple[int, int]], int]:
    from fontTools.ttLib import TTFont

    path = Path(__file__).resolve().parents[1] / "data" / FONT_FILES[font]
    ttf = TTFont(path)
    return ttf.getBestCmap(), ttf["hmtx"].metrics, ttf["head"].unitsPerEm


def width(run: Run) -> float:
    """The run's width in points (Unicode font runs only)."""
    cmap, advances, units = _metrics(run.font)
    glyphs = (cmap.get(ord(char), ".notdef") for char in run.text)
    return sum(advances[glyph][0] for glyph in glyphs) * run.size / units


def _box(run: Run) -> tuple[float, float, float, float]:
    return (run.x, run.y - DESCENT * run.size, run.x + width(run), run.y + ASCENT * run.size)


def overlapping(runs: list[Run], slack: float = 0.1) -> list[tuple[Run, Run]]:
    """Pairs of runs on the same page whose text boxes overlap (by more than ``slack``
    points each way)."""
    found = []
    measured = [(run, _box(run)) for run in runs if run.font in FONT_FILES and run.text.strip()]
    measured.sort(key=lambda pair: (pair[0].page, pair[1][1]))
    for index, (run, box) in enumerate(measured):
        for other, other_box in measured[index + 1 :]:
            if other.page != run.page or other_box[1] >= box[3] - slack:
                break
            if min(box[2], other_box[2]) - max(box[0], other_box[0]) > slack:
                found.append((run, other))
    return found


def outside(runs: list[Run], *, page_width: float, margin: float) -> list[Run]:
    """Runs that start left of the left margin or end right of the right one (points)."""
    return [
        run
        for run in runs
        if run.font in FONT_FILES
        and (run.x < margin - 0.5 or run.x + width(run) > page_width - margin + 0.5)
    ]
