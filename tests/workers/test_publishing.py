"""The domain flow of one delivery (publisher/actions/publish.py), in-process, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from publisher.actions import dispatch
from publisher.actions.publish import Publisher
from publisher.core.decisions import backoff
from publisher.core.models import Delivery, Platform, PostSpec, Target
from publisher.core.states import State
from publisher.platforms.base import Credentials, Result
from publisher.platforms.fake import FakeAdapter
from publisher.store import Store
from publisher.store import schema as s
from publisher.store.claims import claim_due, release_expired

DEMO = Target(Platform.SANDBOX, "demo")
PAGE = Target(Platform.FACEBOOK, "ubnd-xa")


def utc() -> datetime:
    return datetime.now(UTC)


def queue(store: Store, target: Target = DEMO, due: datetime | None = None, key: str = "bai-1") -> int:
    if target.name not in {a.name for a in store.accounts() if a.platform == target.platform.value}:
        creds = Credentials(access_token="SECRET-TOKEN-123", remote_account_id="page-1")
        store.add_account(target, actor="can-bo", credentials=creds)
    spec = PostSpec(
        key=key,
        title="Thông báo",
        text=f"Lịch tiêm chủng {key}",
        due_at=due or utc() - timedelta(seconds=1),
        timezone="Asia/Ho_Chi_Minh",
        targets=(target,),
    )
    store.queue([spec], actor="can-bo")
    store.approve([key], by="truong-ban")
    [row] = [r for r in store.deliveries() if r.key == key]
    return int(row.id)


def claim(store: Store) -> list[int]:
    return claim_due(store.db, utc(), "dispatch:test", store.settings.lease_seconds)


def row(store: Store, did: int) -> Any:
    with store.db.read() as conn:
        return conn.execute(select(s.deliveries).where(s.deliveries.c.id == did)).one()


def attempts(store: Store, did: int) -> list[Any]:
    with store.db.read() as conn:
        return list(
            conn.execute(select(s.attempts).where(s.attempts.c.delivery_id == did).order_by(s.attempts.c.id))
        )


def publisher(store: Store, fake: FakeAdapter, **kw: Any) -> Publisher:
    return Publisher(store, adapters=lambda settings, target, creds: fake, rng=lambda: 1.0, **kw)


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger("publisher.attempts")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def test_published_records_ids_attempt_and_one_json_line(store: Store, lines: Lines) -> None:
    did = queue(store)
    assert claim(store) == [did]
    fake = FakeAdapter(publish=[Result.published("p-1", "https://fb.test/p-1")])
    step = publisher(store, fake).publish(did)
    assert step.state is State.PUBLISHED
    r = row(store, did)
    assert (r.state, r.remote_id, r.remote_url, r.attempts) == ("published", "p-1", "https://fb.test/p-1", 1)
    assert r.published_at is not None and r.lease_until is None
    [a] = attempts(store, did)
    assert (a.kind, a.number, a.outcome, a.remote_id) == ("publish", 1, "published", "p-1")
    assert a.request["text_hash"] and a.content_hash == store.delivery(did).content_hash
    [line] = [json.loads(x) for x in lines.lines if '"attempt"' in x]
    assert line["outcome"] == "published" and line["delivery"] == did and line["remote_id"] == "p-1"


def test_attempt_is_committed_before_the_platform_is_called(store: Store) -> None:
    did = queue(store)
    claim(store)
    seen: dict[str, Any] = {}

    def publish(delivery: Delivery) -> Result:
        other = Store(store.settings)  # another connection: only committed data is visible
        seen["state"] = row(other, did).state
        seen["attempts"] = [(a.number, a.outcome) for a in attempts(other, did)]
        other.db.dispose()
        return Result.published("p-1")

    publisher(store, FakeAdapter(publish=[publish])).publish(did)
    assert seen == {"state": "publishing", "attempts": [(1, None)]}


def test_checkpoint_is_committed_at_once_and_kept_on_unknown_outcome(store: Store) -> None:
    did = queue(store)
    claim(store)
    seen: dict[str, Any] = {}

    def publish(delivery: Delivery) -> Result:
        other = Store(store.settings)
        r = row(other, did)
        seen.update(resume=r.resume_state, remote=r.remote_id)
        other.db.dispose()
        return Result.unknown("ReadTimeout", "timeout after sending")

    fake = FakeAdapter(publish=[publish], checkpoints=[{"kind": "feed", "post_id": "p-9"}])
    publisher(store, fake).publish(did)
    assert seen == {"resume": {"kind": "feed", "post_id": "p-9"}, "remote": "p-9"}
    r = row(store, did)
    assert r.state == "unconfirmed" and r.resume_state["post_id"] == "p-9" and r.next_attempt_at is not None


@pytest.mark.parametrize(
    ("result", "state"),
    [
        (Result.handed_off("p-2", "https://fb.test/p-2"), "handed_off"),
        (Result.pending({"video_id": "v-1"}, poll_after=30), "publishing"),
        (Result.rate_limited(120, code="32"), "retry_wait"),
        (Result.transient("http_503", "tạm thời"), "retry_wait"),
        (Result.auth_expired("190/463", "hết hạn"), "needs_reauth"),
        (Result.rejected("100", "Nội dung bị từ chối"), "failed"),
        (Result.unknown("ReadTimeout"), "unconfirmed"),
        (RuntimeError("boom access_token=SECRET-TOKEN-123"), "unconfirmed"),
    ],
)
def test_each_outcome_moves_to_its_state(store: Store, result: Any, state: str, lines: Lines) -> None:
    did = queue(store)
    claim(store)
    before = utc()
    publisher(store, FakeAdapter(publish=[result])).publish(did)
    r = row(store, did)
    assert r.state == state
    if state == "retry_wait":
        wait = (r.next_attempt_at - before).total_seconds()
        assert wait >= (result.retry_after or 0)
    if state == "publishing":
        assert r.resume_state == {"video_id": "v-1"} and r.lease_until is None and r.claimed_by is None
    if state == "needs_reauth":
        assert store.account(DEMO).status == "needs_reauth"
    if state == "failed":
        assert (r.last_code, r.last_reason) == ("100", "Nội dung bị từ chối")
    if state == "handed_off":
        assert r.remote_id == "p-2" and r.next_attempt_at >= r.due_at + timedelta(minutes=2)
    assert "SECRET-TOKEN-123" not in "".join(lines.lines) + str(r.last_reason)


def test_retry_limit_and_backoff(store: Store) -> None:
    store.settings.max_attempts = 2
    did = queue(store)
    fake = FakeAdapter(publish=[Result.transient("http_503", "lỗi tạm thời")])
    pub = publisher(store, fake)
    claim(store)
    pub.publish(did)
    assert row(store, did).state == "retry_wait"
    with store.db.write() as conn:
        conn.execute(update(s.deliveries).values(next_attempt_at=utc() - timedelta(seconds=1)))
    assert claim(store) == [did]
    pub.publish(did)
    r = row(store, did)
    assert r.state == "failed" and r.attempts == 2 and "2" in r.last_reason
    assert backoff(1, 30, 3600, lambda: 0.0) == 15 and backoff(1, 30, 3600, lambda: 1.0) == 30
    assert backoff(10, 30, 3600, lambda: 1.0) == 3600


def test_duplicate_message_sends_nothing_twice(store: Store) -> None:
    did = queue(store)
    claim(store)
    fake = FakeAdapter()
    pub = publisher(store, fake)
    assert pub.publish(did).action == "published"
    assert pub.publish(did).action == "skipped"
    assert publisher(store, fake).publish(did).action == "skipped"
    assert [c for c in fake.calls if c[0] == "publish"] == [("publish", did)]


def test_rechecks_pause_deadline_and_account_before_sending(store: Store) -> None:
    fake = FakeAdapter()
    a = queue(store, key="a")
    b = queue(store, key="b")
    c = queue(store, key="c")
    assert claim(store) == [a, b, c]
    store.pause("bão", actor="chu-tich")
    assert publisher(store, fake).publish(a).state is State.PAUSED
    with store.db.write() as conn:
        conn.execute(
            update(s.deliveries).where(s.deliveries.c.id == b).values(deadline=utc() - timedelta(seconds=1))
        )
    store.resume("chu-tich")
    assert publisher(store, fake).publish(b).state is State.MISSED
    store.set_account_status(int(store.account(DEMO).id), "needs_reauth", "hết hạn")
    assert publisher(store, fake).publish(c).state is State.NEEDS_REAUTH
    assert fake.calls == []


def test_early_claim_without_hand_off_waits_for_its_time(store: Store) -> None:
    did = queue(store, due=utc() + timedelta(minutes=5))
    with store.db.write() as conn:  # as if claimed early by mistake
        conn.execute(update(s.deliveries).values(state="claimed", lease_until=utc() + timedelta(minutes=5)))
    fake = FakeAdapter()
    step = publisher(store, fake).publish(did)
    assert step.state is State.RETRY_WAIT and fake.calls == []
    assert row(store, did).next_attempt_at == store.delivery(did).due_at  # not a second before its time


def test_expired_leases_are_reexamined_never_resent(store: Store) -> None:
    a = queue(store, key="a")
    b = queue(store, key="b")
    claim(store)
    past = utc() - timedelta(seconds=1)
    with store.db.write() as conn:
        conn.execute(update(s.deliveries).where(s.deliveries.c.id == a).values(lease_until=past))
        conn.execute(
            update(s.deliveries).where(s.deliveries.c.id == b).values(state="publishing", lease_until=past)
        )
    released, doubted = release_expired(store.db, utc())
    assert (released, doubted) == ([a], [b])
    assert row(store, a).state == "scheduled" and row(store, b).state == "unconfirmed"


def test_heartbeat_keeps_the_lease_of_a_slow_but_live_worker(store: Store) -> None:
    store.settings.lease_seconds = 1
    did = queue(store)
    claim(store)

    def slow(delivery: Delivery) -> Result:
        time.sleep(2.5)
        # a dispatcher running now must not doubt a live worker
        assert release_expired(store.db, utc()) == ([], [])
        return Result.published("p-1")

    publisher(store, FakeAdapter(publish=[slow])).publish(did)
    assert row(store, did).state == "published"


@pytest.mark.parametrize(
    ("answer", "state"),
    [
        (Result.published("p-1", "https://fb.test/p-1"), "published"),
        (Result.absent(), "retry_wait"),
        (Result.unknown("http_500"), "unconfirmed"),
        (Result.pending({"video_id": "v-1", "phase": "upload"}, poll_after=0), "retry_wait"),
        (Result.handed_off("p-1"), "handed_off"),
    ],
)
def test_reconcile_resolves_doubt(store: Store, answer: Result, state: str) -> None:
    did = queue(store)
    claim(store)
    pub = publisher(
        store,
        FakeAdapter(publish=[Result.unknown("ReadTimeout")], reconcile=[answer]),
    )
    pub.publish(did)
    with store.db.write() as conn:
        conn.execute(update(s.deliveries).values(resume_state={"video_id": "v-0"}))
    step = pub.reconcile(did)
    r = row(store, did)
    assert r.state == state == (step.state.value if step.state else None)
    if answer.outcome.value == "absent":
        assert r.resume_state is None and r.remote_id is None  # a fresh send, no stale ids
    if answer.outcome.value == "pending":
        assert r.resume_state["video_id"] == "v-1"  # the upload goes on from where it stopped
    if state == "unconfirmed":
        assert r.next_attempt_at > utc()
    kinds = [(a.kind, a.outcome) for a in attempts(store, did)]
    assert kinds == [("publish", "unknown_outcome"), ("reconcile", answer.outcome.value)]


def test_native_hand_off_then_verified_after_its_time(store: Store) -> None:
    due = utc() + timedelta(minutes=30)
    did = queue(store, target=PAGE, due=due)
    jobs: list[tuple[str, int]] = []
    report = dispatch.tick(store.db, store.settings, lambda k, i: jobs.append((k, i)))
    assert report.publish == [did] and jobs == [("publish", did)]
    fake = FakeAdapter(
        publish=[Result.handed_off("p-1")], reconcile=[Result.published("p-1", "https://fb.test/p-1")]
    )
    assert publisher(store, fake).publish(did).state is State.HANDED_OFF
    jobs.clear()
    dispatch.tick(store.db, store.settings, lambda k, i: jobs.append((k, i)))
    assert jobs == []  # not looked up before its time
    dispatch.tick(store.db, store.settings, lambda k, i: jobs.append((k, i)), now=due + timedelta(minutes=3))
    assert jobs == [("reconcile", did)]
    assert publisher(store, fake).reconcile(did).state is State.PUBLISHED


def test_native_scheduling_off_means_no_early_claim(store: Store) -> None:
    store.settings.facebook.native_scheduling = False
    queue(store, target=PAGE, due=utc() + timedelta(minutes=30))
    report = dispatch.tick(store.db, store.settings, lambda k, i: None)
    assert report.publish == []


def test_failed_enqueue_undoes_the_claim(store: Store) -> None:
    did = queue(store)

    def broken(kind: str, delivery_id: int) -> None:
        raise ConnectionError("broker down")

    report = dispatch.tick(store.db, store.settings, broken)
    assert report.failed_enqueue == [did]
    assert row(store, did).state == "scheduled"
    assert dispatch.tick(store.db, store.settings, lambda k, i: None).publish == [did]


def test_delivery_dataclass_is_what_the_adapter_sees(store: Store) -> None:
    did = queue(store)
    claim(store)
    got: list[Delivery] = []

    def publish(delivery: Delivery) -> Result:
        got.append(delivery)
        return Result.published("x")

    publisher(store, FakeAdapter(publish=[publish])).publish(did)
    assert replace(got[0], state=State.PUBLISHING).state is State.PUBLISHING
    assert got[0].attempts == 1 and got[0].target == DEMO


def test_media_is_queued_for_preparation_a_day_ahead_once(store: Store, tmp_path: Any) -> None:
    from PIL import Image

    image = tmp_path / "anh.jpg"
    Image.new("RGB", (64, 48), (10, 200, 10)).save(image)
    store.add_account(PAGE, actor="can-bo")
    spec = PostSpec(
        key="anh",
        title="Ảnh",
        text="Ảnh hội nghị",
        due_at=utc() + timedelta(hours=3),
        timezone="Asia/Ho_Chi_Minh",
        targets=(PAGE,),
        images=(image,),
    )
    store.queue([spec], actor="can-bo")
    store.approve(["anh"], by="truong-ban")
    queue(store, key="chu")  # text only: nothing to prepare
    [did] = [r.id for r in store.deliveries() if r.key == "anh"]
    jobs: list[tuple[str, int]] = []
    dispatch.tick(store.db, store.settings, lambda k, i: jobs.append((k, i)))
    assert (dispatch.MEDIA, did) in jobs and [k for k, _ in jobs].count(dispatch.MEDIA) == 1
    jobs.clear()
    dispatch.tick(store.db, store.settings, lambda k, i: jobs.append((k, i)))
    assert dispatch.MEDIA not in [k for k, _ in jobs]  # queued once
    later = utc() + dispatch.MEDIA_RETRY + timedelta(minutes=1)
    dispatch.tick(store.db, store.settings, lambda k, i: jobs.append((k, i)), now=later)
    assert (dispatch.MEDIA, did) in jobs  # lost on the way: queued again


def test_pending_keeps_what_the_checkpoints_saved(store: Store) -> None:
    did = queue(store)
    claim(store)
    fake = FakeAdapter(
        publish=[Result.pending({"phase": "upload", "offset": 1024}, poll_after=5)],
        checkpoints=[{"video_id": "v-7", "session": "s-1"}],
    )
    publisher(store, fake).publish(did)
    r = row(store, did)
    assert r.state == "publishing" and r.remote_id == "v-7"
    assert r.resume_state == {"video_id": "v-7", "session": "s-1", "phase": "upload", "offset": 1024}


def test_a_clip_is_measured_before_the_send_so_adapters_never_probe(store: Store, tmp_path: Any) -> None:
    from tests.assets.media_factory import clip
    from tests.conftest import need_ffmpeg

    need_ffmpeg()
    video = clip(tmp_path / "doc.mp4", seconds=1, size="90x160", audio=False)
    store.add_account(DEMO, actor="can-bo", credentials=Credentials(access_token="T", remote_account_id="p"))
    spec = PostSpec(
        key="clip-1",
        title="Thông báo",
        text="Video",
        due_at=utc() - timedelta(seconds=1),
        timezone="Asia/Ho_Chi_Minh",
        targets=(DEMO,),
        video=video,
    )
    store.queue([spec], actor="can-bo")
    store.approve(["clip-1"], by="truong-ban")
    [did] = [int(r.id) for r in store.deliveries() if r.key == "clip-1"]
    seen: list[dict[str, Any]] = []

    def publish(delivery: Delivery) -> Result:
        seen.append(dict(delivery.options))
        return Result.published(f"fake-{delivery.id}")

    claim(store)
    assert publisher(store, FakeAdapter(publish=[publish])).publish(did).action == "published"
    assert seen and (seen[0]["video_width"], seen[0]["video_height"]) == (90, 160)
