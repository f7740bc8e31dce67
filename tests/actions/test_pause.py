"""``publisher.actions.pause``: the emergency stop and the way back, as ``PUBLISHER_USER``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from publisher.actions.pause import pause_publishing, resume_publishing
from publisher.actions.queue import queue_posts
from publisher.store import Store
from tests.actions.conftest import spec


def test_pause_holds_everything_pending_and_resume_says_what_is_late(office: Store) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    queue_posts(
        office, office.settings, [spec("sap-toi"), spec("da-qua", due=now - timedelta(hours=1))], None
    )
    office.approve(["sap-toi", "da-qua"], by="chu-tich")
    assert pause_publishing(office, office.settings, "Quốc tang") == 2
    assert {r.state for r in office.deliveries()} == {"paused"}
    assert office.pause_info() is not None and office.pause_info()["by"] == "can-bo"
    assert pause_publishing(office, office.settings, "Quốc tang") == 0  # idempotent
    report = resume_publishing(office, office.settings)
    assert sorted(h["post"] for h in report.held) == ["da-qua", "sap-toi"]
    assert [h["post"] for h in report.late] == ["da-qua"] and report.too_late == []
    assert report.pause is not None and report.pause["reason"] == "Quốc tang"
    assert {r.state for r in office.deliveries()} == {"scheduled"} and office.pause_info() is None
