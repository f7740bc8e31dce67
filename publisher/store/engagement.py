"""The engagement log's rows: published deliveries to look at, snapshots taken, followers per day.

Rows are only ever inserted (one snapshot per delivery and slot, one follower count per account
and day); a row another collector stored first is skipped, never updated. What to collect and
when is decided in :mod:`publisher.actions.engagement`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select
from sqlalchemy.exc import IntegrityError

from publisher.core.states import State
from publisher.store import schema as s
from publisher.store.db import Database

#: ids per ``IN (…)`` list, well under every database's parameter limit
CHUNK = 500


@dataclass(frozen=True)
class Published:
    """Published deliveries of active accounts, with the slots already taken for each."""

    #: delivery id, account id, remote id, published at, resume state, post images and video,
    #: account platform and name; by delivery id
    rows: list[Any]
    taken: dict[int, set[str]]


def published_between(db: Database, since: datetime, until: datetime) -> Published:
    """Deliveries published in ``[since, until]`` on active accounts, in one read transaction."""
    D, A, P = s.deliveries, s.accounts, s.posts
    with db.read() as conn:
        rows = conn.execute(
            select(
                D.c.id,
                D.c.account_id,
                D.c.remote_id,
                D.c.published_at,
                D.c.resume_state,
                P.c.images,
                P.c.video,
                A.c.platform,
                A.c.name,
            )
            .join(A, A.c.id == D.c.account_id)
            .join(P, P.c.id == D.c.post_id)
            .where(
                D.c.state == State.PUBLISHED.value,
                D.c.remote_id.is_not(None),
                D.c.published_at.is_not(None),
                D.c.published_at >= since,
                D.c.published_at <= until,
                A.c.status == "active",
            )
            .order_by(D.c.id)
        ).all()
        taken = _taken_slots(conn, [r.id for r in rows])
    return Published(list(rows), taken)


def _taken_slots(conn: Connection, ids: list[int]) -> dict[int, set[str]]:
    taken: dict[int, set[str]] = {}
    for i in range(0, len(ids), CHUNK):
        for did, slot in conn.execute(
            select(s.snapshots.c.delivery_id, s.snapshots.c.slot).where(
                s.snapshots.c.delivery_id.in_(ids[i : i + CHUNK])
            )
        ):
            taken.setdefault(did, set()).add(slot)
    return taken


def insert_snapshots(db: Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert, skipping any (delivery, slot) another collector stored first. Never updates.

    One transaction for the batch; if a concurrent collector raced us (PostgreSQL unique
    violation), row by row. Answers the rows inserted.
    """
    if not rows:
        return []
    try:
        with db.write() as conn:
            return _insert_new(conn, rows)
    except IntegrityError:
        pass
    done: list[dict[str, Any]] = []
    for row in rows:
        try:
            with db.write() as conn:
                done += _insert_new(conn, [row])
        except IntegrityError:
            continue
    return done


def _insert_new(conn: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    taken = _taken_slots(conn, sorted({r["delivery_id"] for r in rows}))
    new = [r for r in rows if r["slot"] not in taken.get(r["delivery_id"], set())]
    if new:
        conn.execute(insert(s.snapshots), new)
    return new


def counted_on(db: Database, day: date) -> set[int]:
    """Accounts whose followers were already counted on ``day``."""
    with db.read() as conn:
        return {a for (a,) in conn.execute(select(s.followers.c.account_id).where(s.followers.c.day == day))}


def record_followers(db: Database, account_id: int, day: date, count: int, now: datetime) -> bool:
    """Keep the first count of a day; answers whether this one was stored."""
    F = s.followers
    try:
        with db.write() as conn:
            exists = conn.execute(select(F.c.id).where(F.c.account_id == account_id, F.c.day == day)).first()
            if exists is not None:
                return False
            conn.execute(
                insert(F).values(account_id=account_id, day=day, followers_count=count, taken_at=now)
            )
            return True
    except IntegrityError:
        return False


def snapshots(
    db: Database,
    since: datetime | None = None,
    until: datetime | None = None,
    platform: str | None = None,
    name: str | None = None,
) -> list[Row[Any]]:
    """Snapshots with their post's key, title and campaign and their account, oldest first."""
    S, D, P, A = s.snapshots, s.deliveries, s.posts, s.accounts
    q = (
        select(S, P.c.key, P.c.title, P.c.campaign, A.c.platform, A.c.name, D.c.remote_url)
        .join(D, D.c.id == S.c.delivery_id)
        .join(P, P.c.id == D.c.post_id)
        .join(A, A.c.id == D.c.account_id)
        .order_by(S.c.taken_at, S.c.id)
    )
    if since is not None:
        q = q.where(S.c.taken_at >= since)
    if until is not None:
        q = q.where(S.c.taken_at < until)
    if platform is not None:
        q = q.where(A.c.platform == platform, A.c.name == name)
    with db.read() as conn:
        return list(conn.execute(q))
