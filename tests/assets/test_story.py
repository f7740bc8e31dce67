"""``assets.story``: photo stories rendered with real Pillow and real ffmpeg.

Small and fast: a few small photos, about a second each, at a small frame (a ``youtube-video``
preset with a 320×180 box gives a 180×320 vertical frame); one story at the real 1080×1920 Reel.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import statistics
import subprocess
import threading
import unicodedata
from pathlib import Path

import psutil
import pytest
from PIL import Image, ImageDraw, ImageFont

from assets.errors import RenderCancelled
from assets.presets import PRESETS, VideoPreset
from assets.probe import probe_video, validate_video
from assets.story import (
    CAPTION_BOTTOM_VERTICAL,
    CAPTION_MIN,
    LOUDNESS,
    TRUE_PEAK,
    Fonts,
    caption_band,
    caption_layout,
    interest_point,
    missing_glyphs,
    prepare_photo,
    render_story,
    story_frame,
    title_layer,
)
from publisher.core.story import FPS, Story, StoryInvalid, StoryPhoto, timeline
from publisher.i18n import set_language
from publisher.settings import MediaSettings
from tests.assets import media_factory as mf

_YOUTUBE = PRESETS["youtube-video"]
assert isinstance(_YOUTUBE, VideoPreset)
SMALL = dataclasses.replace(_YOUTUBE, name="test-story-small", width=320, height=180)
FRAME = (180, 320)


def ffprobe_json(path: Path) -> dict[str, object]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        check=True,
    ).stdout
    data: dict[str, object] = json.loads(out)
    return data


def frame_at(video: Path, second: float, out: Path) -> Image.Image:
    mf.ffmpeg("-ss", f"{second:.3f}", "-i", str(video), "-frames:v", "1", str(out))
    return Image.open(out).convert("RGB")


def solid(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (320, 240)) -> Path:
    Image.new("RGB", size, colour).save(path, "JPEG", quality=92)
    return path


def tone(path: Path, seconds: float = 2.0) -> Path:
    mf.ffmpeg("-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}", "-c:a", "libmp3lame", str(path))
    return path


def story_of(photos: list[Path], **kw: object) -> Story:
    captions = kw.pop("captions", [None] * len(photos))
    assert isinstance(captions, list)
    base: dict[str, object] = {"title": "Lễ hội Hoa Ban 2026", "seconds": 1.0, "title_seconds": 1.0}
    base.update(kw)
    return Story(photos=tuple(StoryPhoto(p, c) for p, c in zip(photos, captions, strict=True)), **base)  # type: ignore[arg-type]


@pytest.fixture
def three(tmp_path: Path) -> list[Path]:
    return [
        solid(tmp_path / "do.jpg", (200, 40, 40)),
        solid(tmp_path / "xanh.jpg", (40, 180, 40)),
        solid(tmp_path / "lam.jpg", (40, 40, 200)),
    ]


def children() -> list[psutil.Process]:
    return psutil.Process().children(recursive=True)


# -- rendering -----------------------------------------------------------------------------------


def test_a_story_with_music_has_its_duration_frame_and_sound(three: list[Path], tmp_path: Path) -> None:
    story = story_of(three, music=tone(tmp_path / "nhac.mp3"), captions=["Một", None, "Ba"])
    seen: list[float] = []
    before = {p.pid for p in children()}
    result = render_story(story, SMALL, tmp_path / "cache", seen.append)
    tl = timeline(story)
    info = probe_video(result.path)
    assert (info.width, info.height) == FRAME == (result.width, result.height)
    assert info.duration == pytest.approx(tl.duration, abs=1 / FPS)
    assert tl.duration == pytest.approx(4.0, abs=0.5 / FPS)
    data = ffprobe_json(result.path)
    streams = data["streams"]
    assert isinstance(streams, list)
    video = next(s for s in streams if s["codec_type"] == "video")
    assert abs(int(video["nb_frames"]) - tl.frames) <= 1
    assert (info.audio_codec, info.audio_rate, info.audio_channels) == ("aac", 48_000, 2)
    assert (info.codec, info.pix_fmt, info.faststart, round(info.fps)) == ("h264", "yuv420p", True, FPS)
    # progress: the photos first, then ffmpeg's own, ending at 1
    assert seen[-1] == 1.0 and seen == sorted(seen)
    assert any(0.1 < f < 1.0 for f in seen)
    assert [p for p in children() if p.pid not in before] == []
    keys = {n.key for n in result.notes}
    assert {"story.made", "story.music", "story.stripped"} <= keys and not result.cached


def loudness(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of a file's sound, as loudnorm measures it."""
    done = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-i", str(path), "-vn", "-af", "loudnorm=print_format=json",
         "-f", "null", "-"],
        capture_output=True, check=True,
    )  # fmt: skip
    text = done.stderr.decode()
    data = json.loads(text[text.rfind("{") : text.rfind("}") + 1])
    return float(data["input_i"]), float(data["input_tp"])


