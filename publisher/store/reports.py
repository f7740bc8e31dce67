"""Read models for the reports: a week's deliveries, accounts and follower counts, snapshots of
given deliveries, and the log of publishing attempts. Rows come back as they are; the reports
(:mod:`publisher.reports.weekly`, ``publisher report log``) decide what they mean.

``units`` limits a read to the posts (and accounts) of those units, as the web app's weekly page
asks; ``None`` (the CLI, an admin) reads all of them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Select, and_, or_, select

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


def week_rows(
    db: Database, start: datetime, end: datetime, last_day: date, units: Collection[str] | None = None
) -> WeekRows:
    """``units``: only the deliveries of those units' posts, and those units' accounts and their
    follower counts; ``None``: everything."""
    D, P, A, F = s.deliveries, s.posts, s.accounts, s.followers
    q_deliveries = (
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
    )
    q_accounts = select(A).where(A.c.status != "disabled").order_by(A.c.platform, A.c.name)
    q_followers = select(F).where(F.c.day <= last_day).order_by(F.c.day)
    if units is not None:
        wanted = sorted(units)
        q_deliveries = q_deliveries.where(P.c.unit.in_(wanted))
        q_accounts = q_accounts.where(A.c.unit.in_(wanted))
        q_followers = q_followers.where(F.c.account_id.in_(select(A.c.id).where(A.c.unit.in_(wanted))))
    with db.read() as conn:
        deliveries = conn.execute(q_deliveries).all()
        accounts = conn.execute(q_accounts).all()
        followers = conn.execute(q_followers).all()
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


def post_snapshots(
    db: Database, keys: Collection[str], units: Collection[str] | None = None
) -> list[Row[Any]]:
    """The engagement log of the posts ``keys`` (of ``units``; ``None``: any): each published
    delivery with its account and publishing time, and its snapshots (``None`` columns for a
    delivery without any yet), by post, account, then time taken."""
    D, P, A, S = s.deliveries, s.posts, s.accounts, s.snapshots
    wanted = sorted(set(keys))
    out: list[Row[Any]] = []
    with db.read() as conn:
        for i in range(0, len(wanted), CHUNK):
            q: Select[Any] = (
                select(
                    D.c.id.label("delivery_id"),
                    D.c.published_at,
                    D.c.remote_url,
                    P.c.key,
                    P.c.title,
                    A.c.platform,
                    A.c.name,
                    S.c.slot,
                    S.c.kind,
                    S.c.taken_at,
                    S.c.views,
                    S.c.reactions,
                    S.c.comments,
                    S.c.shares,
                )
                .join(P, P.c.id == D.c.post_id)
                .join(A, A.c.id == D.c.account_id)
                .outerjoin(S, S.c.delivery_id == D.c.id)
                .where(P.c.key.in_(wanted[i : i + CHUNK]), D.c.published_at.is_not(None))
                .order_by(P.c.key, A.c.platform, A.c.name, D.c.id, S.c.taken_at, S.c.id)
            )
            if units is not None:
                q = q.where(P.c.unit.in_(sorted(units)))
            out += conn.execute(q).all()
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
