"""Media preparation against the plain tools, on the same generated inputs, in one run.

    .venv/bin/python bench/media.py [--seconds 20] [--memory-seconds 60] [--runs 3] [--workdir DIR]

1. Video: our ``facebook-reel`` variant (``assets.prepare.prepare``: probe, hash, one ffmpeg filter
   graph, validation) vs the single ffmpeg command of reference/media.md §2 ("ffmpeg blur"), on a
   1920x1080 30 fps testsrc clip with a sine tone. Ratio of median wall times (target <= 1.25).
2. Memory: peak RSS of the whole process tree (Python + ffmpeg + ffprobe), sampled every 20 ms,
   for both, on a 60-second clip (target <= 400 MB).
3. Photos: Facebook photo, Zalo cover and YouTube thumbnail from one 12 MP JPEG (EXIF orientation 6,
   GPS), ours vs a minimal Pillow baseline (open, exif_transpose, ImageOps.fit/thumbnail, save q85);
   median of the three-variant set, and peak RSS of each side's process.

Every measured job runs in its own child process; timings of our code are taken inside the child
around the call (Python start-up excluded on both sides: the ffmpeg baseline is a bare process).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

REFERENCE_GRAPH = (
    "[0:v]split[a][b];[a]crop=ih*9/16:ih,scale=135:240,gblur=sigma=4,scale=1080:1920[bg];"
    "[b]scale=1080:-2[fg];[bg][fg]overlay=(W-w)/2:(H-h)/2,setsar=1,format=yuv420p[v]"
)


def make_clip(path: Path, seconds: int) -> Path:
    if not path.exists():
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y",
             "-f", "lavfi", "-i", f"testsrc=size=1920x1080:rate=30:duration={seconds}",
             "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}",
             "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
             "-c:a", "aac", "-b:a", "128k", "-shortest", str(path)],
            check=True,
        )  # fmt: skip
    return path


def make_photo(path: Path) -> Path:
    if not path.exists():
        from PIL import Image, ImageDraw

        im = Image.effect_noise((4000, 3000), 40).convert("RGB")
        draw = ImageDraw.Draw(im)
        for i in range(0, 4000, 250):
            draw.rectangle((i, 0, i + 120, 3000), fill=((i * 7) % 255, 120, 200))
        exif = Image.Exif()
        exif[0x0112] = 6
        exif[0x010F] = "Bench"
        exif.get_ifd(0x8825)[2] = (21.0, 1.0, 30.0)
        im.save(path, "JPEG", quality=92, exif=exif)
    return path


def measure(cmd: list[str]) -> tuple[float, float, str, float]:
    """Run ``cmd``; return (wall s, peak RSS of the process tree in MiB, stdout, CPU s of the tree).

    CPU seconds (user + sys of the process and every descendant it waited for) hardly move when
    other work shares the machine, so they back up the wall-time ratio on a busy box.
    """
    peak = 0
    usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    out_chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: out_chunks.append(proc.stdout.read() if proc.stdout else b""))
    reader.start()
    ps = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            procs = [ps, *ps.children(recursive=True)]
            total = 0
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            peak = max(peak, total)
        except psutil.Error:
            pass
        time.sleep(0.02)
    wall = time.perf_counter() - start
    usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    reader.join()
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err}")
    return wall, peak / 2**20, b"".join(out_chunks).decode(), cpu


def reference_cmd(src: Path, out: Path) -> list[str]:
    return [
        "ffmpeg", "-v", "error", "-y", "-i", str(src), "-filter_complex", REFERENCE_GRAPH,
        "-map", "[v]", "-map", "0:a", "-c:v", "libx264", "-preset", "veryfast", "-threads", "2",
        "-c:a", "aac", "-ac", "2", "-b:a", "128k", "-r", "30", "-movflags", "+faststart", str(out),
    ]  # fmt: skip


def child(task: str, src: str, work: str, iterations: int) -> None:
    """Runs inside a measured child process; prints JSON with the inner timings."""
    sys.path.insert(0, str(ROOT))
    times: list[float] = []
    if task == "ours-video":
        from assets.prepare import prepare

        t0 = time.perf_counter()
        media = prepare(src, "facebook-reel", Path(work) / "cache")
        times.append(time.perf_counter() - t0)
        print(json.dumps({"times": times, "bytes": media.bytes, "size": [media.width, media.height]}))
        return
    if task == "ours-photos":
        from assets.prepare import prepare

        for i in range(iterations):
            t0 = time.perf_counter()
            for name in ("facebook-photo", "zalo-cover", "youtube-thumbnail"):
                prepare(src, name, Path(work) / f"cache-{i}")  # a fresh cache: every variant is rendered
            times.append(time.perf_counter() - t0)
        print(json.dumps({"times": times}))
        return
    if task == "pillow-photos":
        from PIL import Image, ImageOps

        for i in range(iterations):
            t0 = time.perf_counter()
            for name, size, mode in (
                ("facebook", (2048, 2048), "thumbnail"),
                ("zalo", (1280, 720), "fit"),
                ("youtube", (1280, 720), "fit"),
            ):
                with Image.open(src) as im:
                    im = ImageOps.exif_transpose(im)
                    if mode == "fit":
                        im = ImageOps.fit(im, size, Image.Resampling.LANCZOS)
                    else:
                        im.thumbnail(size, Image.Resampling.LANCZOS)
                    im.save(Path(work) / f"{name}-{i}.jpg", "JPEG", quality=85)
            times.append(time.perf_counter() - t0)
        print(json.dumps({"times": times}))
        return
    raise SystemExit(f"unknown task {task}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--memory-seconds", type=int, default=60)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--photo-iterations", type=int, default=5)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "publisher-bench-media")
    ap.add_argument("--child", nargs=4, metavar=("TASK", "SRC", "WORK", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        task, src, child_dir, n = args.child
        child(task, src, child_dir, int(n))
        return

    work: Path = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    ffmpeg_version = subprocess.run(
        ["ffmpeg", "-version"], capture_output=True, text=True
    ).stdout.splitlines()[0]
    print(
        f"# {ffmpeg_version}; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}; "
        f"load average at start {os.getloadavg()[0]:.2f}"
    )
    clip = make_clip(work / f"in-{args.seconds}s-1080p.mp4", args.seconds)
    print(f"input: {clip.name} ({clip.stat().st_size / 1e6:.1f} MB)")

    def ours_video(src: Path, tag: str) -> tuple[float, float, float, float]:
        run_dir = Path(tempfile.mkdtemp(prefix=f"ours-{tag}-", dir=work))
        wall, rss, out, cpu = measure([PY, __file__, "--child", "ours-video", str(src), str(run_dir), "1"])
        inner = json.loads(out)["times"][0]
        return inner, wall, rss, cpu

    def reference_video(src: Path, tag: str) -> tuple[float, float, float]:
        wall, rss, _, cpu = measure(reference_cmd(src, work / f"ref-{tag}.mp4"))
        return wall, rss, cpu

    ours_t: list[float] = []
    ours_wall: list[float] = []
    ours_cpu: list[float] = []
    ref_t: list[float] = []
    ref_cpu: list[float] = []
    for i in range(args.runs):  # interleaved, so drift hits both sides alike
        r_wall, r_rss, r_cpu = reference_video(clip, f"{args.seconds}-{i}")
        o_inner, o_wall, o_rss, o_cpu = ours_video(clip, f"{args.seconds}-{i}")
        ref_t.append(r_wall)
        ref_cpu.append(r_cpu)
        ours_t.append(o_inner)
        ours_wall.append(o_wall)
        ours_cpu.append(o_cpu)
        print(
            f"  run {i + 1}: ffmpeg command {r_wall:.2f} s, {r_cpu:.1f} CPU-s ({r_rss:.0f} MiB); "
            f"ours {o_inner:.2f} s in-call, {o_wall:.2f} s with Python start-up, {o_cpu:.1f} CPU-s ({o_rss:.0f} MiB)"
        )
    med = statistics.median
    print(
        f"vertical 9:16, {args.seconds} s 1080p, {args.runs} runs: ffmpeg command median {med(ref_t):.2f} s, "
        f"ours median {med(ours_t):.2f} s -> ratio {med(ours_t) / med(ref_t):.2f} "
        f"({med(ours_wall) / med(ref_t):.2f} counting Python start-up); "
        f"CPU-seconds median {med(ref_cpu):.1f} vs {med(ours_cpu):.1f} -> ratio {med(ours_cpu) / med(ref_cpu):.2f}; "
        "target <= 1.25"
    )

    if args.memory_seconds:
        long_clip = make_clip(work / f"in-{args.memory_seconds}s-1080p.mp4", args.memory_seconds)
        r_wall, r_rss, _ = reference_video(long_clip, "mem")
        o_inner, o_wall, o_rss, _ = ours_video(long_clip, "mem")
        print(
            f"memory, {args.memory_seconds} s 1080p: ffmpeg command peak {r_rss:.0f} MiB ({r_wall:.1f} s); "
            f"ours peak {o_rss:.0f} MiB, whole tree ({o_inner:.1f} s); target <= 400 MB"
        )

    photo = make_photo(work / "photo-12mp.jpg")
    n = str(args.photo_iterations)
    p_wall, p_rss, p_out, _ = measure([PY, __file__, "--child", "pillow-photos", str(photo), str(work), n])
    o_wall, o_rss, o_out, _ = measure(
        [
            PY,
            __file__,
            "--child",
            "ours-photos",
            str(photo),
            str(Path(tempfile.mkdtemp(prefix="photos-", dir=work))),
            n,
        ]
    )
    p_med = statistics.median(json.loads(p_out)["times"])
    o_med = statistics.median(json.loads(o_out)["times"])
    print(
        f"photos (Facebook 2048 + Zalo cover + YouTube thumbnail) from one 12 MP JPEG ({photo.stat().st_size / 1e6:.1f} MB): "
        f"minimal Pillow {p_med * 1000:.0f} ms ({p_rss:.0f} MiB peak), ours {o_med * 1000:.0f} ms "
        f"({o_rss:.0f} MiB peak) -> ratio {o_med / p_med:.2f}"
    )
    print(
        f"# load average at end {os.getloadavg()[0]:.2f} (other work on the machine inflates both sides alike)"
    )


if __name__ == "__main__":
    main()
