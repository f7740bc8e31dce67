"""What the JSON API's listings read: posts and deliveries, filtered, a page at a time.

Read-only. Every listing takes ``units`` (the units the caller sees; ``None``: all of them, an
admin) so that no page of results ever holds another unit's post. Pages are cut by keyset on
``(due_at, id)`` (``after``: the last row of the previous page), or by ``offset`` for simple
clients; the caller asks for one row more than it shows to learn whether a next page exists.
A post's deliveries are read in a second query for the whole page (never one query per post).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from publisher.core.people import DEFAULT_UNIT
from publisher.store import schema as s
from publisher.store.db import Database


@dataclass(frozen=True)
class Filters:
    """What a listing keeps. ``start``/``end``: due in ``[start, end)``; ``states``: a post with a
    delivery in one of them (a delivery in one of them)."""

    units: Collection[str] | None = None
    states: Sequence[str] = ()
    start: datetime | None = None
    end: datetime | None = None
    campaign: str | None = None
    platform: str | None = None  # deliveries only
    account: str | None = None  # deliveries only: the account's name
    post: str | None = None  # deliveries only: the post's key


@dataclass(frozen=True, slots=True)
class TargetLine:
    """One delivery of a listed post."""

    id: int
    platform: str
    name: str
    state: str
    remote_url: str | None
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class PostLine:
    id: int
    key: str
    title: str
    unit: str
    campaign: str | None
    due_at: datetime
    draft: bool
    queued_by: str
    queued_at: datetime
    updated_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    targets: list[TargetLine] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    post_key: str
    title: str
    unit: str
    campaign: str | None
    platform: str
    account: str
    account_label: str
    state: str
    due_at: datetime
    deadline: datetime
    published_at: datetime | None
    remote_id: str | None
    remote_url: str | None
    attempts: int
    last_code: str | None
    last_reason: str | None
    cancel_requested_at: datetime | None
    updated_at: datetime


def _page(
    q: Select[Any], due: Any, ident: Any, after: tuple[datetime, int] | None, offset: int
) -> Select[Any]:
    if after is not None:
        q = q.where(or_(due > after[0], and_(due == after[0], ident > after[1])))
    elif offset:
        q = q.offset(offset)
    return q.order_by(due, ident)


class ApiViews:
    """Read models of the API's listings."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def posts(
        self, f: Filters, limit: int, after: tuple[datetime, int] | None = None, offset: int = 0
    ) -> list[PostLine]:
        """Up to ``limit`` posts, soonest first, with their deliveries."""
        P, D, A = s.posts, s.deliveries, s.accounts
        q = select(
            P.c.id,
            P.c.key,
            P.c.title,
            P.c.unit,
            P.c.campaign,
            P.c.due_at,
            P.c.draft,
            P.c.queued_by,
            P.c.queued_at,
            P.c.updated_at,
            P.c.approved_by,
            P.c.approved_at,
        )
        if f.units is not None:
            q = q.where(P.c.unit.in_(sorted(f.units)))
        if f.states:
            q = q.where(P.c.id.in_(select(D.c.post_id).where(D.c.state.in_(list(f.states)))))
        if f.start is not None:
            q = q.where(P.c.due_at >= f.start)
        if f.end is not None:
            q = q.where(P.c.due_at < f.end)
        if f.campaign is not None:
            q = q.where(P.c.campaign == f.campaign)
        q = _page(q, P.c.due_at, P.c.id, after, offset).limit(limit)
        with self.db.read() as conn:
            posts = list(conn.execute(q))
            targets: dict[int, list[TargetLine]] = {int(p.id): [] for p in posts}
            if targets:
                for r in conn.execute(
                    select(
                        D.c.post_id,
                        D.c.id,
                        A.c.platform,
                        A.c.name,
                        D.c.state,
                        D.c.remote_url,
                        D.c.published_at,
                    )
                    .join(A, A.c.id == D.c.account_id)
                    .where(D.c.post_id.in_(list(targets)))
                    .order_by(D.c.id)
                ):
                    targets[int(r.post_id)].append(
                        TargetLine(int(r.id), r.platform, r.name, r.state, r.remote_url, r.published_at)
                    )
        return [
            PostLine(
                id=int(p.id),
                key=p.key,
                title=p.title,
                unit=p.unit or DEFAULT_UNIT,
                campaign=p.campaign,
                due_at=p.due_at,
                draft=bool(p.draft),
                queued_by=p.queued_by,
                queued_at=p.queued_at,
                updated_at=p.updated_at,
                approved_by=p.approved_by,
                approved_at=p.approved_at,
                targets=targets[int(p.id)],
            )
            for p in posts
        ]

    def deliveries(
        self, f: Filters, limit: int, after: tuple[datetime, int] | None = None, offset: int = 0
    ) -> list[DeliveryRow]:
        """Up to ``limit`` deliveries, soonest first."""
        P, D, A = s.posts, s.deliveries, s.accounts
        q = (
            select(
                D.c.id,
                P.c.key,
                P.c.title,
                P.c.unit,
                P.c.campaign,
                A.c.platform,
                A.c.name,
                func.coalesce(A.c.display_name, A.c.name),
                D.c.state,
                D.c.due_at,
                D.c.deadline,
                D.c.published_at,
                D.c.remote_id,
                D.c.remote_url,
                D.c.attempts,
                D.c.last_code,
                D.c.last_reason,
                D.c.cancel_requested_at,
                D.c.updated_at,
            )
            .join(P, P.c.id == D.c.post_id)
            .join(A, A.c.id == D.c.account_id)
        )
        if f.units is not None:
            q = q.where(P.c.unit.in_(sorted(f.units)))
        if f.states:
            q = q.where(D.c.state.in_(list(f.states)))
        if f.start is not None:
            q = q.where(D.c.due_at >= f.start)
        if f.end is not None:
            q = q.where(D.c.due_at < f.end)
        if f.campaign is not None:
            q = q.where(P.c.campaign == f.campaign)
        if f.platform is not None:
            q = q.where(A.c.platform == f.platform)
        if f.account is not None:
            q = q.where(A.c.name == f.account)
        if f.post is not None:
            q = q.where(P.c.key == f.post)
        q = _page(q, D.c.due_at, D.c.id, after, offset).limit(limit)
        with self.db.read() as conn:
            rows = list(conn.execute(q))
        return [
            DeliveryRow(
                int(r[0]),
                r[1],
                r[2],
                r[3] or DEFAULT_UNIT,
                r[4],
                r[5],
                r[6],
                r[7],
                r[8],
                r[9],
                r[10],
                r[11],
                r[12],
                r[13],
                int(r[14] or 0),
                r[15],
                r[16],
                r[17],
                r[18],
            )
            for r in rows
        ]


__all__ = ["ApiViews", "DeliveryRow", "Filters", "PostLine", "TargetLine"]
