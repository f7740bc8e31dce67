"""When Facebook may hold a post for us (native scheduling) and when we must publish now.

Pages API posts guide: ``scheduled_publish_time`` 10 minutes to 30 days ahead (older text: 75
days; UNCERTAIN which is enforced); Reels: more than 10 minutes and within 29 days. We use the
conservative window for every kind: more than 11 minutes and at most 29 days.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from publisher.core.models import Delivery
from publisher.platforms.base import Handoff, timing

SCHEDULE_MIN = timedelta(minutes=11)
SCHEDULE_MAX = timedelta(days=29)
#: the dispatcher hands a post over a minute past :data:`SCHEDULE_MIN`, a clip hours ahead so
#: that upload and processing finish early (the adapter's ``handoff``)
HANDOFF = Handoff(
    min_lead=SCHEDULE_MIN + timedelta(minutes=1), lead=timedelta(hours=1), video_lead=timedelta(hours=6)
)


def schedule_decision(delivery: Delivery, now: datetime, native_default: bool) -> tuple[str, float]:
    """``("now", 0)``, ``("native", epoch_seconds)`` or ``("wait", seconds)`` (called too early)."""
    native = bool(delivery.options.get("native_schedule", native_default))
    mode, wait = timing(delivery.due_at - now, (SCHEDULE_MIN, SCHEDULE_MAX) if native else None)
    return (mode, float(int(delivery.due_at.timestamp()))) if mode == "native" else (mode, wait)
