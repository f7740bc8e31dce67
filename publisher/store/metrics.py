"""What ``/metrics`` exposes, read from the database at scrape time (a few grouped queries).

The numbers are the database's, never counters kept in one process: every worker and machine
writes the same tables, so any web process answers the same scrape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select

from publisher.core.states import State
from publisher.store import schema as s
from publisher.store.db import Database
from publisher.store.heartbeats import Heartbeat, Heartbeats

#: the lateness histogram covers deliveries published within this window
LATENESS_WINDOW = timedelta(days=7)
#: at most this many recent publishes enter the histogram
LATENESS_ROWS = 20_000


@dataclass
class MetricsSnapshot:
    #: (state, platform) -> deliveries
    deliveries: dict[tuple[str, str], int] = field(default_factory=dict)
    #: (platform, seconds late) of deliveries published within the window
    lateness: list[tuple[str, float]] = field(default_factory=list)
    #: (outcome, platform, code) -> attempts
    attempts: dict[tuple[str, str, str], int] = field(default_factory=dict)
    #: (platform, account name, unit) -> days until the access token expires
    token_days: dict[tuple[str, str, str], float] = field(default_factory=dict)
    #: platform -> deliveries due now that nobody claimed yet
    queue: dict[str, int] = field(default_factory=dict)
    heartbeats: list[Heartbeat] = field(default_factory=list)


def snapshot(db: Database, now: datetime) -> MetricsSnapshot:
    D, A, acc = s.deliveries, s.attempts, s.accounts
    out = MetricsSnapshot()
    with db.read() as conn:
        by_state = (
            select(D.c.state, acc.c.platform, func.count())
            .join(acc, acc.c.id == D.c.account_id)
            .group_by(D.c.state, acc.c.platform)
        )
        out.deliveries = {(st, p): int(n) for st, p, n in conn.execute(by_state)}
        late = (
            select(acc.c.platform, D.c.due_at, D.c.published_at)
            .join(acc, acc.c.id == D.c.account_id)
            .where(D.c.state == State.PUBLISHED.value, D.c.published_at >= now - LATENESS_WINDOW)
            .order_by(D.c.published_at.desc())
            .limit(LATENESS_ROWS)
        )
        out.lateness = [
            (p, max(0.0, (published - due).total_seconds())) for p, due, published in conn.execute(late)
        ]
        tries = (
            select(A.c.outcome, acc.c.platform, A.c.code, func.count())
            .join(D, D.c.id == A.c.delivery_id)
            .join(acc, acc.c.id == D.c.account_id)
            .where(A.c.outcome.is_not(None))
            .group_by(A.c.outcome, acc.c.platform, A.c.code)
        )
        out.attempts = {(o, p, c or ""): int(n) for o, p, c, n in conn.execute(tries)}
        tokens = select(acc.c.platform, acc.c.name, acc.c.unit, acc.c.token_expires_at).where(
            acc.c.token_expires_at.is_not(None), acc.c.status != "disabled"
        )
        out.token_days = {
            (p, name, unit): (exp - now).total_seconds() / 86400
            for p, name, unit, exp in conn.execute(tokens)
        }
        due = (
            select(acc.c.platform, func.count())
            .join(acc, acc.c.id == D.c.account_id)
            .where(
                or_(
                    and_(D.c.state == State.SCHEDULED.value, D.c.due_at <= now),
                    and_(D.c.state == State.RETRY_WAIT.value, D.c.next_attempt_at <= now),
                )
            )
            .group_by(acc.c.platform)
        )
        out.queue = {p: int(n) for p, n in conn.execute(due)}
    out.heartbeats = Heartbeats(db).heartbeats()
    return out


__all__ = ["LATENESS_WINDOW", "MetricsSnapshot", "snapshot"]
