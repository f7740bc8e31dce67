"""The one ffmpeg command of a photo story, and the loudness of its music.

Memory stays flat however many photos there are. The segments (title card, then each photo,
transitions included) are read from picture sequences one picture at a time, and ONE zoompan
per sequence makes them one after the other (zoom, focus and length chosen per picture by
``in``); ONE overlay per sequence lays its captions (a timed list of bands). For crossfades there
are two such lanes, even and odd segments, so the two sides of every transition come from
different lanes at the same time and nothing waits in a queue; ``trim`` cuts each lane into its
segments (references, not copies) and ``xfade`` joins them in order. Measured on 1080×1920: one
input and one zoompan per photo holds every photo's buffers to the end (~55 MB more per photo,
over 500 MB for 8 photos), and one lane with crossfades queues each transition's frames
(~6.5 MB a frame); two lanes do neither. What is left grows slowly with the photos (each ``xfade``
keeps a few frames of its own, ~15 MB); with :data:`X264_PARAMS` a 30 s story from 8 photos of 12 MP
stays under 500 MB for the whole process tree (bench/RESULTS.md, "Photo stories").
"""

from __future__ import annotations

import json
import math
import subprocess
from dataclasses import dataclass
from pathlib import Path

from assets.errors import MediaError, ToolMissing
from assets.presets import VideoPreset
from publisher.core.story import Timeline

#: the pan and zoom: from the whole photo to 1/ZOOM of it (or back), around the centre of interest
ZOOM = 1.10
#: x264 holds less in flight (a 30 s, 1080×1920 story from 8 photos, measured: 455 → 370 MB for
#: the ffmpeg process, same CPU time): threads cut into slices of each frame rather than working on
#: several frames, and a shorter look-ahead. Costs a few per cent of bitrate on slides.
X264_PARAMS = "sliced-threads=1:rc-lookahead=5"
#: the music's loudness: integrated (LUFS) and true peak (dBTP), EBU R128 as ``loudnorm`` measures it
LOUDNESS, TRUE_PEAK = -16.0, -1.5
MUSIC_FADE_IN = 0.5
MUSIC_FADE_OUT = 2.0


@dataclass(frozen=True)
class Lane:
    """Segments made one after the other from one picture sequence by one zoompan."""

    #: indexes into the timeline's shots, in order
    shots: tuple[int, ...]
    #: the lane's pictures as a ``%03d`` pattern, one per shot, all one size
    sequence: str
    #: ffconcat list of the lane's caption bands (one per shot, timed), if any photo has a caption
    captions: Path | None = None


@dataclass
class StoryPlan:
    """Everything the single ffmpeg command needs, decided before it starts."""

    frame: tuple[int, int]
    timeline: Timeline
    lanes: list[Lane]
    #: focus of every shot's picture, as fractions (the title card's is the centre)
    focus: list[tuple[float, float]]
    #: the row where the caption bands' top goes
    caption_top: int = 0
    logo: tuple[Path, int, int] | None = None
    music: Path | None = None
    #: dB that bring the music to :data:`LOUDNESS` (see :func:`music_gain`)
    music_gain: float = 0.0
    pan_zoom: bool = True
    video_kbps_cap: int | None = None


def lane_shots(tl: Timeline) -> list[tuple[int, ...]]:
    """Two lanes (even and odd segments) for crossfades, one for cuts."""
    every = tuple(range(len(tl.shots)))
    return [every[0::2], every[1::2]] if tl.fade else [every]


def lane_starts(tl: Timeline, shots: tuple[int, ...]) -> list[int]:
    """Where each of the lane's segments begins in the lane (they follow each other, whole)."""
    starts = [0]
    for k in shots[:-1]:
        starts.append(starts[-1] + tl.shots[k].frames)
    return starts


def _by_segment(values: list[str]) -> str:
    """An expression worth ``values[i]`` while zoompan works on picture ``i`` of its sequence."""
    expr = values[-1]
    for i in range(len(values) - 2, -1, -1):
        expr = f"if(eq(in,{i}),{values[i]},{expr})"
    return expr


