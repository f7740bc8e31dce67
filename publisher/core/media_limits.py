"""What each platform accepts as a photo or a video: pure data, one place, with sources.

Media presets (``assets/presets.py``) and the adapters' pre-publish checks both read these values;
nothing else restates the numbers. Where sources disagree (UNCERTAIN in ../shared/reference/) the
safer value is kept and the other is named in the comment.

Sizes are bytes, durations seconds, aspect ratios width / height.
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1_000_000
MiB = 1024 * 1024


@dataclass(frozen=True)
class ImageLimits:
    """A still image a platform takes (a feed photo, a thumbnail, an article cover)."""

    key: str
    platform: str
    formats: tuple[str, ...]
    max_bytes: int
    #: a tighter cap for PNG files, where the platform has one
    png_max_bytes: int | None = None
    #: the size the platform recommends (None: not documented)
    width: int | None = None
    height: int | None = None
    min_width: int | None = None
    source: str = ""


@dataclass(frozen=True)
class VideoLimits:
    """A video a platform takes."""

    key: str
    platform: str
    containers: tuple[str, ...] = ("mp4",)
    video_codecs: tuple[str, ...] = ("h264",)
    audio_codecs: tuple[str, ...] = ("aac",)
    #: required audio sample rate in Hz (None: any)
    audio_rate: int | None = None
    audio_min_kbps: int | None = None
    pix_fmts: tuple[str, ...] = ("yuv420p",)
    #: recommended frame size (None: keep the source's)
    width: int | None = None
    height: int | None = None
    min_width: int | None = None
    min_height: int | None = None
    #: allowed aspect ratio range, width / height
    min_aspect: float | None = None
    max_aspect: float | None = None
    min_duration: float | None = None
    max_duration: float | None = None
    max_bytes: int | None = None
    min_fps: float | None = None
    max_fps: float | None = None
    fixed_fps: bool = False
    #: closed GOP length range in seconds (None: not required)
    gop_seconds: tuple[float, float] | None = None
    source: str = ""


# -- Facebook Page ---------------------------------------------------------------------------

FACEBOOK_PHOTO = ImageLimits(
    key="facebook-photo",
    platform="facebook",
    formats=("jpeg", "png"),
    # Feed photos: 4 MB (Postiz maps subcode 1366046 to "Photos should be smaller than 4 MB and saved
    # as JPG, PNG"; letmepost caps at 4,000,000 bytes). Meta's Page Stories spec says 10 MB:
    # UNCERTAIN, the 4 MB cap is the safe one. PNG kept under 1 MB ("may look pixelated").
    max_bytes=4 * MB,
    png_max_bytes=1 * MB,
    source="reference/facebook.md §2 'Image limits'",
)

FACEBOOK_REEL = VideoLimits(
    key="facebook-reel",
    platform="facebook",
    video_codecs=("h264", "hevc"),
    audio_codecs=("aac",),
    audio_rate=48_000,
    audio_min_kbps=128,
    width=1080,
    height=1920,
    min_width=540,
    min_height=960,
    min_aspect=9 / 16,
    max_aspect=9 / 16,
    min_duration=3.0,
    max_duration=90.0,
    min_fps=24.0,
    max_fps=60.0,
    fixed_fps=True,
    gop_seconds=(2.0, 5.0),
    # https://developers.facebook.com/docs/video-api/guides/reels-publishing "Video specifications"
    source="reference/facebook.md §3c 'Reel video spec'",
)

FACEBOOK_VIDEO = VideoLimits(
    key="facebook-video",
    platform="facebook",
    containers=("mp4", "mov", "mkv"),
    min_aspect=9 / 16,
    max_aspect=16 / 9,
    # Resumable upload: 10 GB / 4 h (newer doc text; older said 1.75 GB / 45 min). UNCERTAIN: the
    # older, safer numbers are kept. Non-resumable uploads are limited to 1 GB / 20 min.
    max_duration=45 * 60.0,
    max_bytes=1750 * MB,
    min_duration=1.0,
    # https://developers.facebook.com/docs/graph-api/video-uploads
    source="reference/facebook.md §3a",
)

# -- YouTube --------------------------------------------------------------------------------

YOUTUBE_VIDEO = VideoLimits(
    key="youtube-video",
    platform="youtube",
    containers=("mp4", "mov", "mkv", "webm"),
    video_codecs=("h264", "hevc", "vp9", "av1"),
    audio_codecs=("aac", "opus", "mp3"),
    min_duration=1.0,
    # 12 hours is YouTube's per-upload ceiling for verified channels (YouTube Help 71673, from
    # memory); unverified channels are held to 15 minutes by YouTube itself, not by us.
    max_duration=12 * 3600.0,
    # Discovery document mediaUpload maxSize: 274877906944 (256 GiB).
    max_bytes=256 * 1024 * MiB,
    source="reference/youtube.md §2 'Media limits'",
)

YOUTUBE_SHORT = VideoLimits(
    key="youtube-short",
    platform="youtube",
    width=1080,
    height=1920,
    # "square or vertical": width / height at most 1
    max_aspect=1.0,
    min_duration=1.0,
    # up to 3 minutes for uploads on or after 15 Oct 2024
    max_duration=180.0,
    source="reference/youtube.md §3.3 Shorts (YouTube Help answer 15424877)",
)

YOUTUBE_THUMBNAIL = ImageLimits(
    key="youtube-thumbnail",
    platform="youtube",
    formats=("jpeg", "png"),
    # Older v3 docs: 2 MB; newer docs and the discovery document: 50 MB. UNCERTAIN: 2 MB is safe.
    max_bytes=2 * MiB,
    width=1280,
    height=720,
    min_width=640,
    # https://developers.google.com/youtube/v3/docs/thumbnails/set
    source="reference/youtube.md §4.1 thumbnails.set",
)

# -- Zalo Official Account ------------------------------------------------------------------

ZALO_COVER = ImageLimits(
    key="zalo-cover",
    platform="zalo",
    formats=("jpeg",),
    # Covers of about 1 MB or more fail later at verify with -200 "Upload media failed".
    max_bytes=1 * MB,
    source="reference/zalo.md §2.2 'Cover' and 'Image URLs'",
)

ZALO_IMAGE = ImageLimits(
    key="zalo-image",
    platform="zalo",
    formats=("jpeg", "png"),
    # /v2.0/oa/upload/image: 1,000,000 bytes, JPG/PNG
    max_bytes=1 * MB,
    source="reference/zalo.md §3 Uploads",
)

ZALO_VIDEO = VideoLimits(
    key="zalo-video",
    platform="zalo",
    # MP4 < 50 MB in client-side checks; one guide claims 100 MB. UNCERTAIN: 50 MB enforced.
    max_bytes=50 * MB,
    min_duration=1.0,
    source="reference/zalo.md §2.3 'Video file limits'",
)

IMAGE_LIMITS: dict[str, ImageLimits] = {
    lim.key: lim for lim in (FACEBOOK_PHOTO, YOUTUBE_THUMBNAIL, ZALO_COVER, ZALO_IMAGE)
}
VIDEO_LIMITS: dict[str, VideoLimits] = {
    lim.key: lim for lim in (FACEBOOK_REEL, FACEBOOK_VIDEO, YOUTUBE_VIDEO, YOUTUBE_SHORT, ZALO_VIDEO)
}
