"""Draw the field app's icons (PNG 192, 512 and a maskable 512) from the geometry of
pksai/static/pksai/favicon.svg with Pillow. Run once after changing the logo; the PNGs are
committed: `python scripts/field-icons.py`."""

from pathlib import Path

from PIL import Image, ImageDraw

BLUE, WHITE, YELLOW = "#0b3d6b", "#ffffff", "#ffdd00"
OUT = Path(__file__).resolve().parent.parent / "pksai" / "field" / "static" / "field" / "icons"
SUPER = 4  # draw large, then shrink: smooth edges


def _figures(draw: ImageDraw.ImageDraw, scale: float, dx: float, dy: float) -> None:
    """The two people of the favicon (its 32-unit grid), scaled and moved."""

    def p(x: float, y: float) -> tuple[float, float]:
        return (dx + x * scale, dy + y * scale)

    def circle(cx: float, cy: float, r: float, fill: str) -> None:
        draw.ellipse([p(cx - r, cy - r), p(cx + r, cy + r)], fill=fill)

    def body(left: float, right: float, top: float, fill: str) -> None:
        # a rectangle from the shoulders' centre line down to y=26, topped by a half disc
        r = (right - left) / 2
        draw.pieslice([p(left, top - r), p(right, top + r)], 180, 360, fill=fill)
        draw.rectangle([p(left, top), p(right, 26)], fill=fill)

    circle(12, 9.5, 3.5, WHITE)
    body(5.5, 18.5, 19.5, WHITE)
    circle(22.5, 14.5, 2.75, YELLOW)
    body(18, 27, 22.5, YELLOW)


def icon(size: int, *, maskable: bool) -> Image.Image:
    big = size * SUPER
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:  # full bleed; the figures inside the central 60 % (the safe zone is 80 %)
        draw.rectangle([0, 0, big, big], fill=BLUE)
        scale = big * 0.6 / 32
        offset = big * 0.2
    else:
        draw.rounded_rectangle([0, 0, big - 1, big - 1], radius=big * 7 / 32, fill=BLUE)
        scale = big / 32
        offset = 0
    _figures(draw, scale, offset, offset)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    icon(192, maskable=False).save(OUT / "icon-192.png", optimize=True)
    icon(512, maskable=False).save(OUT / "icon-512.png", optimize=True)
    icon(512, maskable=True).save(OUT / "maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()
