"""Which photos still carry a GPS position (Pillow; the pure review receives the answer).

A phone camera writes the place a photo was taken into its EXIF GPS block. Published as is, a
photo can show where a person lives or where a border patrol stands. :func:`gps_images` finds
them for :func:`publisher.core.review.review`; :func:`strip_gps` writes a copy without the GPS
block (other EXIF, such as orientation, is kept).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PIL import Image, UnidentifiedImageError

GPS_IFD = 0x8825
_GPS_LATITUDE = 2
_GPS_LONGITUDE = 4


def has_gps(path: Path) -> bool:
    """True when the image holds a GPS latitude or longitude. Unreadable files: False."""
    try:
        with Image.open(path) as image:
            exif = image.getexif()
            gps = exif.get_ifd(GPS_IFD)
    except (OSError, UnidentifiedImageError, ValueError):
        return False
    return bool(gps) and (_GPS_LATITUDE in gps or _GPS_LONGITUDE in gps)


def gps_images(paths: Iterable[Path]) -> set[Path]:
    return {Path(p) for p in paths if has_gps(Path(p))}


def strip_gps(source: Path, target: Path) -> None:
    """Write ``source`` to ``target`` without its GPS block (JPEG quality kept high)."""
    with Image.open(source) as image:
        exif = image.getexif()
        if GPS_IFD in exif:
            del exif[GPS_IFD]
        params: dict[str, object] = {"exif": exif.tobytes()}
        if (image.format or "").upper() == "JPEG":
            params["quality"] = 95
        image.save(target, format=image.format, **params)
