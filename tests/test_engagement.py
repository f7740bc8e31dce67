"""Engagement collection: which snapshots are due, batching, rate limits, and the real adapters'
recorded payloads at the HTTP boundary (``responses``), including a retired Facebook metric and a
YouTube video without ``commentCount``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from sqlalchemy import insert, select, update

from publisher.actions import engagement
from publisher.core.models import Platform, Target
from publisher.core.states import State
from publisher.platforms.base import Credentials, Metrics
from publisher.platforms.fake import FakeAdapter
from publisher.store import schema as s
from publisher.store import schema_engagement as e
from publisher.store.repo import Store
from tests.platforms import test_facebook_insights as fbg
from tests.platforms.builders import payload

NOW = datetime(2025, 5, 5, 3, 0, tzinfo=UTC)  # Monday 10:00 in Vietnam
G = "https://graph.facebook.com/v25.0"
YT = "https://www.googleapis.com/youtube/v3"
ZALO = "https://openapi.zalo.me/v2.0"


# -- builders shared with tests/reports/test_weekly.py ------------------------------------------
def account(store: Store, target: str, creds: Credentials | None = None) -> int:
    return store.add_account(
        Target.parse(target), "can-bo", credentials=creds or Credentials(access_token="TOKEN"), exist_ok=True
    )


def post(
    store: Store, key: str, due_at: datetime, campaign: str | None = None, title: str | None = None
) -> int:
    with store.db.write() as conn:
        res = conn.execute(
            insert(s.posts).values(
                key=key,
                title=title or f"Bài {key}",
                text="Nội dung",
                images=[],
                options={},
                timezone="Asia/Ho_Chi_Minh",
                due_at=due_at,
                grace_seconds=6 * 3600,
                draft=False,
                content_hash="h" * 64,
                queued_by="can-bo",
                queued_at=due_at - timedelta(days=3),
                updated_at=due_at - timedelta(days=3),
                campaign=campaign,
            )
        )
        return int(res.inserted_primary_key[0])  # type: ignore[index]


def delivery(
    store: Store,
    post_id: int,
    account_id: int,
    due_at: datetime,
    state: State = State.PUBLISHED,
    published_at: datetime | None = None,
    remote_id: str | None = None,
    remote_url: str | None = None,
    reason: str | None = None,
) -> int:
    if state is State.PUBLISHED and published_at is None:
        published_at = due_at
    with store.db.write() as conn:
        res = conn.execute(
            insert(s.deliveries).values(
                post_id=post_id,
                account_id=account_id,
                state=state.value,
                due_at=due_at,
                deadline=due_at + timedelta(hours=6),
                attempts=1 if state is not State.SCHEDULED else 0,
                remote_id=remote_id,
                remote_url=remote_url,
                published_at=published_at,
                last_reason=reason,
                created_at=due_at - timedelta(days=3),
                updated_at=published_at or due_at,
            )
        )
        return int(res.inserted_primary_key[0])  # type: ignore[index]


def snapshot(store: Store, delivery_id: int, taken_at: datetime, slot: str, **figures: int | None) -> None:
    with store.db.write() as conn:
        conn.execute(
            insert(e.snapshots).values(
                delivery_id=delivery_id,
                taken_at=taken_at,
                kind=slot.split(":")[0],
                slot=slot,
                remote_id=f"r{delivery_id}",
                raw={"seeded": True},
                **{m: figures.get(m) for m in ("views", "reactions", "comments", "shares")},
            )
        )


def published(store: Store, target: str, key: str, at: datetime, remote_id: str) -> int:
    return delivery(store, post(store, key, at), account(store, target), at, remote_id=remote_id)


def rows(store: Store) -> list[Any]:
    with store.db.read() as conn:
        return list(conn.execute(select(e.snapshots).order_by(e.snapshots.c.id)))


class Fakes:
    """An adapter factory answering from one FakeAdapter per platform, recording the calls."""

    def __init__(self, metrics: dict[str, Metrics], fail: set[Platform] = frozenset()) -> None:  # type: ignore[assignment]
        self.metrics = metrics
        self.fail = fail
        self.made: dict[Target, FakeAdapter] = {}

    def __call__(self, settings: Any, target: Target, creds: Credentials) -> FakeAdapter:
        if target.platform in self.fail:
            raise RuntimeError("platform down")
        adapter = self.made.setdefault(target, FakeAdapter(creds, engagement=self.metrics))
        return adapter


# -- which snapshots are due --------------------------------------------------------------------
def test_milestones_are_due_once_each_and_never_late_by_a_milestone(store: Store) -> None:
    did = published(store, "facebook/xa", "bai-1", NOW - timedelta(minutes=30), "1_1")
    fakes = Fakes({"1_1": Metrics(views=10, reactions=2, comments=None, shares=0, raw={"v": 10})})
    assert engagement.due_snapshots(store, NOW) == []
    steps = [
        (timedelta(minutes=61), "1h"),
        (timedelta(hours=24, minutes=1), "24h"),
        (timedelta(days=7, minutes=1), "7d"),
    ]
    for offset, kind in steps:
        at = NOW - timedelta(minutes=30) + offset
        assert [d.slot for d in engagement.due_snapshots(store, at)] == [kind]
        report = engagement.collect(store, at, adapters=fakes)
        assert report.taken == [(did, kind)]
        assert engagement.due_snapshots(store, at) == []  # taken once, never again
    assert [r.slot for r in rows(store)] == ["1h", "24h", "7d"]
    assert rows(store)[0].comments is None and rows(store)[0].shares == 0  # None is not 0


def test_a_missed_milestone_is_skipped_when_the_next_is_due(store: Store) -> None:
    published(store, "facebook/xa", "cu", NOW - timedelta(days=3), "1_2")
    assert [d.slot for d in engagement.due_snapshots(store, NOW)] == ["24h"]
    published(store, "facebook/xa", "rat-cu", NOW - timedelta(days=15), "1_3")
    assert [d.slot for d in engagement.due_snapshots(store, NOW) if d.remote_id == "1_3"] == []


def test_weekly_sweep_covers_the_last_n_weeks_only(store: Store) -> None:
    recent = published(store, "facebook/xa", "gan", NOW - timedelta(days=20), "1_4")
    published(store, "facebook/xa", "xa", NOW - timedelta(weeks=9), "1_5")
    due = engagement.due_snapshots(store, NOW, weekly=True, weeks=8)
    assert [(d.delivery_id, d.slot) for d in due] == [(recent, "weekly:2025-W19")]
    assert engagement.due_snapshots(store, NOW, weekly=False) == []


def test_only_published_deliveries_of_active_accounts(store: Store) -> None:
    acct = account(store, "facebook/xa")
    delivery(
        store,
        post(store, "loi", NOW - timedelta(hours=2)),
        acct,
        NOW - timedelta(hours=2),
        state=State.FAILED,
    )
    other = account(store, "facebook/khac")
    delivery(
        store, post(store, "ok", NOW - timedelta(hours=2)), other, NOW - timedelta(hours=2), remote_id="9_9"
    )
    store.set_account_status(other, "needs_reauth", "190")
    assert engagement.due_snapshots(store, NOW) == []


# -- batching, rate limits, errors ------------------------------------------------------------------
def test_rate_limited_account_is_left_for_the_next_run(store: Store) -> None:
    published(store, "facebook/xa", "bai", NOW - timedelta(hours=2), "1_1")
    fakes = Fakes({"1_1": Metrics(views=1)})
    asked: list[Target] = []

    def busy(target: Target) -> float:
        asked.append(target)
        return 12.0

    report = engagement.collect(store, NOW, adapters=fakes, acquire=busy)
    assert report.deferred == ["facebook/xa"] and report.taken == [] and rows(store) == []
    assert asked == [Target(Platform.FACEBOOK, "xa")]
    assert fakes.made[Target(Platform.FACEBOOK, "xa")].calls == []  # nothing was asked of the platform
    assert len(engagement.due_snapshots(store, NOW)) == 1
    assert engagement.collect(store, NOW, adapters=fakes, acquire=lambda t: 0.0).taken


def test_one_platform_down_does_not_stop_the_others(store: Store) -> None:
    published(store, "facebook/xa", "fb", NOW - timedelta(hours=2), "1_1")
    yt = published(store, "youtube/xa", "yt", NOW - timedelta(hours=2), "vid1")
    report = engagement.collect(
        store, NOW, adapters=Fakes({"vid1": Metrics(views=5)}, fail={Platform.FACEBOOK})
    )
    assert report.taken == [(yt, "1h")]
    assert report.errors == [("facebook/xa", "RuntimeError: platform down")]


def test_a_post_the_platform_does_not_return_stays_due(store: Store) -> None:
    did = published(store, "zalo/xa", "z", NOW - timedelta(hours=2), "gone")
    report = engagement.collect(store, NOW, adapters=Fakes({}))
    assert report.not_returned == [(did, "1h")] and rows(store) == []
    assert len(engagement.due_snapshots(store, NOW)) == 1


def test_collection_limiter_uses_its_own_buckets(store: Store) -> None:
    """Collection tokens come from ``collect:`` keys: publishing's buckets are untouched."""
    acquire = engagement.collect_limiter(store.settings, store)
    target = Target(Platform.FACEBOOK, "xa")
    waits = [acquire(target) for _ in range(6)]
    assert waits[:5] == [0.0] * 5 and waits[5] > 0
    with store.db.read() as conn:
        keys = sorted(k for (k,) in conn.execute(select(s.rate_buckets.c.key)))
    assert keys == ["collect:account:facebook/xa", "collect:app:facebook"]


