"""The pre-publish review wired to the world: platform limits from the adapters, forbidden words
from the settings, what opening the photos and clips tells. The rules themselves are pure, in
``publisher.core.review``.

It runs when posts are queued (findings are shown; ``queue --check`` exits 2 on a ``block``), when
a post is approved (``block`` findings refuse the approval) and again just before publishing.
Photos are looked at each time (header, pixel cap, whole data, GPS: cheap); clips are probed with
ffprobe when a schedule is loaded (:func:`media_check`), where a broken file stops the queue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assets.checks import look_at_photo, media_problems
from publisher.core.limits import Problem
from publisher.core.models import PostSpec
from publisher.core.review import Finding, blocking, review
from publisher.i18n import register
from publisher.platforms.registry import ADAPTERS
from publisher.settings import Settings

register(
    {
        "review.check_blocked": (
            "{file}: {n} bài có mục CHẶN ở trên (phải sửa trước khi duyệt). Chưa ghi gì (chỉ kiểm tra).",
            "{file}: {n} post(s) with BLOCK findings above (to fix before approval). Nothing written (check only).",
        ),
    }
)


def platform_limits() -> dict[str, dict[str, Any]]:
    return {p.value: cls.limits() for p, cls in ADAPTERS.items()}


def findings_for(spec: PostSpec, settings: Settings) -> list[Finding]:
    looks = {Path(p): look_at_photo(Path(p), settings.media.max_pixels) for p in spec.images}
    gps = {p for p, look in looks.items() if look.gps}
    found = review(spec, platform_limits(), settings.all_forbidden_words(), gps)
    for index, image in enumerate(spec.images):
        problem = looks[Path(image)].problem
        if problem is not None:
            found.append(Finding(spec.key, "images", "block", "media", problem, index))
    return found


def blocking_findings(store: Any, refs: Sequence[str], settings: Settings) -> dict[str, list[Finding]]:
    """For ``publisher approve``: the block findings of each post named in ``refs``."""
    out: dict[str, list[Finding]] = {}
    for ref in refs:
        spec = store.post_spec(ref)
        found = blocking(findings_for(spec, settings))
        if found:
            out[spec.key] = found
    return out


def media_check(settings: Settings) -> Callable[[PostSpec], list[Problem]]:
    """A check for ``schedule.Context.extra_checks``: every photo opened, the clip probed."""

    def check(spec: PostSpec) -> list[Problem]:
        return media_problems(spec, settings.media)

    return check
