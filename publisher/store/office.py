"""The office-wide switches: the pause (hold every pending delivery) and the office policies.

Both live in the ``meta`` table: ``pause`` while paused, ``policy.<name>`` for each policy set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from publisher.core.people import Policy
from publisher.core.states import PAUSABLE, State, check_transition
from publisher.store import schema as s
from publisher.store.audit import Repository, utcnow

PAUSE_KEY = "pause"
#: ``meta`` rows of the office policies, ``policy.<name>``: {"value", "by", "at", "source"}
POLICY_PREFIX = "policy."


@dataclass
class ResumeReport:
    held: list[dict[str, Any]] = field(default_factory=list)
    late: list[dict[str, Any]] = field(default_factory=list)  # due passed, still within grace
    too_late: list[dict[str, Any]] = field(default_factory=list)  # beyond grace: will be missed
    pause: dict[str, Any] | None = None


def pause_in(conn: Connection) -> dict[str, Any] | None:
    """The pause record (reason, by, at), or None when not paused, read in ``conn``."""
    return conn.execute(select(s.meta.c.value).where(s.meta.c.key == PAUSE_KEY)).scalar()


def policy_in(conn: Connection, policy: Policy) -> bool:
    """The stored value of an office policy (its default when never set), read in ``conn``."""
    key = POLICY_PREFIX + policy.name
    return policy.value_of(conn.execute(select(s.meta.c.value).where(s.meta.c.key == key)).scalar())


class OfficeRepo(Repository):
    """The pause and the office policies."""

    policy_in = staticmethod(policy_in)

    def pause_info(self, conn: Connection | None = None) -> dict[str, Any] | None:
        if conn is not None:
            return pause_in(conn)
        with self.db.read() as c:
            return pause_in(c)

    def pause(self, reason: str, actor: str) -> int:
        """Hold every pending delivery; returns how many were held. Idempotent."""
        now = utcnow()
        with self.db.write() as conn:
            info = self.pause_info(conn)
            if info is None:
                conn.execute(
                    insert(s.meta).values(
                        key=PAUSE_KEY, value={"reason": reason, "by": actor, "at": now.isoformat()}
                    )
                )
            n = 0
            for st in PAUSABLE:
                check_transition(st, State.PAUSED)
                res = conn.execute(
                    update(s.deliveries)
                    .where(s.deliveries.c.state == st.value)
                    .values(state=State.PAUSED.value, state_before_pause=st.value, updated_at=now)
                )
                n += res.rowcount or 0
            self.audit(conn, actor, "paused", reason=reason, held=n)
            return n

    def resume(self, actor: str, now: datetime | None = None) -> ResumeReport:
        now = now or utcnow()
        report = ResumeReport()
        with self.db.write() as conn:
            report.pause = self.pause_info(conn)
            conn.execute(delete(s.meta).where(s.meta.c.key == PAUSE_KEY))
            rows = conn.execute(
                select(
                    s.deliveries.c.id,
                    s.deliveries.c.state_before_pause,
                    s.deliveries.c.due_at,
                    s.deliveries.c.deadline,
                    s.posts.c.key,
                    s.accounts.c.platform,
                    s.accounts.c.name,
                )
                .join(s.posts, s.posts.c.id == s.deliveries.c.post_id)
                .join(s.accounts, s.accounts.c.id == s.deliveries.c.account_id)
                .where(s.deliveries.c.state == State.PAUSED.value)
                .order_by(s.deliveries.c.due_at)
            ).all()
            for r in rows:
                before = State(r.state_before_pause or State.SCHEDULED.value)
                check_transition(State.PAUSED, before)
                conn.execute(
                    update(s.deliveries)
                    .where(s.deliveries.c.id == r.id, s.deliveries.c.state == State.PAUSED.value)
                    .values(state=before.value, state_before_pause=None, updated_at=now)
                )
                item = {
                    "id": r.id,
                    "post": r.key,
                    "target": f"{r.platform}/{r.name}",
                    "state": before.value,
                    "due_at": r.due_at,
                    "deadline": r.deadline,
                }
                report.held.append(item)
                if before in (State.SCHEDULED, State.RETRY_WAIT, State.AWAITING_APPROVAL):
                    if r.deadline < now:
                        report.too_late.append(item)
                    elif r.due_at < now:
                        report.late.append(item)
            self.audit(conn, actor, "resumed", released=len(rows))
        return report
