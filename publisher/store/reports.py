"""Read models for the reports: a week's deliveries, accounts and follower counts, snapshots of
given deliveries, and the log of publishing attempts. Rows come back as they are; the reports
(:mod:`publisher.reports.weekly`, ``publisher report log``) decide what they mean."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, and_, or_, select

from publisher.store import schema as s
from publisher.store.db import Database

#: ids per ``IN (…)`` list, well under every database's parameter limit
CHUNK = 500


@dataclass(frozen=True)
class WeekRows:
    """What the weekly report reads, in one read transaction."""

    #: deliveries due or published in ``[start, end)``, with their post's key, title and campaign
    #: and their account's platform and name
    deliveries: list[Row[Any]]
    #: accounts not disabled, by platform and name
    accounts: list[Row[Any]]
    #: follower counts of every account up to ``last_day`` (local), oldest day first
    followers: list[Row[Any]]


def week_rows(db: Database, start: datetime, end: datetime, last_day: date) -> WeekRows:
    D, P, A, F = s.deliveries, s.posts, s.accounts, s.followers
    with db.read() as conn:
        deliveries = conn.execute(
            select(D, P.c.key, P.c.title, P.c.campaign, A.c.platform, A.c.name)
            .join(P, P.c.id == D.c.post_id)
            .join(A, A.c.id == D.c.account_id)
            .where(
                or_(
                    and_(D.c.due_at >= start, D.c.due_at < end),
                    and_(D.c.published_at >= start, D.c.published_at < end),
                )
            )
            .order_by(D.c.due_at, P.c.key, A.c.platform, A.c.name)
        ).all()
        accounts = conn.execute(
            select(A).where(A.c.status != "disabled").order_by(A.c.platform, A.c.name)
        ).all()
        followers = conn.execute(select(F).where(F.c.day <= last_day).order_by(F.c.day)).all()
    return WeekRows(list(deliveries), list(accounts), list(followers))


def snapshots_of(db: Database, ids: list[int]) -> list[Row[Any]]:
    """Every snapshot of the deliveries ``ids``, oldest first."""
    S = s.snapshots
    out: list[Row[Any]] = []
    with db.read() as conn:
        for i in range(0, len(ids), CHUNK):
            out += conn.execute(
                select(S).where(S.c.delivery_id.in_(ids[i : i + CHUNK])).order_by(S.c.taken_at, S.c.id)
            ).all()
    return out


def attempts_log(
    db: Database, since: datetime | None = None, platform: str | None = None, name: str | None = None
) -> list[Row[Any]]:
    """Publishing attempts with their post's key and their delivery's account and link."""
    D, P, A, AT = s.deliveries, s.posts, s.accounts, s.attempts
    q = (
        select(AT, P.c.key, A.c.platform, A.c.name, D.c.remote_url)
        .join(D, D.c.id == AT.c.delivery_id)
        .join(P, P.c.id == D.c.post_id)
        .join(A, A.c.id == D.c.account_id)
    )
    if since is not None:
        q = q.where(AT.c.started_at >= since)
    if platform is not None:
        q = q.where(A.c.platform == platform, A.c.name == name)
    with db.read() as conn:
        return list(conn.execute(q).all())
