"""When Facebook may hold a post for us (native scheduling) and when we must publish now.

Pages API posts guide: ``scheduled_publish_time`` 10 minutes to 30 days ahead (older text: 75
days; UNCERTAIN which is enforced); Reels: more than 10 minutes and within 29 days. We use the
conservative window for every kind: more than 11 minutes and at most 29 days.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from publisher.core.models import Delivery

SCHEDULE_MIN = timedelta(minutes=11)
SCHEDULE_MAX = timedelta(days=29)
#: how early a "publish now" call may come before ``due_at`` (the worker ticks every few seconds)
EARLY_TOLERANCE = timedelta(seconds=60)


def schedule_decision(delivery: Delivery, now: datetime, native_default: bool) -> tuple[str, float]:
    """``("now", 0)``, ``("native", epoch_seconds)`` or ``("wait", seconds)`` (called too early)."""
    native = bool(delivery.options.get("native_schedule", native_default))
    lead = delivery.due_at - now
    if lead <= EARLY_TOLERANCE:
        return "now", 0.0
    if native and SCHEDULE_MIN <= lead <= SCHEDULE_MAX:
        return "native", float(int(delivery.due_at.timestamp()))
    if native and lead > SCHEDULE_MAX:
        return "wait", (lead - SCHEDULE_MAX).total_seconds()
    return "wait", lead.total_seconds()
