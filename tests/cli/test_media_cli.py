"""``publisher media presets | check | render``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from PIL import Image

from assets.presets import PRESETS
from assets.probe import probe_video
from publisher.cli.media import COMMANDS, media
from publisher.i18n import set_language
from tests.assets import media_factory as mf
from tests.conftest import need_ffmpeg

need_ffmpeg(module=True)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(media, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_commands_are_exposed() -> None:
    assert [c.name for c in COMMANDS] == ["media"]
    assert {"presets", "check", "render"} <= set(media.commands)


def test_presets_lists_every_name() -> None:
    code, out = run("presets")
    assert code == 0
    for name in PRESETS:
        assert name in out
    code, out = run("presets", "--json")
    assert {p["name"] for p in json.loads(out)} == set(PRESETS)


def test_check_a_photo_says_gps_will_be_removed(tmp_path: Path) -> None:
    src = mf.photo(tmp_path / "anh.jpg", (400, 300))
    code, out = run("check", str(src), "--for", "zalo-cover")
    assert code == 0
    assert "GPS" in out and "1280×720" in out
    assert "Đã xoá siêu dữ liệu" in out


def test_check_a_clip_too_short_for_a_reel_exits_2(tmp_path: Path) -> None:
    src = mf.clip(tmp_path / "ngan.mp4", seconds=2)
    code, out = run("check", str(src), "--for", "facebook-reel")
    assert code == 2
    assert "ít nhất 3 giây" in out and "Không xử lý được" in out
    code, out = run("check", str(src), "--for", "facebook-reel", "--json")
    data = json.loads(out)
    assert code == 2 and data["blocked"] and "short" in {p["code"] for p in data["problems"]}


def test_check_in_english(tmp_path: Path) -> None:
    src = mf.clip(tmp_path / "clip.mp4", seconds=4)
    set_language("en")
    code, out = run("check", str(src), "--for", "facebook-reel")
    assert code == 0
    assert "Audio sample rate is 44100 Hz; 48000 Hz needed." in out
    assert "vertical 1080×1920 frame" in out


def test_render_a_reel_with_a_progress_bar(tmp_path: Path) -> None:
    src = mf.clip(tmp_path / "clip.mp4", seconds=3)
    out_file = tmp_path / "out" / "reel.mp4"
    code, out = run(
        "render", str(src), "--preset", "facebook-reel", "--out", str(out_file),
        "--title", "Kỷ niệm 80 năm Cách mạng Tháng Tám", "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    assert code == 0, out
    assert "100%" in out and "reel.mp4" in out
    info = probe_video(out_file)
    assert (info.width, info.height, info.audio_rate) == (1080, 1920, 48_000)


def test_render_a_cover_with_a_banner_and_focus(tmp_path: Path) -> None:
    src = mf.photo(tmp_path / "anh.jpg", (1600, 1200))
    out_file = tmp_path / "bia.jpg"
    code, out = run(
        "render", str(src), "--preset", "zalo-cover", "--out", str(out_file), "--banner", "Ngày hội Đại đoàn kết",
        "--focus", "0.5,0.2", "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    assert code == 0, out
    with Image.open(out_file) as im:
        assert im.size == (1280, 720) and dict(im.getexif()) == {}
    assert out_file.stat().st_size <= 1_000_000
    # the same again comes from the cache
    code, out = run(
        "render", str(src), "--preset", "zalo-cover", "--out", str(out_file), "--force", "--banner",
        "Ngày hội Đại đoàn kết", "--focus", "0.5,0.2", "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    assert code == 0 and "bộ nhớ đệm" in out


def test_render_never_overwrites_without_force(tmp_path: Path) -> None:
    src = mf.photo(tmp_path / "anh.jpg")
    out_file = tmp_path / "bia.jpg"
    out_file.write_bytes(b"keep me")
    code, out = run("render", str(src), "--preset", "zalo-cover", "--out", str(out_file))
    assert code == 2 and "--force" in out
    assert out_file.read_bytes() == b"keep me"


@pytest.mark.parametrize("focus", ["2,0.5", "abc", "0.5"])
def test_render_rejects_a_bad_focus(tmp_path: Path, focus: str) -> None:
    src = mf.photo(tmp_path / "anh.jpg")
    code, out = run(
        "render", str(src), "--preset", "zalo-cover", "--out", str(tmp_path / "o.jpg"), "--focus", focus
    )
    assert code == 2 and "--focus" in out


def test_render_a_corrupt_file_exits_2_with_a_message(tmp_path: Path) -> None:
    bad = tmp_path / "hong.mp4"
    bad.write_bytes(b"\x00" * 1000)
    code, out = run(
        "render", str(bad), "--preset", "facebook-reel", "--out", str(tmp_path / "o.mp4"),
        "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    assert code == 2
    assert "hong.mp4" in out and "Không đọc được" in out
    assert not (tmp_path / "o.mp4").exists()


def test_prepare_a_post_from_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.assets.media_factory import photo
    from tests.cli.conftest import Cli

    run = Cli(tmp_path, monkeypatch)
    run("init")
    run("accounts", "add", "facebook/ubnd-hanh-dich")
    (tmp_path / "media").mkdir()
    photo(tmp_path / "media" / "anh.jpg", size=(900, 600))
    when = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(days=2)).strftime("%Y-%m-%d 07:00")
    path = tmp_path / "lich.yaml"
    path.write_text(f"""posts:
  - id: bai-anh
    at: {when}
    title: Ảnh hoạt động
    text: Nội dung
    images: [media/anh.jpg]
    banner: Kỷ niệm ngày thành lập xã
    targets: [facebook/ubnd-hanh-dich]
""", encoding="utf-8")
    assert run("queue", str(path)).exit_code == 0
    r = run("media", "prepare", "bai-anh")
    assert r.exit_code == 0, r.output
    assert "Đã chuẩn bị xong cho facebook/ubnd-hanh-dich" in r.output
    status = json.loads(run("list", "--json").output)
    assert status[0]["progress"] == 100


def _gps_jpeg(path: Path, gps: bool = True) -> Path:
    image = Image.new("RGB", (320, 240), (40, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 1  # orientation
    if gps:
        ifd = exif.get_ifd(0x8825)
        ifd[1], ifd[2], ifd[3], ifd[4] = "N", (19.0, 42.0, 30.0), "E", (104.0, 51.0, 10.0)
    image.save(path, exif=exif.tobytes())
    return path


def test_strip_gps_removes_the_position_in_place_and_keeps_the_rest(tmp_path: Path) -> None:
    from publisher.media_probe import has_gps

    photo = _gps_jpeg(tmp_path / "le-hoi.jpg")
    clean = _gps_jpeg(tmp_path / "sach.jpg", gps=False)
    before = clean.read_bytes()
    code, out = run("strip-gps", str(photo), str(clean))
    assert code == 0, out
    assert not has_gps(photo)
    with Image.open(photo) as image:
        assert image.size == (320, 240) and image.getexif().get(0x0112) == 1
    assert clean.read_bytes() == before  # a photo without GPS is left as it is
    assert "le-hoi.jpg" in out and "duyệt lại" in out
    assert not list(tmp_path.glob(".strip-*"))


def test_strip_gps_refuses_a_file_that_is_not_a_photo(tmp_path: Path) -> None:
    bad = tmp_path / "hong.jpg"
    bad.write_bytes(b"not a jpeg")
    code, out = run("strip-gps", str(bad))
    assert code == 2 and "hong.jpg" in out
