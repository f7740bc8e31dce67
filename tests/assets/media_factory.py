"""Inputs for the media tests, generated on the spot (ffmpeg test sources, Pillow images)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image, ImageDraw

GPS_IFD = 0x8825


def rgb(im: Image.Image, xy: tuple[int, int]) -> tuple[int, int, int]:
    """One pixel as (r, g, b), typed."""
    r, g, b = im.convert("RGB").getpixel(xy)  # type: ignore[misc]
    return int(r), int(g), int(b)


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-y", "-loglevel", "error", *args], check=True)


def clip(
    path: Path,
    *,
    seconds: float = 4,
    size: str = "320x180",
    rate: int = 25,
    audio: bool = True,
    audio_rate: int = 44100,
    extra: tuple[str, ...] = (),
) -> Path:
    """A testsrc clip (+ a sine tone), H.264 ultrafast, index at the end (no faststart)."""
    args = ["-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate={audio_rate}:duration={seconds}"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        args += ["-c:a", "aac", "-shortest"]
    ffmpeg(*args, *extra, str(path))
    return path


def two_colour_clip(path: Path) -> Path:
    """2 s of red, then 2 s of blue: tells which second a thumbnail came from."""
    ffmpeg(
        "-f", "lavfi", "-i", "color=c=red:size=320x180:rate=25:duration=2",
        "-f", "lavfi", "-i", "color=c=blue:size=320x180:rate=25:duration=2",
        "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0[v]", "-map", "[v]",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path),
    )  # fmt: skip
    return path


def audio_only(path: Path) -> Path:
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "aac", str(path))
    return path


def photo(
    path: Path,
    size: tuple[int, int] = (400, 300),
    *,
    orientation: int | None = 6,
    gps: bool = True,
    colour: tuple[int, int, int] = (90, 140, 60),
    quality: int = 92,
) -> Path:
    """A JPEG with a red 40×40 marker at the stored top-left, EXIF orientation, GPS and a comment."""
    im = Image.new("RGB", size, colour)
    ImageDraw.Draw(im).rectangle((0, 0, 39, 39), fill=(255, 0, 0))
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    if orientation:
        exif[0x0112] = orientation
    if gps:
        gps_ifd = exif.get_ifd(GPS_IFD)
        gps_ifd[1] = "N"
        gps_ifd[2] = (21.0, 1.0, 30.0)
        gps_ifd[3] = "E"
        gps_ifd[4] = (105.0, 51.0, 12.0)
    im.save(path, "JPEG", quality=quality, exif=exif, comment=b"Thon Dong, 21.0N 105.8E")
    return path


def noise_photo(path: Path, size: tuple[int, int]) -> Path:
    Image.effect_noise(size, 80).convert("RGB").save(path, "JPEG", quality=95)
    return path