# -- the real adapters, at the HTTP boundary ------------------------------------------------------
@pytest.fixture
def rsps() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


FB_CREDS = Credentials(access_token="PAGE-TOKEN", remote_account_id=fbg.PAGE)


def fb_delivery(store: Store, key: str, at: datetime, remote_id: str, kind: str | None = None) -> int:
    """A published Facebook delivery; ``kind`` is what the publish flow recorded in its resume state."""
    acct = account(store, "facebook/xa-hanh-dich", FB_CREDS)
    did = delivery(store, post(store, key, at), acct, at, remote_id=remote_id)
    if kind is not None:
        with store.db.write() as conn:
            conn.execute(
                update(s.deliveries).where(s.deliveries.c.id == did).values(resume_state={"kind": kind})
            )
    return did


def test_facebook_retired_metric_keeps_the_others_and_the_history(store: Store, rsps: Any) -> None:
    at = NOW - timedelta(hours=2)
    post_d = fb_delivery(store, "tiem-chung", at, fbg.POST)
    reel_d = fb_delivery(store, "reel", at, fbg.REEL)  # no recorded kind (found by listing): probed
    # post_media_view answers (#100) "must be a valid insights metric": retired for this version
    graph = fbg.FakeGraph(fbg.page_nodes(), retired={"post_media_view"})
    graph.install(rsps)
    report = engagement.collect(store, NOW)
    assert sorted(report.taken) == [(post_d, "1h"), (reel_d, "1h")] and report.errors == []
    # shares asked of the feed post only: a Video node has no such field
    assert graph.ids_calls() == [
        ([fbg.POST], f"id,shares,{fbg.COUNTERS}"),
        ([fbg.REEL], f"id,{fbg.COUNTERS}"),
    ]
    first = {r.delivery_id: r for r in rows(store)}
    p, r = first[post_d], first[reel_d]
    assert (p.views, p.reactions, p.comments, p.shares) == (1534, 85, 12, 7)
    assert p.raw["insights"] == {"post_media_view": {"error": "100"}, "post_total_media_view_unique": 1534}
    assert p.raw["fields"]["reactions"]["summary"]["total_count"] == 85  # as the platform returned it
    assert (r.views, r.reactions, r.comments, r.shares) == (2301, 40, 3, None)
    assert r.raw["insights"]["blue_reels_play_count"] == 2301 and r.raw["kind"] == "reel"

    # a day later the second view metric is retired too: views unknown (None, not 0), history kept
    graph.retired.add("post_total_media_view_unique")
    engagement.collect(store, at + timedelta(hours=25))
    later = [x for x in rows(store) if x.delivery_id == post_d]
    assert [x.slot for x in later] == ["1h", "24h"]
    assert later[0].views == 1534 and later[0].raw["insights"]["post_total_media_view_unique"] == 1534
    assert later[1].views is None and later[1].reactions == 85


