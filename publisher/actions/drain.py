"""``publisher run --once``: what is due now, handled in this process (for cron and scripts).

One dispatcher tick claims what is due; each claimed job is done right here, as the workers would
do it (prepare the media, publish, or look up an unknown outcome); ticks repeat while they find work.
:data:`JOBS` is the one map from a message's kind to what handles it, used here and by the Celery
tasks (workers/tasks.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from publisher.actions import dispatch
from publisher.actions.media import prepare_delivery
from publisher.actions.publish import Publisher
from publisher.ratelimit import limiter_for
from publisher.settings import Settings


def _media(publisher: Publisher, delivery_id: int) -> str:
    ok = prepare_delivery(publisher.store, delivery_id, publisher.settings).ok
    return "media_ready" if ok else "media_failed"


def _publish(publisher: Publisher, delivery_id: int) -> str:
    return publisher.publish(delivery_id).action


def _reconcile(publisher: Publisher, delivery_id: int) -> str:
    return publisher.reconcile(delivery_id).action


#: what handles each kind of message a dispatcher tick sends; the answer is the action taken
JOBS: dict[str, Callable[[Publisher, int], str]] = {
    dispatch.MEDIA: _media,
    dispatch.PUBLISH: _publish,
    dispatch.RECONCILE: _reconcile,
}


def handle(publisher: Publisher, kind: str, delivery_id: int) -> str:
    """Do one claimed job (``kind`` as the dispatcher sent it); the action taken."""
    return JOBS[kind](publisher, delivery_id)


def run_once(store: Any, st: Settings, max_rounds: int = 50) -> dict[str, Any]:
    """One tick, then do what it claimed right here; repeat while ticks find work."""
    publisher = Publisher(store, st, limiter=limiter_for(st, store.db))
    outcomes: dict[str, int] = {}
    rounds = 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007 - reported below
        jobs: list[tuple[str, int]] = []
        report = dispatch.tick(store.db, st, _collect(jobs), name="once")
        for kind, did in jobs:
            action = handle(publisher, kind, did)
            outcomes[action] = outcomes.get(action, 0) + 1
        if not report.busy:
            break
    return {"rounds": rounds, "outcomes": outcomes}


def _collect(jobs: list[tuple[str, int]]) -> Callable[[str, int], None]:
    def enqueue(kind: str, delivery_id: int) -> None:
        jobs.append((kind, delivery_id))

    return enqueue


__all__ = ["JOBS", "handle", "run_once"]
