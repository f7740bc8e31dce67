"""Facebook engagement per object kind (post, photo, video, Reel) against a fake Graph API.

:class:`FakeGraph` answers like Graph does (facebook.md §6, §5a): ``GET /?ids=…&fields=…`` refuses
the *whole* request when one requested field does not exist on one node type ("(#100) Tried
accessing nonexisting field (shares) on node type (Video)") or one id does not exist ("(#803) Some
of the aliases you requested do not exist"); ``/{id}/insights`` exists on feed posts only,
``/{id}/video_insights`` on videos only; a Reel answers ``total_video_views`` with an empty
``data`` array; a retired metric answers "(#100) The value must be a valid insights metric".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from publisher.platforms.base import AuthExpired, Credentials
from publisher.platforms.facebook import FacebookPageAdapter
from publisher.settings import FacebookSettings
from tests.platforms.builders import payload

PAGE = "1647395831"
G = "https://graph.facebook.com/v25.0"
POST, PHOTO_POST, PHOTO, VIDEO, REEL = (
    "1647395831_2222",
    "1647395831_3333",
    "4444444444444",
    "1777777777777",
    "1888888888888",
)
COUNTERS = "comments.limit(0).summary(true),reactions.limit(0).summary(true)"

#: fields each Graph node type has (facebook.md §6a; a Video and a Photo have no ``shares``)
NODE_FIELDS = {
    "Post": {"id", "shares", "comments", "reactions", "message", "permalink_url", "created_time"},
    "Photo": {"id", "comments", "reactions", "name", "created_time"},
    "Video": {"id", "comments", "reactions", "description", "permalink_url", "created_time"},
}


def graph_error(code: int, message: str, subcode: int | None = None) -> dict[str, Any]:
    """The Graph error JSON (facebook.md §5a)."""
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbC123",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


@dataclass
class Node:
    type: str  # Post | Photo | Video
    reel: bool = False
    shares: int = 0
    comments: int = 0
    reactions: int = 0
    insights: dict[str, int] = field(default_factory=dict)  # metric -> lifetime value


@dataclass
class FakeGraph:
    """The parts of Graph the collector uses, strict about fields per node type."""

    nodes: dict[str, Node]
    retired: set[str] = field(default_factory=set)
    fail_with: dict[str, Any] | None = None  # every call answers this error (throttle, token)
    fail_status: int = 400
    followers: int = 1250  # ``GET /{page-id}?fields=followers_count``
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def install(self, rsps: responses.RequestsMock) -> None:
        rsps.add_callback(responses.GET, re.compile(rf"{re.escape(G)}/.*"), callback=self)

    def __call__(self, request: Any) -> tuple[int, dict[str, str], str]:
        url = urlsplit(request.url)
        path = url.path.removeprefix("/v25.0/")
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.calls.append((path, params))
        assert request.headers.get("Authorization") == "OAuth PAGE-TOKEN"
        if self.fail_with is not None:
            return self.fail_status, {}, json.dumps(self.fail_with)
        if path == "":
            return self._ids(params)
        node_id, _, edge = path.partition("/")
        if node_id == PAGE and not edge:
            assert params == {"fields": "followers_count"}
            return 200, {}, json.dumps({"followers_count": self.followers, "id": PAGE})
        return self._edge(node_id, edge, params)

    def ids_calls(self) -> list[tuple[list[str], str]]:
        return [(p["ids"].split(","), p["fields"]) for path, p in self.calls if path == ""]

    def metrics_asked(self, node_id: str) -> list[tuple[str, str]]:
        return [
            (path.split("/")[1], p["metric"])
            for path, p in self.calls
            if path.startswith(f"{node_id}/") and "metric" in p
        ]

    def _ids(self, params: dict[str, str]) -> tuple[int, dict[str, str], str]:
        ids = params["ids"].split(",")
        wanted = [f.split(".")[0] for f in params["fields"].split(",")]
        missing = [i for i in ids if i not in self.nodes]
        if missing:
            body = graph_error(
                803, f"(#803) Some of the aliases you requested do not exist: {','.join(missing)}"
            )
            return 404, {}, json.dumps(body)
        for i in ids:
            node = self.nodes[i]
            for name in wanted:
                if name not in NODE_FIELDS[node.type]:
                    msg = f"(#100) Tried accessing nonexisting field ({name}) on node type ({node.type})"
                    return 400, {}, json.dumps(graph_error(100, msg))
        out: dict[str, Any] = {}
        for i in ids:
            node = self.nodes[i]
            item: dict[str, Any] = {"id": i}
            if "shares" in wanted and node.shares:  # left out at 0 (facebook.md §6a)
                item["shares"] = {"count": node.shares}
            if "comments" in wanted:
                item["comments"] = {"data": [], "summary": {"order": "ranked", "total_count": node.comments}}
            if "reactions" in wanted:
                item["reactions"] = {"data": [], "summary": {"total_count": node.reactions}}
            out[i] = item
        return 200, {}, json.dumps(out)

    def _edge(self, node_id: str, edge: str, params: dict[str, str]) -> tuple[int, dict[str, str], str]:
        node = self.nodes.get(node_id)
        if node is None:
            msg = f"(#100) Object with ID '{node_id}' does not exist, cannot be loaded due to missing permissions"
            return 400, {}, json.dumps(graph_error(100, msg, 33))
        wanted_type = {"insights": "Post", "video_insights": "Video"}[edge]
        if node.type != wanted_type:
            msg = f"(#100) Tried accessing nonexisting field ({edge}) on node type ({node.type})"
            return 400, {}, json.dumps(graph_error(100, msg))
        metric = params["metric"]
        if metric in self.retired:
            return 400, {}, json.dumps(payload("facebook", "error_100"))
        if metric not in node.insights:
            return 200, {}, json.dumps({"data": []})
        entry = {
            "name": metric,
            "period": "lifetime",
            "values": [{"value": node.insights[metric]}],
            "id": f"{node_id}/{edge}/{metric}/lifetime",
        }
        return 200, {}, json.dumps({"data": [entry], "paging": {}})


def page_nodes() -> dict[str, Node]:
    return {
        POST: Node(
            "Post", shares=7, comments=12, reactions=85, insights={"post_total_media_view_unique": 1534}
        ),
        PHOTO_POST: Node("Post", shares=0, comments=2, reactions=30, insights={"post_media_view": 610}),
        PHOTO: Node("Photo", comments=1, reactions=9),
        VIDEO: Node("Video", comments=4, reactions=21, insights={"total_video_views": 880}),
        REEL: Node(
            "Video",
            reel=True,
            comments=3,
            reactions=40,
            insights={"blue_reels_play_count": 2301, "fb_reels_total_plays": 2950},
        ),
    }


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def adapter() -> FacebookPageAdapter:
    return FacebookPageAdapter(
        Credentials(access_token="PAGE-TOKEN", remote_account_id=PAGE), FacebookSettings(), requests.Session()
    )


#: what the collector knows from the delivery (its resume state's ``kind``, its post's media)
HINTS = {
    POST: {"kind": "feed"},
    PHOTO_POST: {"kind": "photo", "images": 1},
    PHOTO: {"kind": "photo", "images": 1},
    VIDEO: {"kind": "video", "video": True},
    REEL: {"kind": "reel", "video": True},
}


def figures(m: Any) -> tuple[Any, ...]:
    return (m.views, m.reactions, m.comments, m.shares)


# -- one kind at a time -------------------------------------------------------------------------
def test_feed_post_counts_shares_and_views_from_post_insights(rsps, adapter) -> None:
    graph = FakeGraph(page_nodes(), retired={"post_media_view"})
    graph.install(rsps)
    got = adapter.fetch_engagement([POST], hints={POST: HINTS[POST]})
    assert figures(got[POST]) == (1534, 85, 12, 7)
    assert graph.ids_calls() == [([POST], f"id,shares,{COUNTERS}")]
    assert graph.metrics_asked(POST) == [
        ("insights", "post_media_view"),
        ("insights", "post_total_media_view_unique"),
    ]
    assert got[POST].raw["insights"] == {
        "post_media_view": {"error": "100"},
        "post_total_media_view_unique": 1534,
    }


def test_photo_post_and_bare_photo(rsps, adapter) -> None:
    graph = FakeGraph(page_nodes())
    graph.install(rsps)
    got = adapter.fetch_engagement([PHOTO_POST, PHOTO], hints={k: HINTS[k] for k in (PHOTO_POST, PHOTO)})
    # a photo published through /photos is counted on its feed post: shares absent means 0
    assert figures(got[PHOTO_POST]) == (610, 30, 2, 0)
    # a bare photo id is a Photo node: no shares field, no insights edge (facebook.md §6b)
    assert figures(got[PHOTO]) == (None, 9, 1, None)
    assert sorted(graph.ids_calls()) == sorted(
        [([PHOTO_POST], f"id,shares,{COUNTERS}"), ([PHOTO], f"id,{COUNTERS}")]
    )
    assert graph.metrics_asked(PHOTO) == []


def test_feed_video_asks_video_insights_for_video_metrics_only(rsps, adapter) -> None:
    graph = FakeGraph(page_nodes())
    graph.install(rsps)
    got = adapter.fetch_engagement([VIDEO], hints={VIDEO: HINTS[VIDEO]})
    assert figures(got[VIDEO]) == (880, 21, 4, None)  # a Video has no shares: not reported, never 0
    assert graph.ids_calls() == [([VIDEO], f"id,{COUNTERS}")]
    assert graph.metrics_asked(VIDEO) == [("video_insights", "total_video_views")]


def test_reel_asks_reel_metrics_only(rsps, adapter) -> None:
    graph = FakeGraph(page_nodes())
    graph.install(rsps)
    got = adapter.fetch_engagement([REEL], hints={REEL: HINTS[REEL]})
    assert figures(got[REEL]) == (2301, 40, 3, None)
    assert got[REEL].raw["insights"] == {"blue_reels_play_count": 2301, "fb_reels_total_plays": 2950}
    assert graph.ids_calls() == [([REEL], f"id,{COUNTERS}")]
    assert graph.metrics_asked(REEL) == [
        ("video_insights", "blue_reels_play_count"),
        ("video_insights", "fb_reels_total_plays"),
    ]


def test_every_kind_in_one_collection(rsps, adapter) -> None:
    graph = FakeGraph(page_nodes())
    graph.install(rsps)
    ids = [POST, PHOTO_POST, PHOTO, VIDEO, REEL]
    got = adapter.fetch_engagement(ids, hints=HINTS)
    assert {k: figures(v) for k, v in got.items()} == {
        POST: (1534, 85, 12, 7),
        PHOTO_POST: (610, 30, 2, 0),
        PHOTO: (None, 9, 1, None),
        VIDEO: (880, 21, 4, None),
        REEL: (2301, 40, 3, None),
    }
    # shares asked of feed posts only; one ids call per kind
    for asked, fields in graph.ids_calls():
        assert ("shares" in fields) == all("_" in i for i in asked), (asked, fields)
    assert sum(len(a) for a, _ in graph.ids_calls()) == len(ids)
    assert not any(m.startswith(("blue_reels", "fb_reels")) for _, m in graph.metrics_asked(VIDEO))
    assert all(edge == "video_insights" for edge, _ in graph.metrics_asked(REEL))


def test_without_hints_a_bare_id_is_probed_not_guessed(rsps, adapter) -> None:
    """Reconciled by listing, the kind is unknown: ask as a video, and Reel metrics only if the
    video metric comes back empty (Reels return no ``total_video_*``, facebook.md §6c)."""
    graph = FakeGraph(page_nodes())
    graph.install(rsps)
    got = adapter.fetch_engagement([POST, VIDEO, REEL])
    assert figures(got[POST]) == (1534, 85, 12, 7)
    assert figures(got[VIDEO]) == (880, 21, 4, None)
    assert figures(got[REEL]) == (2301, 40, 3, None)
    assert graph.metrics_asked(VIDEO) == [("video_insights", "total_video_views")]
    assert graph.metrics_asked(REEL)[0] == ("video_insights", "total_video_views")
    assert ("video_insights", "blue_reels_play_count") in graph.metrics_asked(REEL)


# -- a refused batch is split -------------------------------------------------------------------
def test_the_old_mixed_request_is_what_graph_refuses(rsps) -> None:
    """The request the collector used to make: one ``?ids=`` with ``shares`` for a post and a video."""
    graph = FakeGraph(page_nodes())
    graph.install(rsps)
    answer = requests.get(
        f"{G}/",
        params={"ids": f"{POST},{VIDEO}", "fields": f"id,shares,{COUNTERS}"},
        headers={"Authorization": "OAuth PAGE-TOKEN"},
        timeout=5,
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == (
        "(#100) Tried accessing nonexisting field (shares) on node type (Video)"
    )


def test_a_deleted_post_never_hides_the_others(rsps, adapter) -> None:
    nodes = page_nodes()
    posts = [f"{PAGE}_90{i}" for i in range(5)]
    for n, pid in enumerate(posts):
        nodes[pid] = Node("Post", shares=n + 1, comments=n, reactions=10 * n)
    gone = posts[2]
    del nodes[gone]  # deleted on the Page after it was published
    graph = FakeGraph(nodes)
    graph.install(rsps)
    got = adapter.fetch_engagement(posts)  # feed post ids place themselves: no hints needed
    assert gone not in got  # not returned: it stays due and is asked again next time
    assert {p: (got[p].reactions, got[p].comments, got[p].shares) for p in got} == {
        p: (10 * n, n, n + 1) for n, p in enumerate(posts) if p != gone
    }
    assert [ids for ids, _ in graph.ids_calls()] == [
        posts,
        posts[:2],
        posts[2:],
        posts[2:3],
        posts[3:],
    ]


# -- throttling and tokens ------------------------------------------------------------------------
def test_a_throttle_code_stops_at_once(rsps, adapter) -> None:
    """Rate-limiting doc: on any throttle code stop right away; more calls lengthen the block."""
    graph = FakeGraph(page_nodes(), fail_with=graph_error(32, "(#32) Page request limit reached"))
    graph.install(rsps)
    assert adapter.fetch_engagement([POST, PHOTO_POST, VIDEO, REEL]) == {}
    assert len(graph.calls) == 1


def test_a_temporary_error_leaves_the_batch_for_the_next_run(rsps, adapter) -> None:
    """HTTP 500 code 2 ``is_transient`` (facebook.md §5a): no split, no insights calls meanwhile."""
    transient = payload("facebook", "error_2_transient")
    graph = FakeGraph(page_nodes(), fail_with=transient, fail_status=500)
    graph.install(rsps)
    assert adapter.fetch_engagement([POST, PHOTO_POST], hints=HINTS) == {}
    assert graph.ids_calls() == [([POST, PHOTO_POST], f"id,shares,{COUNTERS}")] and len(graph.calls) == 1


def test_an_expired_token_raises(rsps, adapter) -> None:
    graph = FakeGraph(
        page_nodes(),
        fail_with=graph_error(190, "Error validating access token: Session has expired", 463),
    )
    graph.install(rsps)
    with pytest.raises(AuthExpired):
        adapter.fetch_engagement([POST])
    assert len(graph.calls) == 1


def test_kind_table_comes_from_the_reference() -> None:
    from publisher.platforms.facebook import insights

    assert insights.object_kind(POST, {"kind": "feed"}) == "post"
    assert insights.object_kind(PHOTO_POST, {"kind": "photo"}) == "post"
    assert insights.object_kind(PHOTO, {"kind": "photo"}) == "photo"
    assert insights.object_kind(VIDEO, {"kind": "video"}) == "video"
    assert insights.object_kind(REEL, {"kind": "reel"}) == "reel"
    assert insights.object_kind(REEL, None) == "clip"
    assert "shares" not in insights.KINDS["video"].fields and "shares" not in insights.KINDS["reel"].fields
    assert insights.KINDS["reel"].metrics == ("blue_reels_play_count", "fb_reels_total_plays")
    assert insights.KINDS["video"].metrics == ("total_video_views",)
