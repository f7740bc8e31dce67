"""Atomic claims of due deliveries, for the dispatcher.

PostgreSQL: ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING id``.
SQLite: the same conditional UPDATE inside ``BEGIN IMMEDIATE`` (one writer at a time).
Either way a delivery is claimed by exactly one claimer, however many run at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, Text, cast, or_, select, update

from publisher.core.states import State, check_transition
from publisher.store import schema as s
from publisher.store.db import Database

D = s.deliveries


@contextmanager
def _tx(db: Database, conn: Connection | None) -> Iterator[Connection]:
    """The caller's transaction when given (one commit per dispatcher tick), else a new one."""
    if conn is not None:
        yield conn
        return
    with db.write() as own:
        yield own


def _claim(conn: Connection, db: Database, where: list, values: dict, limit: int, order: list) -> list[int]:
    return _claim_selected(conn, db, select(D.c.id).where(*where).order_by(*order).limit(limit), values)


def _claim_selected(conn: Connection, db: Database, sub: Select[Any], values: dict) -> list[int]:
    """Update the deliveries ``sub`` selects and return their ids; on PostgreSQL rows another
    claimer holds are skipped (``FOR UPDATE SKIP LOCKED``), SQLite has one writer anyway."""
    if not db.is_sqlite:
        sub = sub.with_for_update(of=D, skip_locked=True)
    stmt = update(D).where(D.c.id.in_(sub.scalar_subquery())).values(**values).returning(D.c.id)
    return sorted(int(r[0]) for r in conn.execute(stmt))


def claim_due(
    db: Database,
    now: datetime,
    worker: str,
    lease_seconds: int,
    limit: int = 100,
    conn: Connection | None = None,
) -> list[int]:
    """Claim scheduled deliveries whose time has come (within their grace window), and due retries."""
    return sorted(claim_due_at(db, now, worker, lease_seconds, limit=limit, conn=conn))


def claim_due_at(
    db: Database,
    now: datetime,
    worker: str,
    lease_seconds: int,
    ahead: timedelta = timedelta(0),
    limit: int = 100,
    conn: Connection | None = None,
) -> dict[int, datetime]:
    """Claim scheduled deliveries due by ``now + ahead`` (within their grace window) and retries
    due by then; answers each claimed id with its time (``due_at``, or ``next_attempt_at`` for a
    retry). A claim made ahead must not be sent before that time: its message carries it as an
    ETA and the worker waits the last moments itself. The lease covers the wait."""
    check_transition(State.SCHEDULED, State.CLAIMED)
    check_transition(State.RETRY_WAIT, State.CLAIMED)
    until = now + ahead
    lease = until + timedelta(seconds=lease_seconds)
    values = dict(state=State.CLAIMED.value, lease_until=lease, claimed_by=worker, updated_at=now)
    with _tx(db, conn) as conn:
        if conn.execute(select(s.meta.c.key).where(s.meta.c.key == "pause")).first() is not None:
            return {}
        due = [D.c.state == State.SCHEDULED.value, D.c.due_at <= until, D.c.deadline >= now]
        sub = select(D.c.id).where(*due).order_by(D.c.due_at, D.c.id).limit(limit)
        times = _claim_times(conn, db, sub, values, D.c.due_at)
        if len(times) < limit:
            retry = [D.c.state == State.RETRY_WAIT.value, D.c.next_attempt_at <= until, D.c.deadline >= now]
            sub = select(D.c.id).where(*retry).order_by(D.c.next_attempt_at, D.c.id).limit(limit - len(times))
            times.update(_claim_times(conn, db, sub, values, D.c.next_attempt_at))
    return times


def _claim_times(
    conn: Connection, db: Database, sub: Select[Any], values: dict, when: Any
) -> dict[int, datetime]:
    """Like :func:`_claim_selected`, answering each claimed id with its ``when`` column."""
    if not db.is_sqlite:
        sub = sub.with_for_update(of=D, skip_locked=True)
    stmt = update(D).where(D.c.id.in_(sub.scalar_subquery())).values(**values).returning(D.c.id, when)
    return {int(r[0]): r[1] for r in conn.execute(stmt)}


