"""Presets: what to make for each platform and format, declared as data.

Every number a platform imposes is read from :mod:`publisher.core.media_limits`; the only
numbers here are our own choices where the platform leaves one open (the output box of a feed
photo, the size of a Zalo cover, the frame rate we settle on, the encoder speed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeVar

from assets.errors import MediaError
from publisher.core import media_limits as ml

_T = TypeVar("_T")

Fit = Literal["cover", "pad", "contain"]
Layout = Literal["vertical-blur", "fit"]

#: bump when the output of an unchanged preset changes, so cached variants are made again
PIPELINE_VERSION = 1


@dataclass(frozen=True)
class ImagePreset:
    """A still image: resized into ``width`` × ``height`` and compressed under the platform cap."""

    name: str
    platform: str
    limits: ml.ImageLimits
    width: int
    height: int
    #: cover: fill and crop around the focus point; pad: fit inside over a blurred copy;
    #: contain: fit inside, never enlarged, no padding (the output keeps the photo's shape)
    fit: Fit
    kind: Literal["image"] = "image"
    quality_start: int = 90
    quality_min: int = 40

    @property
    def max_bytes(self) -> int:
        return self.limits.max_bytes


@dataclass(frozen=True)
class VideoPreset:
    """A video: normalised to H.264/AAC MP4 (+faststart) with the platform's frame and length."""

    name: str
    platform: str
    limits: ml.VideoLimits
    #: output frame (vertical-blur) or the box the picture is fitted into (fit, never enlarged;
    #: the box turns with the clip: portrait clips get ``height`` × ``width``)
    width: int
    height: int
    layout: Layout
    kind: Literal["video"] = "video"
    #: frame rates we settle on; the source's rate is rounded to the nearest one in the limits
    frame_rates: tuple[int, ...] = (24, 25, 30, 50, 60)
    audio_rate: int = 48_000
    audio_kbps: int = 128
    crf: int = 23
    x264_preset: str = "veryfast"
    gop_seconds: float = 2.0
    #: lower resolutions to step down to when a size cap cannot be met at ``width`` × ``height``,
    #: each with the lowest video bitrate (kbit/s) still worth watching at that size
    size_ladder: tuple[tuple[int, int, int], ...] = ()

    @property
    def max_duration(self) -> float | None:
        return self.limits.max_duration

    @property
    def min_duration(self) -> float | None:
        return self.limits.min_duration

    @property
    def max_bytes(self) -> int | None:
        return self.limits.max_bytes


Preset = ImagePreset | VideoPreset


def _given(value: _T | None) -> _T:
    """A value the platform limits must declare for a preset to be built from them."""
    if value is None:
        raise ValueError("media_limits lacks a value a preset needs")
    return value


_REEL = ml.FACEBOOK_REEL
_SHORT = ml.YOUTUBE_SHORT

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        # Facebook shows feed photos at up to 2048 px on the long side; larger only costs bytes.
        ImagePreset("facebook-photo", "facebook", ml.FACEBOOK_PHOTO, 2048, 2048, "contain"),
        ImagePreset(
            "youtube-thumbnail",
            "youtube",
            ml.YOUTUBE_THUMBNAIL,
            _given(ml.YOUTUBE_THUMBNAIL.width),
            _given(ml.YOUTUBE_THUMBNAIL.height),
            "cover",
        ),
        # Zalo documents no cover size; articles show covers in 16:9, so 1280x720 it is.
        ImagePreset("zalo-cover", "zalo", ml.ZALO_COVER, 1280, 720, "cover"),
        VideoPreset(
            "facebook-reel",
            "facebook",
            _REEL,
            _given(_REEL.width),
            _given(_REEL.height),
            "vertical-blur",
            gop_seconds=_given(_REEL.gop_seconds)[0],
        ),
        VideoPreset("facebook-video", "facebook", ml.FACEBOOK_VIDEO, 1920, 1080, "fit"),
        VideoPreset("youtube-video", "youtube", ml.YOUTUBE_VIDEO, 1920, 1080, "fit"),
        VideoPreset(
            "youtube-short", "youtube", _SHORT, _given(_SHORT.width), _given(_SHORT.height), "vertical-blur"
        ),
        # Zalo plays articles' videos small; 720p keeps most clips far under the 50 MB cap.
        VideoPreset(
            "zalo-video",
            "zalo",
            ml.ZALO_VIDEO,
            1280,
            720,
            "fit",
            size_ladder=((1280, 720, 900), (854, 480, 450), (640, 360, 250)),
        ),
    )
}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise MediaError("media.unknown_preset", name=name, names=", ".join(sorted(PRESETS))) from None


def presets_for(platform: str, kind: str | None = None) -> list[Preset]:
    """The presets of one platform (``facebook``, ``youtube``, ``zalo``), optionally of one kind."""
    return [p for p in PRESETS.values() if p.platform == platform and (kind is None or p.kind == kind)]