def test_facebook_every_kind_counted_and_a_deleted_post_stays_due(store: Store, rsps: Any) -> None:
    """Issue 10.4: post, photo, video and Reel of one Page in one run; the Graph error for the
    mixed request used to lose the whole batch, leaving views only."""
    at = NOW - timedelta(hours=2)
    nodes = fbg.page_nodes()
    made = {
        "post": fb_delivery(store, "bai", at, fbg.POST, "feed"),
        "photo": fb_delivery(store, "anh", at, fbg.PHOTO_POST, "photo"),
        "video": fb_delivery(store, "video", at, fbg.VIDEO, "video"),
        "reel": fb_delivery(store, "reel", at, fbg.REEL, "reel"),
        "deleted": fb_delivery(store, "da-xoa", at, f"{fbg.PAGE}_404", "feed"),
    }
    graph = fbg.FakeGraph(nodes)
    graph.install(rsps)
    report = engagement.collect(store, NOW)
    assert report.errors == [] and report.not_returned == [(made["deleted"], "1h")]
    got = {r.delivery_id: (r.views, r.reactions, r.comments, r.shares) for r in rows(store)}
    assert got == {
        made["post"]: (1534, 85, 12, 7),
        made["photo"]: (610, 30, 2, 0),
        made["video"]: (880, 21, 4, None),
        made["reel"]: (2301, 40, 3, None),
    }
    assert not any(m.startswith(("blue_reels", "fb_reels")) for _, m in graph.metrics_asked(fbg.VIDEO))
    assert graph.metrics_asked(fbg.REEL) == [
        ("video_insights", "blue_reels_play_count"),
        ("video_insights", "fb_reels_total_plays"),
    ]
    assert [d.delivery_id for d in engagement.due_snapshots(store, NOW)] == [made["deleted"]]


