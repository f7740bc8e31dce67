"""Hostile and broken files at ``publisher queue``: a message naming ``file:line [id] field``, exit 2,
nothing written; never a traceback, and the same answer on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import warnings
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from publisher.core.models import Platform, Target
from publisher.errors import ValidationFailed
from publisher.settings import get_settings
from tests.cli.conftest import Cli
from tests.conftest import need_ffmpeg

WHEN = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(days=5)).strftime("%Y-%m-%d 07:00")


def schedule(folder: Path, *extra: str, target: str = "sandbox/demo", name: str = "lich.yaml") -> Path:
    """One post; ``extra`` lines are added to it (line 7 onwards)."""
    path = folder / name
    path.write_text(
        "posts:\n"
        "  - id: bai\n"
        f"    at: {WHEN}\n"
        "    title: Thông báo của UBND xã\n"
        "    text: Nội dung thông báo.\n"
        f"    targets: [{target}]\n" + "".join(f"    {line}\n" for line in extra),
        encoding="utf-8",
    )
    return path


def photo(path: Path, size: tuple[int, int] = (640, 480), mode: str = "RGB", fmt: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size).save(path, format=fmt)
    return path


def clip(path: Path) -> Path:
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=25:duration=1",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        check=True,
    )
    return path


def listed(run: Cli) -> list[Any]:
    return list(json.loads(run("list", "--json").output))


# -- point 9: every photo's header and every clip are looked at when queued ---------------------


def broken_media(folder: Path) -> dict[str, tuple[str, Path]]:
    """name -> (field, file): each file that `publisher media check` calls unreadable or of the wrong kind."""
    media = folder / "media"
    media.mkdir()
    (media / "rong.jpg").write_bytes(b"")
    good = photo(media / "tot.jpg")
    (media / "cut.jpg").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    photo(media / "anh-png.mp4", fmt="PNG")
    (media / "rac.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 not a video at all" * 20)
    noise = Image.effect_noise((640, 480), 64).convert("RGB")  # data that does not compress away
    for ext in ("gif", "tif", "webp"):
        noise.save(media / f"tot.{ext}")
        whole = (media / f"tot.{ext}").read_bytes()
        (media / f"cut.{ext}").write_bytes(whole[: len(whole) // 2])
    return {
        "zero-byte JPEG": ("images", media / "rong.jpg"),
        "truncated JPEG": ("images", media / "cut.jpg"),
        "truncated GIF": ("images", media / "cut.gif"),
        "truncated TIFF": ("images", media / "cut.tif"),
        "truncated WebP": ("images", media / "cut.webp"),
        "PNG named .mp4": ("video", media / "anh-png.mp4"),
        "garbage .mp4": ("video", media / "rac.mp4"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "zero-byte JPEG",
        "truncated JPEG",
        "truncated GIF",
        "truncated TIFF",
        "truncated WebP",
        "PNG named .mp4",
        "garbage .mp4",
    ],
)
def test_broken_media_fail_check_and_queue_with_the_words_of_media_check(
    run: Cli, tmp_path: Path, case: str
) -> None:
    need_ffmpeg()
    run("init")
    fld, file = broken_media(tmp_path)[case]
    preset = "facebook-photo" if fld == "images" else "facebook-video"
    said = run("media", "check", str(file), "--for", preset)
    assert said.exit_code != 0 or "✗" in said.output, said.output
    media_check_words = next(
        line for line in said.output.splitlines() if file.name in line and ("✗" in line or "Lỗi:" in line)
    )
    media_check_words = media_check_words.split("✗")[-1].removeprefix("Lỗi:").strip()

    run("accounts", "add", "facebook/ubnd-xa")
    value = f"[media/{file.name}]" if fld == "images" else f"media/{file.name}"
    path = schedule(tmp_path, f"{fld}: {value}", target="facebook/ubnd-xa")
    for args in (("queue", "--check", str(path)), ("queue", str(path))):
        r = run(*args)
        assert r.exit_code == 2, r.output
        assert f"{path}:7: [bai] {fld}: {media_check_words}" in r.output, (media_check_words, r.output)
        assert "hợp lệ" not in r.output and "Traceback" not in r.output
    assert listed(run) == []


def test_a_good_photo_and_clip_pass(run: Cli, tmp_path: Path) -> None:
    need_ffmpeg()
    run("init")
    photo(tmp_path / "media" / "anh.jpg")
    clip(tmp_path / "media" / "clip.mp4")
    path = schedule(tmp_path, "images: [media/anh.jpg]", "video: media/clip.mp4")
    r = run("queue", "--check", str(path))
    assert r.exit_code == 0 and "hợp lệ" in r.output, r.output


@pytest.mark.parametrize("ext", ["gif", "tif", "webp"])
def test_whole_photos_of_other_formats_pass(run: Cli, tmp_path: Path, ext: str) -> None:
    run("init")
    broken_media(tmp_path)
    path = schedule(tmp_path, f"images: [media/tot.{ext}]")
    r = run("queue", "--check", str(path))
    assert r.exit_code == 0 and "hợp lệ" in r.output, r.output


def test_the_second_photo_is_named_by_its_own_line(run: Cli, tmp_path: Path) -> None:
    run("init")
    photo(tmp_path / "media" / "a.jpg")
    (tmp_path / "media" / "b.jpg").write_bytes(b"\xff\xd8\xff")
    path = schedule(tmp_path, "images:", "  - media/a.jpg", "  - media/b.jpg")
    r = run("queue", "--check", str(path))
    assert r.exit_code == 2
    assert f"{path}:9: [bai] images: Không đọc được tệp b.jpg" in r.output, r.output


def test_photos_over_the_pixel_cap_are_refused_with_the_setting_to_change(run: Cli, tmp_path: Path) -> None:
    run("init")
    photo(tmp_path / "media" / "60mp.png", (10_000, 6_000), mode="1")  # a few KB on disk, 60 million pixels
    path = schedule(tmp_path, "images: [media/60mp.png]")
    r = run("queue", "--check", str(path))
    assert r.exit_code == 2
    assert f"{path}:7: [bai] images:" in r.output and "60mp.png" in r.output, r.output
    assert "PUBLISHER_MEDIA__MAX_PIXELS" in r.output and "50" in r.output
    en = run("queue", "--check", str(path), PUBLISHER_LANGUAGE="en")
    assert "million pixels" in en.output, en.output
    assert run("queue", "--check", str(path), PUBLISHER_MEDIA__MAX_PIXELS="70000000").exit_code == 0


@pytest.mark.parametrize(
    "pixels", [(12_000, 12_000), (14_000, 14_000)]
)  # Pillow: warns over 89 MP, raises over 179 MP
def test_decompression_bombs_are_a_message_never_a_traceback_or_a_raw_warning(
    run: Cli, tmp_path: Path, pixels: tuple[int, int]
) -> None:
    run("init")
    photo(tmp_path / "media" / "bom.png", pixels, mode="1")
    path = schedule(tmp_path, "images: [media/bom.png]")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        r = run("queue", "--check", str(path))
    assert r.exit_code == 2, r.output
    assert f"{path}:7: [bai] images:" in r.output and "PUBLISHER_MEDIA__MAX_PIXELS" in r.output, r.output
    assert "Traceback" not in r.output and "DecompressionBomb" not in r.output
    assert [w for w in seen if issubclass(w.category, Image.DecompressionBombWarning)] == []


def test_approving_a_post_whose_photo_became_a_bomb_is_refused_with_a_message(
    run: Cli, tmp_path: Path
) -> None:
    run("init")
    image = photo(tmp_path / "media" / "anh.png", fmt="PNG")
    path = schedule(tmp_path, "images: [media/anh.png]")
    assert run("queue", str(path)).exit_code == 0
    photo(image, (14_000, 14_000), mode="1", fmt="PNG")  # replaced after queueing
    r = run("approve", "bai", "--by", "chu-tich")
    assert r.exit_code == 2, r.output
    assert "anh.png" in r.output and "PUBLISHER_MEDIA__MAX_PIXELS" in r.output, r.output
    assert "Traceback" not in r.output
    assert {row["state"] for row in listed(run)} == {"awaiting_approval"}


# -- point 8: the file-size cap -----------------------------------------------------------------


def test_schedule_size_cap_is_a_setting(run: Cli, tmp_path: Path) -> None:
    run("init")
    path = schedule(tmp_path)
    r = run("queue", "--check", str(path), PUBLISHER_SCHEDULE_MAX_BYTES="100")
    assert r.exit_code == 2 and "PUBLISHER_SCHEDULE_MAX_BYTES" in r.output and "100" in r.output, r.output
    assert run("queue", "--check", str(path)).exit_code == 0


def test_billion_laughs_is_refused_at_once(run: Cli, tmp_path: Path) -> None:
    run("init")
    path = tmp_path / "lol.yaml"
    path.write_text(
        "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n"
        + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
        + "posts: *i\n",
        encoding="utf-8",
    )
    r = run("queue", "--check", str(path))
    assert r.exit_code == 2 and f"{path}:1:" in r.output and "&" in r.output, r.output


# -- point 7: every length the schema imposes, checked before the database sees it ----------------


LONG = "Đ" * 201
EXACT = "Đ" * 200


def test_the_same_file_gives_the_same_answer_on_sqlite_and_postgresql(
    store: Any, db_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from publisher.actions.queue import load_files, schedule_context

    monkeypatch.setenv("PUBLISHER_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    store.add_account(Target(Platform.SANDBOX, "demo"), "can-bo")
    bad = schedule(
        tmp_path, f"campaign: {LONG}", f"author: {LONG}", 'link: "https://x.vn/\\0"', name="dai.yaml"
    )
    with pytest.raises(ValidationFailed) as info:
        load_files([str(bad)], schedule_context(store, get_settings()))
    assert [str(p).removeprefix(str(bad)) for p in info.value.problems] == [
        ":7: [bai] campaign: Dài 201 ký tự, tối đa 200 ký tự.",
        ":8: [bai] author: Dài 201 ký tự, tối đa 200 ký tự.",
        ":9: [bai] link: Có ký tự điều khiển không in được (U+0000) ở vị trí 13: hãy xóa nó "
        "(thường do dán từ phần mềm khác).",
    ], db_kind
    good = schedule(tmp_path, f"campaign: {EXACT}", f"author: {EXACT}", name="vua.yaml")
    [loaded] = load_files([str(good)], schedule_context(store, get_settings()))
    assert store.queue(loaded.posts, "can-bo").created == ["bai"]
    assert store.post_detail("bai")["post"].campaign == EXACT
    get_settings.cache_clear()
