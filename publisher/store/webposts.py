"""Read models of the web app's post, approvals and pause pages (nothing here writes).

Every listing takes ``units``: the units the signed-in user sees (``None``: all of them, an admin),
so that a page never reads another unit's posts.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, Select, and_, false, func, or_, select

from publisher.core.people import DEFAULT_UNIT
from publisher.core.states import PAUSABLE, State
from publisher.store import schema as s
from publisher.store.approval import APPROVAL_KEY
from publisher.store.db import Database

#: audit actions that mark a turn of the approval story of a post
STORY = ("queued", "edited", "approved", "rejected")


@dataclass(frozen=True)
class PostView:
    """One post as its page shows it."""

    post: Row[Any]
    deliveries: list[Row[Any]]  # with the account's platform, name, display name and status
    attempts: dict[int, list[Row[Any]]]  # delivery id -> its attempts, oldest first
    audit: list[Row[Any]]  # the post's and its deliveries' trail, oldest first
    approval: dict[str, Any] | None  # the last approval's record (hash, by, at, snapshot)

    @property
    def unit(self) -> str:
        return str(self.post.unit or DEFAULT_UNIT)


@dataclass(frozen=True)
class Waiting:
    """A post in the approver's queue."""

    post: Row[Any]
    targets: list[str] = field(default_factory=list)
    story: list[Row[Any]] = field(default_factory=list)  # queued/edited/approved/rejected, oldest first


def _in_units(q: Select[Any], units: Collection[str] | None) -> Select[Any]:
    if units is None:
        return q
    return q.where(s.posts.c.unit.in_(sorted(units)))


def _awaiting() -> Any:
    """A delivery that waits for an approver (held by a pause or not)."""
    D = s.deliveries
    return or_(
        D.c.state == State.AWAITING_APPROVAL.value,
        and_(D.c.state == State.PAUSED.value, D.c.state_before_pause == State.AWAITING_APPROVAL.value),
    )


class WebPosts:
    """What the post, approvals and pause pages read."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def post(self, key: str) -> PostView | None:
        """The post ``key`` with its deliveries, attempts, trail and last approval; None if unknown."""
        D, A = s.deliveries, s.accounts
        with self.db.read() as conn:
            post = conn.execute(select(s.posts).where(s.posts.c.key == key)).first()
            if post is None:
                return None
            deliveries = list(
                conn.execute(
                    select(
                        D,
                        A.c.platform,
                        A.c.name,
                        A.c.display_name,
                        A.c.status.label("account_status"),
                    )
                    .join(A, A.c.id == D.c.account_id)
                    .where(D.c.post_id == post.id)
                    .order_by(D.c.id)
                )
            )
            ids = [int(d.id) for d in deliveries]
            attempts: dict[int, list[Row[Any]]] = {i: [] for i in ids}
            for a in conn.execute(
                select(s.attempts)
                .where(s.attempts.c.delivery_id.in_(ids))
                .order_by(s.attempts.c.started_at, s.attempts.c.id)
            ):
                attempts[int(a.delivery_id)].append(a)
            audit = list(
                conn.execute(
                    select(s.audit)
                    .where(or_(s.audit.c.post_id == post.id, s.audit.c.delivery_id.in_(ids)))
                    .order_by(s.audit.c.at, s.audit.c.id)
                )
            )
            record = conn.execute(
                select(s.meta.c.value).where(s.meta.c.key == APPROVAL_KEY.format(post_id=post.id))
            ).scalar()
        return PostView(post, deliveries, attempts, audit, record if isinstance(record, dict) else None)

    def media_of(self, key: str) -> tuple[str, list[str]] | None:
        """The unit of post ``key`` and the photos it lists (paths as stored); None if unknown."""
        with self.db.read() as conn:
            row = conn.execute(select(s.posts.c.unit, s.posts.c.images).where(s.posts.c.key == key)).first()
        if row is None:
            return None
        return str(row.unit or DEFAULT_UNIT), [str(p) for p in row.images or []]

    def awaiting_approval(self, units: Collection[str] | None) -> list[Waiting]:
        """Posts with a delivery waiting for an approver, oldest submission first."""
        P, D, A = s.posts, s.deliveries, s.accounts
        waiting = select(D.c.post_id).where(_awaiting())
        q = _in_units(
            select(P).where(P.c.id.in_(waiting), P.c.draft.is_(false())).order_by(P.c.updated_at, P.c.id),
            units,
        )
        with self.db.read() as conn:
            posts = list(conn.execute(q))
            ids = [int(p.id) for p in posts]
            targets: dict[int, list[str]] = {i: [] for i in ids}
            for r in conn.execute(
                select(D.c.post_id, A.c.platform, A.c.name)
                .join(A, A.c.id == D.c.account_id)
                .where(D.c.post_id.in_(ids), _awaiting())
                .order_by(D.c.id)
            ):
                targets[int(r.post_id)].append(f"{r.platform}/{r.name}")
            story: dict[int, list[Row[Any]]] = {i: [] for i in ids}
            for entry in conn.execute(
                select(s.audit)
                .where(s.audit.c.post_id.in_(ids), s.audit.c.action.in_(STORY))
                .order_by(s.audit.c.at, s.audit.c.id)
            ):
                story[int(entry.post_id)].append(entry)
        return [Waiting(p, targets[int(p.id)], story[int(p.id)]) for p in posts]

    def pending(self, units: Collection[str] | None, paused: bool, limit: int = 500) -> list[Row[Any]]:
        """What a pause holds (``paused``), or what one would hold now: soonest first."""
        P, D, A = s.posts, s.deliveries, s.accounts
        states: Sequence[str] = [State.PAUSED.value] if paused else sorted(st.value for st in PAUSABLE)
        q = (
            select(
                D.c.id,
                D.c.state,
                D.c.state_before_pause,
                D.c.due_at,
                D.c.deadline,
                P.c.key,
                P.c.title,
                P.c.unit,
                A.c.platform,
                A.c.name,
            )
            .join(P, P.c.id == D.c.post_id)
            .join(A, A.c.id == D.c.account_id)
            .where(D.c.state.in_(list(states)))
            .order_by(D.c.due_at, P.c.key, D.c.id)
            .limit(limit)
        )
        with self.db.read() as conn:
            return list(conn.execute(_in_units(q, units)))

    def count_pending(self, units: Collection[str] | None, paused: bool) -> int:
        """How many deliveries :meth:`pending` would list without its limit."""
        P, D = s.posts, s.deliveries
        states = [State.PAUSED.value] if paused else sorted(st.value for st in PAUSABLE)
        q = select(func.count()).select_from(D.join(P, P.c.id == D.c.post_id)).where(D.c.state.in_(states))
        with self.db.read() as conn:
            return int(conn.execute(_in_units(q, units)).scalar_one())


__all__ = ["STORY", "PostView", "WebPosts", "Waiting"]
