"""Rejections: an approver sends a post back to its officer with a comment.

The deliveries that waited for approval go back to ``draft`` (nothing is sent); the comment is kept
in the audit trail (``rejected``). An edit of what is published sends them back for approval
(:meth:`publisher.store.posts.PostsRepo.queue` moves every delivery that has not started to
``awaiting_approval`` when the content changes), so the post can be approved again.
Who may reject is decided before this is called (:mod:`publisher.actions.reject`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from publisher.core.states import State
from publisher.errors import NotFound, UserError
from publisher.i18n import msg, register
from publisher.store import schema as s
from publisher.store.audit import record, utcnow
from publisher.store.db import Database
from publisher.store.deliveries import move_in

register(
    {
        "reject.nothing": (
            "Bài “{key}” không có lượt đăng nào đang chờ duyệt, nên không có gì để trả lại.",
            "“{key}” has no delivery awaiting approval: there is nothing to send back.",
        ),
    }
)


@dataclass(frozen=True)
class Rejected:
    key: str
    targets: tuple[str, ...]  # the deliveries sent back to draft


class Rejections:
    """Repository of rejections (a post sent back to its officer)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def reject(self, key: str, by: str, comment: str) -> Rejected:
        """Send post ``key`` back: what awaits approval goes to ``draft``, the comment to the audit."""
        D, A = s.deliveries, s.accounts
        now = utcnow()
        with self.db.write() as conn:
            post_id = conn.execute(select(s.posts.c.id).where(s.posts.c.key == key)).scalar()
            if post_id is None:
                raise NotFound(msg("store.no_post", ref=key))
            rows = conn.execute(
                select(D.c.id, D.c.state, D.c.state_before_pause, A.c.platform, A.c.name)
                .join(A, A.c.id == D.c.account_id)
                .where(D.c.post_id == post_id)
                .order_by(D.c.id)
            ).all()
            moved: list[str] = []
            for r in rows:
                st = State(r.state)
                waits = st == State.AWAITING_APPROVAL or (
                    st == State.PAUSED and r.state_before_pause == State.AWAITING_APPROVAL.value
                )
                if waits and move_in(
                    conn, r.id, st, State.DRAFT, now, state_before_pause=None, next_attempt_at=None
                ):
                    moved.append(f"{r.platform}/{r.name}")
            if not moved:
                raise UserError(msg("reject.nothing", key=key))
            record(conn, by, "rejected", int(post_id), comment=comment, targets=moved)
        return Rejected(key, tuple(moved))


__all__ = ["Rejected", "Rejections"]