@pytest.mark.parametrize("volume", [0.03, 1.0])
def test_quiet_or_loud_music_is_brought_to_the_same_loudness(
    three: list[Path], tmp_path: Path, volume: float
) -> None:
    music = tmp_path / "nhac.wav"
    mf.ffmpeg(
        "-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-f", "lavfi", "-i", "sine=frequency=660:duration=3",
        "-filter_complex", f"amix=inputs=2,volume={volume}", "-ac", "2", str(music),
    )  # fmt: skip
    before, _peak = loudness(music)
    story = story_of(three, music=music, seconds=2.0, title_seconds=2.0)  # 8 s: the music loops
    result = render_story(story, SMALL, tmp_path / "cache")
    after, peak = loudness(result.path)
    assert abs(after - LOUDNESS) <= 2.0, (before, after)  # the fades take a little off
    assert peak <= TRUE_PEAK + 0.5
    assert probe_video(result.path).duration == pytest.approx(8.0, abs=1 / FPS)


def test_without_music_there_is_no_audio_stream_and_the_cache_serves_it_again(
    three: list[Path], tmp_path: Path
) -> None:
    story = story_of(three, transition="cut")
    first = render_story(story, SMALL, tmp_path / "cache")
    info = probe_video(first.path)
    assert not info.has_audio and info.audio_codec is None
    assert info.duration == pytest.approx(timeline(story).duration, abs=1 / FPS)
    assert "story.silent" in {n.key for n in first.notes}
    again = render_story(story, SMALL, tmp_path / "cache")
    assert again.cached and again.path == first.path
    # new bytes in one photo are a new story
    solid(three[1], (250, 250, 40))
    changed = render_story(story, SMALL, tmp_path / "cache")
    assert not changed.cached and changed.path != first.path


def test_a_real_reel_at_1080x1920_meets_the_reel_preset(tmp_path: Path) -> None:
    photos = [mf.noise_photo(tmp_path / f"anh-{i}.jpg", (1200, 900)) for i in range(2)]
    story = story_of(
        photos, music=tone(tmp_path / "nhac.mp3", 1.0), captions=["Đoàn rước khai mạc lễ hội", None]
    )
    result = render_story(story, "facebook-reel", tmp_path / "cache")
    info = validate_video(result.path, PRESETS["facebook-reel"])  # type: ignore[arg-type]
    assert (info.width, info.height) == (1080, 1920)
    assert info.duration == pytest.approx(3.0, abs=1 / FPS)


