"""Photo stories (issue 17) against a hand-written ffmpeg command, and against moviepy, in one run.

    .venv/bin/python bench/story.py [--photos 8] [--megapixels 12] [--seconds 30] [--runs 3]
                                    [--moviepy] [--workdir DIR]
    .venv/bin/python bench/story.py --small          # 3 photos of 2 MP, 10 s, 1 run: does it work?

The story: ``--photos`` generated photos of ``--megapixels`` (gradients, shapes and sensor-like
noise, so that their JPEG sizes are those of real photos; EXIF with a GPS block), a caption on each,
a title card with the unit and the date, crossfades, pan and zoom, and a generated music file
(a chord over pink noise), ``--seconds`` long, for the ``facebook-reel`` preset (1080×1920).

1. Ours: ``assets.story.render_story`` in a child process (Python start-up excluded from the
   in-call time, reported both ways): Pillow opens every photo, crops it around its centre of
   interest and writes a metadata-free frame, draws the title card and captions, runs ONE ffmpeg
   filter graph, hashes the inputs for the cache and validates the result with ffprobe. The
   child then checks the output against the Reels and the Shorts presets.
2. Baseline: a hand-written single ffmpeg command producing the same frames from the original
   JPEGs (scale + crop, the same zoompan, the same xfade timeline, captions and title with
   ``drawtext``, the same music chain) -- what one would type without our code.
3. ``--moviepy``: the same story composed with moviepy 2.x (the Pillow-prepared frames, title card
   and captions, Ken Burns by a per-frame crop + resize, ``CrossFadeIn``, ``CompositeVideoClip``,
   looped, faded, peak-normalised music), written by moviepy's ffmpeg writer with the same x264
   settings. Measured once (it is slow).

Peak memory is the whole process tree (Python + every ffmpeg/ffprobe child), sampled every 20 ms;
wall and CPU-seconds as in bench/media.py. Runs are interleaved, so load hits both sides alike.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from media import measure  # noqa: E402  (bench/media.py: wall, peak RSS of the tree, CPU-s)

PY = sys.executable
CAPTIONS = [
    "Đoàn rước khai mạc lễ hội Hoa Ban",
    "Các bản trình diễn trang phục truyền thống",
    "Thi giã bánh dày của thanh niên các bản",
    "Bà con đến dự đông vui",
    "Hội thi kéo co giữa các thôn",
    "Múa xòe Thái đoàn kết",
    "Trao giải cho các đội đạt thành tích cao",
    "Bế mạc lễ hội, hẹn gặp lại năm sau",
]


# -- inputs --------------------------------------------------------------------------------------


def make_photo(path: Path, size: tuple[int, int], seed: int) -> Path:
    """A camera-like JPEG: sky and ground gradients, shapes, sensor noise, EXIF with a GPS block."""
    if path.exists():
        return path
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    w, h = size
    sky = Image.linear_gradient("L").resize((w, h // 2))
    ground = Image.linear_gradient("L").transpose(Image.Transpose.FLIP_TOP_BOTTOM).resize((w, h - h // 2))
    base = Image.new("RGB", size)
    base.paste(Image.merge("RGB", (sky.point(lambda v: 60 + v // 3), sky.point(lambda v: 110 + v // 3), sky.point(lambda v: 200 + v // 6))), (0, 0))  # fmt: skip
    base.paste(Image.merge("RGB", (ground.point(lambda v: 40 + v // 3), ground.point(lambda v: 90 + v // 2), ground.point(lambda v: 30 + v // 4))), (0, h // 2))  # fmt: skip
    draw = ImageDraw.Draw(base)
    for _ in range(60):
        x, y = rng.randrange(w), rng.randrange(h // 3, h)
        r = rng.randrange(w // 60, w // 10)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        if rng.random() < 0.5:
            draw.ellipse((x - r, y - 2 * r, x + r, y + 2 * r), fill=colour)
        else:
            draw.rectangle((x - r, y - r, x + r, y + r // 2), fill=colour)
    base = base.filter(ImageFilter.GaussianBlur(1.5))
    noise = Image.effect_noise(size, 40).convert("RGB")
    photo = Image.blend(base, noise, 0.12)
    exif = Image.Exif()
    exif[0x010F] = "Bench"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (21.0, 1.0, 30.0), "E", (105.0, 51.0, 12.0)
    photo.save(path, "JPEG", quality=92, exif=exif)
    return path


def make_music(path: Path, seconds: int) -> Path:
    if not path.exists():
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y",
             "-f", "lavfi", "-i", f"sine=frequency=220:duration={seconds}",
             "-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}",
             "-f", "lavfi", "-i", f"anoisesrc=color=pink:amplitude=0.05:duration={seconds}",
             "-filter_complex", "amix=inputs=3,volume=0.5", "-ac", "2", "-ar", "44100",
             "-c:a", "libmp3lame", "-b:a", "192k", str(path)],
            check=True,
        )  # fmt: skip
    return path


def make_inputs(work: Path, photos: int, megapixels: float, seconds: float) -> dict[str, Any]:
    w = int((megapixels * 1e6 * 4 / 3) ** 0.5) // 8 * 8
    h = w * 3 // 4
    files = [str(make_photo(work / f"photo-{w}x{h}-{i}.jpg", (w, h), i)) for i in range(photos)]
    music = str(make_music(work / "music.mp3", int(seconds) + 10))
    title_seconds = 3.0
    return {
        "photos": files,
        "captions": [CAPTIONS[i % len(CAPTIONS)] for i in range(photos)],
        "music": music,
        "title": "Lễ hội Hoa Ban xã Hạnh Dịch 2026",
        "unit": "UBND xã Hạnh Dịch",
        "date": "2026-03-20",
        "title_seconds": title_seconds,
        "seconds": (seconds - title_seconds) / photos,
        "size": [w, h],
    }


def story_from(spec: dict[str, Any]) -> Any:
    import datetime as dt

    from publisher.core.story import Story, StoryPhoto

    return Story(
        photos=tuple(StoryPhoto(Path(p), c) for p, c in zip(spec["photos"], spec["captions"], strict=True)),
        title=spec["title"],
        seconds=spec["seconds"],
        music=Path(spec["music"]),
        unit=spec["unit"],
        date=dt.date.fromisoformat(spec["date"]),
        title_seconds=spec["title_seconds"],
    )


# -- the hand-written command ---------------------------------------------------------------------


def baseline_command(spec: dict[str, Any], out: Path, work: Path) -> list[str]:
    """One ffmpeg command, written by hand, making the same frames from the original JPEGs."""
    from assets.images import FONT_BOLD, FONT_REGULAR
    from assets.story import HEADROOM, LOUDNESS, TRUE_PEAK, X264_PARAMS, ZOOM
    from publisher.core.story import timeline

    story = story_from(spec)
    tl = timeline(story)
    W, H, F = 1080, 1920, tl.fps
    bw, bh = round(W * HEADROOM / 2) * 2, round(H * HEADROOM / 2) * 2
    fade, D = tl.fade_seconds, tl.duration
    texts = {"unit": spec["unit"].upper(), "title": spec["title"], "date": "20/03/2026"}
    for i, caption in enumerate(spec["captions"]):
        texts[f"c{i}"] = caption
    for key, value in texts.items():
        (work / f"{key}.txt").write_text(value, encoding="utf-8")

    def drawtext(key: str, font: Path, size: int, y: str, box: bool = False) -> str:
        band = ":box=1:boxcolor=black@0.65:boxborderw=27" if box else ""
        return (
            f"drawtext=fontfile={font}:textfile={work / (key + '.txt')}:fontsize={size}:fontcolor=white"
            f":x=(w-text_w)/2:y={y}{band}"
        )

    args = ["ffmpeg", "-v", "error", "-y"]
    for p in spec["photos"]:
        args += ["-i", p]
    n = len(spec["photos"])
    args += ["-stream_loop", "-1", "-i", spec["music"]]
    g: list[str] = ["[0:v]split=2[t0][i0]"]
    card = (
        f"[t0]scale=90:160:force_original_aspect_ratio=increase,crop=90:160,gblur=sigma=2,scale={W}:{H},"
        f"eq=brightness=-0.15,drawbox=y=700:h=520:color=black@0.65:t=fill,"
        f"{drawtext('unit', FONT_REGULAR, 49, '760')},{drawtext('title', FONT_BOLD, 92, '850')},"
        f"{drawtext('date', FONT_REGULAR, 49, '1100')},format=yuv444p,"
        f"zoompan=z=1:d={tl.shots[0].frames}:s={W}x{H}:fps={F},format=yuv420p[s0]"
    )
    g.append(card)
    for i in range(n):
        shot = tl.shots[i + 1]
        src = "[i0]" if i == 0 else f"[{i}:v]"
        step = f"{ZOOM - 1:.4f}*on/{shot.frames - 1}"
        z = f"1+{step}" if i % 2 == 0 else f"{ZOOM:.4f}-{step}"
        g.append(
            f"{src}scale={bw}:{bh}:force_original_aspect_ratio=increase,crop={bw}:{bh},format=yuv444p,"
            f"zoompan=z='{z}':x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2':d={shot.frames}:s={W}x{H}:fps={F},"
            f"format=yuv420p,{drawtext(f'c{i}', FONT_BOLD, 59, '1498-text_h', box=True)}[s{i + 1}]"
        )
    last = "s0"
    for k in range(1, n + 1):
        g.append(
            f"[{last}][s{k}]xfade=transition=fade:duration={fade:.6f}:offset={tl.seconds(tl.shots[k].start):.6f}[x{k}]"
        )
        last = f"x{k}"
    g.append(f"[{last}]setsar=1,format=yuv420p[v]")
    g.append(
        f"[{n}:a:0]atrim=end={D + 0.5:.6f},asetpts=PTS-STARTPTS,loudnorm=I={LOUDNESS}:TP={TRUE_PEAK}:LRA=11,"
        f"aresample=48000,"
        f"aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=end={D:.6f},afade=t=in:d=0.5,"
        f"afade=t=out:st={D - 2:.6f}:d=2[a]"
    )
    gop = 2 * F
    args += ["-filter_complex", ";".join(g), "-map", "[v]", "-map", "[a]"]
    args += [
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-profile:v", "high", "-pix_fmt", "yuv420p",
        "-r", str(F), "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0", "-flags", "+cgop",
        "-threads", "2", "-x264-params", X264_PARAMS, "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2",
        "-t", f"{D:.6f}", "-movflags", "+faststart", "-f", "mp4", str(out),
    ]  # fmt: skip
    return args


# -- children -----------------------------------------------------------------------------------


def child_ours(spec: dict[str, Any], work: Path) -> None:
    from assets.presets import PRESETS
    from assets.probe import validate_video
    from assets.story import render_story

    story = story_from(spec)
    t0 = time.perf_counter()
    result = render_story(story, "facebook-reel", work / "cache")  # validated against the Reel preset
    inner = time.perf_counter() - t0
    valid = {}
    for name in ("facebook-reel", "youtube-short"):
        try:
            validate_video(result.path, PRESETS[name])  # type: ignore[arg-type]
            valid[name] = "valid"
        except Exception as exc:  # reported, not hidden
            valid[name] = str(exc)
    print(json.dumps({"time": inner, "duration": result.duration, "bytes": result.bytes, "valid": valid}))


def child_moviepy(spec: dict[str, Any], work: Path) -> None:
    os.environ.setdefault("FFMPEG_BINARY", "auto-detect")  # the same system ffmpeg as the others
    import numpy as np
    from moviepy import AudioFileClip, CompositeVideoClip, ImageClip, afx, vfx
    from PIL import Image

    from assets.story import Fonts, caption_band, prepare_photo, title_background, title_layer
    from publisher.core.story import timeline
    from publisher.settings import MediaSettings

    story = story_from(spec)
    tl = timeline(story)
    W, H = 1080, 1920
    fonts = Fonts.of(MediaSettings())
    t0 = time.perf_counter()
    frames = [prepare_photo(p.file, (W, H), work / f"mp-{i}.jpg") for i, p in enumerate(story.photos)]
    card = Image.alpha_composite(
        title_background(frames[0].path, (W, H)).convert("RGBA"), title_layer(story, (W, H), fonts)
    )
    clips = [
        ImageClip(np.array(card.convert("RGB"))).with_duration(tl.seconds(tl.shots[0].frames)).with_start(0)
    ]
    for i, photo in enumerate(frames):
        shot = tl.shots[i + 1]
        length = tl.seconds(shot.frames)
        src = Image.open(photo.path)
        src.load()
        fx, fy = photo.focus

        def ken_burns(get_frame: Any, t: float, src: Image.Image = src, i: int = i, length: float = length,
                      fx: float = fx, fy: float = fy) -> Any:  # fmt: skip
            p = min(max(t / length, 0.0), 1.0)
            zoom = 1 + (ZOOM_MP - 1) * (p if i % 2 == 0 else 1 - p)
            cw, ch = src.width / zoom, src.height / zoom
            x = min(max(fx * src.width - cw / 2, 0), src.width - cw)
            y = min(max(fy * src.height - ch / 2, 0), src.height - ch)
            return np.asarray(src.resize((W, H), Image.Resampling.BICUBIC, box=(x, y, x + cw, y + ch)))

        base = ImageClip(np.zeros((H, W, 3), dtype=np.uint8)).with_duration(length).transform(ken_burns)
        layers = [base]
        band, top = caption_band(story.photos[i].caption or "", (W, H), fonts)
        rgba = np.array(band)
        cap = ImageClip(rgba[:, :, :3]).with_mask(ImageClip(rgba[:, :, 3] / 255.0, is_mask=True))
        layers.append(cap.with_duration(length).with_position((0, top)))
        shot_clip = CompositeVideoClip(layers, size=(W, H), use_bgclip=True)
        shot_clip = shot_clip.with_effects([vfx.CrossFadeIn(tl.fade_seconds)])
        clips.append(shot_clip.with_start(tl.seconds(shot.start)))
    video = CompositeVideoClip(clips, size=(W, H), bg_color=(0, 0, 0)).with_duration(tl.duration)
    music = AudioFileClip(str(story.music))
    audio = music.with_effects([afx.AudioLoop(duration=tl.duration)]).with_effects(
        [afx.AudioNormalize(), afx.AudioFadeIn(0.5), afx.AudioFadeOut(2.0)]
    )
    out = work / "moviepy.mp4"
    video.with_audio(audio).write_videofile(
        str(out), fps=tl.fps, codec="libx264", preset="veryfast", threads=2, audio_codec="aac",
        audio_bitrate="128k", audio_fps=48000, temp_audiofile_path=str(work), logger=None,
        ffmpeg_params=["-crf", "23", "-g", str(2 * tl.fps), "-keyint_min", str(2 * tl.fps), "-sc_threshold", "0",
                       "-flags", "+cgop", "-movflags", "+faststart"],
    )  # fmt: skip
    video.close()
    music.close()
    inner = time.perf_counter() - t0
    from assets.presets import PRESETS
    from assets.probe import validate_video

    valid = {}
    for name in ("facebook-reel", "youtube-short"):
        try:
            validate_video(out, PRESETS[name])  # type: ignore[arg-type]
            valid[name] = "valid"
        except Exception as exc:
            valid[name] = str(exc)
    print(json.dumps({"time": inner, "valid": valid}))


ZOOM_MP = 1.10  # the same zoom as assets.story.ZOOM, without importing it before the timing starts


# -- main ---------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=8)
    ap.add_argument("--megapixels", type=float, default=12.0)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--moviepy", action="store_true", help="also render the story with moviepy 2.x (slow)")
    ap.add_argument("--small", action="store_true", help="3 photos of 2 MP, 10 s, 1 run")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "publisher-bench-story")
    ap.add_argument("--child", nargs=3, metavar=("TASK", "SPEC", "WORK"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        task, spec_file, child_work = args.child
        spec = json.loads(Path(spec_file).read_text(encoding="utf-8"))
        {"ours": child_ours, "moviepy": child_moviepy}[task](spec, Path(child_work))
        return
    if args.small:
        args.photos, args.megapixels, args.seconds, args.runs = 3, 2.0, 10.0, 1

    work: Path = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.splitlines()[0]
    print(
        f"# {version}; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}; "
        f"load average at start {', '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    spec = make_inputs(work, args.photos, args.megapixels, args.seconds)
    spec_file = work / "spec.json"
    spec_file.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    sizes = [Path(p).stat().st_size / 1e6 for p in spec["photos"]]
    print(
        f"inputs: {args.photos} photos {spec['size'][0]}×{spec['size'][1]} "
        f"(JPEG {min(sizes):.1f}–{max(sizes):.1f} MB), captions, music; story {args.seconds:g} s "
        f"({spec['title_seconds']:g} s title + {args.photos} × {spec['seconds']:.3f} s), facebook-reel 1080×1920"
    )

    def ours(tag: str) -> tuple[float, float, float, float, dict[str, Any]]:
        run_dir = Path(tempfile.mkdtemp(prefix=f"ours-{tag}-", dir=work))
        wall, rss, out, cpu = measure([PY, __file__, "--child", "ours", str(spec_file), str(run_dir)])
        data = json.loads(out)
        return data["time"], wall, rss, cpu, data

    def baseline(tag: str) -> tuple[float, float, float]:
        run_dir = Path(tempfile.mkdtemp(prefix=f"base-{tag}-", dir=work))
        wall, rss, _, cpu = measure(baseline_command(spec, run_dir / "baseline.mp4", run_dir))
        return wall, rss, cpu

    o_t: list[float] = []
    o_wall: list[float] = []
    o_rss: list[float] = []
    o_cpu: list[float] = []
    b_t: list[float] = []
    b_rss: list[float] = []
    b_cpu: list[float] = []
    valid: dict[str, Any] = {}
    for i in range(args.runs):
        bw, brss, bcpu = baseline(str(i))
        oi, ow, orss, ocpu, data = ours(str(i))
        valid = data["valid"]
        b_t.append(bw)
        b_rss.append(brss)
        b_cpu.append(bcpu)
        o_t.append(oi)
        o_wall.append(ow)
        o_rss.append(orss)
        o_cpu.append(ocpu)
        print(
            f"  run {i + 1}: hand-written ffmpeg {bw:.2f} s, {bcpu:.1f} CPU-s, {brss:.0f} MiB; "
            f"ours {oi:.2f} s in-call ({ow:.2f} s with Python start-up), {ocpu:.1f} CPU-s, {orss:.0f} MiB "
            f"(load {os.getloadavg()[0]:.2f})"
        )
    med = statistics.median
    print(
        f"story {args.seconds:g} s from {args.photos} × {args.megapixels:g} MP, median of {args.runs}: "
        f"hand-written ffmpeg {med(b_t):.2f} s, ours {med(o_t):.2f} s -> ratio {med(o_t) / med(b_t):.2f} "
        f"({med(o_wall) / med(b_t):.2f} with Python start-up; target <= 1.5); CPU-seconds {med(b_cpu):.1f} vs "
        f"{med(o_cpu):.1f} -> {med(o_cpu) / med(b_cpu):.2f}"
    )
    print(
        f"peak memory, whole process tree: ours {max(o_rss):.0f} MiB ({max(o_rss) * 2**20 / 1e6:.0f} MB; "
        f"target <= 500 MB), hand-written ffmpeg {max(b_rss):.0f} MiB"
    )
    print(f"output: facebook-reel {valid.get('facebook-reel')}, youtube-short {valid.get('youtube-short')}")
    if args.moviepy:
        run_dir = Path(tempfile.mkdtemp(prefix="moviepy-", dir=work))
        wall, rss, out, cpu = measure([PY, __file__, "--child", "moviepy", str(spec_file), str(run_dir)])
        data = json.loads(out.strip().splitlines()[-1])
        print(
            f"moviepy 2.x: {data['time']:.2f} s in-call ({wall:.2f} s with start-up), {cpu:.1f} CPU-s, "
            f"{rss:.0f} MiB peak -> {data['time'] / med(b_t):.2f} × the hand-written command, "
            f"{data['time'] / med(o_t):.2f} × ours; output: {data['valid']}"
        )
    print(f"# load average at end {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
