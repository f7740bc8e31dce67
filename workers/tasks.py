"""Thin tasks: take an id, call ``publisher``, return what happened. Decisions live in publisher/.

What each kind of message does is :data:`publisher.actions.drain.JOBS` (``publisher run --once``
does the same jobs in-process); here each kind only has its own task, to route it to its queue.
"""

from __future__ import annotations

import socket

from publisher.actions import dispatch
from publisher.actions.drain import handle
from workers.app import app, prune_processed
from workers.runtime import runtime


@app.task(name="workers.tasks.publish_delivery")
def publish_delivery(delivery_id: int) -> str:
    """Send a claimed delivery (or continue a slow one) exactly once."""
    return handle(runtime().publisher, dispatch.PUBLISH, int(delivery_id))


@app.task(name="workers.tasks.reconcile_delivery")
def reconcile_delivery(delivery_id: int) -> str:
    """Ask the platform whether an unconfirmed or handed-off delivery is there."""
    return handle(runtime().publisher, dispatch.RECONCILE, int(delivery_id))


@app.task(name="workers.tasks.prepare_media")
def prepare_media(delivery_id: int) -> bool:
    """Render the photos and clip of one delivery for its platform (CPU-heavy: queue ``media``)."""
    return handle(runtime().publisher, dispatch.MEDIA, int(delivery_id)) == "media_ready"


def enqueue(kind: str, delivery_id: int) -> None:
    """How the dispatcher rings the doorbell: one short-lived message per claim, no ETA."""
    if kind == dispatch.MEDIA:
        prepare_media.apply_async((delivery_id,), queue="media", retry=False)
        return
    task = publish_delivery if kind == dispatch.PUBLISH else reconcile_delivery
    expires = max(60, runtime().settings.lease_seconds)
    task.apply_async((delivery_id,), queue="publish", expires=expires, retry=False)


@app.task(name="workers.tasks.dispatch_tick")
def dispatch_tick() -> dict[str, int]:
    """One dispatcher tick (run by beat); harmless if two beats run it at once."""
    rt = runtime()
    report = dispatch.tick(rt.store.db, rt.settings, enqueue, name=socket.gethostname())
    prune_processed(rt.settings)
    return {"publish": len(report.publish), "reconcile": len(report.reconcile), "missed": len(report.missed)}
