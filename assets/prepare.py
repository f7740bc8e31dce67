"""The one entry point the worker calls: ``prepare(path, preset_name, cache_dir)``.

It looks the variant up in the cache (content hash of the input + preset + options), renders it
on a miss (Pillow for photos, one ffmpeg filter graph for clips, a frame of a clip for a
thumbnail), validates the result against the preset, stores it, and answers a
:class:`PreparedMedia` that says where the file is and what was changed.

A bad file raises :class:`MediaError` (a ``UserError``): the worker marks that delivery failed with
the message and goes on with the others. ``prepare_all`` does exactly that for a list.
"""

from __future__ import annotations

import dataclasses
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from assets.cache import MediaCache, file_digest, variant_key
from assets.errors import MediaError, RenderCancelled
from assets.images import ImageOptions, render_image
from assets.presets import PIPELINE_VERSION, ImagePreset, Preset, VideoPreset, get_preset, presets_for
from assets.probe import (
    ImageInfo,
    VideoInfo,
    image_problems,
    is_image,
    probe_image,
    probe_video,
    validate_image,
    validate_video,
    video_problems,
)
from assets.video import VideoOptions, extract_frame, plan_video, render_video
from publisher.core.limits import Problem
from publisher.errors import PublisherError
from publisher.i18n import Msg, msg, register
from publisher.settings import MediaSettings

__all__ = [
    "CheckReport",
    "PrepareOutcome",
    "PreparedMedia",
    "RenderOptions",
    "check",
    "prepare",
    "prepare_all",
    "presets_for",
]

register(
    {"prepare.frame": ("Lấy khung hình ở giây {at} của video.", "Took the frame at second {at} of the clip.")}
)

MB = 1_000_000


@dataclass(frozen=True)
class RenderOptions:
    """Everything an officer may set for one file; part of the cache key."""

    #: cover-crop focus point as fractions of width and height
    focus: tuple[float, float] = (0.5, 0.5)
    #: text of a banner across the bottom of a photo (Vietnamese, any normal form)
    banner: str | None = None
    #: a logo to put in the top-right corner (photo or clip)
    logo: Path | None = None
    #: a title shown over the first seconds of a clip
    title: str | None = None
    title_seconds: float = 3.0
    #: where a clip starts (seconds)
    start: float = 0.0
    #: the second of a clip a thumbnail is taken from (default: a quarter in, at most 5 s)
    thumbnail_at: float | None = None
    font: Path | None = None

    def image(self) -> ImageOptions:
        return ImageOptions(focus=self.focus, banner=self.banner, logo=self.logo, font=self.font)

    def video(self) -> VideoOptions:
        return VideoOptions(
            start=self.start,
            title=self.title,
            title_seconds=self.title_seconds,
            logo=self.logo,
            font=self.font,
        )


@dataclass(frozen=True)
class PreparedMedia:
    """A variant ready for an adapter."""

    path: Path
    preset: str
    kind: Literal["image", "video"]
    width: int
    height: int
    bytes: int
    duration: float | None
    #: what was changed, in the officer's words (rendered when shown)
    notes: tuple[Msg, ...]
    source_digest: str
    cached: bool = False


@dataclass(frozen=True)
class PrepareOutcome:
    path: Path
    preset: str
    media: PreparedMedia | None = None
    error: PublisherError | None = None

    @property
    def ok(self) -> bool:
        return self.media is not None


@dataclass
class CheckReport:
    """What is wrong with a file for a preset, and what a render would change."""

    path: Path
    preset: str
    kind: Literal["image", "video"]
    info: ImageInfo | VideoInfo | None
    problems: list[Problem] = field(default_factory=list)
    changes: list[Msg] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return any(p.severity == "block" for p in self.problems)


def _msg_to_json(m: Msg) -> dict[str, Any]:
    return {
        "key": m.key,
        "params": {k: _msg_to_json(v) if isinstance(v, Msg) else v for k, v in m.params.items()},
    }


def _msg_from_json(d: dict[str, Any]) -> Msg:
    params = {
        k: _msg_from_json(v) if isinstance(v, dict) and "key" in v else v for k, v in d["params"].items()
    }
    return Msg(d["key"], params)


def _thumbnail_second(info: VideoInfo, options: RenderOptions) -> float:
    if options.thumbnail_at is not None:
        if options.thumbnail_at < 0 or options.thumbnail_at >= info.duration:
            raise MediaError("media.bad_option", detail=f"thumbnail_at={options.thumbnail_at:g}")
        return options.thumbnail_at
    return min(info.duration * 0.25, 5.0)


def _wrong_kind(path: Path, preset: Preset, actual: str) -> MediaError:
    return MediaError(
        "media.wrong_kind",
        name=path.name,
        preset=preset.name,
        expected=msg(f"media.kind.{preset.kind}"),
        actual=msg(f"media.kind.{actual}"),
    )


