"""``publisher.actions.drain``: ``run --once`` handles what is due in this process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

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


def test_run_once_and_the_celery_tasks_share_one_job_map(office: Store, monkeypatch: Any) -> None:
    """One map from a message's kind to its handler: ``run --once`` and each task go through it."""
    from publisher.actions import dispatch, drain
    from workers import tasks

    calls: list[tuple[str, int]] = []
    for kind in (dispatch.PUBLISH, dispatch.RECONCILE, dispatch.MEDIA):
        monkeypatch.setitem(drain.JOBS, kind, lambda p, did, kind=kind: calls.append((kind, did)) or "seen")
    spec = queue_demo(office, office.settings, 0.0)
    assert run_once(office, office.settings)["outcomes"] == {"seen": 1}
    [did] = [int(r.id) for r in office.deliveries() if r.key == spec.key]
    assert calls == [(dispatch.PUBLISH, did)]

    monkeypatch.setattr(tasks, "runtime", lambda: SimpleNamespace(publisher=object()))
    calls.clear()
    assert tasks.publish_delivery.run(7) == "seen"
    assert tasks.reconcile_delivery.run(8) == "seen"
    tasks.prepare_media.run(9)
    assert calls == [(dispatch.PUBLISH, 7), (dispatch.RECONCILE, 8), (dispatch.MEDIA, 9)]
