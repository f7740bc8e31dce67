"""Photos of a story made ready for the filter graph: upright, cropped around what matters, no metadata.

Each photo is decoded no larger than needed (JPEG ``draft``), turned as its EXIF orientation says,
cover-cropped to the frame's shape around its centre of interest (a cheap, face-free estimate), and
saved as a fresh 4:4:4 JPEG that carries nothing of the source's EXIF, XMP or comments, so no GPS
position reaches the video. One photo is in memory at a time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageEnhance, ImageFilter, UnidentifiedImageError

from assets.errors import MediaError
from assets.images import load_for
from assets.probe import GPS_IFD
from publisher.i18n import register

register(
    {
        "story.photo_too_big": (
            "Ảnh {name} có {mp} triệu điểm ảnh, tối đa {max} triệu (PUBLISHER_MEDIA__MAX_PIXELS).",
            "The photo {name} has {mp} million pixels; at most {max} million (PUBLISHER_MEDIA__MAX_PIXELS).",
        ),
    }
)

#: photos are scaled to this many times the frame, so the zoom never enlarges and moves in sub-pixel
#: steps (zoompan crops at whole source pixels: 1/HEADROOM of an output pixel)
HEADROOM = 1.25


def interest_point(im: Image.Image) -> tuple[float, float]:
    """Where the detail is, as fractions of width and height (the centre when nothing stands out).

    Cheap and face-free: edge strength on a ~96 px copy, the strongest tenth of it, weighted
    towards the middle (people frame what matters near the centre).
    """
    small = im.convert("L")
    small.thumbnail((96, 96), Image.Resampling.BOX)
    edges = small.filter(ImageFilter.FIND_EDGES)
    w, h = edges.size
    if w < 5 or h < 5:
        return 0.5, 0.5
    values = list(edges.tobytes())
    inner = [values[y * w + x] for y in range(2, h - 2) for x in range(2, w - 2)]
    # the strongest tenth of the edges; below 24 of 255 an edge is noise or blur, not a subject
    threshold = max(24, sorted(inner)[int(len(inner) * 0.9)])
    sx = sy = total = 0.0
    for y in range(2, h - 2):
        fy = (y + 0.5) / h
        for x in range(2, w - 2):
            e = values[y * w + x]
            if e < threshold:
                continue
            fx = (x + 0.5) / w
            weight = e * math.exp(-((fx - 0.5) ** 2 + (fy - 0.5) ** 2) / (2 * 0.35**2))
            sx += weight * fx
            sy += weight * fy
            total += weight
    if total <= 0:
        return 0.5, 0.5
    return sx / total, sy / total


@dataclass(frozen=True)
class PhotoFrame:
    """A photo made ready for the graph: a metadata-free JPEG cropped to the frame's shape."""

    path: Path
    size: tuple[int, int]
    #: the centre of interest inside ``path``, as fractions
    focus: tuple[float, float]
    orientation: int
    had_gps: bool


def _cover_box(size: tuple[int, int], aspect: float, focus: tuple[float, float]) -> tuple[float, ...]:
    w, h = size
    cw, ch = (w, w / aspect) if w / h < aspect else (h * aspect, h)
    left = min(max(focus[0] * w - cw / 2, 0.0), w - cw)
    top = min(max(focus[1] * h - ch / 2, 0.0), h - ch)
    return left, top, left + cw, top + ch


def _even(x: float) -> int:
    return max(2, math.ceil(x / 2) * 2)


def prepare_photo(
    src: Path, frame: tuple[int, int], out: Path, *, max_pixels: int | None = None
) -> PhotoFrame:
    """Open ``src`` upright, find its centre of interest, crop to the frame's shape, save without metadata.

    Raises :class:`MediaError` (``media.unreadable``, ``media.not_found``) for a file that is not a photo.
    """
    box = (_even(frame[0] * HEADROOM), _even(frame[1] * HEADROOM))
    try:
        with Image.open(src) as head:
            pixels = head.width * head.height
            exif = head.getexif()
            had_gps = bool(exif.get_ifd(GPS_IFD)) or GPS_IFD in exif
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise MediaError("media.unreadable", name=Path(src).name) from None
    if max_pixels and pixels > max_pixels:
        raise MediaError(
            "story.photo_too_big", name=Path(src).name, mp=f"{pixels / 1e6:.0f}", max=f"{max_pixels / 1e6:g}"
        )
    im, _decoded, orientation, _disp = load_for(src, box, "cover")
    try:
        fx, fy = interest_point(im)
        left, top, right, bottom = _cover_box(im.size, frame[0] / frame[1], (fx, fy))
        fitted = im.resize(box, Image.Resampling.LANCZOS, box=(left, top, right, bottom), reducing_gap=3.0)
    finally:
        im.close()
    focus = ((fx * im.width - left) / (right - left), (fy * im.height - top) / (bottom - top))
    # a fresh JPEG: nothing of the source's EXIF, XMP, comments or ICC goes in; 4:4:4 so that
    # zoompan may move in single pixels
    fitted.save(out, "JPEG", quality=90, subsampling=0)
    fitted.close()
    return PhotoFrame(
        out, box, (min(max(focus[0], 0.0), 1.0), min(max(focus[1], 0.0), 1.0)), orientation, had_gps
    )


def title_background(photo: Path, size: tuple[int, int]) -> Image.Image:
    """The first photo, blurred and darkened, filling the frame: the title card's ground."""
    with Image.open(photo) as im:
        small = im.convert("RGB").resize((max(1, size[0] // 12), max(1, size[1] // 12)), Image.Resampling.BOX)
    blurred = small.filter(ImageFilter.GaussianBlur(2)).resize(size, Image.Resampling.BICUBIC)
    return ImageEnhance.Brightness(blurred).enhance(0.6)
