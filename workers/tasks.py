"""Thin tasks: take an id, call ``publisher``, return what happened. Decisions live in publisher/.

What each kind of message does is :data:`publisher.actions.drain.JOBS` (``publisher run --once``
does the same jobs in-process); here each kind only has its own task, to route it to its queue.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime
from typing import Any

from celery.signals import worker_ready, worker_shutdown

from publisher.actions import dispatch
from publisher.actions.clock import dispatcher_alive
from publisher.actions.drain import handle
from publisher.settings import get_settings
from publisher.store.db import Database
from publisher.store.heartbeats import EVERY, WORKER, Heartbeats, Pulse
from workers.app import app, prune_processed
from workers.runtime import runtime

_pulses: dict[int, Pulse] = {}
_stop = threading.Event()
_alive: dict[str, Any] = {}
log = logging.getLogger(__name__)


@app.task(name="workers.tasks.publish_delivery")
def publish_delivery(delivery_id: int, not_before: str | None = None) -> str:
    """Send a claimed delivery (or continue a slow one) exactly once; a delivery claimed ahead
    (``not_before``, its time) is not sent before then (the message's ETA, then the worker waits)."""
    when = datetime.fromisoformat(not_before) if not_before else None
    return handle(runtime().publisher, dispatch.PUBLISH, int(delivery_id), when)


@app.task(name="workers.tasks.reconcile_delivery")
def reconcile_delivery(delivery_id: int) -> str:
    """Ask the platform whether an unconfirmed or handed-off delivery is there."""
    return handle(runtime().publisher, dispatch.RECONCILE, int(delivery_id))


@app.task(name="workers.tasks.prepare_media")
def prepare_media(delivery_id: int) -> bool:
    """Render the photos and clip of one delivery for its platform (CPU-heavy: queue ``media``)."""
    return handle(runtime().publisher, dispatch.MEDIA, int(delivery_id)) == "media_ready"


def enqueue(kind: str, delivery_id: int, eta: datetime | None = None) -> None:
    """How the dispatcher rings the doorbell: one short-lived message per claim. A publish claimed
    ahead of its time (at most a tick and a second) carries ``eta`` = its due time, and the same time as
    ``not_before`` for the worker's own check; never a far-future ETA."""
    if kind == dispatch.MEDIA:
        prepare_media.apply_async((delivery_id,), queue="media", retry=False)
        return
    st = runtime().settings
    expires = max(60, st.lease_seconds)
    if kind == dispatch.PUBLISH and eta is not None:
        publish_delivery.apply_async(
            (delivery_id,),
            {"not_before": eta.isoformat()},
            queue="publish",
            eta=eta,
            expires=expires + st.tick_seconds,
            retry=False,
        )
        return
    task = publish_delivery if kind == dispatch.PUBLISH else reconcile_delivery
    task.apply_async((delivery_id,), queue="publish", expires=expires, retry=False)


@app.task(name="workers.tasks.dispatch_tick")
def dispatch_tick() -> dict[str, int]:
    """One dispatcher tick (run by beat); harmless if two beats run it at once."""
    rt = runtime()
    report = dispatch.tick(rt.store.db, rt.settings, enqueue, name=socket.gethostname())
    prune_processed(rt.settings)
    dispatcher_alive(_pulse(), rt.settings)
    return {"publish": len(report.publish), "reconcile": len(report.reconcile), "missed": len(report.missed)}


def _pulse() -> Pulse:
    """This process's heartbeat writer (one per process: never shared across a fork)."""
    pid = os.getpid()
    if pid not in _pulses:
        _pulses[pid] = Pulse(Heartbeats(runtime().store.db))
    return _pulses[pid]


@worker_ready.connect
def _worker_alive(sender: Any = None, **_kwargs: Any) -> None:
    """The worker's main process writes ``worker:<node>:<pid>`` now and every 30 s, from a thread."""
    node = getattr(sender, "hostname", None) or socket.gethostname()
    _alive.update(
        repo=Heartbeats(Database(get_settings().db_url)),
        name=f"{WORKER}:{node}:{os.getpid()}",
        detail={"pid": os.getpid(), "node": node},
    )
    _stop.clear()
    threading.Thread(target=_beat, name="heartbeat", daemon=True).start()


def _beat(stopped: bool = False) -> None:
    while True:
        try:
            _alive["repo"].record(_alive["name"], WORKER, {**_alive["detail"], "stopped": stopped})
        except Exception:  # a locked or unreachable database: try again next time
            log.warning("could not write the worker's heartbeat", exc_info=True)
        if stopped or _stop.wait(EVERY.total_seconds()):
            return


@worker_shutdown.connect
def _worker_stopping(**_kwargs: Any) -> None:
    """A clean stop says so (status shows "stopped", not "not seen")."""
    _stop.set()
    if _alive:
        _beat(stopped=True)
