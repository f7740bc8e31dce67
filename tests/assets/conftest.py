"""Clips generated once per test session (small sizes, so the whole area stays fast)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.assets import media_factory as mf
from tests.conftest import need_ffmpeg


@pytest.fixture(scope="session", autouse=True)
def _ffmpeg() -> None:
    need_ffmpeg()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def landscape_clip(media_dir: Path) -> Path:
    """4 s, 320x180, 25 fps, with a 44.1 kHz tone; index at the end."""
    return mf.clip(media_dir / "landscape.mp4")


@pytest.fixture(scope="session")
def silent_clip(media_dir: Path) -> Path:
    return mf.clip(media_dir / "silent.mp4", audio=False, seconds=3.5)


@pytest.fixture(scope="session")
def short_clip(media_dir: Path) -> Path:
    """2 s: under a Reel's 3 s minimum."""
    return mf.clip(media_dir / "short.mp4", seconds=2)


@pytest.fixture(scope="session")
def long_clip(media_dir: Path) -> Path:
    """30 s at 160x90: long enough to be cancelled mid-render."""
    return mf.clip(media_dir / "long.mp4", seconds=30, size="160x90")


@pytest.fixture(scope="session")
def two_colour_clip(media_dir: Path) -> Path:
    return mf.two_colour_clip(media_dir / "red-blue.mp4")


@pytest.fixture(scope="session")
def audio_only(media_dir: Path) -> Path:
    return mf.audio_only(media_dir / "tone.m4a")


@pytest.fixture(scope="session")
def rotated_clip(media_dir: Path, landscape_clip: Path) -> Path:
    """The landscape clip tagged as shot in portrait (display matrix rotation)."""
    out = media_dir / "rotated.mp4"
    mf.ffmpeg("-i", str(landscape_clip), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(out))
    return out
