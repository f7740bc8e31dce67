"""``publisher run --once``: what is due now, handled in this process (for cron and scripts).

One dispatcher tick claims what is due; each claimed job is done right here, as the workers would
do it (prepare the media, publish, or look up an unknown outcome); ticks repeat while they find work.
``run --once`` claims ahead only by :data:`ONCE_AHEAD` (not a whole tick): what is due within the
next two seconds is sent at its second after a short wait; anything later is left to the next run.

The not-before-due wait (:func:`handle` with ``not_before``): a message claimed ahead carries its
time; the worker waits the remaining seconds itself (at most a tick and a second, never more),
then :meth:`Publisher.publish` reads the delivery afresh, so a cancel, a pause or an edit made
during the wait is seen and nothing is sent. A delivery still not due then is given back
(``retry_wait`` at its time) by :mod:`publisher.actions.guard`: never sent early.
:data:`JOBS` is the one map from a message's kind to what handles it, used here and by the Celery
tasks (workers/tasks.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
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


#: ``run --once`` claims what is due within this much and waits for it (not a whole tick)
ONCE_AHEAD = timedelta(seconds=2)
#: beyond the tick, how much longer a worker waits for a message that came early (as far as the
#: dispatcher claims ahead: dispatch.AHEAD_SLACK)
WAIT_SLACK = dispatch.AHEAD_SLACK.total_seconds()


def handle(publisher: Publisher, kind: str, delivery_id: int, not_before: datetime | None = None) -> str:
    """Do one claimed job (``kind`` as the dispatcher sent it); the action taken.

    ``not_before``: the job was claimed ahead of its time; wait until then first (see the module).
    """
    if not_before is not None:
        wait_until(publisher, not_before)
    return JOBS[kind](publisher, delivery_id)


def wait_until(publisher: Publisher, when: datetime, sleep: Callable[[float], None] = time.sleep) -> float:
    """Wait until ``when`` by the publisher's clock if it is at most a tick and a second away (a
    longer wait is not this worker's to hold: the guard gives the claim back). Seconds waited."""
    waited = 0.0
    left = (when - publisher.clock()).total_seconds()
    if left > publisher.settings.tick_seconds + WAIT_SLACK:
        return waited
    while left > 0:  # a timer may fire a hair early: look again
        sleep(left)
        waited += left
        left = (when - publisher.clock()).total_seconds()
    return waited


def run_once(store: Any, st: Settings, max_rounds: int = 50) -> dict[str, Any]:
    """One tick, then do what it claimed right here; repeat while ticks find work."""
    publisher = Publisher(store, st, limiter=limiter_for(st, store.db))
    outcomes: dict[str, int] = {}
    rounds = 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007 - reported below
        jobs: list[tuple[str, int, datetime | None]] = []
        report = dispatch.tick(store.db, st, _collect(jobs), name="once", ahead=ONCE_AHEAD)
        first = min((at for _, _, at in jobs if at is not None), default=None)
        # what is due now first, then the few claimed ahead in the order of their time
        jobs.sort(key=lambda job: (job[2] is not None, job[2] or first or datetime.min))
        for kind, did, at in jobs:
            action = handle(publisher, kind, did, at)
            outcomes[action] = outcomes.get(action, 0) + 1
        if not report.busy:
            break
    return {"rounds": rounds, "outcomes": outcomes}


def _collect(jobs: list[tuple[str, int, datetime | None]]) -> Callable[..., None]:
    def enqueue(kind: str, delivery_id: int, eta: datetime | None = None) -> None:
        jobs.append((kind, delivery_id, eta))

    return enqueue


__all__ = ["JOBS", "ONCE_AHEAD", "handle", "run_once", "wait_until"]
