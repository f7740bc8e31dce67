"""Photos: orientation, metadata stripped, crop/pad with a focus point, size caps, banner text."""

from __future__ import annotations

import dataclasses
import unicodedata
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageStat

from assets.errors import MediaError
from assets.images import (
    BANNER_COLOR,
    FONT_BOLD,
    FONT_REGULAR,
    ImageOptions,
    banner_layout,
    fit_image,
    load_font,
    render_image,
)
from assets.prepare import RenderOptions, prepare
from assets.presets import PRESETS, ImagePreset
from publisher.core.media_limits import ImageLimits
from tests.assets.media_factory import noise_photo, photo, rgb

BANNER = "Kỷ niệm 50 năm Ngày giải phóng miền Nam, thống nhất đất nước"


def preset(name: str) -> ImagePreset:
    p = PRESETS[name]
    assert isinstance(p, ImagePreset)
    return p


def mean_diff(a: Image.Image, b: Image.Image) -> float:
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    return sum(ImageStat.Stat(diff).mean) / 3


def luma_diff(a: Image.Image, b: Image.Image) -> float:
    """Mean brightness difference after a 1-px blur (JPEG ringing and chroma subsampling damped)."""
    la = a.convert("L").filter(ImageFilter.GaussianBlur(1))
    lb = b.convert("L").filter(ImageFilter.GaussianBlur(1))
    return float(ImageStat.Stat(ImageChops.difference(la, lb)).mean[0])


def test_orientation_applied_and_every_metadata_removed(tmp_path: Path) -> None:
    src = photo(tmp_path / "in.jpg", (400, 300), orientation=6)
    with Image.open(src) as im:
        assert im.getexif().get_ifd(0x8825), "the input must carry GPS for this test to mean anything"
    out = tmp_path / "out.jpg"
    result = render_image(src, preset("facebook-photo"), out)

    with Image.open(out) as im:
        # orientation 6 = "rotate 90° clockwise to display": the stored top-left corner ends top-right
        assert im.size == (300, 400)
        assert rgb(im, (im.width - 10, 10))[0] > 200
        assert rgb(im, (10, 10))[0] < 150
        assert dict(im.getexif()) == {}
        assert "comment" not in im.info and "exif" not in im.info and "xmp" not in im.info
    raw = out.read_bytes()
    assert b"Exif\x00\x00" not in raw
    assert b"Canon" not in raw and b"Thon Dong" not in raw
    keys = [n.key for n in result.notes]
    assert "images.rotated" in keys and "images.stripped" in keys


def test_cover_crop_keeps_the_focus_point(tmp_path: Path) -> None:
    im = Image.new("RGB", (2000, 800), (200, 200, 200))
    ImageDraw.Draw(im).rectangle((1880, 350, 1960, 450), fill=(0, 200, 0))
    src = tmp_path / "wide.png"
    im.save(src)

    def has_green(focus: tuple[float, float]) -> bool:
        out = tmp_path / f"out-{focus[0]}.jpg"
        render_image(src, preset("zalo-cover"), out, ImageOptions(focus=focus))
        with Image.open(out) as o:
            assert o.size == (1280, 720)
            return any(rgb(o, (x, 360))[1] > 150 and rgb(o, (x, 360))[0] < 80 for x in range(0, 1280, 4))

    assert has_green((0.95, 0.5))
    assert not has_green((0.05, 0.5))


def test_pad_puts_the_whole_picture_over_a_blurred_copy() -> None:
    im = Image.new("RGB", (300, 600), (255, 255, 0))
    out = fit_image(im, (1280, 720), "pad", (0.5, 0.5))
    assert out.size == (1280, 720)
    # picture scaled to 360x720, centred: the middle column is the picture itself
    assert rgb(out, (640, 360)) == (255, 255, 0)
    assert rgb(out, (640, 5))[2] < 40


def test_contain_never_enlarges(tmp_path: Path) -> None:
    src = photo(tmp_path / "small.jpg", (640, 480), orientation=None, gps=False)
    result = render_image(src, preset("facebook-photo"), tmp_path / "o.jpg")
    assert (result.width, result.height) == (640, 480)


def test_quality_steps_down_until_the_cap_holds(tmp_path: Path) -> None:
    src = noise_photo(tmp_path / "noise.jpg", (1600, 900))
    tight = dataclasses.replace(
        preset("zalo-cover"), limits=ImageLimits("test", "zalo", ("jpeg",), max_bytes=300_000)
    )
    out = tmp_path / "o.jpg"
    result = render_image(src, tight, out)
    assert out.stat().st_size <= 300_000
    assert result.quality < tight.quality_start
    assert any(n.key == "images.quality" for n in result.notes)


