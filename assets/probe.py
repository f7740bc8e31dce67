"""What a media file is (ffprobe for video, Pillow for images) and whether it meets a preset.

``probe_video`` turns an undecodable file or one without a picture into a clear :class:`MediaError`.
``validate_video`` / ``validate_image`` check a *result* against its preset before it is handed to
an adapter: codec, frame size, frame rate, duration, audio rate, bytes.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from PIL import Image, UnidentifiedImageError

from assets.errors import MediaError, ToolMissing
from assets.presets import ImagePreset, VideoPreset
from publisher.core.limits import Problem
from publisher.i18n import msg, register

register(
    {
        "probe.codec": (
            "Mã hoá hình là {value}, cần {expected}.",
            "Video codec is {value}; {expected} needed.",
        ),
        "probe.audio_codec": (
            "Mã hoá tiếng là {value}, cần {expected}.",
            "Audio codec is {value}; {expected} needed.",
        ),
        "probe.audio_rate": (
            "Tần số lấy mẫu âm thanh {value} Hz, cần {expected} Hz.",
            "Audio sample rate is {value} Hz; {expected} Hz needed.",
        ),
        "probe.no_audio": ("Video không có tiếng.", "The video has no sound track."),
        "probe.size": ("Khung hình {value}, cần {expected}.", "Frame is {value}; {expected} needed."),
        "probe.small": (
            "Khung hình {value} nhỏ hơn mức tối thiểu {expected}.",
            "Frame {value} is below the minimum {expected}.",
        ),
        "probe.aspect": (
            "Tỉ lệ khung hình {value} nằm ngoài khoảng cho phép {expected}.",
            "Aspect ratio {value} is outside the allowed range {expected}.",
        ),
        "probe.fps": (
            "Tốc độ khung hình {value}, cần {expected}.",
            "Frame rate is {value}; {expected} needed.",
        ),
        "probe.vfr": ("Tốc độ khung hình không cố định.", "The frame rate is not fixed."),
        "probe.pix_fmt": (
            "Định dạng điểm ảnh {value}, cần {expected}.",
            "Pixel format is {value}; {expected} needed.",
        ),
        "probe.short": (
            "Dài {value} giây, cần ít nhất {expected} giây.",
            "{value} s long; at least {expected} s needed.",
        ),
        "probe.long": (
            "Dài {value} giây, tối đa {expected} giây.",
            "{value} s long; at most {expected} s allowed.",
        ),
        "probe.bytes": (
            "Tệp nặng {value}, tối đa {expected}.",
            "File is {value}; at most {expected} allowed.",
        ),
        "probe.container": (
            "Định dạng tệp {value}, cần {expected}.",
            "Container is {value}; {expected} needed.",
        ),
        "probe.faststart": (
            "Chỉ mục (moov) nằm cuối tệp, không phát ngay được khi tải.",
            "The index (moov) is at the end; playback cannot start while downloading.",
        ),
        "probe.image_format": ("Ảnh dạng {value}, cần {expected}.", "Image is {value}; {expected} needed."),
        "probe.gps": (
            "Ảnh còn vị trí GPS (lộ vị trí chụp).",
            "The photo still carries a GPS position (reveals where it was taken).",
        ),
        "probe.exif": ("Ảnh còn siêu dữ liệu EXIF.", "The photo still carries EXIF metadata."),
        "probe.orientation": (
            "Ảnh được xoay bằng thẻ EXIF (hướng {value}).",
            "The photo is rotated by an EXIF tag (orientation {value}).",
        ),
    }
)

Severity = Literal["block", "warn"]

GPS_IFD = 0x8825
ORIENTATION = 0x0112


@dataclass(frozen=True)
class VideoInfo:
    """One video file as ffprobe sees it; ``width``/``height`` are as displayed (rotation applied)."""

    path: Path
    container: str
    duration: float
    bytes: int
    codec: str
    width: int
    height: int
    pix_fmt: str
    fps: float
    avg_fps: float
    rotation: int = 0
    audio_codec: str | None = None
    audio_rate: int | None = None
    audio_channels: int | None = None
    faststart: bool | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    @property
    def fixed_fps(self) -> bool:
        return self.fps > 0 and abs(self.fps - self.avg_fps) <= 0.01 * self.fps


@dataclass(frozen=True)
class ImageInfo:
    path: Path
    format: str
    width: int
    height: int
    bytes: int
    orientation: int
    has_exif: bool
    has_gps: bool

    @property
    def display_size(self) -> tuple[int, int]:
        if self.orientation in (5, 6, 7, 8):
            return self.height, self.width
        return self.width, self.height


def _name(path: Path) -> str:
    return path.name


def is_image(path: Path) -> bool:
    """True when Pillow recognises the file as a still image (a JPEG is never taken for a video)."""
    try:
        with Image.open(path) as im:
            return not getattr(im, "is_animated", False)
    except (UnidentifiedImageError, OSError, ValueError):
        return False


def probe_image(path: Path) -> ImageInfo:
    path = Path(path)
    if not path.is_file():
        raise MediaError("media.not_found", name=_name(path))
    try:
        with Image.open(path) as im:
            exif = im.getexif()
            orientation = int(exif.get(ORIENTATION, 1) or 1)
            has_gps = bool(exif.get_ifd(GPS_IFD)) or GPS_IFD in exif
            return ImageInfo(
                path=path,
                format=(im.format or "").lower(),
                width=im.width,
                height=im.height,
                bytes=path.stat().st_size,
                orientation=orientation,
                has_exif=len(exif) > 0,
                has_gps=has_gps,
            )
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise MediaError("media.unreadable", name=_name(path)) from None


def _ratio(text: str | None) -> float:
    if not text or text in ("0/0", "N/A"):
        return 0.0
    try:
        return float(Fraction(text))
    except (ValueError, ZeroDivisionError):
        return 0.0


def _rotation(stream: dict[str, Any]) -> int:
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            try:
                return int(float(side["rotation"])) % 360
            except (TypeError, ValueError):
                return 0
    try:
        return int(float((stream.get("tags") or {}).get("rotate", 0))) % 360
    except (TypeError, ValueError):
        return 0


def run_ffprobe(path: Path, ffprobe: str = "ffprobe", timeout: float = 60.0) -> dict[str, Any]:
    args = [ffprobe, "-v", "error", "-show_format", "-show_streams", "-print_format", "json", str(path)]
    try:
        done = subprocess.run(args, capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise ToolMissing(ffprobe) from None
    except subprocess.TimeoutExpired:
        raise MediaError("media.unreadable", name=_name(path)) from None
    if done.returncode != 0:
        raise MediaError("media.unreadable", name=_name(path))
    try:
        data: dict[str, Any] = json.loads(done.stdout or b"{}")
    except json.JSONDecodeError:
        raise MediaError("media.unreadable", name=_name(path)) from None
    return data


def _moov_first(path: Path) -> bool | None:
    """True when the MP4 index comes before the media data (``+faststart``); None if not an MP4."""
    try:
        with open(path, "rb") as fh:
            offset = 0
            size_total = path.stat().st_size
            while offset < size_total:
                fh.seek(offset)
                head = fh.read(16)
                if len(head) < 8:
                    return None
                size = int.from_bytes(head[:4], "big")
                kind = head[4:8]
                if size == 1 and len(head) >= 16:
                    size = int.from_bytes(head[8:16], "big")
                elif size == 0:
                    size = size_total - offset
                if kind == b"moov":
                    return True
                if kind == b"mdat":
                    return False
                if size < 8:
                    return None
                offset += size
    except OSError:
        return None
    return None


def probe_video(path: Path, ffprobe: str = "ffprobe") -> VideoInfo:
    """Probe a clip; an undecodable file or one with no picture raises :class:`MediaError`."""
    path = Path(path)
    if not path.is_file():
        raise MediaError("media.not_found", name=_name(path))
    data = run_ffprobe(path, ffprobe)
    streams = data.get("streams") or []
    fmt = data.get("format") or {}
    video = next(
        (
            s
            for s in streams
            if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
        ),
        None,
    )
    if video is None:
        raise MediaError("media.no_video_stream", name=_name(path))
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if width <= 0 or height <= 0:
        raise MediaError("media.unreadable", name=_name(path))
    rotation = _rotation(video)
    if rotation in (90, 270):
        width, height = height, width
    duration = _ratio(str(fmt.get("duration") or video.get("duration") or "0"))
    container = str(fmt.get("format_name") or "")
    return VideoInfo(
        path=path,
        container=container,
        duration=duration,
        bytes=int(fmt.get("size") or path.stat().st_size),
        codec=str(video.get("codec_name") or ""),
        width=width,
        height=height,
        pix_fmt=str(video.get("pix_fmt") or ""),
        fps=_ratio(video.get("r_frame_rate")),
        avg_fps=_ratio(video.get("avg_frame_rate")),
        rotation=rotation,
        audio_codec=str(audio.get("codec_name")) if audio else None,
        audio_rate=int(audio.get("sample_rate") or 0) if audio else None,
        audio_channels=int(audio.get("channels") or 0) if audio else None,
        faststart=_moov_first(path) if "mp4" in container else None,
        raw=data,
    )


def _aspect_text(ratio: float) -> str:
    """16:9, 9:16, 1:1 ... for ratios near a small fraction, else the decimal."""
    frac = Fraction(ratio).limit_denominator(20)
    if abs(float(frac) - ratio) < 0.01:
        return f"{frac.numerator}:{frac.denominator}"
    return f"{ratio:.2f}"


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def _p(field_: str, code: str, value: Any, expected: Any, severity: Severity = "block") -> Problem:
    return Problem(field_, msg(f"probe.{code}", value=value, expected=expected), severity, code=code)


def video_problems(info: VideoInfo, preset: VideoPreset, *, as_result: bool) -> list[Problem]:
    """What does not meet the preset. With ``as_result=False`` (checking an input) everything a
    render would change is reported as a warning, and only what it cannot fix blocks."""
    lim = preset.limits
    sev: Severity = "block" if as_result else "warn"
    out: list[Problem] = []
    if info.codec not in lim.video_codecs:
        out.append(_p("video", "codec", info.codec, "/".join(lim.video_codecs), sev))
    if info.pix_fmt not in lim.pix_fmts:
        out.append(_p("video", "pix_fmt", info.pix_fmt, "/".join(lim.pix_fmts), sev))
    if as_result and "mp4" not in info.container:
        out.append(_p("video", "container", info.container, "mp4", sev))
    if as_result and info.faststart is False:
        out.append(_p("video", "faststart", "", "", sev))
    if not info.has_audio:
        if as_result or lim.audio_rate:
            out.append(Problem("audio", msg("probe.no_audio"), sev, code="no_audio"))
    else:
        if info.audio_codec not in lim.audio_codecs:
            out.append(_p("audio", "audio_codec", info.audio_codec, "/".join(lim.audio_codecs), sev))
        if lim.audio_rate and info.audio_rate != lim.audio_rate:
            out.append(_p("audio", "audio_rate", info.audio_rate, lim.audio_rate, sev))
    size = f"{info.width}×{info.height}"
    if preset.layout == "vertical-blur" and (info.width, info.height) != (preset.width, preset.height):
        out.append(_p("video", "size", size, f"{preset.width}×{preset.height}", sev))
    elif preset.layout == "fit":
        box_w, box_h = (
            (preset.width, preset.height) if info.width >= info.height else (preset.height, preset.width)
        )
        if info.width > box_w or info.height > box_h:
            out.append(_p("video", "size", size, f"≤ {box_w}×{box_h}", sev))
    if lim.min_width and lim.min_height and (info.width < lim.min_width or info.height < lim.min_height):
        out.append(_p("video", "small", size, f"{lim.min_width}×{lim.min_height}", sev))
    aspect = info.width / info.height
    if (lim.min_aspect and aspect < lim.min_aspect - 0.01) or (
        lim.max_aspect and aspect > lim.max_aspect + 0.01
    ):
        lo = _aspect_text(lim.min_aspect) if lim.min_aspect else "…"
        hi = _aspect_text(lim.max_aspect) if lim.max_aspect else "…"
        out.append(_p("video", "aspect", _aspect_text(aspect), lo if lo == hi else f"{lo} – {hi}", sev))
    if lim.min_fps and info.fps < lim.min_fps - 0.01 or lim.max_fps and info.fps > lim.max_fps + 0.01:
        out.append(_p("video", "fps", f"{info.fps:.2f}", f"{lim.min_fps:g}–{lim.max_fps:g}", sev))
    if lim.fixed_fps and not info.fixed_fps:
        out.append(Problem("video", msg("probe.vfr"), sev, code="vfr"))
    tolerance = 0.05
    if lim.min_duration and info.duration < lim.min_duration - tolerance:
        # a render cannot make a clip longer
        out.append(_p("duration", "short", f"{info.duration:.1f}", f"{lim.min_duration:g}", "block"))
    if lim.max_duration and info.duration > lim.max_duration + tolerance:
        out.append(_p("duration", "long", f"{info.duration:.1f}", f"{lim.max_duration:g}", sev))
    if lim.max_bytes and info.bytes > lim.max_bytes:
        out.append(_p("file", "bytes", _mb(info.bytes), _mb(lim.max_bytes), sev))
    return out


def image_problems(info: ImageInfo, preset: ImagePreset, *, as_result: bool) -> list[Problem]:
    lim = preset.limits
    sev: Severity = "block" if as_result else "warn"
    out: list[Problem] = []
    if info.format not in lim.formats or (as_result and info.format != "jpeg"):
        out.append(_p("image", "image_format", info.format, "/".join(lim.formats), sev))
    cap = lim.max_bytes
    if info.format == "png" and lim.png_max_bytes:
        cap = min(cap, lim.png_max_bytes)
    if info.bytes > cap:
        out.append(_p("file", "bytes", _mb(info.bytes), _mb(cap), sev))
    w, h = info.display_size
    if preset.fit == "contain":
        if w > preset.width or h > preset.height:
            out.append(_p("image", "size", f"{w}×{h}", f"≤ {preset.width}×{preset.height}", sev))
    elif (w, h) != (preset.width, preset.height):
        out.append(_p("image", "size", f"{w}×{h}", f"{preset.width}×{preset.height}", sev))
    if info.has_gps:
        out.append(Problem("image", msg("probe.gps"), sev, code="gps"))
    elif info.has_exif:
        out.append(Problem("image", msg("probe.exif"), sev, code="exif"))
    if info.orientation != 1:
        out.append(_p("image", "orientation", info.orientation, 1, sev))
    return out


def validate_video(path: Path, preset: VideoPreset, ffprobe: str = "ffprobe") -> VideoInfo:
    """Probe a rendered clip and raise if it does not meet the preset."""
    info = probe_video(path, ffprobe)
    problems = video_problems(info, preset, as_result=True)
    if problems:
        raise MediaError(
            "media.result_invalid", preset=preset.name, problems="; ".join(str(p.message) for p in problems)
        )
    return info


def validate_image(path: Path, preset: ImagePreset) -> ImageInfo:
    info = probe_image(path)
    problems = image_problems(info, preset, as_result=True)
    if problems:
        raise MediaError(
            "media.result_invalid", preset=preset.name, problems="; ".join(str(p.message) for p in problems)
        )
    return info