def _zoompan(plan: StoryPlan, lane: Lane) -> str:
    tl = plan.timeline
    starts = lane_starts(tl, lane.shots)
    zooms, xs, ys, lengths = [], [], [], []
    for start, k in zip(starts, lane.shots, strict=True):
        shot = tl.shots[k]
        fx, fy = plan.focus[k]
        if shot.photo is None or not plan.pan_zoom or shot.frames < 2:
            zooms.append("1")
        else:
            step = f"{ZOOM - 1:.4f}*(on-{start})/{shot.frames - 1}"
            zooms.append(f"1+{step}" if shot.photo % 2 == 0 else f"{ZOOM:.4f}-{step}")
        xs.append(f"max(0,min(iw-iw/zoom,{fx:.4f}*iw-iw/zoom/2))")
        ys.append(f"max(0,min(ih-ih/zoom,{fy:.4f}*ih-ih/zoom/2))")
        lengths.append(str(shot.frames))
    w, h = plan.frame
    return (
        f"zoompan=z='{_by_segment(zooms)}':x='{_by_segment(xs)}':y='{_by_segment(ys)}'"
        f":d='{_by_segment(lengths)}':s={w}x{h}:fps={tl.fps}"
    )


def caption_list(tl: Timeline, shots: tuple[int, ...], bands: list[Path], out: Path) -> Path:
    """An ffconcat list showing ``bands[i]`` while the lane makes segment ``shots[i]``.

    Each band starts half a frame early, so rounding never shows it one frame late.
    """
    starts = lane_starts(tl, shots)
    end = starts[-1] + tl.shots[shots[-1]].frames
    cuts = [0.0] + [(p - 0.5) / tl.fps for p in starts[1:]] + [end / tl.fps]
    lines = ["ffconcat version 1.0"]
    for i, band in enumerate(bands):
        quoted = str(band).replace("'", "'\\''")
        lines += [f"file '{quoted}'", f"duration {cuts[i + 1] - cuts[i]:.6f}"]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def build_story_command(
    plan: StoryPlan, out: Path, preset: VideoPreset, *, ffmpeg: str = "ffmpeg", threads: int = 2
) -> list[str]:
    """The one ffmpeg command of a story."""
    tl = plan.timeline
    args = [ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-progress", "pipe:1", "-nostats"]
    for lane in plan.lanes:
        args += ["-f", "image2", "-framerate", "1", "-i", lane.sequence]
    n = len(plan.lanes)
    caption_idx: dict[int, int] = {}
    for j, lane in enumerate(plan.lanes):
        if lane.captions is not None:
            args += ["-f", "concat", "-safe", "0", "-i", str(lane.captions)]
            caption_idx[j], n = n, n + 1
    logo_idx = music_idx = None
    if plan.logo:
        args += ["-i", str(plan.logo[0])]
        logo_idx, n = n, n + 1
    if plan.music:
        args += ["-stream_loop", "-1", "-i", str(plan.music)]
        music_idx = n
    graph: list[str] = []
    segment: dict[int, str] = {}  # shot index -> label of its segment
    for j, lane in enumerate(plan.lanes):
        label = f"l{j}"
        graph.append(f"[{j}:v]{_zoompan(plan, lane)},format=yuv420p[{label}]")
        if j in caption_idx:
            graph.append(f"[{label}][{caption_idx[j]}:v]overlay=0:{plan.caption_top}:format=yuv420[m{j}]")
            label = f"m{j}"
        if not tl.fade:
            last = label
            continue
        starts = lane_starts(tl, lane.shots)
        graph.append(f"[{label}]split={len(lane.shots)}" + "".join(f"[w{k}]" for k in lane.shots))
        for start, k in zip(starts, lane.shots, strict=True):
            end = start + tl.shots[k].frames
            graph.append(f"[w{k}]trim=start_frame={start}:end_frame={end},setpts=PTS-STARTPTS[t{k}]")
            segment[k] = f"t{k}"
    if tl.fade:
        last = segment[0]
        for k, shot in enumerate(tl.shots[1:], start=1):
            graph.append(
                f"[{last}][{segment[k]}]xfade=transition=fade:duration={tl.fade_seconds:.6f}"
                f":offset={tl.seconds(shot.start):.6f}[x{k}]"
            )
            last = f"x{k}"
    if logo_idx is not None and plan.logo:
        graph.append(f"[{last}][{logo_idx}:v]overlay={plan.logo[1]}:{plan.logo[2]}[xl]")
        last = "xl"
    graph.append(f"[{last}]setsar=1,format=yuv420p[vout]")
    duration = tl.duration
    if music_idx is not None:
        fade_out = min(MUSIC_FADE_OUT, duration / 4)
        graph.append(
            # the gain measured by loudnorm beforehand (linear, like loudnorm's second pass), and a
            # true-peak limiter; loudnorm itself in the graph would hold 3 s of video back (~110 MB)
            f"[{music_idx}:a:0]atrim=end={duration:.6f},asetpts=PTS-STARTPTS,"
            f"aresample={preset.audio_rate},aformat=sample_fmts=fltp:channel_layouts=stereo,"
            f"volume={plan.music_gain:.2f}dB,alimiter=limit={10 ** (TRUE_PEAK / 20):.4f}:level=false:latency=true,"
            f"afade=t=in:d={MUSIC_FADE_IN},afade=t=out:st={duration - fade_out:.6f}:d={fade_out:.6f}[aout]"
        )
    gop = max(1, round(tl.fps * preset.gop_seconds))
    args += ["-filter_complex", ";".join(graph), "-map", "[vout]"]
    if music_idx is not None:
        args += ["-map", "[aout]"]
    args += [
        "-c:v", "libx264", "-preset", preset.x264_preset, "-crf", str(preset.crf),
        "-profile:v", "high", "-pix_fmt", "yuv420p", "-r", str(tl.fps),
        "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0", "-flags", "+cgop",
        "-threads", str(threads), "-x264-params", X264_PARAMS,
    ]  # fmt: skip
    if plan.video_kbps_cap:
        args += ["-maxrate:v", f"{plan.video_kbps_cap}k", "-bufsize:v", f"{plan.video_kbps_cap * 2}k"]
    if music_idx is not None:
        args += ["-c:a", "aac", "-b:a", f"{preset.audio_kbps}k", "-ar", str(preset.audio_rate), "-ac", "2"]
    args += ["-t", f"{duration:.6f}", "-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4", str(out)]
    return args


def music_gain(music: Path, duration: float, *, ffmpeg: str = "ffmpeg", timeout: float = 300.0) -> float:
    """dB to bring the music, as it will play (looped, cut to ``duration``), to :data:`LOUDNESS`.

    Measured by ``loudnorm`` in a quick audio-only pass; never more than keeps the true peak
    under :data:`TRUE_PEAK`. Silent music gets no gain.
    """
    args = [
        ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "info", "-stream_loop", "-1", "-i", str(music),
        "-t", f"{duration:.3f}", "-vn", "-af", f"loudnorm=I={LOUDNESS}:TP={TRUE_PEAK}:print_format=json",
        "-f", "null", "-",
    ]  # fmt: skip
    try:
        done = subprocess.run(args, capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise ToolMissing(ffmpeg) from None
    except subprocess.TimeoutExpired:
        raise MediaError(
            "media.render_timeout", name=music.name, preset="loudnorm", seconds=f"{timeout:g}"
        ) from None
    text = done.stderr.decode("utf-8", "replace")
    start, end = text.rfind("{"), text.rfind("}")
    try:
        measured = json.loads(text[start : end + 1]) if done.returncode == 0 and start >= 0 else {}
        loudness, peak = float(measured["input_i"]), float(measured["input_tp"])
    except (ValueError, KeyError):
        raise MediaError(
            "media.render_failed", name=music.name, preset="loudnorm", detail="no measurement"
        ) from None
    if not math.isfinite(loudness) or not math.isfinite(peak):
        return 0.0
    return min(LOUDNESS - loudness, TRUE_PEAK - peak)
