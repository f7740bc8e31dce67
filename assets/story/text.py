"""Text of a photo story: the title card's layer and the caption bands, and the glyph check.

Vietnamese first: every text is NFC and drawn in a face that has every Vietnamese letter (the bundled
DejaVu, or ``PUBLISHER_MEDIA__FONT_PATH``); :func:`missing_glyphs` finds what a face would draw as its
missing-glyph box (tofu), so a story with such a character is refused instead of shown wrong.
Sizes follow the frame's short side and never go under what stays readable on a phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw

from assets.images import FONT_BOLD, FONT_REGULAR, TextLayout, draw_text_block, layout_text, load_font
from publisher.core.story import Story
from publisher.settings import MediaSettings

#: text: sizes as fractions of the frame's short side; the floor is what stays readable on a phone
CAPTION_SIZE, CAPTION_MIN = 0.055, 0.04
TITLE_SIZE, TITLE_MIN = 0.085, 0.05
SMALL_SIZE = 0.045
BAND = (0, 0, 0, 165)
TEXT = (255, 255, 255, 255)
#: the bottom of a caption band, as a fraction of the height: above the Reels/Shorts buttons and text
CAPTION_BOTTOM_VERTICAL, CAPTION_BOTTOM_LANDSCAPE = 0.78, 0.92
#: a code point no font maps, drawn as the font's "missing glyph" (.notdef) box
_NO_SUCH_CHAR = "\U0010ffff"


@dataclass(frozen=True)
class Fonts:
    """The bold face (title, captions) and the regular one (unit, date)."""

    bold: Path
    regular: Path

    @classmethod
    def of(cls, media: MediaSettings | None) -> Fonts:
        chosen = media.font_path if media is not None else None
        return cls(chosen, chosen) if chosen else cls(FONT_BOLD, FONT_REGULAR)


@lru_cache(maxsize=4096)
def _glyph(font_path: str, ch: str) -> tuple[tuple[int, int], bytes]:
    mask = load_font(font_path, 40).getmask(ch)
    return mask.size, bytes(mask)


def missing_glyphs(font_path: Path, text: str) -> list[str]:
    """The characters of ``text`` the font would draw as its missing-glyph box (tofu), in order."""
    notdef = _glyph(str(font_path), _NO_SUCH_CHAR)
    out: list[str] = []
    for ch in dict.fromkeys(text):
        if ch.isspace() or not ch.isprintable():
            continue
        if _glyph(str(font_path), ch) == notdef:
            out.append(ch)
    return out


def _short(size: tuple[int, int]) -> int:
    return min(size)


def title_layer(story: Story, size: tuple[int, int], fonts: Fonts) -> Image.Image:
    """A transparent layer of ``size``: the unit, the title and the date on a dark band in the middle."""
    w, h = size
    short = _short(size)
    margin = max(8, w // 18)
    gap = max(4, short // 40)
    width = w - 2 * margin
    small = max(12, round(short * SMALL_SIZE))
    blocks: list[TextLayout] = []
    if story.unit:
        blocks.append(
            layout_text(story.unit.upper(), width, h // 8, font_path=fonts.regular, start_size=small)
        )
    title_size, title_min = round(short * TITLE_SIZE), max(14, round(short * TITLE_MIN))
    blocks.append(
        layout_text(
            story.title,
            width,
            h // 3,
            font_path=fonts.bold,
            start_size=title_size,
            min_size=title_min,
            max_lines=4,
        )
    )
    if story.date:
        when = story.date.strftime("%d/%m/%Y")
        blocks.append(layout_text(when, width, h // 8, font_path=fonts.regular, start_size=small))
    inner = sum(b.block_height for b in blocks) + gap * (len(blocks) - 1)
    band = inner + 2 * margin
    top = (h - band) // 2
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    draw.rectangle((0, top, w, top + band), fill=BAND)
    y = top + margin
    for block in blocks:
        draw_text_block(draw, block, (margin, y, w - margin, y + block.block_height), TEXT)
        y += block.block_height + gap
    return layer


def _caption_margin(size: tuple[int, int]) -> int:
    return max(6, _short(size) // 40)


def caption_layout(text: str, size: tuple[int, int], fonts: Fonts) -> TextLayout:
    """A caption wrapped to the frame, shrunk to fit four lines but never under the readable floor."""
    short = _short(size)
    return layout_text(
        text,
        size[0] - 4 * _caption_margin(size),
        size[1] // 5,
        font_path=fonts.bold,
        start_size=round(short * CAPTION_SIZE),
        min_size=max(12, round(short * CAPTION_MIN)),
        max_lines=4,
    )


def caption_band(text: str, size: tuple[int, int], fonts: Fonts) -> tuple[Image.Image, int]:
    """A caption on a dark band the width of the frame, and the row its top goes to."""
    w, h = size
    margin = _caption_margin(size)
    layout = caption_layout(text, size, fonts)
    band_h = layout.block_height + 2 * margin
    band = Image.new("RGBA", (w, band_h), BAND)
    draw_text_block(ImageDraw.Draw(band), layout, (0, 0, w, band_h), TEXT)
    bottom = CAPTION_BOTTOM_VERTICAL if h > w else CAPTION_BOTTOM_LANDSCAPE
    return band, max(0, round(h * bottom) - band_h)
