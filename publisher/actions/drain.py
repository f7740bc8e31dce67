"""``publisher run --once``: what is due now, handled in this process (for cron and scripts).

One dispatcher tick claims what is due; each claimed job is done right here, as the workers would
do it (prepare the media, publish, or look up an unknown outcome); ticks repeat while they find work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from publisher import dispatch
from publisher.media_prep import prepare_delivery
from publisher.publishing import Publisher
from publisher.ratelimit import limiter_for
from publisher.settings import Settings


def run_once(store: Any, st: Settings, max_rounds: int = 50) -> dict[str, Any]:
    """One tick, then do what it claimed right here; repeat while ticks find work."""
    publisher = Publisher(store, st, limiter=limiter_for(st, store.db))
    outcomes: dict[str, int] = {}
    rounds = 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007 - reported below
        jobs: list[tuple[str, int]] = []
        report = dispatch.tick(store.db, st, _collect(jobs), name="once")
        for kind, did in jobs:
            if kind == dispatch.MEDIA:
                action = "media_ready" if prepare_delivery(store, did, st).ok else "media_failed"
            elif kind == dispatch.PUBLISH:
                action = publisher.publish(did).action
            else:
                action = publisher.reconcile(did).action
            outcomes[action] = outcomes.get(action, 0) + 1
        if not report.busy:
            break
    return {"rounds": rounds, "outcomes": outcomes}


def _collect(jobs: list[tuple[str, int]]) -> Callable[[str, int], None]:
    def enqueue(kind: str, delivery_id: int) -> None:
        jobs.append((kind, delivery_id))

    return enqueue


__all__ = ["run_once"]
