"""What an uploaded file is, decided by opening it (never by its name), and its thumbnail.

A photo must be a picture Pillow opens among :data:`PHOTO_FORMATS` (never EPS, which runs
Ghostscript, nor any other plugin), within ``PUBLISHER_MEDIA__MAX_PIXELS``, its data whole
(:func:`assets.checks.look_at_photo`). A clip must be something ffprobe reads with a picture
(:func:`assets.probe.probe_video`); a still picture sent as a clip is refused with its own message.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from assets.checks import look_at_photo
from assets.errors import MediaError, ToolMissing
from assets.probe import probe_video
from publisher.i18n import Msg, msg, register
from publisher.settings import Settings

register(
    {
        "web.upload.not_photo": (
            "Tệp {name} không phải ảnh: mở ra không thấy ảnh JPEG, PNG, WebP hay GIF "
            "(đuôi tên tệp không quyết định loại tệp).",
            "{name} is not a photo: opened, it holds no JPEG, PNG, WebP or GIF picture "
            "(the ending of a file's name does not decide its type).",
        ),
        "web.upload.damaged_photo": (
            "Ảnh {name} bị hỏng hoặc không trọn vẹn (thiếu dữ liệu): hãy chép lại ảnh từ máy chụp rồi tải lên lại.",
            "Photo {name} is damaged or incomplete (data missing): copy it from the camera again and upload it again.",
        ),
        "web.upload.not_video": (
            "Tệp {name} không phải video hoặc bị hỏng, không trọn vẹn (ffprobe không đọc được): "
            "cần video MP4, MOV hoặc WebM.",
            "{name} is not a video, or it is damaged or incomplete (ffprobe cannot read it): "
            "an MP4, MOV or WebM video is needed.",
        ),
        "web.upload.video_is_photo": (
            "Tệp {name} là ảnh, không phải video: hãy tải lên ở ô ảnh.",
            "{name} is a photo, not a video: upload it with the photos.",
        ),
    }
)

#: what Pillow may open as a photo
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")  # a JPEG with several pictures opens as "MPO"
PHOTO_EXT = {"JPEG": ".jpg", "MPO": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif"}
# ffprobe's format_name token -> the endings a clip of that container may keep (first: the default)
VIDEO_EXT = {
    "mp4": (".mp4", ".mov", ".m4v", ".3gp"),
    "matroska": (".mkv", ".webm"),
    "webm": (".webm", ".mkv"),
    "avi": (".avi",),
    "mpegts": (".ts", ".mts", ".m2ts"),
    "gif": (".gif",),
}


def safe_name(name: str) -> str:
    """``name``'s last part as plain ASCII letters, digits, ``-``, ``_`` and one dot: ``Ảnh lễ 30-4.JPG``
    -> ``Anh-le-30-4.jpg``; never empty, never starting with a dot, at most ~90 characters."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    base = base.replace("đ", "d").replace("Đ", "D")
    plain = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    stem, dot, ext = plain.rpartition(".")
    if not dot:
        stem, ext = plain, ""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_")[:80] or "tep"
    ext = re.sub(r"[^A-Za-z0-9]", "", ext).lower()[:8]
    return f"{stem}.{ext}" if ext else stem


@contextmanager
def _quiet() -> Iterator[None]:
    """Pillow warns (stderr, raw) past ~89 million pixels; look_at_photo answers with a message."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        yield


def photo_format(path: Path) -> tuple[str, bool] | None:
    """The picture format Pillow finds in ``path`` among :data:`PHOTO_FORMATS` and whether it is
    animated; None when it finds none."""
    try:
        with _quiet(), Image.open(path, formats=PHOTO_FORMATS) as image:
            return str(image.format), bool(getattr(image, "is_animated", False))
    except Image.DecompressionBombError:
        return "PNG", False  # a picture, a huge one: look_at_photo says how huge
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None


def check_file(path: Path, kind: str, settings: Settings) -> tuple[Msg | None, str | None]:
    """Why the file cannot be used as a ``kind`` (None: it can), and the ending its content calls for."""
    found = photo_format(path)
    if kind == "photo":
        if found is None:
            return msg("web.upload.not_photo", name=path.name), None
        look = look_at_photo(path, settings.media.max_pixels)
        if look.problem is not None and look.problem.key == "media.unreadable":
            return msg("web.upload.damaged_photo", name=path.name), None
        return look.problem, PHOTO_EXT.get(found[0])
    if found is not None and not found[1]:
        return msg("web.upload.video_is_photo", name=path.name), None
    try:
        info = probe_video(path, settings.media.ffprobe)
    except (ToolMissing, MediaError) as exc:
        if isinstance(exc, MediaError) and exc.code == "unreadable" or not isinstance(exc.message, Msg):
            return msg("web.upload.not_video", name=path.name), None
        return exc.message, None
    tokens = info.container.split(",")
    for token, endings in VIDEO_EXT.items():
        if token in tokens:
            keep = path.suffix.lower()
            return None, keep if keep in endings else endings[0]
    return None, None


def thumbnail_of(path: Path, box: int = 320) -> bytes:
    """A small JPEG of the photo at ``path``, EXIF orientation applied (OSError when it cannot be made)."""
    try:
        with _quiet(), Image.open(path, formats=PHOTO_FORMATS) as image:
            image.draft("RGB", (box, box))
            shown = ImageOps.exif_transpose(image).convert("RGB")
            shown.thumbnail((box, box))
            out = io.BytesIO()
            shown.save(out, "JPEG", quality=80)
    except (ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise OSError(str(exc)) from None
    return out.getvalue()


__all__ = ["PHOTO_FORMATS", "check_file", "photo_format", "safe_name", "thumbnail_of"]
