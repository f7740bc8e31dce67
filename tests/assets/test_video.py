"""Clips: the vertical variant, normalising, trimming, size caps, overlays, thumbnails, and that no
ffmpeg child outlives a render (success, failure, cancellation)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from PIL import Image, ImageChops, ImageStat

from assets.errors import MediaError, RenderCancelled
from assets.prepare import RenderOptions, prepare
from assets.presets import PRESETS, VideoPreset
from assets.probe import probe_video
from assets.video import VideoOptions, build_command, plan_video, render_video, run_ffmpeg
from tests.assets.media_factory import rgb


def vpreset(name: str) -> VideoPreset:
    p = PRESETS[name]
    assert isinstance(p, VideoPreset)
    return p


def small(name: str, **limits: object) -> VideoPreset:
    """A preset shrunk to a small frame so a test renders in a blink; limits overridable."""
    p = vpreset(name)
    w, h = (p.width // 4, p.height // 4)
    lim = dataclasses.replace(p.limits, **limits) if limits else p.limits  # type: ignore[arg-type]
    if p.layout == "vertical-blur":
        lim = dataclasses.replace(lim, width=w, height=h, min_width=None, min_height=None)
    return dataclasses.replace(p, width=w, height=h, limits=lim)


def frame_at(path: Path, second: float, out: Path) -> Image.Image:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-ss", str(second), "-i", str(path), "-frames:v", "1", str(out)],
        check=True,
    )
    return Image.open(out).convert("RGB")


def children() -> list[psutil.Process]:
    return psutil.Process().children(recursive=True)


@pytest.fixture
def new_children() -> Callable[[], list[psutil.Process]]:
    """Child processes (zombies included) started since the test began."""
    before = {p.pid for p in children()}
    return lambda: [p for p in children() if p.pid not in before]


def keyframe_times(path: Path) -> list[float]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-skip_frame", "nokey", "-show_entries",
         "frame=pts_time", "-of", "json", str(path)],
        capture_output=True, check=True,
    )  # fmt: skip
    return [float(f["pts_time"]) for f in json.loads(out.stdout)["frames"]]


def test_reel_is_vertical_h264_aac48k_faststart_fixed_rate_closed_gop(
    new_children: Callable[[], list[psutil.Process]], landscape_clip: Path, tmp_path: Path
) -> None:
    seen: list[float] = []
    media = prepare(landscape_clip, "facebook-reel", tmp_path / "cache", seen.append)
    info = probe_video(media.path)
    assert (info.width, info.height) == (1080, 1920)
    assert info.codec == "h264" and info.pix_fmt == "yuv420p"
    assert info.audio_codec == "aac" and info.audio_rate == 48_000 and info.audio_channels == 2
    assert info.fixed_fps and info.fps == 25
    assert info.faststart is True
    assert abs(info.duration - 4.0) < 0.1
    keys = keyframe_times(media.path)
    assert keys[:2] == [0.0, 2.0]  # a key frame every 2 s, not at scene cuts
    assert seen and seen[-1] == 1.0 and all(0 <= a <= b <= 1 for a, b in zip(seen, seen[1:], strict=False))
    assert {n.key for n in media.notes} >= {"video.codec", "video.vertical"}
    assert new_children() == []  # ffmpeg and ffprobe reaped after a successful render too


def test_vertical_variant_fills_the_frame_with_a_blurred_copy(landscape_clip: Path, tmp_path: Path) -> None:
    media = prepare(landscape_clip, "facebook-reel", tmp_path / "cache")
    im = frame_at(media.path, 1.0, tmp_path / "f.png")
    # above and below the centred clip there is picture (the blurred copy), not black bars
    top = ImageStat.Stat(im.crop((0, 0, 1080, 600))).mean
    assert sum(top) / 3 > 40

    # the blurred copy is smooth: far less detail than the sharp clip in the middle
    def detail(box: tuple[int, int, int, int]) -> float:
        region = im.crop(box).convert("L")
        shifted = region.transform(region.size, Image.Transform.AFFINE, (1, 0, 1, 0, 1, 0))
        return float(ImageStat.Stat(ImageChops.difference(region, shifted)).mean[0])

    assert detail((100, 100, 980, 500)) * 3 < detail((100, 760, 980, 1160))


def test_silent_clip_gets_a_silent_aac_track(silent_clip: Path, tmp_path: Path) -> None:
    media = prepare(silent_clip, "youtube-short", tmp_path / "cache")
    info = probe_video(media.path)
    assert info.audio_codec == "aac" and info.audio_rate == 48_000
    assert any(n.key == "video.silent" for n in media.notes)


def test_fit_presets_never_enlarge_and_keep_the_shape(
    landscape_clip: Path, rotated_clip: Path, tmp_path: Path
) -> None:
    media = prepare(landscape_clip, "youtube-video", tmp_path / "cache")
    assert (media.width, media.height) == (320, 180)
    turned = prepare(rotated_clip, "facebook-video", tmp_path / "cache")
    # a phone clip tagged "rotate 90" comes out upright, portrait
    assert (turned.width, turned.height) == (180, 320)


def test_too_short_for_a_reel_is_a_clear_error(short_clip: Path, tmp_path: Path) -> None:
    with pytest.raises(MediaError) as err:
        prepare(short_clip, "facebook-reel", tmp_path / "cache")
    assert err.value.code == "too_short"
    assert "short.mp4" in str(err.value) and "3" in str(err.value)
    assert not list((tmp_path / "cache").rglob("*.mp4"))


def test_long_clip_is_trimmed_to_the_platform_maximum(landscape_clip: Path, tmp_path: Path) -> None:
    info = probe_video(landscape_clip)
    plan = plan_video(dataclasses.replace(info, duration=200.0), vpreset("facebook-reel"))
    assert plan.duration == 90.0
    assert any(n.key == "video.trimmed" for n in plan.notes)
    short_max = small("facebook-reel", max_duration=3.0)
    out = tmp_path / "trimmed.mp4"
    render_video(info, short_max, out)
    assert abs(probe_video(out).duration - 3.0) < 0.1


def test_start_option_skips_the_beginning(two_colour_clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "from-blue.mp4"
    render_video(probe_video(two_colour_clip), small("facebook-video"), out, VideoOptions(start=2.5))
    assert abs(probe_video(out).duration - 1.5) < 0.1
    r, _, b = rgb(frame_at(out, 0.2, tmp_path / "f.png"), (40, 20))
    assert b > 200 and r < 60


def test_zalo_cap_reduces_bitrate_and_says_so(landscape_clip: Path, tmp_path: Path) -> None:
    info = probe_video(landscape_clip)
    # 150 kB for 4 s: ~300 kbit/s total, which binds for this busy test pattern
    tight = dataclasses.replace(
        vpreset("zalo-video"),
        limits=dataclasses.replace(vpreset("zalo-video").limits, max_bytes=150_000),
        size_ladder=((1280, 720, 100),),
    )
    out = tmp_path / "zalo.mp4"
    result = render_video(info, tight, out)
    assert out.stat().st_size <= 150_000
    assert any(n.key == "video.bitrate" for n in result.notes)
    assert result.plan.video_kbps_cap is not None


def test_zalo_cap_lowers_resolution_for_long_clips_and_refuses_hopeless_ones(landscape_clip: Path) -> None:
    big = dataclasses.replace(probe_video(landscape_clip), width=1920, height=1080)
    zalo = vpreset("zalo-video")
    ten_minutes = plan_video(dataclasses.replace(big, duration=600.0), zalo)
    assert (ten_minutes.width, ten_minutes.height) == (854, 480)
    assert {"video.smaller", "video.bitrate"} <= {n.key for n in ten_minutes.notes}
    one_minute = plan_video(dataclasses.replace(big, duration=60.0), zalo)
    assert (one_minute.width, one_minute.height) == (1280, 720)
    assert not any(n.key == "video.smaller" for n in one_minute.notes)
    with pytest.raises(MediaError) as err:
        plan_video(dataclasses.replace(big, duration=3600.0), zalo)
    assert err.value.code == "too_big_to_fit"


def test_title_card_shows_only_at_the_start(two_colour_clip: Path, tmp_path: Path) -> None:
    p = small("facebook-video")
    info = probe_video(two_colour_clip)
    render_video(info, p, tmp_path / "plain.mp4")
    render_video(
        info,
        p,
        tmp_path / "titled.mp4",
        VideoOptions(title="Chào mừng ngày Quốc khánh 2/9", title_seconds=1.0),
    )
    early = ImageChops.difference(
        frame_at(tmp_path / "plain.mp4", 0.5, tmp_path / "a.png"),
        frame_at(tmp_path / "titled.mp4", 0.5, tmp_path / "b.png"),
    )
    late = ImageChops.difference(
        frame_at(tmp_path / "plain.mp4", 1.5, tmp_path / "c.png"),
        frame_at(tmp_path / "titled.mp4", 1.5, tmp_path / "d.png"),
    )
    assert sum(ImageStat.Stat(early).mean) > 20
    assert sum(ImageStat.Stat(late).mean) < 3


def test_logo_overlay_sits_top_right(two_colour_clip: Path, tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    Image.new("RGBA", (60, 60), (0, 255, 0, 255)).save(logo)
    out = tmp_path / "logo.mp4"
    render_video(probe_video(two_colour_clip), small("facebook-video"), out, VideoOptions(logo=logo))
    im = frame_at(out, 0.5, tmp_path / "f.png")
    assert rgb(im, (im.width - 20, 20))[1] > 150  # green logo
    assert rgb(im, (20, im.height - 20))[0] > 150  # red clip


@pytest.mark.parametrize(("second", "channel"), [(1.0, 0), (3.0, 2)])
def test_thumbnail_from_a_chosen_second(
    two_colour_clip: Path, tmp_path: Path, second: float, channel: int
) -> None:
    media = prepare(
        two_colour_clip, "youtube-thumbnail", tmp_path / "cache", options=RenderOptions(thumbnail_at=second)
    )
    with Image.open(media.path) as im:
        assert im.size == (1280, 720) and im.format == "JPEG"
        assert rgb(im, (640, 360))[channel] > 200
    assert media.bytes <= vpreset_bytes("youtube-thumbnail")


def vpreset_bytes(name: str) -> int:
    return PRESETS[name].max_bytes or 0


def test_thumbnail_second_outside_the_clip_is_refused(two_colour_clip: Path, tmp_path: Path) -> None:
    with pytest.raises(MediaError) as err:
        prepare(two_colour_clip, "youtube-thumbnail", tmp_path / "c", options=RenderOptions(thumbnail_at=9.0))
    assert err.value.code == "bad_option"


def test_failed_render_leaves_no_process_and_no_file(
    new_children: Callable[[], list[psutil.Process]], landscape_clip: Path, tmp_path: Path
) -> None:
    broken = dataclasses.replace(vpreset("facebook-video"), x264_preset="no-such-speed")
    with pytest.raises(MediaError) as err:
        render_video(probe_video(landscape_clip), broken, tmp_path / "out" / "x.mp4")
    assert err.value.code == "render_failed"
    assert new_children() == []
    assert not (tmp_path / "out" / "x.mp4").exists()
    assert list((tmp_path / "out").iterdir()) == []


def test_cancelled_render_leaves_no_process_and_no_file(
    new_children: Callable[[], list[psutil.Process]], long_clip: Path, tmp_path: Path
) -> None:
    cancel = threading.Event()
    seen: list[float] = []

    def progress(fraction: float) -> None:
        seen.append(fraction)
        if fraction > 0:
            cancel.set()

    with pytest.raises(RenderCancelled):
        prepare(long_clip, "facebook-reel", tmp_path / "cache", progress, cancel=cancel)
    assert seen and seen[-1] < 1.0
    assert new_children() == []
    assert not list((tmp_path / "cache").rglob("*.mp4"))


def test_an_exception_in_the_progress_callback_stops_ffmpeg(
    new_children: Callable[[], list[psutil.Process]], long_clip: Path, tmp_path: Path
) -> None:
    def progress(fraction: float) -> None:
        if 0 < fraction < 1:
            raise KeyboardInterrupt  # what a worker's soft time limit looks like from here

    with pytest.raises(KeyboardInterrupt):
        prepare(long_clip, "facebook-reel", tmp_path / "cache", progress)
    assert new_children() == []


def test_run_ffmpeg_failure_is_reaped_and_explained(
    new_children: Callable[[], list[psutil.Process]], tmp_path: Path
) -> None:
    with pytest.raises(MediaError) as err:
        run_ffmpeg(
            ["ffmpeg", "-v", "error", "-i", str(tmp_path / "missing.mp4"), "-f", "null", "-"],
            name="missing.mp4",
            preset="x",
        )
    assert "missing.mp4" in str(err.value)
    assert new_children() == []


def test_an_upright_phone_clip_is_scaled_not_blurred(rotated_clip: Path, landscape_clip: Path) -> None:
    reel = vpreset("facebook-reel")
    upright = plan_video(probe_video(rotated_clip), reel)  # 180x320 = 9:16 already
    assert not upright.blur_fill and (upright.width, upright.height) == (1080, 1920)
    assert "gblur" not in " ".join(build_command(rotated_clip, Path("o.mp4"), upright, reel))
    wide = plan_video(probe_video(landscape_clip), reel)
    assert wide.blur_fill and "gblur" in " ".join(build_command(landscape_clip, Path("o.mp4"), wide, reel))
