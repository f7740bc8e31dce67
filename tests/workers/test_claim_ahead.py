"""On the second (issue 15, item 1): claims a tick ahead, sent at their time, never early, and still
cancellable, pausable and editable until the attempt starts."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from publisher.actions import dispatch
from publisher.actions.drain import handle, run_once, wait_until
from publisher.core.models import Delivery, PostSpec
from publisher.core.states import State
from publisher.platforms.base import Result
from publisher.platforms.fake import FakeAdapter
from publisher.store import Store
from tests.workers.test_publishing import DEMO, attempts, publisher, queue, row


def utc() -> datetime:
    return datetime.now(UTC)


class Jobs:
    """An ``enqueue`` that takes an ``eta`` (so the tick may claim ahead)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int, datetime | None]] = []

    def __call__(self, kind: str, delivery_id: int, eta: datetime | None = None) -> None:
        self.sent.append((kind, delivery_id, eta))


def timed(fake_calls: list[datetime]) -> FakeAdapter:
    def publish(delivery: Delivery) -> Result:
        fake_calls.append(utc())
        return Result.published("p-1")

    return FakeAdapter(publish=[publish])


def test_tick_claims_within_the_next_tick_with_its_time_as_eta(store: Store) -> None:
    now = utc()
    soon = queue(store, due=now + timedelta(seconds=3), key="soon")
    later = queue(store, due=now + timedelta(seconds=store.settings.tick_seconds + 3), key="later")
    due = queue(store, due=now - timedelta(seconds=1), key="due")
    # a tick runs a little after beat fires: the claim reaches a second past the next tick
    edge = queue(store, due=now + timedelta(seconds=store.settings.tick_seconds + 0.5), key="edge")
    jobs = Jobs()
    report = dispatch.tick(store.db, store.settings, jobs, now=now)
    assert sorted(report.publish) == sorted([soon, due, edge])
    sent = {did: eta for _, did, eta in jobs.sent}
    assert sent[due] is None  # due already: no ETA
    assert sent[soon] == store.delivery(soon).due_at  # exactly its time, never a far-future ETA
    assert row(store, later).state == "scheduled"
    # the lease covers the wait before the attempt
    lease = row(store, soon).lease_until
    assert lease >= now + timedelta(seconds=store.settings.tick_seconds + store.settings.lease_seconds)


def test_no_claim_ahead_when_switched_off_or_the_enqueue_takes_no_eta(store: Store) -> None:
    now = utc()
    soon = queue(store, due=now + timedelta(seconds=3), key="soon")
    store.settings.claim_ahead = False
    assert dispatch.tick(store.db, store.settings, Jobs(), now=now).publish == []
    store.settings.claim_ahead = True
    assert dispatch.tick(store.db, store.settings, lambda k, i: None, now=now).publish == []
    assert dispatch.takes_eta(Jobs()) and not dispatch.takes_eta(lambda k, i: None)
    assert dispatch.tick(store.db, store.settings, Jobs(), now=now).publish == [soon]


def test_a_claim_ahead_is_sent_at_its_time_not_before(store: Store) -> None:
    due_at = utc() + timedelta(seconds=1.5)
    did = queue(store, due=due_at)
    jobs = Jobs()
    dispatch.tick(store.db, store.settings, jobs)
    [(_, _, eta)] = jobs.sent
    calls: list[datetime] = []
    assert handle(publisher(store, timed(calls)), dispatch.PUBLISH, did, eta) == "published"
    [sent_at] = calls
    assert store.delivery(did).due_at <= sent_at < store.delivery(did).due_at + timedelta(seconds=0.5)
    assert len(attempts(store, did)) == 1


def test_the_guard_never_sends_a_second_early(store: Store) -> None:
    """Formerly a minute early was tolerated; now a delivery still early is given back at its time."""
    did = queue(store, due=utc() + timedelta(seconds=30))
    dispatch.tick(store.db, store.settings, Jobs(), now=utc() + timedelta(seconds=27))
    assert row(store, did).state == "claimed"
    fake = FakeAdapter()
    step = publisher(store, fake).publish(did)  # a message delivered early, without its time
    assert step.state is State.RETRY_WAIT and fake.calls == []
    assert row(store, did).next_attempt_at == store.delivery(did).due_at


