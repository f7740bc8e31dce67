"""Media of a delivery made right for its platform, ahead of publish time.

Which variants each platform needs (from the post's photos and clip) is decided here; making them
is :mod:`assets.prepare` (cached by content, so a retry or a second account on the same platform
never renders again). The result is recorded on the delivery (``deliveries.media``) together with
the content hash it was made for; :meth:`publisher.store.Store.delivery` then hands the adapters the
prepared files instead of the originals. A file that cannot be prepared marks the delivery's media
``failed`` with the reason, and the other deliveries go on.

- the clip: the preset the platform's adapter names (``video_preset``, the rule it publishes by):
  Facebook ``facebook-reel`` when upright or ``options.facebook.reel`` is true, else
  ``facebook-video``; YouTube ``youtube-short`` when upright or ``options.youtube.short`` is true,
  else ``youtube-video``; Zalo ``zalo-video`` (≤ 50 MB); sandbox none (the original as it is).
- Facebook: every photo → ``facebook-photo`` (the first with the post's banner, if any).
- YouTube: the first photo → ``youtube-thumbnail``.
- Zalo takes photos and covers as public URLs only, so local photos are not prepared for it.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assets.prepare import PrepareOutcome, RenderOptions, prepare_all
from assets.probe import probe_video
from assets.story import render_story, with_defaults
from publisher.core.models import Delivery, Platform
from publisher.core.story import Story, StoryInvalid, is_story_video
from publisher.errors import PublisherError
from publisher.platforms.registry import adapter_class
from publisher.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    role: str  # image | video | thumbnail
    source: Path
    preset: str
    options: RenderOptions
    story: Story | None = None  # made by assets.story.render_story instead of from ``source``


@dataclass
class MediaPlan:
    jobs: list[Job] = field(default_factory=list)


def needs_preparation(platform: Platform, images: Sequence[Path], video: Path | None) -> bool:
    """Whether the platform takes prepared variants of these photos or this clip (cheap: no probe).

    A photo story (its ``video`` is the placeholder ``<post>.story``) is made for every platform.
    """
    if is_story_video(video):
        return True
    if platform in (Platform.FACEBOOK, Platform.YOUTUBE):
        return bool(images or video)
    if platform is Platform.ZALO:
        return video is not None
    return False


def _upright(path: Path, settings: Settings) -> bool:
    try:
        info = probe_video(path, settings.media.ffprobe)
    except PublisherError:
        return False  # the render will report the real problem
    return info.height > info.width


def with_video_size(delivery: Delivery, ffprobe: str) -> Delivery:
    """``delivery`` with its clip's ``video_width``/``video_height`` options measured (rotation
    applied) when the schedule did not declare them: adapters route a clip by its orientation
    (Reel or feed video) and never probe files themselves. Unchanged when there is no clip or it
    cannot be measured (the adapter then says it cannot tell)."""
    opts = delivery.options
    if delivery.video is None or (opts.get("video_width") and opts.get("video_height")):
        return delivery
    try:
        info = probe_video(delivery.video, ffprobe)
    except (PublisherError, OSError):
        return delivery
    sized = {**opts, "video_width": info.width, "video_height": info.height}
    return dataclasses.replace(delivery, options=sized)


def plan_media(delivery: Delivery, settings: Settings) -> MediaPlan:
    platform = delivery.target.platform
    opts = dict(delivery.options.get(platform.value) or {})
    banner = delivery.options.get("banner")
    plain = RenderOptions(font=settings.media.font_path)
    with_banner = RenderOptions(banner=str(banner), font=settings.media.font_path) if banner else plain
    plan = MediaPlan()
    if platform is Platform.FACEBOOK:
        for i, img in enumerate(delivery.images):
            plan.jobs.append(Job("image", img, "facebook-photo", with_banner if i == 0 else plain))
    story = delivery.story
    if story is not None:
        # the story is the post's clip: made straight in the preset the adapter publishes clips by
        preset = adapter_class(platform).video_preset(delivery, not story.landscape)
        fallback = "facebook-video" if story.landscape else "facebook-reel"  # sandbox: as `media story`
        plan.jobs.append(Job("video", delivery.video or Path("story"), preset or fallback, plain, story))
    elif delivery.video:
        # Reel or video, Short or video: the platform's adapter decides (the rule it publishes by).
        preset = adapter_class(platform).video_preset(delivery, _upright(delivery.video, settings))
        if preset:
            plan.jobs.append(Job("video", delivery.video, preset, plain))
    if platform is Platform.YOUTUBE and delivery.images and not opts.get("thumbnail"):
        plan.jobs.append(Job("thumbnail", delivery.images[0], "youtube-thumbnail", with_banner))
    return plan


def _make_story(
    job: Job,
    post: str,
    settings: Settings,
    progress: Callable[[float, str], None],
    share: float,
    cancel: threading.Event | None,
) -> PrepareOutcome:
    """The post's photo story rendered (or found in the cache) for the job's preset, as an outcome."""
    assert job.story is not None
    label = f"story → {job.preset}"
    try:
        made = render_story(
            with_defaults(job.story, settings.media),
            job.preset,
            settings.cache_dir,
            lambda fraction: progress(share * fraction, label),
            media=settings.media,
            post=post,
            cancel=cancel,
        )
    except StoryInvalid as exc:  # every field at fault, in the reason the officer reads
        detail = "; ".join(str(p) for p in exc.problems)
        return PrepareOutcome(job.source, job.preset, None, PublisherError(f"{exc} {detail}"))
    except PublisherError as exc:  # damaged music, a result the preset refuses, cancelled
        return PrepareOutcome(job.source, job.preset, None, exc)
    return PrepareOutcome(job.source, job.preset, made)


@dataclass
class PrepareReport:
    delivery_id: int
    ok: bool
    media: dict[str, Any] | None = None
    error: str | None = None


def prepare_delivery(
    store: Any,
    delivery_id: int,
    settings: Settings,
    on_progress: Callable[[float, str], None] | None = None,
    cancel: threading.Event | None = None,
) -> PrepareReport:
    """Render every variant this delivery needs and record them (or the reason they cannot be made)."""
    delivery = store.delivery(delivery_id, prepared=False)
    plan = plan_media(delivery, settings)
    last_write = [0.0]

    def progress(fraction: float, label: str) -> None:
        now = time.monotonic()
        if now - last_write[0] > 1.0 or fraction >= 1.0:
            last_write[0] = now
            store.set_progress(delivery_id, int(fraction * 100))
        if on_progress:
            on_progress(fraction, label)

    stories = [j for j in plan.jobs if j.story is not None]
    clips = [j for j in plan.jobs if j.story is None]
    share = 0.9 if stories and clips else 1.0 if stories else 0.0
    made = {id(j): _make_story(j, delivery.post_key, settings, progress, share, cancel) for j in stories}
    rest = prepare_all(
        [(j.source, j.preset, j.options) for j in clips],
        settings.cache_dir,
        lambda fraction, label: progress(share + (1 - share) * fraction, label),
        media=settings.media,
        cancel=cancel,
    )
    by_job = dict(zip((id(j) for j in clips), rest, strict=True)) | made
    outcomes = [by_job[id(j)] for j in plan.jobs]
    failed = [(job, o) for job, o in zip(plan.jobs, outcomes, strict=True) if not o.ok]
    if failed:
        job, outcome = failed[0]
        reason = f"{job.source.name} → {job.preset}: {outcome.error}"
        store.record_media(delivery_id, None, "failed", reason)
        log.warning("media failed for delivery %s: %s", delivery_id, reason)
        return PrepareReport(delivery_id, False, error=reason)
    media: dict[str, Any] = {"hash": delivery.content_hash, "images": [], "notes": []}
    for job, outcome in zip(plan.jobs, outcomes, strict=True):
        assert outcome.media is not None
        path = str(outcome.media.path)
        if job.role == "image":
            media["images"].append(path)
        else:
            media[job.role] = path
        media["notes"] += [f"{job.source.name} → {job.preset}: {note}" for note in outcome.media.notes]
    if not any(j.role == "image" for j in plan.jobs):
        media.pop("images")
    store.record_media(delivery_id, media, "ready", None)
    return PrepareReport(delivery_id, True, media=media)
