"""Clips made right for a platform: one ffmpeg command with a filter graph per variant.

Why not moviepy: moviepy pipes every frame through Python and numpy. Measured on this project's
2-core machines (reference/media.md §2), the same blurred vertical variant took 31.5 s with moviepy
and 7.6 s as one ffmpeg filter graph, at twice the memory, and moviepy is known to leave ffmpeg
children behind (moviepy#164, #518, #2546). Everything here -- normalising, the vertical 9:16
variant over a blurred copy, trimming, the logo, the title card (Vietnamese text drawn by Pillow
into a PNG and overlaid), the size cap -- fits a filter graph, so moviepy is not used at all.

Every ffmpeg child is reaped on success, failure, timeout and cancellation (:func:`run_ffmpeg`).
Progress comes from ``-progress pipe:1`` (``out_time_us`` against the planned duration).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assets.errors import MediaError, RenderCancelled, ToolMissing
from assets.images import logo_layer, title_card
from assets.presets import VideoPreset
from assets.probe import VideoInfo
from publisher.i18n import Msg, msg, register

register(
    {
        "video.trimmed": (
            "Cắt video từ {duration} giây còn {max} giây (giới hạn của {preset}).",
            "Trimmed the clip from {duration} s to {max} s ({preset}'s limit).",
        ),
        "video.started_at": ("Bắt đầu từ giây thứ {start}.", "Starts at second {start}."),
        "video.vertical": (
            "Đặt video {src} vào khung dọc {dst} trên nền là chính video đó làm mờ.",
            "Placed the {src} clip in a vertical {dst} frame over a blurred copy of itself.",
        ),
        "video.resized": ("Đổi khung hình {src} thành {dst}.", "Resized the frame from {src} to {dst}."),
        "video.fps": (
            "Đặt tốc độ khung hình cố định {fps} hình/giây (gốc {src}).",
            "Set a fixed frame rate of {fps} fps (source {src}).",
        ),
        "video.codec": (
            "Mã hoá lại thành H.264/AAC MP4, phát được ngay khi tải (faststart).",
            "Re-encoded as H.264/AAC MP4 that plays while downloading (faststart).",
        ),
        "video.silent": (
            "Video gốc không có tiếng: đã thêm một rãnh tiếng im lặng.",
            "The clip had no sound: a silent track was added.",
        ),
        "video.bitrate": (
            "Giới hạn tốc độ bit hình ở {kbps} kbit/s để tệp dưới {max_mb} MB.",
            "Limited the video bitrate to {kbps} kbit/s to keep the file under {max_mb} MB.",
        ),
        "video.smaller": (
            "Giảm độ phân giải xuống {dst} để tệp dưới {max_mb} MB.",
            "Lowered the resolution to {dst} to keep the file under {max_mb} MB.",
        ),
        "video.retry_smaller": (
            "Lần nén đầu vượt {max_mb} MB, đã nén lại ở {kbps} kbit/s.",
            "The first encode was over {max_mb} MB; encoded again at {kbps} kbit/s.",
        ),
        "video.logo": ("Đặt logo ở góc trên bên phải.", "Put the logo in the top-right corner."),
        "video.title": (
            "Hiện tiêu đề trong {seconds} giây đầu.",
            "Shows the title for the first {seconds} seconds.",
        ),
    }
)

Progress = Callable[[float], None]

#: mux overhead and rate-control slack kept free under a byte cap
SIZE_HEADROOM = 0.90
#: above this video bitrate a byte cap cannot bind for any sane clip; no cap is set
UNCAPPED_KBPS = 50_000


@dataclass(frozen=True)
class VideoOptions:
    """What an officer may set per clip."""

    start: float = 0.0
    title: str | None = None
    title_seconds: float = 3.0
    logo: Path | None = None
    font: Path | None = None


@dataclass
class VideoPlan:
    """What a render will do, decided from the probe before ffmpeg starts."""

    width: int
    height: int
    fps: int
    start: float
    duration: float
    has_audio: bool
    video_kbps_cap: int | None = None
    notes: list[Msg] = field(default_factory=list)
    #: fill the frame with a blurred copy (the clip's shape differs from the frame's)
    blur_fill: bool = False


def _even(x: float) -> int:
    """The nearest even size (H.264 in 4:2:0 needs even sides); never above an even ``x`` rounded."""
    return max(2, round(x / 2) * 2)


def _fit_in(w: int, h: int, box_w: int, box_h: int) -> tuple[int, int]:
    if w < h:
        box_w, box_h = box_h, box_w
    scale = min(box_w / w, box_h / h, 1.0)
    return _even(w * scale), _even(h * scale)


def _pick_fps(info: VideoInfo, preset: VideoPreset) -> int:
    lim = preset.limits
    allowed = [
        r
        for r in preset.frame_rates
        if (not lim.min_fps or r >= lim.min_fps) and (not lim.max_fps or r <= lim.max_fps)
    ]
    source = info.avg_fps or info.fps or 30.0
    return min(allowed or [30], key=lambda r: (abs(r - source), -r))


def plan_video(info: VideoInfo, preset: VideoPreset, options: VideoOptions | None = None) -> VideoPlan:
    """Decide frame, rate, length and bitrate cap; raise :class:`MediaError` for what cannot be fixed."""
    options = options or VideoOptions()
    name = info.path.name
    if options.start < 0 or (info.duration and options.start >= info.duration):
        raise MediaError("media.bad_option", detail=f"start={options.start:g}")
    available = info.duration - options.start
    notes: list[Msg] = [msg("video.codec")]
    if preset.min_duration and available < preset.min_duration - 0.05:
        raise MediaError(
            "media.too_short",
            name=name,
            duration=f"{available:.1f}",
            preset=preset.name,
            min=f"{preset.min_duration:g}",
        )
    duration = available
    if options.start:
        notes.append(msg("video.started_at", start=f"{options.start:g}"))
    if preset.max_duration and available > preset.max_duration + 0.05:
        duration = preset.max_duration
        notes.append(
            msg("video.trimmed", duration=f"{available:.1f}", max=f"{duration:g}", preset=preset.name)
        )
    fps = _pick_fps(info, preset)
    if not info.fixed_fps or abs(info.fps - fps) > 0.01:
        notes.append(msg("video.fps", fps=fps, src=f"{info.avg_fps or info.fps:.2f}"))
    blur_fill = False
    if preset.layout == "vertical-blur":
        width, height = preset.width, preset.height
        # a clip already in the frame's shape (a phone held upright) is only scaled: no blur needed
        blur_fill = abs(info.width * height - info.height * width) > 0.01 * width * height
        if blur_fill:
            notes.append(msg("video.vertical", src=f"{info.width}×{info.height}", dst=f"{width}×{height}"))
        elif (info.width, info.height) != (width, height):
            notes.append(msg("video.resized", src=f"{info.width}×{info.height}", dst=f"{width}×{height}"))
    else:
        width, height = _fit_in(info.width, info.height, preset.width, preset.height)
        if (width, height) != (info.width, info.height):
            notes.append(msg("video.resized", src=f"{info.width}×{info.height}", dst=f"{width}×{height}"))
    if not info.has_audio:
        notes.append(msg("video.silent"))
    cap: int | None = None
    if preset.max_bytes:
        max_mb = f"{preset.max_bytes / 1_000_000:g}"
        total_kbps = preset.max_bytes * 8 / 1000 / max(duration, 0.1) * SIZE_HEADROOM
        cap = int(total_kbps - preset.audio_kbps)
        if cap > UNCAPPED_KBPS:
            cap = None
        ladder = preset.size_ladder or ((preset.width, preset.height, 300),)
        for i, (lw, lh, floor) in enumerate(ladder):
            if cap is None:
                break
            if cap >= floor:
                if i > 0:
                    width, height = _fit_in(info.width, info.height, lw, lh)
                    notes.append(msg("video.smaller", dst=f"{width}×{height}", max_mb=max_mb))
                if cap < 4 * floor:
                    notes.append(msg("video.bitrate", kbps=cap, max_mb=max_mb))
                break
        else:
            raise MediaError(
                "media.too_big_to_fit",
                name=name,
                duration=f"{duration:.0f}",
                max_mb=max_mb,
                preset=preset.name,
            )
    return VideoPlan(
        width, height, fps, options.start, round(duration, 3), info.has_audio, cap, notes, blur_fill
    )


def build_command(
    src: Path,
    out: Path,
    plan: VideoPlan,
    preset: VideoPreset,
    *,
    ffmpeg: str = "ffmpeg",
    logo: tuple[Path, int, int] | None = None,
    card: tuple[Path, float] | None = None,
    threads: int = 2,
) -> list[str]:
    """The single ffmpeg command of one variant. ``logo`` is (png, x, y); ``card`` is (png, seconds)."""
    W, H, F = plan.width, plan.height, plan.fps
    args = [ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-progress", "pipe:1", "-nostats"]
    if plan.start:
        args += ["-ss", f"{plan.start:.3f}"]
    args += ["-t", f"{plan.duration:.3f}", "-i", str(src)]
    n = 1
    logo_idx = card_idx = audio_idx = None
    if logo:
        args += ["-i", str(logo[0])]
        logo_idx, n = n, n + 1
    if card:
        args += ["-i", str(card[0])]
        card_idx, n = n, n + 1
    if not plan.has_audio:
        args += [
            "-f",
            "lavfi",
            "-t",
            f"{plan.duration:.3f}",
            "-i",
            f"anullsrc=channel_layout=stereo:sample_rate={preset.audio_rate}",
        ]
        audio_idx = n
    graph: list[str] = []
    if plan.blur_fill:
        # blur at 1/8 size, then scale up: far cheaper than blurring the full frame (media.md §2)
        bw, bh = _even(W / 8), _even(H / 8)
        graph.append(f"[0:v]fps={F},split=2[bgs][fgs]")
        graph.append(
            f"[bgs]scale={bw}:{bh}:force_original_aspect_ratio=increase,crop={bw}:{bh},gblur=sigma=4,scale={W}:{H}[bg]"
        )
        graph.append(f"[fgs]scale={W}:{H}:force_original_aspect_ratio=decrease:force_divisible_by=2[fg]")
        graph.append("[bg][fg]overlay=(W-w)/2:(H-h)/2[v0]")
    else:
        # exact size: fit presets computed it from the clip's shape; upright clips fill the frame
        graph.append(f"[0:v]fps={F},scale={W}:{H}[v0]")
    last = "v0"
    if logo_idx is not None and logo:
        graph.append(f"[{last}][{logo_idx}:v]overlay={logo[1]}:{logo[2]}[v1]")
        last = "v1"
    if card_idx is not None and card:
        graph.append(f"[{last}][{card_idx}:v]overlay=0:0:enable='lt(t,{card[1]:g})'[v2]")
        last = "v2"
    graph.append(f"[{last}]setsar=1,format=yuv420p[vout]")
    if plan.has_audio:
        graph.append(f"[0:a:0]aresample={preset.audio_rate},apad[aout]")
        audio_map = "[aout]"
    else:
        audio_map = f"{audio_idx}:a"
    gop = max(1, round(F * preset.gop_seconds))
    args += ["-filter_complex", ";".join(graph), "-map", "[vout]", "-map", audio_map]
    args += [
        "-c:v", "libx264", "-preset", preset.x264_preset, "-crf", str(preset.crf),
        "-profile:v", "high", "-pix_fmt", "yuv420p",
        "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0", "-flags", "+cgop",
        "-threads", str(threads),
    ]  # fmt: skip
    if plan.video_kbps_cap:
        args += ["-maxrate:v", f"{plan.video_kbps_cap}k", "-bufsize:v", f"{plan.video_kbps_cap * 2}k"]
    args += [
        "-c:a", "aac", "-b:a", f"{preset.audio_kbps}k", "-ar", str(preset.audio_rate), "-ac", "2",
        "-t", f"{plan.duration:.3f}", "-movflags", "+faststart", "-f", "mp4", str(out),
    ]  # fmt: skip
    return args


def _dispose(proc: subprocess.Popen[bytes]) -> None:
    """Stop and reap an ffmpeg child, whatever state it is in."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout:
        proc.stdout.close()