def test_the_title_card_frame_shows_the_rendered_title(three: list[Path], tmp_path: Path) -> None:
    story = story_of(three, unit="UBND xã Hạnh Dịch", date=dt.date(2026, 3, 20), title_seconds=1.5)
    result = render_story(story, SMALL, tmp_path / "cache")
    fonts = Fonts.of(MediaSettings())
    layer = title_layer(story, FRAME, fonts)
    other = title_layer(dataclasses.replace(story, title="Hội nghị tổng kết năm"), FRAME, fonts)
    box = layer.getchannel("A").getbbox()
    assert box is not None and box[3] - box[1] < FRAME[1] // 2  # a band, not the whole frame

    def luminance(im: Image.Image) -> list[float]:
        flat = Image.new("RGB", FRAME, (0, 0, 0))
        if im.mode == "RGBA":
            flat.paste(im, (0, 0), im)
        else:
            flat = im
        return [float(v) for v in flat.crop(box).convert("L").tobytes()]

    title_frame = frame_at(result.path, 0.5, tmp_path / "t.png")
    photo_frame = frame_at(result.path, 2.5, tmp_path / "p.png")
    expected = luminance(layer)
    assert statistics.correlation(luminance(title_frame), expected) > 0.95
    # the comparison tells titles apart, and the title is gone once the photos show
    assert statistics.correlation(luminance(title_frame), luminance(other)) < 0.8  # same unit and date
    assert statistics.pvariance(luminance(photo_frame)) < 0.05 * statistics.pvariance(expected)


def test_each_caption_shows_with_its_own_photo_only(three: list[Path], tmp_path: Path) -> None:
    story = story_of(three, captions=["Một", None, "Ba"], seconds=1.5)
    result = render_story(story, SMALL, tmp_path / "cache")
    fonts = Fonts.of(MediaSettings())
    tl = timeline(story)
    colours = [(200, 40, 40), (40, 180, 40), (40, 40, 200)]
    for i, caption in enumerate(["Một", None, "Ba"]):
        middle = tl.boundaries()[i] + story.seconds / 2  # this photo alone on screen
        frame = frame_at(result.path, middle, tmp_path / f"c{i}.png")
        _band, top = caption_band("Một", FRAME, fonts)
        inside = mf.rgb(frame, (3, top + 2))  # the band's margin: no letters there
        above = mf.rgb(frame, (3, top - 10))  # the photo itself
        assert all(abs(a - b) < 40 for a, b in zip(above, colours[i], strict=True)), (i, above)
        if caption:
            assert sum(inside) < sum(above) * 0.6, (i, inside, above)  # under the dark band
        else:
            assert all(abs(a - b) < 40 for a, b in zip(inside, colours[i], strict=True)), (i, inside)


def test_captions_stay_readable_and_clear_of_the_platform_buttons() -> None:
    fonts = Fonts.of(MediaSettings())
    long = "Đoàn rước khai mạc lễ hội Hoa Ban xã Hạnh Dịch năm 2026 với sự tham gia của bà con các bản " * 2
    frame = (1080, 1920)
    layout = caption_layout(long[:150], frame, fonts)
    assert layout.font_size >= round(1080 * CAPTION_MIN) >= 40
    font = layout.font()
    assert all(font.getlength(line) <= 1080 for line in layout.lines)
    band, top = caption_band(long[:150], frame, fonts)
    assert band.width == 1080 and top + band.height <= round(1920 * CAPTION_BOTTOM_VERTICAL)
    short = caption_layout("Khai mạc", frame, fonts)
    assert short.font_size > layout.font_size and len(short.lines) == 1


