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
    path.write_text(
        f"""posts:
  - id: bai-anh
    at: {when}
    title: Ảnh hoạt động
    text: Nội dung
    images: [media/anh.jpg]
    banner: Kỷ niệm ngày thành lập xã
    targets: [facebook/ubnd-hanh-dich]
""",
        encoding="utf-8",
    )
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
    from assets.checks import has_gps

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


# -- publisher media story -----------------------------------------------------------------------


def _story_schedule(tmp_path: Path, photos: list[str], music: str | None = None) -> Path:
    media_dir = tmp_path / "media"
    media_dir.mkdir(exist_ok=True)
    for i, colour in enumerate([(200, 40, 40), (40, 160, 60), (40, 60, 200)]):
        Image.new("RGB", (480, 360), colour).save(media_dir / f"hoa-ban-{i + 1}.jpg", quality=90)
    lines = "\n".join(f"        - {{file: {p}, caption: Ảnh {i + 1}}}" for i, p in enumerate(photos))
    path = tmp_path / "lich.yaml"
    path.write_text(
        f"""posts:
  - id: le-hoi-hoa-ban
    at: 2026-03-20 07:00
    title: Lễ hội Hoa Ban xã Hạnh Dịch
    text: Nội dung
    targets: [facebook/ubnd-hanh-dich]
    story:
      title: Lễ hội Hoa Ban 2026
      seconds: 1
      photos:
{lines}
{f"      music: {music}" if music else ""}
  - id: khong-co-story
    at: 2026-03-21 07:00
    title: Bài thường
    text: Nội dung
    targets: [facebook/ubnd-hanh-dich]
""",
        encoding="utf-8",
    )
    return path


def test_story_renders_a_post_of_the_schedule_as_a_reel(tmp_path: Path) -> None:
    sched = _story_schedule(tmp_path, ["media/hoa-ban-1.jpg", "media/hoa-ban-2.jpg"], music="media/nhac.mp3")
    mf.ffmpeg("-f", "lavfi", "-i", "sine=frequency=330:duration=2", str(tmp_path / "media" / "nhac.mp3"))
    out_file = tmp_path / "ra" / "story.mp4"
    code, out = run(
        "story", str(sched), "le-hoi-hoa-ban", "--out", str(out_file), "--unit", "UBND xã Hạnh Dịch",
        "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    assert code == 0, out
    assert "100%" in out and "story.mp4" in out and "nhac.mp3" in out
    info = probe_video(out_file)
    assert (info.width, info.height, info.audio_rate) == (1080, 1920, 48_000)
    assert abs(info.duration - 5.0) <= 1 / 30  # 3 s title card + 2 photos × 1 s
    code, out = run("story", str(sched), "le-hoi-hoa-ban", "--out", str(out_file))
    assert code == 2 and "--force" in out  # never overwrites without --force


def test_story_with_a_missing_photo_names_the_post_and_the_field(tmp_path: Path) -> None:
    sched = _story_schedule(tmp_path, ["media/hoa-ban-1.jpg", "media/khong-co.jpg"])
    out_file = tmp_path / "story.mp4"
    result = CliRunner().invoke(media, ["story", str(sched), "le-hoi-hoa-ban", "--out", str(out_file)])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "le-hoi-hoa-ban" in result.output
    assert "[le-hoi-hoa-ban] story.photos[1].file: Không tìm thấy tệp “media/khong-co.jpg”" in result.output
    assert not out_file.exists()


def test_story_with_a_corrupt_photo_and_music_that_is_not_audio_names_both(tmp_path: Path) -> None:
    sched = _story_schedule(tmp_path, ["media/hoa-ban-1.jpg", "media/hong.jpg"], music="media/nhac.mp3")
    (tmp_path / "media" / "hong.jpg").write_bytes((tmp_path / "media" / "hoa-ban-2.jpg").read_bytes()[:200])
    (tmp_path / "media" / "nhac.mp3").write_text("không phải nhạc", encoding="utf-8")
    out_file = tmp_path / "story.mp4"
    result = CliRunner().invoke(
        media,
        ["story", str(sched), "le-hoi-hoa-ban", "--out", str(out_file), "--cache-dir", str(tmp_path / "c")],
    )
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert "[le-hoi-hoa-ban] story.music: Tệp nhac.mp3 không phải tệp âm thanh" in result.output
    assert "[le-hoi-hoa-ban] story.photos[1].file: Không đọc được ảnh hong.jpg" in result.output
    assert not out_file.exists()
    set_language("en")
    result = CliRunner().invoke(
        media,
        ["story", str(sched), "le-hoi-hoa-ban", "--out", str(out_file), "--cache-dir", str(tmp_path / "c")],
    )
    assert result.exit_code == 2
    assert "The “story” block of post le-hoi-hoa-ban has 2 error(s)" in result.output
    assert "story.music: nhac.mp3 is not a readable audio file" in result.output


@pytest.mark.parametrize(
    ("post", "expected"),
    [
        ("khong-co-story", "Bài khong-co-story không có khối “story:”"),
        ("bai-khac", "không có bài nào có id “bai-khac”"),
    ],
)
def test_story_of_a_post_without_a_block_or_an_unknown_post_is_a_clear_error(
    tmp_path: Path, post: str, expected: str
) -> None:
    sched = _story_schedule(tmp_path, ["media/hoa-ban-1.jpg"])
    code, out = run("story", str(sched), post, "--out", str(tmp_path / "o.mp4"))
    assert code == 2 and expected in out


def test_story_with_a_bad_value_names_the_field(tmp_path: Path) -> None:
    sched = _story_schedule(tmp_path, ["media/hoa-ban-1.jpg"])
    sched.write_text(sched.read_text(encoding="utf-8").replace("seconds: 1", "seconds: 99"), encoding="utf-8")
    code, out = run("story", str(sched), "le-hoi-hoa-ban", "--out", str(tmp_path / "o.mp4"))
    assert code == 2 and "[le-hoi-hoa-ban] story.seconds: 99 giây nằm ngoài khoảng cho phép 1–15 giây." in out


def test_story_reads_the_schedule_as_the_queue_does(tmp_path: Path) -> None:
    """The loader reads the block: its files are confined to the schedule's folder, errors carry lines."""
    sched = _story_schedule(tmp_path, ["media/hoa-ban-1.jpg", "media/ngoai.jpg"])
    outside = tmp_path.parent / f"{tmp_path.name}-ngoai.jpg"
    Image.new("RGB", (480, 360), (0, 0, 0)).save(outside)
    (tmp_path / "media" / "ngoai.jpg").symlink_to(outside)
    out_file = tmp_path / "o.mp4"
    code, out = run("story", str(sched), "le-hoi-hoa-ban", "--out", str(out_file))
    assert code == 2 and not out_file.exists()
    assert "lich.yaml:12: [le-hoi-hoa-ban] story.photos[1].file" in out, out
    assert "PUBLISHER_MEDIA_ROOTS" in out, out
