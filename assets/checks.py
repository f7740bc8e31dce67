"""Look at the photos and clips of a post before anyone approves it (Pillow and ffprobe; the pure
review and the schedule loader receive the answers).

* :func:`look_at_photo` opens a photo's header (cheap), refuses more pixels than
  ``PUBLISHER_MEDIA__MAX_PIXELS`` (a 144-megapixel PNG is a few KB on disk and 1.8 GB once
  decoded), then checks that the data is whole: a JPEG is decoded at 1/8 scale (tens of
  milliseconds), a PNG has its chunks' checksums verified, any other format (GIF, TIFF, WebP…)
  has the first frame ``media prepare`` uses decoded in full, within that pixel cap. Pillow's own decompression-bomb
  warning and error become that message; nothing is printed raw.
* :func:`media_problems` does that for every photo and probes the clip with ffprobe: what
  ``publisher queue`` (and ``--check``) reports at ``file:line [id] field``, in the words
  ``publisher media check`` uses for the same file.
* :func:`gps_images` finds photos that still carry a GPS position, for
  :func:`publisher.core.review.review`; :func:`strip_gps` writes a copy without the GPS block
  (other EXIF, such as orientation, is kept).

A phone camera writes the place a photo was taken into its EXIF GPS block. Published as is, a
photo can show where a person lives or where a border patrol stands.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

import assets.story.render  # noqa: F401 - registers the story.* messages
from assets.errors import MediaError, ToolMissing
from assets.probe import probe_video, run_ffprobe
from publisher.core.limits import Problem
from publisher.core.models import Platform, PostSpec
from publisher.i18n import Msg, msg, register
from publisher.settings import MediaSettings

register(
    {
        "media_probe.too_many_pixels": (
            "Ảnh {name} có {pixels} triệu điểm ảnh, quá mức {max} triệu (PUBLISHER_MEDIA__MAX_PIXELS): "
            "hãy thu nhỏ ảnh (ví dụ còn 4000×3000) rồi xếp lịch lại.",
            "Photo {name} has {pixels} million pixels, over the {max} million allowed "
            "(PUBLISHER_MEDIA__MAX_PIXELS): make it smaller (e.g. 4000×3000) and queue it again.",
        ),
    }
)

log = logging.getLogger(__name__)

GPS_IFD = 0x8825
_GPS_LATITUDE = 2
_GPS_LONGITUDE = 4

# the preset a clip is prepared with, per platform: named in "this preset is for a video" messages
_VIDEO_PRESET = {
    Platform.FACEBOOK: "facebook-video",
    Platform.YOUTUBE: "youtube-video",
    Platform.ZALO: "zalo-video",
}


@contextmanager
def _quiet() -> Iterator[None]:
    """Pillow warns (stderr, raw) past ~89 million pixels; we answer with our own message instead."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        yield


@dataclass(frozen=True)
class PhotoLook:
    """What opening a photo told: why it cannot be used (None: it can), and whether it holds a GPS position."""

    problem: Msg | None
    gps: bool = False


def _millions(pixels: float) -> str:
    return f"{pixels / 1_000_000:.0f}"


def look_at_photo(path: Path, max_pixels: int, *, whole: bool = True) -> PhotoLook:
    """Open ``path``'s header; with ``whole``, also make sure the data is complete (see the module)."""
    path = Path(path)
    try:
        with _quiet(), Image.open(path) as image:
            width, height = image.size
            if width * height > max_pixels:
                pixels = _millions(width * height)
                return PhotoLook(
                    msg(
                        "media_probe.too_many_pixels",
                        name=path.name,
                        pixels=pixels,
                        max=_millions(max_pixels),
                    )
                )
            if whole and image.format == "PNG":
                image.verify()  # must come first after open: the GPS look opens the file again
            elif whole:
                # JPEG decodes at 1/8 scale (draft); other formats (GIF, TIFF, WebP…) have no cheaper
                # way and decode their first frame, as media prepare does, bounded by the pixel cap above
                image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
                image.load()
    except Image.DecompressionBombError:  # past twice Pillow's limit: the header alone says so
        bomb = 2 * (Image.MAX_IMAGE_PIXELS or 0)
        return PhotoLook(
            msg(
                "media_probe.too_many_pixels",
                name=path.name,
                pixels=f"> {_millions(bomb)}",
                max=_millions(max_pixels),
            )
        )
    except FileNotFoundError:
        return PhotoLook(msg("media.not_found", name=path.name))
    except Exception as exc:  # noqa: BLE001 - a hostile file can make a decoder raise nearly anything
        log.debug("photo %s unreadable: %s: %s", path.name, type(exc).__name__, exc)
        return PhotoLook(msg("media.unreadable", name=path.name))
    return PhotoLook(None, has_gps(path))


