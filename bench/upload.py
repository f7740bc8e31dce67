"""A 50 MB clip uploaded in 1 MB chunks over loopback to a real uvicorn server: its RSS growth and speed.

    .venv/bin/python bench/upload.py [--mb 50] [--chunk-mb 1] [--random]

Starts ``python -m publisher.web.server`` in a subprocess over a temporary data dir (SQLite, one
officer), signs in through the login form, makes a clip with ffmpeg (``--random``: random bytes,
which the server then refuses as "not a video" after receiving them all; the RSS part is the same),
and uploads it with the widget's protocol (POST /uploads, PUT /uploads/{id} + Upload-Offset).

* RSS: the server process's resident memory sampled every 10 ms during the upload; the growth is
  the peak minus the RSS after a warm-up upload of 2 MB (imports, thread pool, ffprobe path done).
  Target (issue 14): <= 64 MB (the file is streamed to disk, never held in memory).
* Throughput: the upload's MB/s against the baseline of writing the same bytes to a local file in
  the same chunks, in the same run; the ratio upload time / local write time is printed. The last
  chunk's answer waits for the ffprobe check; its time is shown apart.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from publisher.actions.signin import SignIn  # noqa: E402
from publisher.core.people import Role  # noqa: E402
from publisher.settings import Settings  # noqa: E402
from publisher.store import Store  # noqa: E402
from publisher.store.users import Users  # noqa: E402
from publisher.store.web import WebRepo  # noqa: E402

PASSWORD = "mat-khau-bench-123"


def make_clip(path: Path, mb: int, random: bool) -> None:
    if random:
        with open(path, "wb") as fh:
            for _ in range(mb):
                fh.write(os.urandom(2**20))
        return
    # noise makes x264 write many bytes per frame; -fs stops at the size and still finishes the file
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
         "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=30", "-vf", "noise=alls=30:allf=t",
         "-c:v", "libx264", "-preset", "ultrafast", "-crf", "10", "-pix_fmt", "yuv420p",
         "-fs", str(mb * 2**20), str(path)],
        check=True,
    )  # fmt: skip


def local_write(source: Path, target: Path, chunk: int) -> float:
    """The baseline: the same bytes, read and written in the same chunks, to a file on the same disk."""
    t0 = time.perf_counter()
    with open(source, "rb") as src, open(target, "wb") as dst:
        while piece := src.read(chunk):
            dst.write(piece)
    elapsed = time.perf_counter() - t0
    target.unlink()
    return elapsed


class Sampler(threading.Thread):
    """The peak RSS of ``pid`` while running."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.peak = self.proc.memory_info().rss
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.01)


def upload(client: httpx.Client, csrf: str, path: Path, kind: str, chunk: int) -> tuple[dict, float]:
    size = path.stat().st_size
    r = client.post(
        "/uploads", json={"name": path.name, "size": size, "kind": kind}, headers={"X-CSRF-Token": csrf}
    )
    assert r.status_code == 201, r.text
    upload_id, offset, last = r.json()["id"], 0, 0.0
    with open(path, "rb") as fh:
        while offset < size:
            piece = fh.read(chunk)
            t0 = time.perf_counter()
            r = client.put(
                f"/uploads/{upload_id}",
                content=piece,
                headers={"X-CSRF-Token": csrf, "Upload-Offset": str(offset)},
            )
            last = time.perf_counter() - t0
            assert r.status_code in (200, 422), r.text
            offset = r.json()["offset"]
    return r.json(), last


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=50)
    ap.add_argument("--chunk-mb", type=float, default=1.0)
    ap.add_argument("--random", action="store_true", help="random bytes instead of an ffmpeg clip")
    args = ap.parse_args()
    chunk = int(args.chunk_mb * 2**20)
    with tempfile.TemporaryDirectory() as tmp, socket.socket() as sock:
        work = Path(tmp)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        settings = Settings(_env_file=None, data_dir=work / "var", user="bench")
        store = Store(settings)
        store.init(create=True)
        users = Users(store.db)
        officer, _ = users.add("can-bo", Role.OFFICER, None, by="bench")
        SignIn(users, WebRepo(store.db), settings).set_password(officer, PASSWORD, by="bench")
        store.db.engine.dispose()

        clip = work / "clip-50mb.mp4"
        make_clip(clip, args.mb, args.random)
        warm = work / "warm.mp4"
        make_clip(warm, 2, args.random)
        size_mb = clip.stat().st_size / 2**20

        env = {k: v for k, v in os.environ.items() if not k.startswith("PUBLISHER_")}
        env.update(
            PUBLISHER_DATA_DIR=str(work / "var"),
            PUBLISHER_WEB__HOST="127.0.0.1",
            PUBLISHER_WEB__PORT=str(port),
            PYTHONPATH=str(ROOT),
        )
        server = subprocess.Popen(
            [sys.executable, "-m", "publisher.web.server"], env=env, stderr=subprocess.PIPE, text=True
        )
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=120) as client:
                for _ in range(200):
                    try:
                        if client.get("/healthz").status_code == 200:
                            break
                    except httpx.TransportError:
                        time.sleep(0.05)
                r = client.post("/login", data={"name": "can-bo", "password": PASSWORD, "next": "/password"})
                assert r.status_code == 303, r.text
                page = client.get("/password").text
                found = re.search(r'name="csrf" value="([^"]+)"', page) or re.search(
                    r'data-csrf="([^"]+)"', page
                )
                assert found, "no CSRF token"
                csrf = found.group(1)

                upload(client, csrf, warm, "video", chunk)  # imports, threads, ffprobe: not the upload's cost
                before = psutil.Process(server.pid).memory_info().rss
                sampler = Sampler(server.pid)
                sampler.start()
                t0 = time.perf_counter()
                result, last = upload(client, csrf, clip, "video", chunk)
                elapsed = time.perf_counter() - t0
                sampler.stop.set()
                sampler.join()
                after = psutil.Process(server.pid).memory_info().rss
        finally:
            server.terminate()
            server.wait(timeout=30)
        baseline = min(local_write(clip, work / "copy.bin", chunk) for _ in range(3))

    growth = (sampler.peak - before) / 2**20
    print(
        f"clip: {size_mb:.1f} MB in {args.chunk_mb:g} MB chunks ({'random bytes' if args.random else 'ffmpeg'})"
    )
    print(f"server answer: done={result['done']} error={result['error']!r}")
    print(
        f"server RSS: {before / 2**20:.1f} MB before, peak {sampler.peak / 2**20:.1f} MB, "
        f"{after / 2**20:.1f} MB after; growth {growth:.1f} MB "
        f"(target <= 64 MB: {'met' if growth <= 64 else 'NOT met'})"
    )
    print(
        f"upload over loopback: {elapsed:.2f} s ({size_mb / elapsed:.0f} MB/s; the last chunk with the "
        f"ffprobe check {last * 1000:.0f} ms)"
    )
    print(f"local write baseline: {baseline:.3f} s ({size_mb / baseline:.0f} MB/s)")
    print(f"ratio upload / local write: {elapsed / baseline:.1f}")


if __name__ == "__main__":
    main()
