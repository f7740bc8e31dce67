"""Article views and shares, and the OA's followers: the Zalo adapter's engagement answers.

Figures come from the article list (``getslice``: ``total_view``, ``total_share``), read page by
page per kind until every asked id is found or the list ends; followers from ``/v2.0/oa/getoa``
(``num_follower``: field name UNCERTAIN, reference/zalo.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from publisher.platforms.base import Metrics
from publisher.platforms.zalo import article

if TYPE_CHECKING:  # the adapter imports this module
    from publisher.platforms.zalo.adapter import ZaloOAAdapter


def article_metrics(adapter: ZaloOAAdapter, remote_ids: list[str], max_pages: int) -> dict[str, Metrics]:
    wanted = set(remote_ids)
    out: dict[str, Metrics] = {}
    for kind in ("normal", "video"):
        for page in range(max_pages):
            if wanted <= set(out):
                return out
            data, failure = adapter.list_page(kind, page)
            if failure or data is None:
                break
            items = data.get("medias") or []
            for item in items:
                if str(item.get("id")) in wanted:
                    out[str(item["id"])] = Metrics(
                        views=article.as_int(item.get("total_view")),
                        shares=article.as_int(item.get("total_share")),
                        raw={k: item.get(k) for k in ("total_view", "total_share", "type")},
                    )
            if len(items) < adapter.list_limit:
                break
    return out


def followers(adapter: ZaloOAAdapter) -> int | None:
    data, failure = adapter._call("GET", "v2.0/oa/getoa")
    if failure or data is None:
        return None
    return article.as_int(data.get("num_follower"))
