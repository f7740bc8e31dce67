"""The pre-publish review wired to the world: platform limits from the adapters, forbidden words
from the settings, GPS positions read from the photos. The rules themselves are pure, in
``publisher.core.review``.

It runs when posts are queued (findings are shown), when a post is approved (``block`` findings
refuse the approval) and again just before publishing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from publisher.core.models import PostSpec
from publisher.core.review import Finding, blocking, review
from publisher.media_probe import gps_images
from publisher.settings import Settings


def platform_limits() -> dict[str, dict[str, Any]]:
    from publisher.platforms.registry import ADAPTERS

    return {p.value: cls.limits() for p, cls in ADAPTERS.items()}


def findings_for(spec: PostSpec, settings: Settings) -> list[Finding]:
    return review(spec, platform_limits(), settings.all_forbidden_words(), gps_images(spec.images))


def blocking_findings(store: Any, refs: Sequence[str], settings: Settings) -> dict[str, list[Finding]]:
    """For ``publisher approve``: the block findings of each post named in ``refs``."""
    out: dict[str, list[Finding]] = {}
    for ref in refs:
        spec = store.post_spec(ref)
        found = blocking(findings_for(spec, settings))
        if found:
            out[spec.key] = found
    return out
