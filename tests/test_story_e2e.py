"""A photo story end to end (issue 17): queued from a schedule's ``story:`` block, approved, and
published by ``publisher run --once`` as the post's video (``sandbox/demo`` gets an MP4)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from assets.probe import probe_video
from publisher.settings import get_settings
from tests.cli.conftest import VN, Cli
from tests.conftest import need_ffmpeg

need_ffmpeg(module=True)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    get_settings.cache_clear()
    yield Cli(tmp_path, monkeypatch)
    get_settings.cache_clear()


def story_schedule(tmp_path: Path, photo: str = "media/anh-1.jpg") -> Path:
    (tmp_path / "media").mkdir(exist_ok=True)
    Image.new("RGB", (320, 240), (200, 40, 40)).save(tmp_path / "media" / "anh-1.jpg", quality=90)
    when = datetime.now(VN) - timedelta(minutes=5)
    path = tmp_path / "lich.yaml"
    path.write_text(
        f"""timezone: Asia/Ho_Chi_Minh
posts:
  - id: le-hoi
    at: {when:%Y-%m-%d %H:%M}
    title: Lễ hội Hoa Ban
    text: Video lễ hội.
    targets: [sandbox/demo]
    story:
      seconds: 1
      photos:
        - {{file: {photo}, caption: Đoàn rước}}
""",
        encoding="utf-8",
    )
    return path


def test_a_queued_story_is_published_as_the_posts_video(cli: Cli, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    sched = story_schedule(tmp_path)
    checked = cli("queue", str(sched), "--check")
    assert checked.exit_code == 0, checked.output
    queued = cli("queue", str(sched), "--by", "can-bo")
    assert queued.exit_code == 0, queued.output
    approved = cli("approve", "le-hoi", "--by", "chu-tich")
    assert approved.exit_code == 0, approved.output
    # made ahead (as the workers do a day before): a post due now would otherwise wait for its media
    prepared = cli("media", "prepare", "le-hoi")
    assert prepared.exit_code == 0, prepared.output
    ran = cli("run", "--once", "--json")
    assert ran.exit_code == 0, ran.output
    out = ran.stdout
    assert json.loads(out[out.index("{") :])["outcomes"] == {"published": 1}, out
    videos = list((cli.data / "outbox" / "demo").rglob("*.mp4"))
    assert len(videos) == 1, videos
    info = probe_video(videos[0])
    assert (info.width, info.height) == (1080, 1920)
    assert abs(info.duration - 4.0) <= 1 / 30  # 3 s title card + 1 photo × 1 s


def test_a_bad_story_is_refused_by_the_queue_with_its_line_and_field(cli: Cli, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    sched = story_schedule(tmp_path, photo="media/khong-co.jpg")
    for args in (("--check",), ("--by", "can-bo")):
        result = cli("queue", str(sched), *args)
        assert result.exit_code == 2, result.output
        assert "lich.yaml:11: [le-hoi] story.photos[0].file" in result.output, result.output
    (tmp_path / "media" / "hong.jpg").write_bytes(b"\xff\xd8\xff not a photo")
    sched = story_schedule(tmp_path, photo="media/hong.jpg")
    result = cli("queue", str(sched), "--check")
    assert result.exit_code == 2 and "[le-hoi] story.photos[0].file" in result.output, result.output
