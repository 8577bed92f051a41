"""What tests need to read the text of a PDF made by fpdf2, without a PDF library: every
text run with its page, position (points from the bottom left) and font size, decoded through
the embedded fonts' ToUnicode maps (Unicode fonts) or as cp1252 (core fonts).

It reads what fpdf2 writes (objects in the clear, content streams deflated, a ``Td`` before
each run, literal strings), not every PDF."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, replace

OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)\bendobj", re.S)
STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
TOKEN = re.compile(rb"\s*(/[^\s/\[\]()<>]+|[-+]?\d*\.?\d+|[A-Za-z'\"*]+|\[|\]|\(|<[0-9A-Fa-f]*>)")
ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


@dataclass(frozen=True)
class Run:
    page: int
    x: float
    y: float
    size: float
    text: str


def _objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    found = {}
    for number, body in OBJECT.findall(pdf):
        stream = STREAM.search(body)
        data = None
        if stream:
            data = stream.group(1)
            if b"/FlateDecode" in body[: stream.start()]:
                data = zlib.decompress(data)
        found[int(number)] = (body, data)
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


def _runs(content: bytes, page: int, fonts: dict[bytes, dict[int, str] | None]) -> list[Run]:
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
                    runs.append(Run(page, x, y, size, text))
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
    for body, _data in objects.values():
        for name, number in re.findall(rb"/(F\d+) (\d+) 0 R", body):
            font_body = objects[int(number)][0]
            unicode = re.search(rb"/ToUnicode (\d+) 0 R", font_body)
            fonts[name] = _cmap(objects[int(unicode.group(1))][1]) if unicode else None
    [pages] = [body for body, _d in objects.values() if re.search(rb"/Type /Pages\b", body)]
    refs = re.search(rb"/Kids \[(.*?)\]", pages, re.S)[1]
    kids = [int(n) for n in re.findall(rb"(\d+) 0 R", refs)]
    runs = []
    for page, number in enumerate(kids, start=1):
        contents = re.search(rb"/Contents (\d+) 0 R", objects[number][0])
        runs += _runs(objects[int(contents.group(1))][1], page, fonts)
    return runs


def pdf_text(pdf: bytes) -> str:
    """The document's text, one run a line."""
    return "\n".join(run.text for run in pdf_runs(pdf))
