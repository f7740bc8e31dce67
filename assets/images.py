"""Photos made right for a platform with Pillow, and Vietnamese text drawn on pictures.

The path of one photo: ``draft`` (JPEG decoded at 1/2, 1/4 or 1/8 size in the DCT domain when the
target is that much smaller) → EXIF orientation applied → resize with a crop or pad around the
officer's focus point → optional logo and banner → JPEG, quality stepped down until the platform's
size cap holds. Nothing of the source's metadata is written: no EXIF (GPS positions of photos taken
in villages must not leak), no XMP, no comments; only the ICC colour profile is kept.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps, UnidentifiedImageError, features

from assets.errors import MediaError
from assets.presets import ImagePreset
from publisher.i18n import Msg, msg, register

register(
    {
        "images.resized": ("Đổi cỡ ảnh {src} thành {dst}.", "Resized the photo from {src} to {dst}."),
        "images.cropped": ("Cắt ảnh cho vừa khung {dst}.", "Cropped the photo to fill {dst}."),
        "images.padded": (
            "Đặt ảnh vào khung {dst} trên nền mờ.",
            "Placed the photo in a {dst} frame over a blurred copy.",
        ),
        "images.rotated": ("Xoay ảnh theo thẻ hướng EXIF.", "Turned the photo as its EXIF orientation says."),
        "images.stripped": (
            "Đã xoá siêu dữ liệu (EXIF{gps}).",
            "Removed the metadata (EXIF{gps}).",
        ),
        "images.gps": (", gồm vị trí GPS", ", including the GPS position"),
        "images.quality": (
            "Nén JPEG chất lượng {quality} để dưới {max_kb} KB.",
            "Saved as JPEG quality {quality} to stay under {max_kb} KB.",
        ),
        "images.shrunk": (
            "Thu nhỏ thêm còn {dst} để dưới {max_kb} KB.",
            "Shrank further to {dst} to stay under {max_kb} KB.",
        ),
        "images.converted": ("Chuyển {src} sang JPEG.", "Converted {src} to JPEG."),
    }
)

FONT_DIR = Path(__file__).parent / "fonts"
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"

BANNER_COLOR = (178, 18, 24, 225)
TEXT_COLOR = (255, 255, 255, 255)


@dataclass(frozen=True)
class ImageOptions:
    """What an officer may set per photo."""

    #: the point to keep in view when cropping, as fractions of width and height (0.5, 0.5 = centre)
    focus: tuple[float, float] = (0.5, 0.5)
    banner: str | None = None
    logo: Path | None = None
    font: Path | None = None


@dataclass
class ImageResult:
    width: int
    height: int
    bytes: int
    quality: int
    #: the size the source was decoded at (smaller than the file when ``draft`` helped)
    decoded_size: tuple[int, int]
    notes: list[Msg] = field(default_factory=list)


@lru_cache(maxsize=32)
def load_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    engine = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    return ImageFont.truetype(path, size, layout_engine=engine)


def _open(path: Path) -> Image.Image:
    if not Path(path).is_file():
        raise MediaError("media.not_found", name=Path(path).name)
    try:
        return Image.open(path)
    except (UnidentifiedImageError, OSError, ValueError):
        raise MediaError("media.unreadable", name=Path(path).name) from None


def _fit_geometry(
    size: tuple[int, int], box: tuple[int, int], fit: str, focus: tuple[float, float]
) -> tuple[tuple[int, int], tuple[float, float, float, float], tuple[int, int]]:
    """(resized size, source crop box, canvas size) for a picture of ``size`` put in ``box``."""
    w, h = size
    bw, bh = box
    if fit == "cover":
        scale = max(bw / w, bh / h)
        cw, ch = bw / scale, bh / scale
        fx = min(max(focus[0], 0.0), 1.0)
        fy = min(max(focus[1], 0.0), 1.0)
        left = min(max(fx * w - cw / 2, 0.0), w - cw)
        top = min(max(fy * h - ch / 2, 0.0), h - ch)
        return (bw, bh), (left, top, left + cw, top + ch), (bw, bh)
    scale = min(bw / w, bh / h)
    if fit == "contain":
        scale = min(scale, 1.0)
    rw, rh = max(1, round(w * scale)), max(1, round(h * scale))
    canvas = (bw, bh) if fit == "pad" else (rw, rh)
    return (rw, rh), (0.0, 0.0, float(w), float(h)), canvas


def load_for(
    path: Path, box: tuple[int, int], fit: str
) -> tuple[Image.Image, tuple[int, int], int, tuple[int, int]]:
    """Open a photo decoded no larger than needed for ``box``, orientation applied, as RGB.

    Returns (image, decoded size, EXIF orientation, size of the file's picture as displayed).
    """
    im = _open(path)
    try:
        orientation = int(im.getexif().get(0x0112, 1) or 1)
    except Exception:  # a broken EXIF block must not stop the photo
        orientation = 1
    turned = orientation in (5, 6, 7, 8)
    disp = (im.height, im.width) if turned else (im.width, im.height)
    try:
        if im.format == "JPEG":
            (rw, rh), crop, _ = _fit_geometry(disp, box, fit, (0.5, 0.5))
            # draft() picks the largest 1/2^n scale that still leaves both sides >= the request, in
            # stored (pre-rotation) orientation; request the size the crop region is resized to.
            cw, ch = crop[2] - crop[0], crop[3] - crop[1]
            need_w = max(1, round(rw * disp[0] / cw))
            need_h = max(1, round(rh * disp[1] / ch))
            request = (need_h, need_w) if turned else (need_w, need_h)
            im.draft("RGB", request)
        decoded = im.size
        im.load()
    except (OSError, ValueError, SyntaxError):
        im.close()
        raise MediaError("media.unreadable", name=Path(path).name) from None
    icc = im.info.get("icc_profile")
    out = ImageOps.exif_transpose(im)
    if out is not im:
        im.close()
    if out.mode in ("RGBA", "LA") or (out.mode == "P" and "transparency" in out.info):
        rgba = out.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        out = flat
    elif out.mode != "RGB":
        out = out.convert("RGB")
    out.info = {"icc_profile": icc} if icc else {}
    return out, decoded, orientation, disp


def fit_image(im: Image.Image, box: tuple[int, int], fit: str, focus: tuple[float, float]) -> Image.Image:
    """Resize ``im`` into ``box``: cover-crop around ``focus``, pad over a blurred copy, or contain."""
    (rw, rh), crop, canvas = _fit_geometry(im.size, box, fit, focus)
    resized = im.resize((rw, rh), Image.Resampling.LANCZOS, box=crop, reducing_gap=3.0)
    if canvas == (rw, rh):
        return resized
    # pad: the picture centred over a blurred, cover-cropped copy of itself
    small = (max(1, canvas[0] // 8), max(1, canvas[1] // 8))
    (sw, sh), scrop, _ = _fit_geometry(im.size, small, "cover", focus)
    bg = im.resize((sw, sh), Image.Resampling.BILINEAR, box=scrop, reducing_gap=2.0)
    bg = bg.filter(ImageFilter.GaussianBlur(3)).resize(canvas, Image.Resampling.BILINEAR)
    bg.paste(resized, ((canvas[0] - rw) // 2, (canvas[1] - rh) // 2))
    return bg


# -- text ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextLayout:
    """Lines of a text wrapped to a width at one font size (NFC)."""

    text: str
    font_path: str
    font_size: int
    lines: tuple[str, ...]
    line_height: int
    block_height: int

    def font(self) -> ImageFont.FreeTypeFont:
        return load_font(self.font_path, self.font_size)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split():
            trial = f"{current} {word}" if current else word
            if font.getlength(trial) <= width:
                current = trial
                continue
            if current:
                lines.append(current)
            # a single word wider than the line is broken between letters
            current = ""
            for ch in word:
                if current and font.getlength(current + ch) > width:
                    lines.append(current)
                    current = ch
                else:
                    current += ch
        lines.append(current)
    return [line for line in lines if line] or [""]


def layout_text(
    text: str,
    width: int,
    max_height: int,
    *,
    font_path: Path | None = None,
    start_size: int,
    min_size: int = 12,
    max_lines: int = 3,
) -> TextLayout:
    """Wrap ``text`` (normalised to NFC) to ``width`` and shrink the font until it fits."""
    text = unicodedata.normalize("NFC", text).strip()
    path = str(font_path or FONT_BOLD)
    size = max(start_size, min_size)
    while True:
        font = load_font(path, size)
        lines = _wrap(text, font, width)
        ascent, descent = font.getmetrics()
        line_height = round((ascent + descent) * 1.15)
        block = line_height * len(lines)
        if (len(lines) <= max_lines and block <= max_height) or size <= min_size:
            return TextLayout(text, path, size, tuple(lines), line_height, block)
        size = max(min_size, int(size * 0.9))


def draw_text_block(
    draw: ImageDraw.ImageDraw,
    layout: TextLayout,
    box: tuple[int, int, int, int],
    fill: tuple[int, ...] = TEXT_COLOR,
) -> None:
    """Draw the lines centred in ``box`` (left, top, right, bottom)."""
    font = layout.font()
    left, top, right, bottom = box
    y = top + (bottom - top - layout.block_height) // 2
    for line in layout.lines:
        x = left + (right - left - font.getlength(line)) / 2
        draw.text((x, y), line, font=font, fill=fill)
        y += layout.line_height


def banner_layout(text: str, size: tuple[int, int], font_path: Path | None = None) -> tuple[TextLayout, int]:
    """Layout of a banner across the bottom of a picture of ``size``; returns (layout, band height)."""
    w, h = size
    margin = max(8, w // 30)
    layout = layout_text(
        text, w - 2 * margin, int(h * 0.28) - margin, font_path=font_path, start_size=max(14, w // 20)
    )
    return layout, layout.block_height + margin


def draw_banner(im: Image.Image, text: str, font_path: Path | None = None) -> Image.Image:
    """A red band across the bottom with the text centred, white, wrapped and fitted to width."""
    layout, band = banner_layout(text, im.size, font_path)
    overlay = Image.new("RGBA", im.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    w, h = im.size
    draw.rectangle((0, h - band, w, h), fill=BANNER_COLOR)
    draw_text_block(draw, layout, (0, h - band, w, h))
    out = Image.alpha_composite(im.convert("RGBA"), overlay).convert("RGB")
    out.info = dict(im.info)
    return out


def title_card(text: str, size: tuple[int, int], font_path: Path | None = None) -> Image.Image:
    """A transparent RGBA layer with the title on a dark band across the middle (for a video's start)."""
    w, h = size
    margin = max(8, min(w, h) // 20)
    layout = layout_text(
        text, w - 2 * margin, h // 3, font_path=font_path, start_size=max(16, min(w, h) // 12), max_lines=4
    )
    card = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(card)
    band = layout.block_height + 2 * margin
    top = (h - band) // 2
    draw.rectangle((0, top, w, top + band), fill=(0, 0, 0, 170))
    draw_text_block(draw, layout, (0, top, w, top + band))
    return card


def logo_layer(
    logo_path: Path, size: tuple[int, int], share: float = 0.14, opacity: float = 0.85
) -> Image.Image:
    """A transparent layer of ``size`` with the logo in the top-right corner."""
    logo = ImageOps.exif_transpose(_open(logo_path)).convert("RGBA")
    w, h = size
    lw = max(16, int(w * share))
    lh = max(1, round(logo.height * lw / logo.width))
    logo = logo.resize((lw, lh), Image.Resampling.LANCZOS)
    if opacity < 1:
        alpha = logo.getchannel("A").point(lambda a: int(a * opacity))
        logo.putalpha(alpha)
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    margin = max(8, w // 40)
    layer.paste(logo, (w - lw - margin, margin), logo)
    return layer


# -- the whole path -----------------------------------------------------------------------------


def encode_jpeg(im: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    icc = im.info.get("icc_profile")
    # only the ICC profile goes in: no exif=, no xmp=, no comment
    kwargs: dict[str, object] = {"quality": quality, "optimize": True, "progressive": True}
    if icc:
        kwargs["icc_profile"] = icc
    clean = im.copy()
    clean.info = {}
    clean.save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def compress_under(
    im: Image.Image, preset: ImagePreset, name: str
) -> tuple[bytes, int, Image.Image, list[Msg]]:
    """JPEG bytes under the preset's cap: quality first, then size, in steps."""
    notes: list[Msg] = []
    cap = preset.max_bytes
    for _ in range(6):
        quality = preset.quality_start
        while True:
            data = encode_jpeg(im, quality)
            if len(data) <= cap or quality <= preset.quality_min:
                break
            quality = max(preset.quality_min, quality - 6)
        if len(data) <= cap:
            if quality < preset.quality_start:
                notes.append(msg("images.quality", quality=quality, max_kb=cap // 1000))
            return data, quality, im, notes
        if preset.fit != "contain":
            break  # a fixed frame cannot be shrunk
        new = (max(1, int(im.width * 0.8)), max(1, int(im.height * 0.8)))
        info = im.info
        im = im.resize(new, Image.Resampling.LANCZOS)
        im.info = info
        notes.append(msg("images.shrunk", dst=f"{new[0]}×{new[1]}", max_kb=cap // 1000))
    raise MediaError("media.image_too_big", name=name, max_kb=cap // 1000, preset=preset.name)


def render_image(
    src: Path, preset: ImagePreset, out: Path, options: ImageOptions | None = None
) -> ImageResult:
    """Make ``out`` (JPEG) from the photo ``src`` for ``preset``."""
    options = options or ImageOptions()
    src = Path(src)
    box = (preset.width, preset.height)
    fit = preset.fit
    with _open(src) as probe_im:
        fmt = (probe_im.format or "").upper()
        try:
            exif = probe_im.getexif()
            had_exif = len(exif) > 0
            had_gps = bool(exif.get_ifd(0x8825)) or 0x8825 in exif
        except Exception:
            had_exif = had_gps = False
    im, decoded, orientation, disp = load_for(src, box, fit)
    notes: list[Msg] = []
    if orientation != 1:
        notes.append(msg("images.rotated"))
    if had_exif:
        notes.append(msg("images.stripped", gps=msg("images.gps") if had_gps else ""))
    if fmt != "JPEG":
        notes.append(msg("images.converted", src=fmt or "?"))
    info = im.info
    fitted = fit_image(im, box, fit, options.focus)
    fitted.info = info
    if fitted.size != disp:
        same_shape = abs(disp[0] * fitted.height - disp[1] * fitted.width) <= max(disp)
        key = (
            "images.resized"
            if fit == "contain" or same_shape
            else f"images.{'cropped' if fit == 'cover' else 'padded'}"
        )
        notes.append(msg(key, src=f"{disp[0]}×{disp[1]}", dst=f"{fitted.width}×{fitted.height}"))
    if options.logo:
        layer = logo_layer(options.logo, fitted.size)
        fitted = Image.alpha_composite(fitted.convert("RGBA"), layer).convert("RGB")
        fitted.info = info
    if options.banner:
        fitted = draw_banner(fitted, options.banner, options.font)
    data, quality, final, more = compress_under(fitted, preset, src.name)
    notes.extend(more)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return ImageResult(final.width, final.height, len(data), quality, decoded, notes)