def run_ffmpeg(
    args: list[str],
    *,
    name: str,
    preset: str,
    duration: float | None = None,
    on_progress: Progress | None = None,
    cancel: threading.Event | None = None,
    timeout: float | None = None,
) -> None:
    """Run one ffmpeg command, report progress, and never leave the child behind.

    Raises :class:`RenderCancelled` when ``cancel`` is set, :class:`MediaError` on failure or
    timeout; anything ``on_progress`` raises stops ffmpeg and propagates.
    """
    stopped: dict[str, bool] = {}
    with tempfile.TemporaryFile() as errlog:
        try:
            proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errlog)
        except FileNotFoundError:
            raise ToolMissing(args[0]) from None
        done = threading.Event()

        def watch() -> None:
            deadline = time.monotonic() + timeout if timeout else None
            while not done.wait(0.1):
                if cancel is not None and cancel.is_set():
                    stopped["cancel"] = True
                elif deadline is not None and time.monotonic() > deadline:
                    stopped["timeout"] = True
                else:
                    continue
                with contextlib.suppress(OSError):
                    proc.kill()
                return

        watcher = threading.Thread(target=watch, name="ffmpeg-watch", daemon=True)
        watcher.start()
        try:
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = raw.decode("ascii", "replace").strip()
                if on_progress is None or not duration:
                    continue
                if line.startswith("out_time_us=") or line.startswith("out_time_ms="):
                    value = line.split("=", 1)[1]
                    if value.lstrip("-").isdigit():
                        on_progress(min(max(int(value) / 1e6 / duration, 0.0), 0.999))
                elif line == "progress=end":
                    on_progress(1.0)
            proc.wait()
        finally:
            done.set()
            _dispose(proc)
            watcher.join()
        if stopped.get("cancel"):
            raise RenderCancelled(name)
        if stopped.get("timeout"):
            raise MediaError("media.render_timeout", name=name, preset=preset, seconds=f"{timeout:g}")
        if proc.returncode != 0:
            errlog.seek(0)
            tail = errlog.read()[-400:].decode("utf-8", "replace").strip().splitlines()
            detail = tail[-1] if tail else f"exit {proc.returncode}"
            raise MediaError("media.render_failed", name=name, preset=preset, detail=detail)