def mark_missed(db: Database, now: datetime, conn: Connection | None = None) -> list[int]:
    """Deliveries whose grace window closed before anything was sent become ``missed``."""
    with _tx(db, conn) as conn:
        ids: list[int] = []
        for st, extra in ((State.SCHEDULED, [D.c.due_at < now]), (State.RETRY_WAIT, [])):
            check_transition(st, State.MISSED)
            # ``due_at < now`` is implied by ``deadline < now``; it bounds the index range scan.
            res = conn.execute(
                update(D)
                .where(D.c.state == st.value, *extra, D.c.deadline < now)
                .values(state=State.MISSED.value, updated_at=now, last_code="missed", lease_until=None)
                .returning(D.c.id)
            )
            ids += [int(r[0]) for r in res]
    return sorted(ids)


def expired_leases(db: Database, now: datetime) -> list[tuple[int, str]]:
    """Deliveries a worker held past its lease: (id, state)."""
    out: list[tuple[int, str]] = []
    with db.read() as conn:
        for st in (State.CLAIMED, State.PUBLISHING):
            rows = conn.execute(
                select(D.c.id, D.c.state).where(D.c.state == st.value, D.c.lease_until < now)
            ).all()
            out += [(int(r.id), str(r.state)) for r in rows]
    return sorted(out)


def release_expired(
    db: Database, now: datetime, reason: str | None = None, conn: Connection | None = None
) -> tuple[list[int], list[int]]:
    """Re-examine expired leases; never re-send.

    ``claimed`` past its lease: nothing was sent (the move to ``publishing`` comes first), so it
    goes back to ``scheduled`` and will be claimed again. ``publishing`` past its lease: the
    worker died or hung mid-send; the platform may have the post, so it becomes ``unconfirmed``
    and is reconciled at once. Returns (released, unconfirmed).
    """
    check_transition(State.CLAIMED, State.SCHEDULED)
    check_transition(State.PUBLISHING, State.UNCONFIRMED)
    with _tx(db, conn) as conn:
        released = conn.execute(
            update(D)
            .where(D.c.state == State.CLAIMED.value, D.c.lease_until < now)
            .values(state=State.SCHEDULED.value, lease_until=None, claimed_by=None, updated_at=now)
            .returning(D.c.id)
        ).all()
        doubted = conn.execute(
            update(D)
            .where(D.c.state == State.PUBLISHING.value, D.c.lease_until < now)
            .values(
                state=State.UNCONFIRMED.value,
                lease_until=None,
                claimed_by=None,
                next_attempt_at=now,
                last_code="lease_expired",
                last_reason=reason,
                updated_at=now,
            )
            .returning(D.c.id)
        ).all()
    return sorted(int(r[0]) for r in released), sorted(int(r[0]) for r in doubted)


def claim_handoffs(
    db: Database,
    now: datetime,
    worker: str,
    lease_seconds: int,
    rules: dict[str, tuple[timedelta, timedelta, timedelta]],
    limit: int = 100,
    conn: Connection | None = None,
) -> list[int]:
    """Claim scheduled deliveries early for platforms that hold posts themselves.

    ``rules`` maps a platform to (min lead, lead for posts, lead for videos): a delivery due
    between ``now + min_lead`` and ``now + lead`` is claimed now and handed to the platform.
    """
    if not rules:
        return []
    lease = now + timedelta(seconds=lease_seconds)
    values = dict(state=State.CLAIMED.value, lease_until=lease, claimed_by=worker, updated_at=now)
    A, P = s.accounts, s.posts
    ids: list[int] = []
    with _tx(db, conn) as conn:
        if conn.execute(select(s.meta.c.key).where(s.meta.c.key == "pause")).first() is not None:
            return []
        for platform, (min_lead, lead, video_lead) in sorted(rules.items()):
            for is_video, ahead in ((False, lead), (True, video_lead)):
                if len(ids) >= limit or ahead <= min_lead:
                    continue
                sub = (
                    select(D.c.id)
                    .join(A, A.c.id == D.c.account_id)
                    .join(P, P.c.id == D.c.post_id)
                    .where(
                        D.c.state == State.SCHEDULED.value,
                        D.c.due_at > now + min_lead,
                        D.c.due_at <= now + ahead,
                        A.c.platform == platform,
                        P.c.video.is_not(None) if is_video else P.c.video.is_(None),
                    )
                    .order_by(D.c.due_at, D.c.id)
                    .limit(limit - len(ids))
                )
                ids += _claim_selected(conn, db, sub, values)
    return sorted(ids)