def _gps_in(image: Image.Image) -> bool:
    try:
        gps = image.getexif().get_ifd(GPS_IFD)
    except Exception:  # noqa: BLE001 - a broken EXIF block is no position
        return False
    return bool(gps) and (_GPS_LATITUDE in gps or _GPS_LONGITUDE in gps)


def has_gps(path: Path) -> bool:
    """True when the image holds a GPS latitude or longitude. Unreadable files: False."""
    try:
        with _quiet(), Image.open(path) as image:
            return _gps_in(image)
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError, Image.DecompressionBombError):
        return False


def gps_images(paths: Iterable[Path]) -> set[Path]:
    return {Path(p) for p in paths if has_gps(Path(p))}


def photo_problems(spec: PostSpec, media: MediaSettings, *, whole: bool = True) -> list[Problem]:
    """A block :class:`Problem` for each photo of ``spec`` that cannot be used (``position``: its index)."""
    out = []
    for index, image in enumerate(spec.images):
        look = look_at_photo(Path(image), media.max_pixels, whole=whole)
        if look.problem is not None:
            out.append(Problem("images", look.problem, "block", index, code="media"))
    return out


def video_problem(spec: PostSpec, media: MediaSettings) -> Msg | None:
    """Why the clip of ``spec`` cannot be used (ffprobe), in the words of ``publisher media check``."""
    if spec.video is None or spec.story is not None:  # a story's clip is made later: see story_problems
        return None
    path = Path(spec.video)
    with _quiet():
        try:
            with Image.open(path) as image:
                still = not getattr(image, "is_animated", False)
        except Exception:  # noqa: BLE001 - not a picture Pillow knows: ffprobe decides
            still = False
    if still:
        preset = next((_VIDEO_PRESET[t.platform] for t in spec.targets if t.platform in _VIDEO_PRESET), None)
        return msg(
            "media.wrong_kind",
            name=path.name,
            preset=preset or msg("media.kind.video"),
            expected=msg("media.kind.video"),
            actual=msg("media.kind.image"),
        )
    try:
        probe_video(path, media.ffprobe)
    except (MediaError, ToolMissing) as exc:
        return exc.message if isinstance(exc.message, Msg) else msg("media.unreadable", name=path.name)
    return None


def story_problems(spec: PostSpec, media: MediaSettings) -> list[Problem]:
    """A photo story's photos opened, its music probed, its logo opened (field: ``story.photos[1].file``)."""
    story = spec.story
    if story is None:
        return []
    out = []
    for fld, path in story.files():
        if fld == "story.music":
            try:
                data = run_ffprobe(path, media.ffprobe)
                sound = any(s.get("codec_type") == "audio" for s in data.get("streams") or [])
            except (MediaError, ToolMissing):
                sound = False
            if not sound:
                out.append(Problem(fld, msg("story.not_audio", name=path.name), "block", code="media"))
            continue
        look = look_at_photo(Path(path), media.max_pixels)
        if look.problem is not None:
            out.append(Problem(fld, look.problem, "block", code="media"))
    return out


def media_problems(spec: PostSpec, media: MediaSettings) -> list[Problem]:
    """Every photo and the clip of ``spec`` looked at: what ``publisher queue`` refuses."""
    out = photo_problems(spec, media)
    problem = video_problem(spec, media)
    if problem is not None:
        out.append(Problem("video", problem, "block", code="media"))
    return out + story_problems(spec, media)


def strip_gps(source: Path, target: Path) -> None:
    """Write ``source`` to ``target`` without its GPS block (JPEG quality kept high)."""
    with _quiet(), Image.open(source) as image:
        exif = image.getexif()
        if GPS_IFD in exif:
            del exif[GPS_IFD]
        params: dict[str, object] = {"exif": exif.tobytes()}
        if (image.format or "").upper() == "JPEG":
            params["quality"] = 95
        image.save(target, format=image.format, **params)