def test_a_photo_with_exif_orientation_comes_out_upright(tmp_path: Path) -> None:
    # stored 640x360, shown 360x640 (9:16): red at the stored top-left, blue at the stored bottom-left
    im = Image.new("RGB", (640, 360), (128, 128, 128))
    draw = ImageDraw.Draw(im)
    draw.rectangle((0, 0, 119, 119), fill=(255, 0, 0))
    draw.rectangle((0, 240, 119, 359), fill=(0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    im.save(tmp_path / "xoay.jpg", "JPEG", quality=95, exif=exif)
    story = story_of([tmp_path / "xoay.jpg"], pan_zoom=False, transition="cut")
    result = render_story(story, SMALL, tmp_path / "cache")
    frame = frame_at(result.path, 1.5, tmp_path / "f.png")
    w, h = frame.size
    r, g, b = mf.rgb(frame, (w - 10, 10))
    assert r > 200 and g < 60 and b < 60  # shown top-right: turned as the tag says
    r, g, b = mf.rgb(frame, (10, 10))
    assert b > 200 and r < 60 and g < 60  # shown top-left
    assert "story.rotated" in {n.key for n in result.notes}


def test_no_gps_or_other_metadata_of_the_photos_reaches_the_video(tmp_path: Path) -> None:
    src = mf.photo(tmp_path / "gps.jpg", (900, 600))  # EXIF with a GPS block, a maker, a comment
    with Image.open(src) as im:
        assert im.getexif().get_ifd(0x8825)
    frame = prepare_photo(src, FRAME, tmp_path / "sach.jpg")
    with Image.open(frame.path) as im:
        assert dict(im.getexif()) == {} and "comment" not in im.info and "exif" not in im.info
    assert frame.had_gps
    result = render_story(story_of([src]), SMALL, tmp_path / "cache")
    data = ffprobe_json(result.path)
    streams = data["streams"]
    fmt = data["format"]
    assert isinstance(streams, list) and isinstance(fmt, dict)
    tags = json.dumps([fmt.get("tags"), *(s.get("tags") for s in streams)]).lower()
    assert "location" not in tags and "gps" not in tags and "canon" not in tags
    blob = result.path.read_bytes()
    assert b"Thon Dong" not in blob and b"Canon" not in blob
    gps_note = next(n for n in result.notes if n.key == "story.stripped")
    assert "GPS" in str(gps_note)


@pytest.mark.parametrize("pan_zoom", [True, False])
def test_pan_and_zoom_move_the_photo_and_can_be_turned_off(tmp_path: Path, pan_zoom: bool) -> None:
    grid = Image.new("RGB", (720, 1280), (30, 30, 30))
    draw = ImageDraw.Draw(grid)
    for x in range(0, 720, 60):
        for y in range(0, 1280, 60):
            if (x + y) // 60 % 2:
                draw.rectangle((x, y, x + 59, y + 59), fill=(230, 230, 230))
    photo = tmp_path / "o-vuong.jpg"
    grid.save(photo, quality=95)
    story = story_of([photo], seconds=3.0, pan_zoom=pan_zoom, transition="cut")
    result = render_story(story, SMALL, tmp_path / "cache")
    start = frame_at(result.path, 1.05, tmp_path / "a.png").convert("L")
    end = frame_at(result.path, 3.95, tmp_path / "b.png").convert("L")
    diff = statistics.fmean(abs(a - b) for a, b in zip(start.tobytes(), end.tobytes(), strict=True))
    if pan_zoom:
        assert diff > 30  # a tenth closer: every edge has moved
    else:
        assert diff < 10  # the same picture, give or take the encoder


def test_the_logo_sits_top_right_over_the_whole_story(three: list[Path], tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    Image.new("RGBA", (200, 200), (250, 220, 0, 255)).save(logo)
    result = render_story(story_of(three, logo=logo, transition="cut"), SMALL, tmp_path / "cache")
    for second in (0.5, 2.5):  # on the title card and on a photo
        frame = frame_at(result.path, second, tmp_path / f"l{second}.png")
        w, _h = frame.size
        r, g, b = mf.rgb(frame, (w - 20, 20))
        assert r > 150 and g > 110 and b < 60, (second, (r, g, b))  # the yellow logo at 85 %
        assert mf.rgb(frame, (10, 20)) != (r, g, b)
    assert "story.logo" in {n.key for n in result.notes}


def test_the_pan_aims_at_the_detail_not_just_the_middle(tmp_path: Path) -> None:
    # a wide photo, flat but for a checkerboard in its left fifth: a centre crop to 9:16 misses it
    im = Image.new("RGB", (1600, 600), (90, 120, 90))
    draw = ImageDraw.Draw(im)
    for x in range(40, 280, 40):
        for y in range(180, 420, 40):
            if (x + y) // 40 % 2:
                draw.rectangle((x, y, x + 39, y + 39), fill=(250, 250, 250))
    im.save(tmp_path / "lech.jpg", quality=95)
    fx, fy = interest_point(im)
    assert fx < 0.25 and 0.35 < fy < 0.65
    assert interest_point(Image.new("RGB", (800, 600), (50, 50, 50))) == (0.5, 0.5)
    frame = prepare_photo(tmp_path / "lech.jpg", FRAME, tmp_path / "ra.jpg")
    with Image.open(frame.path) as out:
        spread = statistics.pstdev(float(v) for v in out.convert("L").tobytes())
    assert spread > 30  # the checkerboard is in the picture
    assert frame.size[0] / frame.size[1] == pytest.approx(FRAME[0] / FRAME[1], abs=0.01)


# -- text ----------------------------------------------------------------------------------------

TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # none, huyền, sắc, hỏi, ngã, nặng
VOWELS = "aăâeêioôơuưy"


def vietnamese_letters() -> list[str]:
    letters = [unicodedata.normalize("NFC", v + mark) for v in VOWELS for mark in TONES] + ["đ"]
    letters += [c.upper() for c in letters]
    return letters


def test_the_set_of_vietnamese_letters_is_every_precomposed_one() -> None:
    letters = vietnamese_letters()
    assert len(letters) == len(set(letters)) == 2 * (12 * 6 + 1)
    assert all(len(c) == 1 for c in letters)  # each a single precomposed code point
    assert {"ệ", "Ỷ", "ữ", "Đ", "ặ", "Ợ"} <= set(letters)


@pytest.mark.parametrize("face", ["bold", "regular"])
def test_every_vietnamese_letter_has_a_real_glyph_in_the_story_font(face: str) -> None:
    font_path = getattr(Fonts.of(MediaSettings()), face)
    font = ImageFont.truetype(str(font_path), 48)
    tofu = font.getmask("\U0010ffff")
    tofu_key = (tofu.size, bytes(tofu))
    drawn = []
    for letter in vietnamese_letters():
        mask = font.getmask(letter)
        assert mask.getbbox() is not None, letter
        if (mask.size, bytes(mask)) == tofu_key:
            drawn.append(letter)
    assert drawn == []
    assert missing_glyphs(font_path, "".join(vietnamese_letters())) == []


def test_a_letter_the_font_lacks_is_found_and_blocks_the_story(three: list[Path], tmp_path: Path) -> None:
    font = Fonts.of(MediaSettings()).bold
    assert missing_glyphs(font, "Lễ hội 漢 🎉") == ["漢", "🎉"]
    story = story_of(three, captions=[None, "Chúc mừng 🎉", None])
    with pytest.raises(StoryInvalid) as caught:
        render_story(story, SMALL, tmp_path / "cache", post="le-hoi")
    assert [p.field for p in caught.value.problems] == ["story.photos[1].caption"]
    assert "🎉" in str(caught.value.problems[0]) and "[le-hoi]" in str(caught.value.problems[0])


def test_the_font_setting_is_used(tmp_path: Path) -> None:
    media = MediaSettings(font_path=Path(__file__).parents[2] / "assets" / "fonts" / "DejaVuSans.ttf")
    fonts = Fonts.of(media)
    assert fonts.bold == fonts.regular == media.font_path


# -- bad input -----------------------------------------------------------------------------------


def test_bad_photos_and_music_are_named_by_field_all_at_once(three: list[Path], tmp_path: Path) -> None:
    corrupt = tmp_path / "hong.jpg"
    corrupt.write_bytes(three[0].read_bytes()[:300])  # a JPEG cut short
    not_a_photo = tmp_path / "ghi-chu.jpg"
    not_a_photo.write_text("không phải ảnh", encoding="utf-8")
    not_audio = tmp_path / "nhac.mp3"
    not_audio.write_text("không phải nhạc", encoding="utf-8")
    story = story_of([three[0], corrupt, not_a_photo, three[1]], music=not_audio)
    before = {p.pid for p in children()}
    with pytest.raises(StoryInvalid) as caught:
        render_story(story, SMALL, tmp_path / "cache", post="le-hoi-hoa-ban")
    assert [p.field for p in caught.value.problems] == [
        "story.music",
        "story.photos[1].file",
        "story.photos[2].file",
    ]
    text = [str(p) for p in caught.value.problems]
    assert (
        text[0]
        == "[le-hoi-hoa-ban] story.music: Tệp nhac.mp3 không phải tệp âm thanh đọc được (mp3, m4a, wav…)."
    )
    assert text[1].startswith("[le-hoi-hoa-ban] story.photos[1].file: Không đọc được ảnh hong.jpg")
    assert "le-hoi-hoa-ban" in str(caught.value) and caught.value.exit_code == 2
    set_language("en")
    assert str(caught.value.problems[2]).startswith(
        "[le-hoi-hoa-ban] story.photos[2].file: Cannot read the photo"
    )
    assert [p for p in children() if p.pid not in before] == []
    assert not list((tmp_path / "cache").rglob("*.mp4"))


def test_a_photo_gone_since_parsing_is_named(three: list[Path], tmp_path: Path) -> None:
    story = story_of(three)
    three[2].unlink()
    with pytest.raises(StoryInvalid) as caught:
        render_story(story, SMALL, tmp_path / "cache", post="p")
    assert [p.field for p in caught.value.problems] == ["story.photos[2].file"]


def test_a_video_file_with_sound_is_accepted_as_music(three: list[Path], tmp_path: Path) -> None:
    clip = mf.clip(tmp_path / "am-thanh.mp4", seconds=2)
    result = render_story(story_of(three, music=clip), SMALL, tmp_path / "cache")
    assert probe_video(result.path).has_audio


def test_length_and_shape_are_checked_against_the_preset(three: list[Path], tmp_path: Path) -> None:
    many = story_of(three * 20, seconds=1.5)  # 60 photos: 93 s, over a Reel's 90
    with pytest.raises(StoryInvalid) as caught:
        render_story(many, "facebook-reel", tmp_path / "cache")
    assert [p.field for p in caught.value.problems] == ["story.photos"]
    assert "90" in str(caught.value.problems[0])
    wide = story_of(three, landscape=True)
    with pytest.raises(StoryInvalid) as caught:
        render_story(wide, "youtube-short", tmp_path / "cache")
    assert [p.field for p in caught.value.problems] == ["story.landscape"]
    assert story_frame(wide, PRESETS["youtube-video"]) == (1920, 1080)  # type: ignore[arg-type]
    assert story_frame(story_of(three), PRESETS["youtube-video"]) == (1080, 1920)  # type: ignore[arg-type]
    assert story_frame(story_of(three), PRESETS["zalo-video"]) == (720, 1280)  # type: ignore[arg-type]


def test_a_cancelled_story_leaves_no_process_and_no_file(three: list[Path], tmp_path: Path) -> None:
    story = story_of(three, seconds=10.0)
    cancel = threading.Event()

    def stop_midway(fraction: float) -> None:
        if fraction > 0.2:
            cancel.set()

    before = {p.pid for p in children()}
    with pytest.raises(RenderCancelled):
        render_story(story, SMALL, tmp_path / "cache", stop_midway, cancel=cancel)
    assert [p for p in children() if p.pid not in before] == []
    assert not list((tmp_path / "cache").rglob("*.mp4"))
