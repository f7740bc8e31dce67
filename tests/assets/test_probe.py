"""Probing inputs and validating results against presets."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from assets.errors import MediaError
from assets.prepare import check, prepare
from assets.presets import PRESETS, ImagePreset, VideoPreset
from assets.probe import probe_image, probe_video, validate_image, validate_video, video_problems
from publisher.core import media_limits as ml
from publisher.i18n import set_language
from tests.assets.media_factory import photo


def vpreset(name: str) -> VideoPreset:
    p = PRESETS[name]
    assert isinstance(p, VideoPreset)
    return p


def test_probe_reads_what_the_file_is(landscape_clip: Path) -> None:
    info = probe_video(landscape_clip)
    assert (info.codec, info.width, info.height, info.pix_fmt) == ("h264", 320, 180, "yuv420p")
    assert info.fps == 25 and info.fixed_fps
    assert abs(info.duration - 4.0) < 0.1
    assert (info.audio_codec, info.audio_rate) == ("aac", 44_100)
    assert info.faststart is False  # made without +faststart


def test_rotation_is_applied_to_the_displayed_size(rotated_clip: Path) -> None:
    info = probe_video(rotated_clip)
    assert (info.width, info.height) == (180, 320)
    assert info.rotation in (90, 270)


def test_no_video_stream_is_a_clear_error(audio_only: Path) -> None:
    with pytest.raises(MediaError) as err:
        probe_video(audio_only)
    assert err.value.code == "no_video_stream"
    assert "tone.m4a" in str(err.value)


@pytest.mark.parametrize("content", [b"\x00" * 4096, b"ftypisom" + b"garbage" * 500])
def test_undecodable_file_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "clip.mp4"
    bad.write_bytes(content)
    with pytest.raises(MediaError) as err:
        probe_video(bad)
    assert err.value.code == "unreadable"
    with pytest.raises(MediaError):
        prepare(bad, "facebook-reel", tmp_path / "cache")


def test_truncated_clip_is_rejected(landscape_clip: Path, tmp_path: Path) -> None:
    # index at the end: the first half of the file has no moov, so nothing can be decoded
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(landscape_clip.read_bytes()[: landscape_clip.stat().st_size // 2])
    with pytest.raises(MediaError) as err:
        prepare(cut, "facebook-reel", tmp_path / "cache")
    assert err.value.code == "unreadable"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError) as err:
        prepare(tmp_path / "nope.mp4", "facebook-reel", tmp_path / "cache")
    assert err.value.code == "not_found"


def test_unknown_preset_names_the_presets(landscape_clip: Path, tmp_path: Path) -> None:
    with pytest.raises(MediaError) as err:
        prepare(landscape_clip, "tiktok", tmp_path / "cache")
    assert "facebook-reel" in str(err.value)


def test_a_source_is_not_a_valid_reel_but_the_render_is(landscape_clip: Path, tmp_path: Path) -> None:
    reel = vpreset("facebook-reel")
    with pytest.raises(MediaError) as err:
        validate_video(landscape_clip, reel)
    assert err.value.code == "result_invalid"
    codes = {p.code for p in video_problems(probe_video(landscape_clip), reel, as_result=True)}
    assert {"audio_rate", "size", "small", "aspect", "faststart"} <= codes
    media = prepare(landscape_clip, "facebook-reel", tmp_path / "cache")
    assert validate_video(media.path, reel).width == 1080


def test_validation_catches_a_result_over_the_size_cap(landscape_clip: Path, tmp_path: Path) -> None:
    media = prepare(landscape_clip, "facebook-video", tmp_path / "cache")
    tiny = dataclasses.replace(
        vpreset("facebook-video"), limits=dataclasses.replace(ml.FACEBOOK_VIDEO, max_bytes=1000)
    )
    with pytest.raises(MediaError) as err:
        validate_video(media.path, tiny)
    assert "MB" in str(err.value)


def test_validation_catches_duration_limits(short_clip: Path, landscape_clip: Path) -> None:
    reel = vpreset("facebook-reel")
    assert "short" in {p.code for p in video_problems(probe_video(short_clip), reel, as_result=False)}
    long_info = dataclasses.replace(probe_video(landscape_clip), duration=95.0)
    found = {p.code: p.severity for p in video_problems(long_info, reel, as_result=False)}
    assert found["long"] == "warn"  # a render trims it
    assert {p.code: p.severity for p in video_problems(long_info, reel, as_result=True)}["long"] == "block"


def test_image_probe_sees_gps_and_orientation(tmp_path: Path) -> None:
    info = probe_image(photo(tmp_path / "p.jpg", (400, 300), orientation=6))
    assert info.has_gps and info.orientation == 6 and info.display_size == (300, 400)
    clean = probe_image(photo(tmp_path / "c.jpg", orientation=None, gps=False))
    assert not clean.has_gps


def test_validate_image_refuses_a_photo_with_gps(tmp_path: Path) -> None:
    cover = PRESETS["zalo-cover"]
    assert isinstance(cover, ImagePreset)
    src = photo(tmp_path / "p.jpg", (1280, 720), orientation=None)
    with pytest.raises(MediaError) as err:
        validate_image(src, cover)
    assert "GPS" in str(err.value)
    media = prepare(src, "zalo-cover", tmp_path / "cache")
    assert not validate_image(media.path, cover).has_gps


def test_check_says_what_is_wrong_and_what_would_change(landscape_clip: Path, short_clip: Path) -> None:
    report = check(landscape_clip, "facebook-reel")
    assert not report.blocked
    assert {p.code for p in report.problems} >= {"audio_rate", "size"}
    assert {c.key for c in report.changes} >= {"video.vertical", "video.codec"}
    short = check(short_clip, "facebook-reel")
    assert short.blocked


def test_check_of_a_photo_mentions_gps_removal(tmp_path: Path) -> None:
    report = check(photo(tmp_path / "p.jpg"), "facebook-photo")
    assert "gps" in {p.code for p in report.problems}
    assert "images.stripped" in {c.key for c in report.changes}


def test_messages_are_vietnamese_first_and_english_on_request(short_clip: Path, tmp_path: Path) -> None:
    with pytest.raises(MediaError) as err:
        prepare(short_clip, "facebook-reel", tmp_path / "cache")
    assert "giây" in str(err.value)
    set_language("en")
    assert "needs at least 3 s" in str(err.value)


def test_limits_are_read_not_restated() -> None:
    reel = vpreset("facebook-reel")
    assert reel.limits is ml.FACEBOOK_REEL
    assert (reel.width, reel.height) == (ml.FACEBOOK_REEL.width, ml.FACEBOOK_REEL.height)
    assert reel.max_duration == 90 and reel.min_duration == 3
    assert PRESETS["zalo-video"].max_bytes == ml.ZALO_VIDEO.max_bytes == 50_000_000
    assert PRESETS["zalo-cover"].max_bytes == ml.ZALO_COVER.max_bytes
    assert PRESETS["youtube-short"].max_duration == 180  # type: ignore[union-attr]


def test_a_png_over_one_mb_is_flagged_for_facebook(tmp_path: Path) -> None:
    from PIL import Image

    png = tmp_path / "poster.png"
    Image.effect_noise((900, 900), 90).convert("RGB").save(png)
    assert png.stat().st_size > 1_000_000
    report = check(png, "facebook-photo")
    found = [str(p.message) for p in report.problems if p.code == "bytes"]
    assert found and "1.0 MB" in found[0]
    assert "images.converted" in {c.key for c in report.changes}


def test_presets_for_a_platform() -> None:
    from assets.prepare import presets_for

    assert {p.name for p in presets_for("zalo")} == {"zalo-cover", "zalo-video"}
    assert {p.name for p in presets_for("youtube", "video")} == {"youtube-video", "youtube-short"}
    assert {p.name for p in presets_for("facebook", "image")} == {"facebook-photo"}
