"""Engagement of Page objects: counters from fields, views from insights, asked per object kind.

Docs: https://developers.facebook.com/docs/graph-api/reference/video/video_insights/ and the Pages
insights reference; the facts below are facebook.md §6 and §9 ("Weekly metrics job").

Kinds (:data:`KINDS`), from what the delivery recorded (:func:`object_kind`):

- ``post``: a feed post ``{page}_{post}`` (text, link, several photos, and a photo's ``post_id``).
  Fields ``shares`` (left out at 0), ``comments`` and ``reactions`` summaries; views from
  ``/{id}/insights`` ``post_media_view`` then ``post_total_media_view_unique`` (no ``*impressions*``).
- ``photo``: a bare photo id. A Photo node has no ``shares`` and no ``insights`` edge.
- ``video``: a feed video id. A Video node has no ``shares`` ("(#100) Tried accessing nonexisting
  field (shares) on node type (Video)") and no ``insights`` edge; views from ``/{id}/video_insights``
  ``total_video_views``.
- ``reel``: a Reel's video id; ``video_insights`` ``blue_reels_play_count`` then
  ``fb_reels_total_plays`` (Reels return no ``total_video_*``).
- ``clip``: a bare id the delivery does not place (found by listing): asked as a video, and the
  Reel metrics only when ``total_video_views`` comes back with an empty ``data`` array.

Each insights metric is asked alone: one retired metric fails the whole call (trypost PR #320).

Batches: ``GET /?ids=…&fields=…`` per kind, at most :data:`IDS_PER_CALL` ids. Graph refuses the
whole request for one bad object (a deleted post: "(#803) Some of the aliases you requested do not
exist"); a refused batch is split in two and each half asked again, down to single ids, so one bad
object never hides the others. A temporary failure leaves the batch for the next run. A throttle
code stops collection at once (rate-limiting doc: more calls lengthen the block): what was read so
far is returned, the rest stays due. A refused token raises :class:`AuthExpired`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from publisher.platforms.base import AuthExpired, Metrics, Outcome, Result
from publisher.platforms.facebook.client import Graph

log = logging.getLogger(__name__)

COUNTERS = "comments.limit(0).summary(true),reactions.limit(0).summary(true)"
#: ids per ``?ids=`` call (each id still counts as one call toward the rate limits)
IDS_PER_CALL = 50


@dataclass(frozen=True)
class Kind:
    """What to ask of one kind of object."""

    fields: str  # for ``GET /?ids=…&fields=…``
    edge: str | None  # insights edge, None when the node has none
    metrics: tuple[str, ...]  # asked one at a time, in this order; the first value is "views"
    has_shares: bool


KINDS: dict[str, Kind] = {
    "post": Kind(
        f"id,shares,{COUNTERS}", "insights", ("post_media_view", "post_total_media_view_unique"), True
    ),
    "photo": Kind(f"id,{COUNTERS}", None, (), False),
    "video": Kind(f"id,{COUNTERS}", "video_insights", ("total_video_views",), False),
    "reel": Kind(
        f"id,{COUNTERS}", "video_insights", ("blue_reels_play_count", "fb_reels_total_plays"), False
    ),
    "clip": Kind(f"id,{COUNTERS}", "video_insights", ("total_video_views",), False),
}


def object_kind(remote_id: str, hint: Mapping[str, Any] | None) -> str:
    """The kind of ``remote_id`` from the delivery's hint: its resume state ``kind`` (``feed``,
    ``photo``, ``photos``, ``video``, ``reel``, as the publish flows record it) and post media."""
    hint = hint or {}
    recorded = hint.get("kind")
    if recorded in ("reel", "video"):
        return str(recorded)
    if "_" in remote_id:
        return "post"
    if recorded in ("photo", "photos") or (hint.get("images") and not hint.get("video")):
        return "photo"
    return "clip"


class _Stop(Exception):
    """Graph is throttling: no further call in this collection."""

    def __init__(self, failure: Result) -> None:
        super().__init__(failure.code)
        self.failure = failure


def fetch(
    graph: Graph, remote_ids: list[str], hints: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Metrics]:
    """Metrics of ``remote_ids``; an id Graph gave nothing for is left out (it stays due)."""
    hints = hints or {}
    by_kind: dict[str, list[str]] = {}
    for rid in dict.fromkeys(remote_ids):
        by_kind.setdefault(object_kind(rid, hints.get(rid)), []).append(rid)
    out: dict[str, Metrics] = {}
    try:
        for kind, ids in by_kind.items():
            for i in range(0, len(ids), IDS_PER_CALL):
                batch = ids[i : i + IDS_PER_CALL]
                items, errors = _fields(graph, batch, KINDS[kind].fields)
                for rid in batch:
                    error = errors.get(rid)
                    if error is not None and error.outcome is not Outcome.REJECTED:
                        continue  # temporary: the next run asks again, no insights calls meanwhile
                    metrics = _metrics(graph, rid, kind, items.get(rid), error)
                    if metrics is not None:
                        out[rid] = metrics
    except _Stop as stop:
        log.warning(
            "facebook engagement stopped: throttled (%s); %d of %d objects read",
            stop.failure.code,
            len(out),
            len(remote_ids),
        )
    return out


def _check(failure: Result) -> None:
    if failure.outcome is Outcome.RATE_LIMITED:
        raise _Stop(failure)
    if failure.outcome is Outcome.AUTH_EXPIRED:
        raise AuthExpired(failure.reason or failure.code or "auth_expired", code=failure.code)


def _fields(graph: Graph, ids: list[str], fields: str) -> tuple[dict[str, dict[str, Any]], dict[str, Result]]:
    """Fields of ``ids`` (by id) and the failure of each id Graph would not answer for."""
    body, failure = graph.call("GET", "", params={"ids": ",".join(ids), "fields": fields})
    if failure is None:
        assert body is not None
        return {rid: body[rid] for rid in ids if isinstance(body.get(rid), dict)}, {}
    _check(failure)
    if failure.outcome is not Outcome.REJECTED or len(ids) == 1:
        return {}, dict.fromkeys(ids, failure)
    # One object spoils the request for all: ask each half again.
    half = len(ids) // 2
    items, errors = _fields(graph, ids[:half], fields)
    more_items, more_errors = _fields(graph, ids[half:], fields)
    return items | more_items, errors | more_errors


def _metrics(
    graph: Graph, remote_id: str, kind: str, item: dict[str, Any] | None, error: Result | None
) -> Metrics | None:
    spec = KINDS[kind]
    views, raw = _views(graph, remote_id, spec)
    if kind == "clip" and views is None and raw.get("total_video_views") == []:
        kind, spec = "reel", KINDS["reel"]  # a Reel answers total_video_views with no data
        views, more = _views(graph, remote_id, spec)
        raw |= more
    if item is None and views is None:
        return None
    fields = item or {}
    details: dict[str, Any] = {"kind": kind, "fields": fields, "insights": raw}
    if error is not None:
        details["fields_error"] = error.code
    return Metrics(
        views=views,
        reactions=_count(fields, "reactions") if item is not None else None,
        comments=_count(fields, "comments") if item is not None else None,
        shares=_shares(fields, spec) if item is not None else None,
        raw=details,
    )


def _views(graph: Graph, remote_id: str, spec: Kind) -> tuple[int | None, dict[str, Any]]:
    raw: dict[str, Any] = {}
    views: int | None = None
    if spec.edge is None:
        return None, raw
    for metric in spec.metrics:
        body, failure = graph.call("GET", f"{remote_id}/{spec.edge}", params={"metric": metric})
        if failure is not None:
            _check(failure)
            raw[metric] = {"error": failure.code}
            continue
        assert body is not None
        data = body.get("data") or []
        if not data:
            raw[metric] = []
        for entry in data:
            values = entry.get("values") or []
            value = values[-1].get("value") if values else None
            if isinstance(value, dict):  # breakdown objects: sum the parts
                value = sum(v for v in value.values() if isinstance(v, int | float))
            if isinstance(value, int | float):
                raw[metric] = value
                if views is None:
                    views = int(value)
    return views, raw


def _shares(item: dict[str, Any], spec: Kind) -> int | None:
    """Feed posts omit ``shares`` when nobody shared them (0); photos, videos and Reels have none."""
    if not spec.has_shares:
        return None
    return int((item.get("shares") or {}).get("count", 0))


def _count(item: dict[str, Any], name: str) -> int | None:
    summary = (item.get(name) or {}).get("summary") or {}
    value = summary.get("total_count")
    return int(value) if isinstance(value, int) else None
