"""``publisher.actions.drain``: ``run --once`` handles what is due in this process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from publisher.actions.demo import queue_demo
from publisher.actions.drain import run_once
from publisher.store import Store


def test_what_is_due_is_published_here_and_nothing_twice(office: Store) -> None:
    spec = queue_demo(office, office.settings, 0.0)
    assert spec.due_at <= datetime.now(UTC) + timedelta(seconds=1)
    first = run_once(office, office.settings)
    assert first["outcomes"] == {"published": 1}, first
    assert {r.state for r in office.deliveries() if r.key == spec.key} == {"published"}
    again = run_once(office, office.settings)  # nothing is due any more
    assert again == {"rounds": 1, "outcomes": {}}
    audit = office.post_detail(spec.key)["audit"]
    assert [a.actor for a in audit if a.action == "approved"] == ["demo"]  # the demo approves itself