def test_a_far_wait_is_not_the_workers_to_hold() -> None:
    now = utc()
    fake = SimpleNamespace(clock=lambda: now, settings=SimpleNamespace(tick_seconds=5.0))
    slept: list[float] = []
    assert wait_until(fake, now + timedelta(seconds=60), slept.append) == 0.0  # type: ignore[arg-type]
    assert slept == []
    assert wait_until(fake, now - timedelta(seconds=1), slept.append) == 0.0  # type: ignore[arg-type]
    assert slept == []


def _during_the_wait(store: Store, act: Any) -> tuple[int, list[datetime], str]:
    """Claim a delivery 2 s ahead, start its worker, act 0.5 s into the wait."""
    did = queue(store, due=utc() + timedelta(seconds=2))
    jobs = Jobs()
    dispatch.tick(store.db, store.settings, jobs)
    [(_, _, eta)] = jobs.sent
    assert row(store, did).state == "claimed"
    calls: list[datetime] = []
    out: list[str] = []
    worker = threading.Thread(
        target=lambda: out.append(handle(publisher(store, timed(calls)), dispatch.PUBLISH, did, eta))
    )
    worker.start()
    time.sleep(0.5)
    act(did)
    worker.join(10)
    return did, calls, out[0]


def test_cancel_a_claimed_ahead_delivery_nothing_is_sent(store: Store) -> None:
    report: list[Any] = []
    did, calls, _ = _during_the_wait(
        store, lambda did: report.append(store.cancel(["bai-1"], actor="can-bo"))
    )
    assert report[0].done  # cancelled at once: claimed → cancelled, nothing was sent
    assert calls == [] and attempts(store, did) == []
    assert row(store, did).state == "cancelled"


def test_pause_during_the_wait_nothing_is_sent(store: Store) -> None:
    did, calls, _ = _during_the_wait(store, lambda did: store.pause("bão", actor="chu-tich"))
    assert calls == [] and attempts(store, did) == []
    assert row(store, did).state == "paused"


def test_edit_during_the_wait_voids_the_approval_nothing_is_sent(store: Store) -> None:
    def edit(did: int) -> None:
        spec = PostSpec(
            key="bai-1",
            title="Thông báo",
            text="Lịch tiêm chủng đã đổi",
            due_at=store.delivery(did).due_at,
            timezone="Asia/Ho_Chi_Minh",
            targets=(DEMO,),
        )
        store.queue([spec], actor="can-bo")

    did, calls, _ = _during_the_wait(store, edit)
    assert calls == [] and attempts(store, did) == []
    assert row(store, did).state == "awaiting_approval"


def test_run_once_sends_what_is_due_within_two_seconds_and_leaves_the_rest(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utc()
    near = queue(store, due=now + timedelta(seconds=1), key="near")
    far = queue(store, due=now + timedelta(seconds=4), key="far")
    calls: list[datetime] = []
    fake = timed(calls)
    monkeypatch.setattr(
        "publisher.actions.sending.Sender.adapter", lambda self, creds, account_id, delivery: fake
    )
    started = time.monotonic()
    result = run_once(store, store.settings)
    assert time.monotonic() - started < store.settings.tick_seconds  # not a whole tick
    assert result["outcomes"] == {"published": 1}
    assert row(store, near).state == "published" and row(store, far).state == "scheduled"
    assert calls[0] >= store.delivery(near).due_at  # after a short wait, never early


def test_the_celery_message_carries_the_due_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from workers import tasks

    settings = SimpleNamespace(lease_seconds=300, tick_seconds=5.0)
    monkeypatch.setattr(tasks, "runtime", lambda: SimpleNamespace(settings=settings, publisher=object()))
    sent: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(tasks.publish_delivery, "apply_async", lambda *a, **kw: sent.append((a, kw)))
    due = utc() + timedelta(seconds=3)
    tasks.enqueue(dispatch.PUBLISH, 7, eta=due)
    tasks.enqueue(dispatch.PUBLISH, 8)
    (args, kw), (args2, kw2) = sent
    assert kw["eta"] == due and args == ((7,), {"not_before": due.isoformat()})
    assert "eta" not in kw2 and args2 == ((8,),)
    seen: list[Any] = []

    def handle(p: Any, kind: str, did: int, when: datetime | None = None) -> str:
        seen.append((kind, did, when))
        return "x"

    monkeypatch.setattr(tasks, "handle", handle)
    tasks.publish_delivery.run(7, not_before=due.isoformat())
    assert seen == [(dispatch.PUBLISH, 7, due)]