def test_a_cap_that_cannot_be_met_is_a_clear_error(tmp_path: Path) -> None:
    src = noise_photo(tmp_path / "noise.jpg", (1600, 900))
    impossible = dataclasses.replace(
        preset("zalo-cover"), limits=ImageLimits("test", "zalo", ("jpeg",), max_bytes=2_000)
    )
    with pytest.raises(MediaError) as err:
        render_image(src, impossible, tmp_path / "o.jpg")
    assert err.value.code == "image_too_big"
    assert not (tmp_path / "o.jpg").exists()


def test_large_jpeg_is_decoded_at_reduced_size(tmp_path: Path) -> None:
    src = photo(tmp_path / "12mp.jpg", (4000, 3000), orientation=None, gps=False)
    result = render_image(src, preset("youtube-thumbnail"), tmp_path / "t.jpg")
    assert (result.width, result.height) == (1280, 720)
    # draft() may decode at 1/2 (2000x1500) and still leave >= 1280x720 to resize from
    assert result.decoded_size == (2000, 1500)


def test_every_preset_result_is_under_its_cap(tmp_path: Path) -> None:
    src = noise_photo(tmp_path / "big.jpg", (3000, 2000))
    for name in ("facebook-photo", "youtube-thumbnail", "zalo-cover"):
        p = preset(name)
        media = prepare(src, name, tmp_path / "cache")
        assert media.bytes <= p.max_bytes
        with Image.open(media.path) as im:
            assert im.format == "JPEG"
            if p.fit == "cover":
                assert im.size == (p.width, p.height)
            else:
                assert im.width <= p.width and im.height <= p.height


def _reference_banner(size: tuple[int, int], text: str, base: tuple[int, int, int]) -> Image.Image:
    """The same banner drawn independently: same font and size, red band, centred white lines."""
    layout, band = banner_layout(text, size)
    font = load_font(str(FONT_BOLD), layout.font_size)
    w, h = size
    ref = Image.new("RGBA", size, base + (255,))
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    draw.rectangle((0, h - band, w, h), fill=BANNER_COLOR)
    y = h - band + (band - layout.block_height) // 2
    for line in layout.lines:
        draw.text(((w - font.getlength(line)) / 2, y), line, font=font, fill=(255, 255, 255, 255))
        y += layout.line_height
    return Image.alpha_composite(ref, layer).convert("RGB")


def test_banner_text_is_drawn_with_its_vietnamese_marks(tmp_path: Path) -> None:
    base = (128, 128, 128)
    src = tmp_path / "grey.png"
    Image.new("RGB", (1280, 720), base).save(src)
    out = tmp_path / "b.jpg"
    render_image(src, preset("zalo-cover"), out, ImageOptions(banner=BANNER))
    _, band = banner_layout(BANNER, (1280, 720))
    region = (0, 720 - band, 1280, 720)
    with Image.open(out) as got:
        got_band = got.convert("RGB").crop(region)
    same = _reference_banner((1280, 720), BANNER, base).crop(region)
    no_marks = "".join(c for c in unicodedata.normalize("NFD", BANNER) if not unicodedata.combining(c))
    no_marks = no_marks.replace("đ", "d")
    other = _reference_banner((1280, 720), no_marks, base).crop(region)
    plain = _reference_banner((1280, 720), "", base).crop(region)
    close = luma_diff(got_band, same)
    assert close < 1.5
    # the same words without their tone marks, or no text at all, are clearly different
    assert luma_diff(got_band, other) > 4 * close + 1
    assert luma_diff(got_band, plain) > 20 * close + 5


def test_banner_text_in_nfd_draws_the_same_as_nfc(tmp_path: Path) -> None:
    src = tmp_path / "grey.png"
    Image.new("RGB", (1280, 720), (128, 128, 128)).save(src)
    render_image(src, preset("zalo-cover"), tmp_path / "nfc.jpg", ImageOptions(banner=BANNER))
    nfd = unicodedata.normalize("NFD", BANNER)
    assert nfd != BANNER
    render_image(src, preset("zalo-cover"), tmp_path / "nfd.jpg", ImageOptions(banner=nfd))
    with Image.open(tmp_path / "nfc.jpg") as a, Image.open(tmp_path / "nfd.jpg") as b:
        assert mean_diff(a, b) < 0.01