@dataclass
class VideoResult:
    plan: VideoPlan
    notes: list[Msg]


def render_video(
    info: VideoInfo,
    preset: VideoPreset,
    out: Path,
    options: VideoOptions | None = None,
    *,
    ffmpeg: str = "ffmpeg",
    on_progress: Progress | None = None,
    cancel: threading.Event | None = None,
    timeout: float | None = None,
    threads: int = 2,
) -> VideoResult:
    """Render ``info.path`` to ``out`` for ``preset``; ``out`` appears only when the render succeeded."""
    options = options or VideoOptions()
    plan = plan_video(info, preset, options)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="publisher-media-", dir=out.parent) as tmp:
        tmpdir = Path(tmp)
        notes = list(plan.notes)
        logo = card = None
        if options.logo:
            layer = logo_layer(options.logo, (plan.width, plan.height))
            bbox = layer.getbbox() or (0, 0, 1, 1)
            layer.crop(bbox).save(tmpdir / "logo.png")
            logo = (tmpdir / "logo.png", bbox[0], bbox[1])
            notes.append(msg("video.logo"))
        if options.title:
            seconds = min(options.title_seconds, plan.duration)
            title_card(options.title, (plan.width, plan.height), options.font).save(tmpdir / "card.png")
            card = (tmpdir / "card.png", seconds)
            notes.append(msg("video.title", seconds=f"{seconds:g}"))
        partial = tmpdir / "out.mp4"
        for attempt in range(2):
            args = build_command(
                info.path, partial, plan, preset, ffmpeg=ffmpeg, logo=logo, card=card, threads=threads
            )
            run_ffmpeg(
                args,
                name=info.path.name,
                preset=preset.name,
                duration=plan.duration,
                on_progress=on_progress,
                cancel=cancel,
                timeout=timeout,
            )
            if not preset.max_bytes or partial.stat().st_size <= preset.max_bytes or attempt == 1:
                break
            # rate control overshot the cap: once more, at 80 % of the measured rate
            measured = partial.stat().st_size * 8 / 1000 / max(plan.duration, 0.1) - preset.audio_kbps
            plan.video_kbps_cap = max(100, int(min(plan.video_kbps_cap or measured, measured) * 0.8))
            notes.append(
                msg(
                    "video.retry_smaller",
                    kbps=plan.video_kbps_cap,
                    max_mb=f"{preset.max_bytes / 1_000_000:g}",
                )
            )
        os.replace(partial, out)
    return VideoResult(plan, notes)


def extract_frame(src: Path, at: float, out: Path, *, ffmpeg: str = "ffmpeg", timeout: float = 120.0) -> None:
    """One frame of ``src`` at second ``at`` as a PNG (the start of a thumbnail)."""
    args = [
        ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
        "-ss", f"{max(at, 0.0):.3f}", "-i", str(src), "-frames:v", "1", "-f", "image2", "-c:v", "png", str(out),
    ]  # fmt: skip
    run_ffmpeg(args, name=Path(src).name, preset="thumbnail", timeout=timeout)
    if not Path(out).is_file():
        raise MediaError(
            "media.render_failed", name=Path(src).name, preset="thumbnail", detail=f"no frame at {at:g} s"
        )
