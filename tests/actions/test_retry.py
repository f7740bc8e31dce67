"""``publisher.actions.retry``: a retry lifts our own pacing; a limiter that cannot be reached is said."""

from __future__ import annotations

import socket
from pathlib import Path

from sqlalchemy import update

from publisher.actions.queue import queue_posts
from publisher.actions.retry import retry_deliveries
from publisher.core.models import Target
from publisher.store import Store
from publisher.store import schema as s
from tests.actions.conftest import spec
from tests.conftest import make_settings

PAGE = Target.parse("facebook/ubnd-hanh-dich")  # a platform our limiter paces (sandbox is not)


def failed(store: Store, key: str) -> None:
    store.add_account(PAGE, "can-bo")
    queue_posts(store, store.settings, [spec(key, targets=(PAGE,))], None)
    store.approve([key], by="chu-tich")
    with store.db.write() as conn:
        conn.execute(update(s.deliveries).values(state="failed", last_code="500", last_reason="Lỗi máy chủ"))


def closed_port() -> int:
    """A local port nothing listens on (a Redis that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_failed_post_goes_again_now(office: Store) -> None:
    failed(office, "bai-loi")
    result = retry_deliveries(office, office.settings, ["bai-loi"])
    assert result.report.done == [("bai-loi:facebook/ubnd-hanh-dich", "scheduled")]
    assert result.limiter_errors == []  # the database limiter answered
    assert {r.state for r in office.deliveries()} == {"scheduled"}


def test_a_limiter_that_cannot_be_reached_is_reported_and_the_retry_still_happens(
    office: Store, tmp_path: Path
) -> None:
    failed(office, "bai-loi")
    down = make_settings(tmp_path, broker_url=f"redis://127.0.0.1:{closed_port()}/0")
    result = retry_deliveries(office, down, ["bai-loi"])
    assert result.limiter_errors == ["ConnectionError"]
    assert result.report.done == [("bai-loi:facebook/ubnd-hanh-dich", "scheduled")]
    assert {r.state for r in office.deliveries()} == {"scheduled"}
