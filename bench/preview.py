"""The compose preview of a 12 MP photo against the ``assets`` preparation of that photo, one run.

    .venv/bin/python bench/preview.py [--runs 5] [--workdir DIR]

A 4000x3000 JPEG (noise and stripes, EXIF orientation 6 and a GPS position, as a phone writes it)
is uploaded through the web app's chunked upload (FastAPI's TestClient, signed in as an officer of
a commune with a Facebook Page). Then, alternately, each measured cold (the media cache emptied
and the process's file-digest memo cleared before every run):

1. the compose preview: ``POST /compose/preview`` with the form of a post with that photo for the
   Facebook Page, the whole request (session, CSRF, the form read into a post by the schedule
   loader, the Facebook photo prepared by ``assets.prepare`` into the cache, its 960 px copy for
   the browser, the cards rendered); the answer is checked to hold the grid's one cell;
2. the baseline: ``assets.prepare.prepare(photo, "facebook-photo", cache)`` alone.

Prints the median of each (wall time, and the CPU time of the process, steadier on a busy
machine), their ratio (target, issue 14: <= 1.5 on wall time), and the warm preview (everything in
the cache, as when the officer previews again).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from assets import cache as media_cache  # noqa: E402
from assets.prepare import prepare  # noqa: E402
from publisher.actions.signin import SignIn  # noqa: E402
from publisher.core.models import Target  # noqa: E402
from publisher.core.people import Role  # noqa: E402
from publisher.settings import Settings  # noqa: E402
from publisher.store import Store  # noqa: E402
from publisher.store.users import Users  # noqa: E402
from publisher.store.web import WebRepo  # noqa: E402
from publisher.web.app import create_app  # noqa: E402
from publisher.web.deps import COOKIE  # noqa: E402
from publisher.web.uploads import resolve_upload  # noqa: E402

PASSWORD = "mat-khau-du-dai-1"
PAGE = Target.parse("facebook/trang-xa")
CHUNK = 4 * 2**20


def make_photo(path: Path) -> Path:
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


def cold(folder: Path) -> None:
    """An empty media cache, and no file digest remembered by this process."""
    shutil.rmtree(folder, ignore_errors=True)
    with media_cache._LOCK:
        media_cache._DIGESTS.clear()


def timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """(wall s, CPU s of this process: every thread, the test client's server included)."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def upload(client: TestClient, csrf: str, data: bytes) -> str:
    headers = {"X-CSRF-Token": csrf}
    r = client.post(
        "/uploads", json={"name": "IMG_2041.jpg", "size": len(data), "kind": "photo"}, headers=headers
    )
    assert r.status_code == 201, r.text
    upload_id, offset = r.json()["id"], 0
    while offset < len(data):
        piece = data[offset : offset + CHUNK]
        r = client.put(
            f"/uploads/{upload_id}",
            content=piece,
            headers={**headers, "Upload-Offset": str(offset), "Content-Type": "application/octet-stream"},
        )
        assert r.status_code == 200, r.text
        offset += len(piece)
    assert r.json()["done"] and not r.json().get("error"), r.text
    return str(upload_id)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-preview-"))
    settings = Settings(_env_file=None, data_dir=work / "var", user="bench", timezone="Asia/Ho_Chi_Minh")
    store = Store(settings)
    store.init(create=True)
    users = Users(store.db)
    officer, _ = users.add("can-bo", Role.OFFICER, None, by="bench")
    SignIn(users, WebRepo(store.db), settings).set_password(officer, PASSWORD, by="bench")
    store.add_account(PAGE, "bench")
    photo = make_photo(work / "12mp.jpg")
    print(
        f"# Python {sys.version.split()[0]}; {os.cpu_count()} CPUs; load average at start "
        f"{os.getloadavg()[0]:.2f}; photo 4000x3000, {photo.stat().st_size / 1e6:.1f} MB"
    )
    baseline_cache = work / "baseline-cache"
    with TestClient(create_app(settings, store), follow_redirects=False) as client:
        r = client.post("/login", data={"name": "can-bo", "password": PASSWORD, "next": "/"})
        assert r.status_code == 303, r.text
        session = client.app.state.web.signin.session(client.cookies.get(COOKIE))  # type: ignore[attr-defined]
        token = session.csrf
        upload_id = upload(client, token, photo.read_bytes())
        source = resolve_upload(settings, upload_id).path
        day = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(days=3)).date().isoformat()
        form = {
            "title": "Hội nghị tổng kết năm",
            "text": "Ảnh hội nghị tổng kết công tác năm của xã.",
            "targets": [str(PAGE)],
            "date": day,
            "time": "08:00",
            "photos": [upload_id],
        }

        def preview() -> None:
            answer = client.post("/compose/preview", data=form, headers={"X-CSRF-Token": token})
            assert answer.status_code == 200 and answer.text.count('class="fb-cell"') == 1, answer.text[
                -2000:
            ]

        def baseline() -> None:
            prepare(source, "facebook-photo", baseline_cache, media=settings.media)

        cold(settings.cache_dir)
        preview()  # warm-up: imports, templates, the first request's set-up
        ours: list[tuple[float, float]] = []
        base: list[tuple[float, float]] = []
        for i in range(args.runs):
            for name in ("preview", "baseline") if i % 2 == 0 else ("baseline", "preview"):
                if name == "preview":
                    cold(settings.cache_dir)
                    ours.append(timed(preview))
                else:
                    cold(baseline_cache)
                    base.append(timed(baseline))
        warm = [timed(preview)[0] for _ in range(args.runs)]
    p, b = statistics.median(x[0] for x in ours), statistics.median(x[0] for x in base)
    pc, bc = statistics.median(x[1] for x in ours), statistics.median(x[1] for x in base)
    print(
        f"assets photo preparation (facebook-photo), cold: median {b * 1000:.0f} ms wall, {bc * 1000:.0f} ms CPU"
        f"  runs {[round(x[0] * 1000) for x in base]}"
    )
    print(
        f"compose preview (POST /compose/preview), cold:   median {p * 1000:.0f} ms wall, {pc * 1000:.0f} ms CPU"
        f"  runs {[round(x[0] * 1000) for x in ours]}"
    )
    print(
        f"compose preview, warm (variants in the cache):    median {statistics.median(warm) * 1000:.0f} ms wall"
    )
    verdict = "met" if p / b <= 1.5 else "NOT met"
    print(
        f"ratio preview / preparation: {p / b:.2f} wall, {pc / bc:.2f} CPU (target <= 1.5 on wall time): {verdict}"
    )


if __name__ == "__main__":
    main()