def prepare(
    path: Path | str,
    preset_name: str,
    cache_dir: Path | str,
    on_progress: Callable[[float], None] | None = None,
    *,
    options: RenderOptions | None = None,
    media: MediaSettings | None = None,
    cancel: threading.Event | None = None,
    timeout: float | None = 3600.0,
) -> PreparedMedia:
    """Make (or find) the variant of ``path`` for ``preset_name``; progress goes to ``on_progress`` (0–1)."""
    path = Path(path)
    preset = get_preset(preset_name)
    media = media or MediaSettings()
    options = options or RenderOptions()
    if options.font is None and media.font_path is not None:
        options = dataclasses.replace(options, font=media.font_path)
    if not path.is_file():
        raise MediaError("media.not_found", name=path.name)
    digest = file_digest(path)
    key = variant_key(digest, preset, options, PIPELINE_VERSION)
    cache = MediaCache(Path(cache_dir), media.cache_max_mb * MB)
    hit = cache.get(key)
    if hit is not None:
        if on_progress:
            on_progress(1.0)
        return _prepared(hit.path, preset, hit.meta, digest, cached=True)

    source_is_image = is_image(path)
    work_root = Path(cache_dir)
    work_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".work-", dir=work_root) as tmp:
        work = Path(tmp)
        if isinstance(preset, ImagePreset):
            src = path
            notes: list[Msg] = []
            if not source_is_image:
                info = probe_video(path, media.ffprobe)
                at = _thumbnail_second(info, options)
                src = work / "frame.png"
                extract_frame(path, at, src, ffmpeg=media.ffmpeg)
                notes.append(msg("prepare.frame", at=f"{at:g}"))
            produced = work / "out.jpg"
            result = render_image(src, preset, produced, options.image())
            # a frame taken from a clip is a PNG by our own doing: no "converted" note for it
            notes.extend(n for n in result.notes if source_is_image or n.key != "images.converted")
            validate_image(produced, preset)
            meta = {"kind": "image", "width": result.width, "height": result.height, "duration": None}
        else:
            if source_is_image:
                raise _wrong_kind(path, preset, "image")
            vinfo = probe_video(path, media.ffprobe)
            produced = work / "out.mp4"
            vres = render_video(
                vinfo,
                preset,
                produced,
                options.video(),
                ffmpeg=media.ffmpeg,
                on_progress=on_progress,
                cancel=cancel,
                timeout=timeout,
            )
            notes = vres.notes
            out_info = validate_video(produced, preset, media.ffprobe)
            meta = {
                "kind": "video",
                "width": out_info.width,
                "height": out_info.height,
                "duration": out_info.duration,
            }
        meta["notes"] = [_msg_to_json(n) for n in notes]
        meta["preset"] = preset.name
        meta["source"] = str(path)
        entry = cache.put(key, produced, meta)
    if on_progress:
        on_progress(1.0)
    return _prepared(entry.path, preset, entry.meta, digest, cached=False)


def _prepared(path: Path, preset: Preset, meta: dict[str, Any], digest: str, cached: bool) -> PreparedMedia:
    return PreparedMedia(
        path=path,
        preset=preset.name,
        kind=meta["kind"],
        width=int(meta["width"]),
        height=int(meta["height"]),
        bytes=path.stat().st_size,
        duration=meta.get("duration"),
        notes=tuple(_msg_from_json(n) for n in meta.get("notes", [])),
        source_digest=digest,
        cached=cached,
    )


def prepare_all(
    paths_and_presets: Iterable[tuple[Path | str, str] | tuple[Path | str, str, RenderOptions]],
    cache_dir: Path | str,
    on_progress: Callable[[float, str], None] | None = None,
    **kwargs: Any,
) -> list[PrepareOutcome]:
    """Prepare every (path, preset[, options]); a bad file is recorded and the others go on.

    ``on_progress(fraction_of_all, "file → preset")``. Cancellation (``cancel=``) stops the lot.
    """
    jobs: Sequence[tuple[Any, ...]] = list(paths_and_presets)
    outcomes: list[PrepareOutcome] = []
    for i, job in enumerate(jobs):
        path, preset_name = Path(job[0]), job[1]
        options = job[2] if len(job) > 2 else None
        label = f"{path.name} → {preset_name}"

        def step(fraction: float, i: int = i, label: str = label) -> None:
            if on_progress:
                on_progress((i + fraction) / max(len(jobs), 1), label)

        try:
            media = prepare(path, preset_name, cache_dir, step, options=options, **kwargs)
        except RenderCancelled:
            raise
        except PublisherError as exc:
            outcomes.append(PrepareOutcome(path, preset_name, error=exc))
            step(1.0)
            continue
        outcomes.append(PrepareOutcome(path, preset_name, media=media))
    return outcomes


def check(
    path: Path | str,
    preset_name: str,
    *,
    options: RenderOptions | None = None,
    media: MediaSettings | None = None,
) -> CheckReport:
    """What is wrong with ``path`` for ``preset_name`` and what ``prepare`` would change (no output kept)."""
    path = Path(path)
    preset = get_preset(preset_name)
    media = media or MediaSettings()
    options = options or RenderOptions()
    if not path.is_file():
        raise MediaError("media.not_found", name=path.name)
    if is_image(path):
        if isinstance(preset, VideoPreset):
            raise _wrong_kind(path, preset, "image")
        iinfo = probe_image(path)
        report = CheckReport(
            path, preset.name, "image", iinfo, image_problems(iinfo, preset, as_result=False)
        )
        with tempfile.TemporaryDirectory(prefix="publisher-check-") as tmp:
            try:
                result = render_image(path, preset, Path(tmp) / "out.jpg", options.image())
                report.changes = result.notes
            except MediaError as exc:
                report.problems.append(Problem("file", exc.message, "block", code=exc.code))
        return report
    vinfo = probe_video(path, media.ffprobe)
    if isinstance(preset, ImagePreset):
        at = _thumbnail_second(vinfo, options)
        return CheckReport(path, preset.name, "video", vinfo, [], [msg("prepare.frame", at=f"{at:g}")])
    report = CheckReport(path, preset.name, "video", vinfo, video_problems(vinfo, preset, as_result=False))
    try:
        report.changes = plan_video(vinfo, preset, options.video()).notes
    except MediaError as exc:
        if not any(p.severity == "block" for p in report.problems):
            report.problems.append(Problem("file", exc.message, "block", code=exc.code))
    return report
