"""The media of a preview: prepared through the publisher's cache, shown as small JPEG copies.

Each job (:class:`publisher.actions.media.Job`, as the publisher plans it) is prepared with
:func:`assets.prepare.prepare` (a photo story with :func:`assets.story.render.render_story`) into
``settings.cache_dir``: cached by content, so a variant made for a preview is the one the worker
finds later. The browser never gets a variant or an original: it gets a copy at most
:data:`DISPLAY_PX` on its long side (of a clip, one poster frame taken with ffmpeg), stored in
the same cache with ``"preview": true`` in its record; :func:`display_file` finds only those.
"""

from __future__ import annotations

import hashlib
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from assets.cache import MediaCache
from assets.prepare import PreparedMedia, prepare
from assets.story.render import render_story, with_defaults
from assets.video import extract_frame
from publisher.actions.media import Job, with_video_size
from publisher.core.models import Delivery, PostSpec
from publisher.errors import PublisherError
from publisher.settings import Settings

MB = 1_000_000
#: a clip prepared for a preview may take this long (the worker allows an hour)
PREPARE_TIMEOUT = 900.0
#: longest side of the copies sent to the browser, their JPEG quality, and their recipe's version
DISPLAY_PX = 960
DISPLAY_QUALITY = 80
DISPLAY_VERSION = 1
#: the poster of a clip: this far into the prepared clip, at most POSTER_MAX_S seconds in
POSTER_AT = 0.25
POSTER_MAX_S = 5.0


@dataclass(frozen=True)
class Picture:
    """A JPEG made for the preview, in the media cache under ``key`` (a clip's frame: ``at`` s)."""

    key: str
    width: int
    height: int
    at: float | None = None


def _cache(settings: Settings) -> MediaCache:
    return MediaCache(settings.cache_dir, settings.media.cache_max_mb * MB)


def display_file(settings: Settings, key: str) -> Path | None:
    """The preview copy stored under ``key``; None for anything else (a variant, a path outside)."""
    if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
        return None
    entry = _cache(settings).get(key)
    if entry is None or entry.meta.get("preview") is not True:
        return None
    path = entry.path.resolve()
    if not path.is_relative_to(settings.cache_dir.resolve()) or path.suffix != ".jpg":
        return None
    return path


class PreviewMedia:
    """The jobs of one preview, prepared once each, and the copies the browser is sent."""

    def __init__(self, spec: PostSpec, settings: Settings) -> None:
        self.spec = spec
        self.settings = settings
        self.cache = _cache(settings)
        self.made: dict[tuple[str, str, str], PreparedMedia | PublisherError] = {}

    def prepare(self, job: Job) -> PreparedMedia | PublisherError:
        """The variant of ``job`` (from the cache when made before), or why it cannot be made."""
        memo = (str(job.source), job.preset, repr(job.options) + repr(job.story))
        if memo not in self.made:
            media = self.settings.media
            try:
                if job.story is not None:
                    self.made[memo] = render_story(
                        with_defaults(job.story, media), job.preset, self.settings.cache_dir,
                        media=media, post=self.spec.key, timeout=PREPARE_TIMEOUT,
                    )  # fmt: skip
                else:
                    self.made[memo] = prepare(
                        job.source, job.preset, self.settings.cache_dir,
                        options=job.options, media=media, timeout=PREPARE_TIMEOUT,
                    )  # fmt: skip
            except PublisherError as exc:
                self.made[memo] = exc
        return self.made[memo]

    def picture(self, made: PreparedMedia) -> Picture | None:
        """The browser's copy of a prepared photo, or of a prepared clip's poster frame."""
        at = min((made.duration or 0) * POSTER_AT, POSTER_MAX_S) if made.kind == "video" else None
        recipe = f"preview:{DISPLAY_VERSION}:{DISPLAY_PX}:{DISPLAY_QUALITY}:{made.path.name}:{at}"
        key = hashlib.sha256(recipe.encode()).hexdigest()
        hit = self.cache.get(key)
        if hit is None:
            self.cache.root.mkdir(parents=True, exist_ok=True)
            try:
                with tempfile.TemporaryDirectory(prefix=".work-", dir=self.cache.root) as tmp:
                    source = made.path
                    if at is not None:
                        source = Path(tmp) / "frame.png"
                        extract_frame(made.path, at, source, ffmpeg=self.settings.media.ffmpeg)
                    out = Path(tmp) / "out.jpg"
                    with Image.open(source) as img:
                        # decoded at 1/2, 1/4 or 1/8 when that still covers the copy's own size
                        scale = min(DISPLAY_PX / max(img.size), 1.0)
                        img.draft("RGB", (math.ceil(img.width * scale), math.ceil(img.height * scale)))
                        shown = ImageOps.exif_transpose(img).convert("RGB")
                    shown.thumbnail((DISPLAY_PX, DISPLAY_PX))
                    shown.save(out, "JPEG", quality=DISPLAY_QUALITY)
                    meta = {"kind": "image", "preview": True, "width": shown.width, "height": shown.height}
                    hit = self.cache.put(key, out, meta)
            except (PublisherError, OSError, UnidentifiedImageError):
                return None  # the variant itself is made; the card goes without its picture
        return Picture(key, int(hit.meta["width"]), int(hit.meta["height"]), at)

    def scrub(self, text: str) -> str:
        """``text`` without the folders of the post's files (an error may quote a path)."""
        files = {*self.spec.media_files(), *self.spec.images, *([self.spec.video] if self.spec.video else [])}
        for path in sorted(files, key=lambda p: -len(str(p))):
            text = text.replace(str(path), path.name).replace(str(path.parent), "…")
        return text

    def notes(self, made: PreparedMedia) -> list[str]:
        """What preparing changed, in the reader's language."""
        return [self.scrub(str(n)) for n in made.notes]

    def upright(self, d: Delivery) -> bool | None:
        """Whether the post's clip is taller than wide (measured as the publisher does); None: unknown."""
        sized = with_video_size(d, self.settings.media.ffprobe).options
        width, height = sized.get("video_width"), sized.get("video_height")
        return int(height) > int(width) if width and height else None


__all__ = ["DISPLAY_PX", "Picture", "PreviewMedia", "display_file"]
