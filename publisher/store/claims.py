"""Atomic claims of due deliveries, for the dispatcher.

PostgreSQL: ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING id``.
SQLite: the same conditional UPDATE inside ``BEGIN IMMEDIATE`` (one writer at a time).
Either way a delivery is claimed by exactly one claimer, however many run at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, or_, select, update

from publisher.core.states import State, check_transition
from publisher.store import schema as s
from publisher.store.db import Database

D = s.deliveries


def _claim(
    conn: Connection, db: Database, where: list, values: dict, limit: int, order: list
) -> list[int]:
    sub = select(D.c.id).where(*where).order_by(*order).limit(limit)
    if not db.is_sqlite:
        sub = sub.with_for_update(skip_locked=True)
    stmt = update(D).where(D.c.id.in_(sub.scalar_subquery())).values(**values).returning(D.c.id)
    return sorted(int(r[0]) for r in conn.execute(stmt))


def claim_due(
    db: Database, now: datetime, worker: str, lease_seconds: int, limit: int = 100
) -> list[int]:
    """Claim scheduled deliveries whose time has come (within their grace window), and due retries."""
    check_transition(State.SCHEDULED, State.CLAIMED)
    check_transition(State.RETRY_WAIT, State.CLAIMED)
    lease = now + timedelta(seconds=lease_seconds)
    values = dict(state=State.CLAIMED.value, lease_until=lease, claimed_by=worker, updated_at=now)
    with db.write() as conn:
        if conn.execute(select(s.meta.c.key).where(s.meta.c.key == "pause")).first() is not None:
            return []
        ids = _claim(
            conn, db,
            [D.c.state == State.SCHEDULED.value, D.c.due_at <= now, D.c.deadline >= now],
            values, limit, [D.c.due_at, D.c.id],
        )
        if len(ids) < limit:
            ids += _claim(
                conn, db,
                [D.c.state == State.RETRY_WAIT.value, D.c.next_attempt_at <= now, D.c.deadline >= now],
                values, limit - len(ids), [D.c.next_attempt_at, D.c.id],
            )
    return sorted(ids)


def mark_missed(db: Database, now: datetime) -> list[int]:
    """Deliveries whose grace window closed before anything was sent become ``missed``."""
    with db.write() as conn:
        ids: list[int] = []
        for st in (State.SCHEDULED, State.RETRY_WAIT):
            check_transition(st, State.MISSED)
            res = conn.execute(
                update(D)
                .where(D.c.state == st.value, D.c.deadline < now)
                .values(state=State.MISSED.value, updated_at=now, last_code="missed", lease_until=None)
                .returning(D.c.id)
            )
            ids += [int(r[0]) for r in res]
    return sorted(ids)


def expired_leases(db: Database, now: datetime) -> list[tuple[int, str]]:
    """Deliveries a worker held past its lease: (id, state)."""
    with db.read() as conn:
        rows = conn.execute(
            select(D.c.id, D.c.state).where(
                or_(
                    and_(D.c.state == State.CLAIMED.value, D.c.lease_until < now),
                    and_(D.c.state == State.PUBLISHING.value, D.c.lease_until < now),
                )
            )
        ).all()
    return [(int(r.id), str(r.state)) for r in rows]
