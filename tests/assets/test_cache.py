"""The variant cache: content-keyed, never renders twice, size-capped, least recently used first."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import assets.prepare as prep
from assets.cache import MediaCache, file_digest, variant_key
from assets.prepare import RenderOptions, prepare, prepare_all
from assets.presets import PRESETS
from publisher.settings import MediaSettings
from tests.assets.media_factory import photo


def _no_render(*args: object, **kwargs: object) -> None:
    raise AssertionError("rendered again although the variant was cached")


def test_a_second_prepare_renders_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = photo(tmp_path / "p.jpg", (800, 600))
    first = prepare(src, "zalo-cover", tmp_path / "cache")
    assert not first.cached
    monkeypatch.setattr(prep, "render_image", _no_render)
    monkeypatch.setattr(prep, "render_video", _no_render)
    again = prepare(src, "zalo-cover", tmp_path / "cache")
    assert again.cached and again.path == first.path
    assert [n.key for n in again.notes] == [n.key for n in first.notes]
    # same bytes under another name (the second platform's copy) is the same variant
    copy = tmp_path / "other-name.jpg"
    shutil.copyfile(src, copy)
    assert prepare(copy, "zalo-cover", tmp_path / "cache").path == first.path


def test_a_cached_clip_is_not_rendered_again(
    landscape_clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = prepare(landscape_clip, "facebook-video", tmp_path / "cache")
    monkeypatch.setattr(prep, "render_video", _no_render)
    progress: list[float] = []
    again = prepare(landscape_clip, "facebook-video", tmp_path / "cache", progress.append)
    assert again.cached and again.path == first.path and progress == [1.0]
    assert again.duration == first.duration


def test_preset_options_and_content_change_the_key(tmp_path: Path) -> None:
    src = photo(tmp_path / "p.jpg")
    digest = file_digest(src)
    base = variant_key(digest, PRESETS["zalo-cover"], RenderOptions())
    assert base == variant_key(digest, PRESETS["zalo-cover"], RenderOptions())
    assert base != variant_key(digest, PRESETS["youtube-thumbnail"], RenderOptions())
    assert base != variant_key(digest, PRESETS["zalo-cover"], RenderOptions(banner="Xin chào"))
    assert base != variant_key(digest, PRESETS["zalo-cover"], RenderOptions(focus=(0.2, 0.5)))
    assert base != variant_key(digest, PRESETS["zalo-cover"], RenderOptions(), version=2)
    photo(src, colour=(10, 10, 200))  # the officer replaced the photo in place
    os.utime(src, ns=(1, 1))
    assert file_digest(src) != digest


def test_a_logo_counts_by_its_content(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"one")
    a = variant_key("d", PRESETS["zalo-cover"], RenderOptions(logo=logo))
    logo.write_bytes(b"two")
    os.utime(logo, ns=(5, 5))
    assert a != variant_key("d", PRESETS["zalo-cover"], RenderOptions(logo=logo))


def _fill(tmp_path: Path, cache: MediaCache, key: str, size: int, mtime: int) -> None:
    f = tmp_path / f"{key}.bin"
    f.write_bytes(b"x" * size)
    entry = cache.put(key * 8, f, {"kind": "image", "width": 1, "height": 1})
    os.utime(entry.path, (mtime, mtime))


def test_oldest_variants_are_evicted_over_the_cap(tmp_path: Path) -> None:
    cache = MediaCache(tmp_path / "cache", max_bytes=10_000)
    for i, key in enumerate(["aa", "bb", "cc"]):
        _fill(tmp_path, cache, key, 4_000, 1_000 + i)
    # three 4 kB variants under a 10 kB cap: the oldest ("aa") went when "cc" came
    assert cache.get("aa" * 8) is None
    assert cache.get("bb" * 8) is not None and cache.get("cc" * 8) is not None
    assert cache.size() <= 10_000
    # a hit counts as a use: "bb" was just read, so "cc" is now the oldest
    os.utime(cache.get("cc" * 8).path, (2_000, 2_000))  # type: ignore[union-attr]
    os.utime(cache.get("bb" * 8).path, (3_000, 3_000))  # type: ignore[union-attr]
    _fill(tmp_path, cache, "dd", 4_000, 4_000)
    assert cache.get("cc" * 8) is None and cache.get("bb" * 8) is not None and cache.get("dd" * 8) is not None


def test_a_new_variant_larger_than_the_cap_is_kept(tmp_path: Path) -> None:
    cache = MediaCache(tmp_path / "cache", max_bytes=1_000)
    _fill(tmp_path, cache, "aa", 500, 1_000)
    _fill(tmp_path, cache, "bb", 5_000, 2_000)
    assert cache.get("bb" * 8) is not None and cache.get("aa" * 8) is None


def test_prepare_respects_the_settings_cap(tmp_path: Path) -> None:
    settings = MediaSettings(cache_max_mb=0)
    a = prepare(photo(tmp_path / "a.jpg"), "zalo-cover", tmp_path / "cache", media=settings)
    b = prepare(photo(tmp_path / "b.jpg", colour=(0, 0, 0)), "zalo-cover", tmp_path / "cache", media=settings)
    assert b.path.is_file() and not a.path.exists()
    assert not any(p.name.startswith(".work-") for p in (tmp_path / "cache").iterdir())


def test_prepare_all_goes_on_after_a_bad_file(tmp_path: Path, short_clip: Path) -> None:
    good = photo(tmp_path / "ok.jpg")
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"nope")
    progress: list[tuple[float, str]] = []
    outcomes = prepare_all(
        [
            (bad, "zalo-cover"),
            (short_clip, "facebook-reel"),
            (good, "zalo-cover", RenderOptions(banner="Tin xã")),
        ],
        tmp_path / "cache",
        lambda f, label: progress.append((f, label)),
    )
    assert [o.ok for o in outcomes] == [False, False, True]
    assert outcomes[0].error is not None and "broken.jpg" in str(outcomes[0].error)
    assert outcomes[1].error is not None and "short.mp4" in str(outcomes[1].error)
    assert outcomes[2].media is not None and outcomes[2].media.path.is_file()
    assert progress[-1][0] == 1.0 and "ok.jpg" in progress[-1][1]
    fractions = [f for f, _ in progress]
    assert fractions == sorted(fractions)
