"""Video statistics and channel subscribers: the YouTube adapter's engagement answers.

``videos.list?part=statistics`` takes at most 50 ids a call (1 unit each call);
``channels.list?part=statistics&mine=true`` gives the subscribers unless the channel hides them.
https://developers.google.com/youtube/v3/docs/videos#statistics
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from publisher.platforms.base import Metrics

if TYPE_CHECKING:  # the adapter imports this module
    from publisher.platforms.youtube.adapter import YouTubeAdapter

log = logging.getLogger(__name__)

#: ids per ``videos.list`` call
BATCH = 50


def subscribers(adapter: YouTubeAdapter) -> int | None:
    """Subscribers of the channel; None when hidden, not returned or not asked (quota, error)."""
    body, failure = adapter._api(
        "GET", "channels", "channels.list", params={"part": "statistics", "mine": "true"}
    )
    if failure or body is None:
        return None
    for item in body.get("items") or []:
        stats = item.get("statistics") or {}
        if stats.get("hiddenSubscriberCount") or "subscriberCount" not in stats:
            return None
        return int(stats["subscriberCount"])
    return None


def video_metrics(adapter: YouTubeAdapter, remote_ids: list[str]) -> dict[str, Metrics]:
    """Views, likes and comments per video id; a batch that fails is left out (asked again later)."""
    out: dict[str, Metrics] = {}
    for i in range(0, len(remote_ids), BATCH):
        batch = remote_ids[i : i + BATCH]
        body, failure = adapter._api(
            "GET",
            "videos",
            "videos.list",
            params={"part": "statistics", "id": ",".join(batch), "maxResults": str(BATCH)},
        )
        if failure or body is None:
            log.warning("youtube statistics failed: %s", failure.code if failure else None)
            continue
        for item in body.get("items") or []:
            stats: dict[str, Any] = item.get("statistics") or {}
            out[str(item["id"])] = Metrics(
                views=_count(stats, "viewCount"),
                reactions=_count(stats, "likeCount"),
                comments=_count(stats, "commentCount"),
                shares=None,
                raw=stats,
            )
    return out


def _count(stats: dict[str, Any], key: str) -> int | None:
    return int(stats[key]) if key in stats else None