def claim_polls(
    db: Database,
    now: datetime,
    worker: str,
    lease_seconds: int,
    limit: int = 100,
    conn: Connection | None = None,
) -> list[int]:
    """Claim slow publishes (``publishing`` with no lease) whose next poll is due."""
    values = dict(
        lease_until=now + timedelta(seconds=lease_seconds),
        claimed_by=worker,
        next_attempt_at=None,
        updated_at=now,
    )
    with _tx(db, conn) as conn:
        return _claim(
            conn,
            db,
            [D.c.state == State.PUBLISHING.value, D.c.next_attempt_at <= now, D.c.lease_until.is_(None)],
            values,
            limit,
            [D.c.next_attempt_at, D.c.id],
        )


def claim_reconciles(
    db: Database, now: datetime, hold_seconds: int, limit: int = 100, conn: Connection | None = None
) -> list[int]:
    """Claim ``unconfirmed`` and ``handed_off`` deliveries due for a look-up on the platform.

    A look-up only reads, so instead of a lease the next look-up time is pushed ``hold_seconds``
    ahead: if the worker dies, the delivery is looked up again then.
    """
    values = dict(next_attempt_at=now + timedelta(seconds=hold_seconds), updated_at=now)
    ids: list[int] = []
    with _tx(db, conn) as conn:
        for st in (State.UNCONFIRMED, State.HANDED_OFF):
            if len(ids) >= limit:
                break
            ids += _claim(
                conn,
                db,
                [D.c.state == st.value, D.c.next_attempt_at <= now],
                values,
                limit - len(ids),
                [D.c.next_attempt_at, D.c.id],
            )
    return sorted(ids)


def claim_media(
    db: Database,
    now: datetime,
    lead: timedelta,
    retry_after: timedelta,
    limit: int = 100,
    conn: Connection | None = None,
) -> list[int]:
    """Deliveries with photos or a clip, due within ``lead``, whose media are not prepared yet.

    ``media_queued_at`` marks the claim; a preparation that was queued but never recorded (lost
    message, killed worker) is queued again after ``retry_after``.
    """
    P = s.posts
    ids: list[int] = []
    with _tx(db, conn) as conn:
        for st in (State.SCHEDULED, State.RETRY_WAIT):  # one index range (state, due_at) each
            sub = (
                select(D.c.id)
                .join(P, P.c.id == D.c.post_id)
                .where(
                    D.c.state == st.value,
                    D.c.due_at <= now + lead,
                    D.c.media_state.is_(None),
                    or_(D.c.media_queued_at.is_(None), D.c.media_queued_at < now - retry_after),
                    or_(P.c.video.is_not(None), cast(P.c.images, Text) != "[]"),
                )
                .order_by(D.c.due_at, D.c.id)
                .limit(limit)
            )
            ids += _claim_selected(conn, db, sub, {"media_queued_at": now})
    return sorted(ids)


def unclaim(
    db: Database,
    now: datetime,
    publish_ids: list[int],
    reconcile_ids: list[int],
    media_ids: list[int] | None = None,
) -> None:
    """Undo claims whose message could not be sent (broker down): they are due again at once."""
    with db.write() as conn:
        if publish_ids:
            check_transition(State.CLAIMED, State.SCHEDULED)
            conn.execute(
                update(D)
                .where(D.c.id.in_(publish_ids), D.c.state == State.CLAIMED.value)
                .values(state=State.SCHEDULED.value, lease_until=None, claimed_by=None, updated_at=now)
            )
            conn.execute(
                update(D)
                .where(
                    D.c.id.in_(publish_ids),
                    D.c.state == State.PUBLISHING.value,
                    D.c.claimed_by.like("dispatch:%"),
                )
                .values(lease_until=None, claimed_by=None, next_attempt_at=now, updated_at=now)
            )
        if media_ids:
            conn.execute(update(D).where(D.c.id.in_(media_ids)).values(media_queued_at=None))
        if reconcile_ids:
            conn.execute(
                update(D)
                .where(
                    D.c.id.in_(reconcile_ids),
                    D.c.state.in_([State.UNCONFIRMED.value, State.HANDED_OFF.value]),
                )
                .values(next_attempt_at=now, updated_at=now)
            )
