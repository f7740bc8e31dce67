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


def test_a_post_the_platform_holds_scheduled_is_never_cancelled_here(office: Store) -> None:
    """Handed to Facebook's or YouTube's own scheduler, the post would still go out: a cancel here
    must not say "cancelled" while the platform keeps it."""
    queue_posts(office, office.settings, [spec("da-giao")], None)
    put(office, "da-giao", "handed_off")
    result = cancel_deliveries(office, office.settings, ["da-giao"])
    assert result.done == [] and result.skipped == [("da-giao:sandbox/demo", "handed_off")]
    assert result.unsettled
    assert {r.state for r in office.deliveries()} == {"handed_off"}


def test_a_post_id_made_of_digits_names_that_post_not_a_delivery(office: Store) -> None:
    queue_posts(office, office.settings, [spec("khac"), spec("2026")], None)
    other = _id(office, "khac")
    # "1" would be the delivery number of "khac"; a post whose id is that number is the post
    queue_posts(office, office.settings, [spec(str(other))], None)
    result = cancel_deliveries(office, office.settings, [str(other)])
    assert result.done == [(f"{other}:sandbox/demo", "awaiting_approval")]
    assert {r.key: r.state for r in office.deliveries()}["khac"] == "awaiting_approval"
    by_number = cancel_deliveries(office, office.settings, [f"#{other}"])  # "#" always a delivery
    assert by_number.done == [("khac:sandbox/demo", "awaiting_approval")]
