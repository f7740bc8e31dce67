"""``publisher.actions.cancel``: what a cancel settles, and when it is not settled yet."""

from __future__ import annotations

from sqlalchemy import update

from publisher.actions.cancel import cancel_deliveries
from publisher.actions.queue import queue_posts
from publisher.store import Store
from publisher.store import schema as s
from tests.actions.conftest import spec


def put(store: Store, key: str, state: str) -> None:
    """Where a worker (or the platform's answer) would have left the post's delivery."""
    with store.db.write() as conn:
        conn.execute(update(s.deliveries).where(s.deliveries.c.id == _id(store, key)).values(state=state))


def _id(store: Store, key: str) -> int:
    return next(int(r.id) for r in store.deliveries() if r.key == key)


def test_what_has_not_started_is_cancelled_and_settled(office: Store) -> None:
    queue_posts(office, office.settings, [spec("bai-1")], None)
    result = cancel_deliveries(office, office.settings, ["bai-1"])
    assert result.done == [("bai-1:sandbox/demo", "awaiting_approval")]
    assert result.pending == [] and result.skipped == [] and not result.unsettled
    assert {r.state for r in office.deliveries()} == {"cancelled"}
    again = cancel_deliveries(office, office.settings, ["bai-1"])  # idempotent, and settled
    assert again.done == [] and not again.unsettled
    trail = office.post_detail("bai-1")["audit"]
    assert [(a.actor, a.action) for a in trail][-1] == ("can-bo", "cancelled")  # PUBLISHER_USER


def test_a_post_being_sent_is_not_settled_one_published_is(office: Store) -> None:
    queue_posts(office, office.settings, [spec("dang-gui"), spec("da-dang")], None)
    put(office, "dang-gui", "publishing")
    put(office, "da-dang", "published")
    sending = cancel_deliveries(office, office.settings, ["dang-gui"])
    assert sending.skipped == [("dang-gui:sandbox/demo", "publishing")] and sending.unsettled
    final = cancel_deliveries(office, office.settings, ["da-dang"])  # published: final, nothing to wait for
    assert final.skipped == [("da-dang:sandbox/demo", "published")] and not final.unsettled


def test_a_post_that_may_be_live_gets_a_request_not_settled(office: Store) -> None:
    queue_posts(office, office.settings, [spec("chua-ro")], None)
    put(office, "chua-ro", "unconfirmed")
    result = cancel_deliveries(office, office.settings, ["chua-ro"])
    assert result.pending == [("chua-ro:sandbox/demo", "unconfirmed")] and result.done == []
    assert result.unsettled
    [d] = office.post_detail("chua-ro")["deliveries"]
    assert d.state == "unconfirmed" and d.cancel_requested_by == "can-bo"
