"""One dispatcher tick: the database decides what is due; the broker only rings the doorbell.

A tick (run by ``celery beat`` every ``PUBLISHER_TICK_SECONDS``, or by ``publisher run``):

1. marks ``missed`` what passed its grace window before anything was sent (the late policy);
2. re-examines expired leases: ``claimed`` → ``scheduled`` (nothing was sent), ``publishing`` →
   ``unconfirmed`` (maybe sent: reconcile, never re-send);
3. claims due deliveries (and due retries), with ``claim_ahead`` also those due within the next
   tick and a second (each is sent with its time as an ETA: on the second, never early), early
   hand-offs to platforms that schedule natively, due polls of slow publishes, due look-ups
   (``unconfirmed``, ``handed_off``), and media preparation (queue ``media``) for deliveries with
   photos or a clip due within a day;
4. sends one message per claim through ``enqueue`` (``enqueue(kind, id, eta=due_at)`` for a claim
   made ahead; an ``enqueue`` without an ``eta`` parameter gets no claims ahead). A claim whose
   message cannot be sent (broker down) is undone at once, so it is claimed again on a later tick.

Every query is an indexed range on ``(state, …)``: the cost does not grow with the number of
finished deliveries. Two dispatchers running at once (two beats by mistake) are harmless: each
claim is one atomic conditional UPDATE, so they claim disjoint sets.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from publisher.i18n import register, t
from publisher.platforms.registry import handoff_platforms
from publisher.settings import Settings
from publisher.store import claims
from publisher.store.db import Database

register(
    {
        "dispatch.lease_expired": (
            "Tiến trình đăng bài không trả lời trong thời hạn; chưa rõ bài đã lên chưa, đang đối soát.",
            "The publishing process did not answer within its lease; not known whether the post landed, "
            "reconciling.",
        ),
    }
)

log = logging.getLogger(__name__)

#: the dispatcher marks its claims ``dispatch:<name>``; a worker replaces that with its own id
DISPATCH_PREFIX = "dispatch:"

#: the kinds of message a tick sends
PUBLISH = "publish"
RECONCILE = "reconcile"
MEDIA = "media"
#: prepare photos and clips this long before their time (queue ``media``), again if lost
MEDIA_LEAD = timedelta(hours=24)
MEDIA_RETRY = timedelta(hours=1)

#: ``enqueue(kind, delivery_id)``, or ``enqueue(kind, delivery_id, eta=None)`` to take claims ahead
Enqueue = Callable[..., None]
#: a claim ahead reaches a little past the next tick: beat fires on time but a tick runs a few
#: hundred milliseconds later (the message, a busy worker), and a post due in that gap would wait
#: a whole tick more. The worker waits at most this much past a tick too (drain.WAIT_SLACK).
AHEAD_SLACK = timedelta(seconds=1)


@dataclass
class TickReport:
    missed: list[int] = field(default_factory=list)
    released: list[int] = field(default_factory=list)
    unconfirmed: list[int] = field(default_factory=list)
    publish: list[int] = field(default_factory=list)
    reconcile: list[int] = field(default_factory=list)
    media: list[int] = field(default_factory=list)
    failed_enqueue: list[int] = field(default_factory=list)
    #: publish claims made ahead of their time: id → the time (the message's ETA)
    ahead: dict[int, datetime] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def busy(self) -> bool:
        return bool(self.publish or self.reconcile)


def tick(
    db: Database,
    settings: Settings,
    enqueue: Enqueue,
    *,
    name: str = "dispatcher",
    now: datetime | None = None,
    limit: int = 500,
    ahead: timedelta | None = None,
) -> TickReport:
    """``ahead``: claim what is due within this much (default: one tick and :data:`AHEAD_SLACK`
    with ``claim_ahead``, else nothing); only when ``enqueue`` takes an ``eta``, so the message
    says when to send."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    if ahead is None:
        ahead = (
            timedelta(seconds=settings.tick_seconds) + AHEAD_SLACK if settings.claim_ahead else timedelta(0)
        )
    if not takes_eta(enqueue):
        ahead = timedelta(0)
    owner = DISPATCH_PREFIX + name
    lease = settings.lease_seconds
    report = TickReport()
    rules = {p.value: (r.min_lead, r.lead, r.video_lead) for p, r in handoff_platforms(settings).items()}
    # One write transaction for the whole tick (one commit), committed before any message is sent.
    with db.write() as conn:
        report.missed = claims.mark_missed(db, now, conn=conn)
        report.released, report.unconfirmed = claims.release_expired(
            db, now, t("dispatch.lease_expired"), conn=conn
        )
        # Claim in batches of ``limit`` until nothing due is left (bounded by half a tick), so a
        # burst of thousands of posts due at 07:00 is dispatched at once, not ``limit`` per tick.
        budget = started + max(0.5, settings.tick_seconds / 2)
        while True:
            times = claims.claim_due_at(db, now, owner, lease, ahead, limit=limit, conn=conn)
            batch = sorted(times)
            report.publish += batch
            report.ahead.update({did: at for did, at in times.items() if at is not None and at > now})
            if len(batch) < limit or time.perf_counter() > budget:
                break
        report.publish += claims.claim_handoffs(db, now, owner, lease, rules, limit=limit, conn=conn)
        report.publish += claims.claim_polls(db, now, owner, lease, limit=limit, conn=conn)
        report.reconcile = claims.claim_reconciles(db, now, lease, limit=limit, conn=conn)
        report.media = claims.claim_media(db, now, MEDIA_LEAD, MEDIA_RETRY, limit=limit, conn=conn)
    failed_publish: list[int] = []
    failed_reconcile: list[int] = []
    failed_media: list[int] = []
    for kind, ids, failed in (
        (PUBLISH, report.publish, failed_publish),
        (RECONCILE, report.reconcile, failed_reconcile),
        (MEDIA, report.media, failed_media),
    ):
        for i, did in enumerate(ids):
            try:
                eta = report.ahead.get(did) if kind == PUBLISH else None
                if eta is None:
                    enqueue(kind, did)
                else:
                    enqueue(kind, did, eta=eta)
            except Exception:
                log.exception("could not enqueue %s %s; undoing %d claims", kind, did, len(ids) - i)
                failed += ids[i:]
                break
    if failed_publish or failed_reconcile or failed_media:
        claims.unclaim(db, now, failed_publish, failed_reconcile, failed_media)
        report.failed_enqueue = sorted(failed_publish + failed_reconcile + failed_media)
    report.seconds = time.perf_counter() - started
    if report.busy or report.missed or report.unconfirmed or report.released:
        log.info(
            "tick: publish=%d reconcile=%d missed=%d released=%d unconfirmed=%d failed_enqueue=%d %.1fms",
            len(report.publish),
            len(report.reconcile),
            len(report.missed),
            len(report.released),
            len(report.unconfirmed),
            len(report.failed_enqueue),
            report.seconds * 1000,
        )
    return report


def takes_eta(enqueue: Enqueue) -> bool:
    """Whether ``enqueue`` accepts ``eta=`` (only then may a tick claim ahead of time)."""
    try:
        params = inspect.signature(enqueue).parameters
    except (TypeError, ValueError):
        return False
    return "eta" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