def test_youtube_missing_comment_count_is_none_and_ids_go_fifty_a_call(store: Store, rsps: Any) -> None:
    at = NOW - timedelta(hours=2)
    account(store, "youtube/xa", Credentials(access_token="ya29", expires_at=NOW + timedelta(days=30)))
    ids = [f"vid{i:03d}" for i in range(120)]
    for vid in ids:
        published(store, "youtube/xa", f"clip-{vid}", at, vid)

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        asked = parse_qs(urlsplit(request.url).query)["id"][0].split(",")
        # commentCount absent: comments disabled on the video (youtube.md: statistics fields are optional)
        items = [
            {"id": v, "statistics": {"viewCount": "1200", "likeCount": "34", "favoriteCount": "0"}}
            for v in asked
        ]
        return 200, {}, json.dumps({"kind": "youtube#videoListResponse", "items": items})

    rsps.add_callback(responses.GET, f"{YT}/videos", callback=answer)
    report = engagement.collect(store, NOW)
    sizes = [len(parse_qs(urlsplit(c.request.url).query)["id"][0].split(",")) for c in rsps.calls]
    assert sizes == [50, 50, 20]
    assert len(report.taken) == 120
    one = rows(store)[0]
    assert (one.views, one.reactions, one.comments, one.shares) == (1200, 34, None, None)
    assert one.raw == {"viewCount": "1200", "likeCount": "34", "favoriteCount": "0"}


def test_zalo_article_figures_and_followers(store: Store, rsps: Any) -> None:
    at = NOW - timedelta(hours=2)
    did = published(store, "zalo/xa-hanh-dich", "tiem-chung", at, "8f2a5c1d9e0b4a7f")
    rsps.get(f"{ZALO}/article/getslice", json=payload("zalo", "getslice_normal"))
    rsps.get(f"{ZALO}/oa/getoa", json=payload("zalo", "getoa"))
    engagement.collect(store, NOW)
    (row,) = rows(store)
    assert (row.delivery_id, row.views, row.reactions, row.comments, row.shares) == (
        did,
        1520,
        None,
        None,
        33,
    )
    assert row.raw == {"total_view": 1520, "total_share": 33, "type": "normal"}
    report = engagement.collect_followers(store, NOW)
    assert report.followers == [("zalo/xa-hanh-dich", 4210)]
    assert engagement.collect_followers(store, NOW + timedelta(hours=1)).followers == []  # one count a day
    with store.db.read() as conn:
        (f,) = conn.execute(select(e.followers)).all()
    assert (f.followers_count, f.day.isoformat()) == (4210, "2025-05-05")


# -- the thin tasks -------------------------------------------------------------------------------
def test_collect_tasks_and_beat_entries(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from publisher.settings import get_settings

    monkeypatch.setenv("PUBLISHER_DATA_DIR", str(store.settings.data_dir))
    get_settings.cache_clear()
    try:
        from workers import collect
    finally:
        get_settings.cache_clear()
    from workers.app import COLLECT_BEAT

    for entry in COLLECT_BEAT.values():
        assert entry["task"] in collect.app.tasks and entry["options"]["queue"] == "collect"
    monkeypatch.setattr(collect, "runtime", lambda: SimpleNamespace(store=store, settings=store.settings))
    published(store, "sandbox/demo", "bai", datetime.now(UTC) - timedelta(hours=2), "sandbox-1")
    assert collect.collect_engagement.run() == {"taken": 1, "missing": 0, "deferred": 0, "errors": 0}
    assert collect.collect_engagement.run() == {"taken": 0, "missing": 0, "deferred": 0, "errors": 0}
    assert collect.send_alerts.run() == {"raised": 0, "sent": 0, "errors": 0}  # no channel configured
    paths = collect.weekly_report.run()
    assert [Path(p).suffix for p in paths] == [".html", ".xlsx"] and all(Path(p).exists() for p in paths)