def test_banner_wraps_and_fits_the_width() -> None:
    long_text = BANNER + " " + BANNER + " và chào mừng Đại hội Đảng bộ xã lần thứ XXV"
    for size in ((1280, 720), (600, 400)):
        layout, band = banner_layout(long_text, size)
        font = load_font(str(FONT_BOLD), layout.font_size)
        margin = max(8, size[0] // 30)
        assert len(layout.lines) > 1
        assert all(font.getlength(line) <= size[0] - 2 * margin for line in layout.lines)
        assert band <= size[1] * 0.28 + 1
        assert " ".join(layout.lines) == unicodedata.normalize("NFC", long_text)
    short, _ = banner_layout("Xin chào", (1280, 720))
    assert short.font_size > layout.font_size


def test_bundled_fonts_have_every_vietnamese_letter() -> None:
    bases = "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
    tones = ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]
    letters = {unicodedata.normalize("NFC", b + t) for b in bases for t in tones} | set("đĐ")
    assert all(len(ch) == 1 for ch in letters)
    for path in (FONT_REGULAR, FONT_BOLD):
        assert path.is_file()
        font = load_font(str(path), 24)

        def glyph(ch: str, font: ImageFont.FreeTypeFont = font) -> bytes:
            im = Image.new("L", (48, 48))
            ImageDraw.Draw(im).text((8, 8), ch, font=font, fill=255)
            return im.tobytes()

        missing = glyph("\uffff")
        assert glyph("漢") == missing, "the missing-glyph check itself must be able to fail"
        absent = [ch for ch in sorted(letters) if glyph(ch) == missing]
        assert absent == [], f"{path.name} lacks {absent}"


def test_logo_goes_in_the_top_right_corner(tmp_path: Path) -> None:
    src = tmp_path / "white.png"
    Image.new("RGB", (1280, 720), (255, 255, 255)).save(src)
    logo = tmp_path / "logo.png"
    Image.new("RGBA", (100, 100), (0, 0, 255, 255)).save(logo)
    render_image(src, preset("zalo-cover"), tmp_path / "o.jpg", ImageOptions(logo=logo))
    with Image.open(tmp_path / "o.jpg") as im:
        r, g, b = rgb(im, (1280 - 40 - 60, 40 + 60))
        assert b > 150 and r < 120
        assert rgb(im, (60, 660))[2] > 240 and rgb(im, (60, 660))[0] > 240


def test_transparent_png_becomes_jpeg_on_white(tmp_path: Path) -> None:
    src = tmp_path / "t.png"
    Image.new("RGBA", (800, 450), (0, 0, 0, 0)).save(src)
    result = render_image(src, preset("zalo-cover"), tmp_path / "o.jpg")
    with Image.open(tmp_path / "o.jpg") as im:
        assert im.format == "JPEG" and rgb(im, (10, 10))[0] > 240
    assert any(n.key == "images.converted" for n in result.notes)


@pytest.mark.parametrize("content", [b"not an image at all" * 50, b""])
def test_garbage_is_rejected_cleanly(tmp_path: Path, content: bytes) -> None:
    src = tmp_path / "photo.jpg"
    src.write_bytes(content)
    with pytest.raises(MediaError) as err:
        prepare(src, "zalo-cover", tmp_path / "cache")
    assert err.value.code == "unreadable"
    assert "photo.jpg" in str(err.value)


def test_truncated_jpeg_is_rejected_cleanly(tmp_path: Path) -> None:
    full = noise_photo(tmp_path / "full.jpg", (800, 600))
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(full.read_bytes()[:3000])
    with pytest.raises(MediaError) as err:
        prepare(cut, "zalo-cover", tmp_path / "cache")
    assert err.value.code == "unreadable"


def test_a_photo_is_refused_for_a_video_preset(tmp_path: Path) -> None:
    src = photo(tmp_path / "p.jpg")
    with pytest.raises(MediaError) as err:
        prepare(src, "facebook-reel", tmp_path / "cache")
    assert err.value.code == "wrong_kind"


def test_banner_option_via_prepare(tmp_path: Path) -> None:
    src = tmp_path / "grey.png"
    Image.new("RGB", (1280, 720), (128, 128, 128)).save(src)
    plain = prepare(src, "zalo-cover", tmp_path / "cache")
    banner = prepare(src, "zalo-cover", tmp_path / "cache", options=RenderOptions(banner=BANNER))
    assert plain.path != banner.path
    with Image.open(plain.path) as a, Image.open(banner.path) as b:
        assert mean_diff(a, b) > 5
