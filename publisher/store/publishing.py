"""The SQL of the publish path: deliveries as a worker claims, sends, checkpoints and settles them.

Every write is a conditional UPDATE on the state (and, for a send in progress, on the worker that
holds the lease), so two workers holding the same message never both act. Each outcome is written
in one transaction with its attempt row and audit entry. The decisions themselves live in
:mod:`publisher.core.decisions`; the orchestration in :mod:`publisher.actions.publish`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update
from sqlalchemy.exc import DBAPIError, OperationalError

from publisher.core.people import REQUIRE_APPROVAL
from publisher.core.states import State, check_transition
from publisher.store import schema as s
from publisher.store.audit import record as audit
from publisher.store.db import Database
from publisher.store.office import PAUSE_KEY, POLICY_PREFIX

D = s.deliveries
#: a delivery as :meth:`PublishingRepo.row` reads it (with its post, account, pause and policy)
DeliveryRow = Row[Any]
#: the keys of ``resume_state`` that name the post on the platform, in order of preference
REMOTE_ID_KEYS = ("post_id", "video_id", "remote_id", "article_id")
#: an attempt's end: (outcome, code, reason, remote id)
Ending = tuple[str, str | None, str | None, str | None]
#: what to do with an officer's cancel request met while settling: (dst, values) → (dst, values, audit)
CancelRule = Callable[
    [State, dict[str, Any], str | None], tuple[State, dict[str, Any], tuple[str, str] | None]
]


def database_busy(exc: BaseException) -> bool:
    """A passing database trouble (SQLite locked, a PostgreSQL connection lost): try again later."""
    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


class PublishingRepo:
    """Deliveries, their attempts and audit, as the publish path of one worker sees them."""

    def __init__(self, db: Database, worker: str) -> None:
        self.db = db
        self.worker = worker

    # -- reads ------------------------------------------------------------------------------------
    def row(self, did: int) -> DeliveryRow | None:
        """The delivery with its post's hashes, its account, the pause flag and the office policy."""
        pause = select(s.meta.c.key).where(s.meta.c.key == PAUSE_KEY).exists()
        policy_key = POLICY_PREFIX + REQUIRE_APPROVAL.name
        require = select(s.meta.c.value).where(s.meta.c.key == policy_key).scalar_subquery()
        with self.db.read() as conn:
            return conn.execute(
                select(
                    D,
                    s.posts.c.content_hash,
                    s.posts.c.approved_hash,
                    s.accounts.c.status.label("account_status"),
                    s.accounts.c.credentials.label("account_credentials"),
                    s.accounts.c.platform,
                    s.accounts.c.name.label("account_name"),
                    pause.label("paused"),
                    require.label("require_approval"),  # the stored office policy (None: its default)
                )
                .join(s.posts, s.posts.c.id == D.c.post_id)
                .join(s.accounts, s.accounts.c.id == D.c.account_id)
                .where(D.c.id == did)
            ).first()

    def sent_at(self, did: int) -> datetime | None:
        """Start of the latest send (``publish`` attempt): what a look-up must search from. Its
        polls continue that same send; look-ups (``reconcile``) send nothing."""
        with self.db.read() as conn:
            return conn.execute(
                select(func.max(s.attempts.c.started_at)).where(
                    s.attempts.c.delivery_id == did, s.attempts.c.kind == "publish"
                )
            ).scalar_one()

    def taken_ids(self, did: int) -> frozenset[str]:
        """Platform ids the other deliveries of this delivery's account hold (never adopted as ours)."""
        account = select(D.c.account_id).where(D.c.id == did).scalar_subquery()
        with self.db.read() as conn:
            rows = conn.execute(
                select(D.c.remote_id).where(
                    D.c.account_id == account, D.c.id != did, D.c.remote_id.is_not(None)
                )
            )
            return frozenset(str(r.remote_id) for r in rows)

    def reconcile_count(self, did: int) -> int:
        with self.db.read() as conn:
            q = select(func.count()).select_from(s.attempts)
            q = q.where(s.attempts.c.delivery_id == did, s.attempts.c.kind == "reconcile")
            return int(conn.execute(q).scalar_one())

    # -- claims and attempts ----------------------------------------------------------------------
    def begin(
        self, did: int, number: int, lease: datetime, chash: str, request: Any, now: datetime
    ) -> int | None:
        """``claimed → publishing`` and the attempt row, committed before anything is sent."""
        check_transition(State.CLAIMED, State.PUBLISHING)
        with self.db.write() as conn:
            res = conn.execute(
                update(D)
                .where(D.c.id == did, D.c.state == State.CLAIMED.value)
                .values(
                    state=State.PUBLISHING.value,
                    attempts=number,
                    claimed_by=self.worker,
                    lease_until=lease,
                    next_attempt_at=None,
                    updated_at=now,
                )
            )
            if not res.rowcount:
                return None
            return self._attempt_row(conn, did, number, "publish", chash, request, now)

    def take_over(self, row: DeliveryRow, lease: datetime, now: datetime) -> int | None:
        """A pending publish the dispatcher handed us: hold its lease and open a ``poll`` attempt."""
        did = int(row.id)
        with self.db.write() as conn:
            res = conn.execute(
                update(D)
                .where(D.c.id == did, D.c.state == State.PUBLISHING.value, D.c.claimed_by == row.claimed_by)
                .values(claimed_by=self.worker, lease_until=lease, updated_at=now)
            )
            if not res.rowcount:
                return None
            return self._attempt_row(conn, did, int(row.attempts), "poll", row.content_hash, None, now)

    def open_attempt(self, did: int, number: int, kind: str, chash: str, request: Any, now: datetime) -> int:
        with self.db.write() as conn:
            return self._attempt_row(conn, did, number, kind, chash, request, now)

    def _attempt_row(
        self, conn: Connection, did: int, number: int, kind: str, chash: str, request: Any, now: datetime
    ) -> int:
        res = conn.execute(
            insert(s.attempts).values(
                delivery_id=did,
                number=number,
                kind=kind,
                started_at=now,
                content_hash=chash,
                request=request,
                worker=self.worker,
            )
        )
        return int(res.inserted_primary_key[0])  # type: ignore[index]

    @staticmethod
    def _close_attempt(conn: Connection, attempt: int, ending: Ending, now: datetime) -> None:
        outcome, code, reason, remote_id = ending
        conn.execute(
            update(s.attempts)
            .where(s.attempts.c.id == attempt)
            .values(finished_at=now, outcome=outcome, code=code, reason=reason, remote_id=remote_id)
        )

    # -- while sending ----------------------------------------------------------------------------
    def checkpoint(
        self, did: int, data: dict[str, Any], lease: datetime, now: datetime
    ) -> dict[str, Any] | None:
        """Commit what the platform handed back; the merged resume state (None: delivery gone)."""
        with self.db.write() as conn:
            current = conn.execute(
                select(D.c.resume_state, D.c.state, D.c.claimed_by).where(D.c.id == did)
            ).first()
            if current is None:
                return None
            merged = {**(current.resume_state or {}), **data}
            values: dict[str, Any] = {"resume_state": merged, "updated_at": now}
            rid = next((str(merged[k]) for k in REMOTE_ID_KEYS if merged.get(k)), None)
            if rid:
                values["remote_id"] = rid
            if current.state == State.PUBLISHING.value and current.claimed_by == self.worker:
                values["lease_until"] = lease
            # Facts about the platform are kept whoever holds the delivery now.
            conn.execute(
                update(D)
                .where(D.c.id == did, D.c.state.in_([State.PUBLISHING.value, State.UNCONFIRMED.value]))
                .values(**values)
            )
            return merged

    def extend_lease(self, did: int, lease: datetime) -> None:
        with self.db.write() as conn:
            conn.execute(
                update(D)
                .where(D.c.id == did, D.c.state == State.PUBLISHING.value, D.c.claimed_by == self.worker)
                .values(lease_until=lease)
            )

    # -- outcomes ---------------------------------------------------------------------------------
    def release(self, did: int, dst: State, values: dict[str, Any], now: datetime) -> bool:
        """Give a claim back without sending anything (``claimed`` → ``dst``)."""
        check_transition(State.CLAIMED, dst, what=f"#{did}")
        with self.db.write() as conn:
            res = conn.execute(
                update(D)
                .where(D.c.id == did, D.c.state == State.CLAIMED.value)
                .values(state=dst.value, lease_until=None, claimed_by=None, updated_at=now, **values)
            )
            if res.rowcount:
                code = values.get("last_code")
                audit(conn, "worker", f"state_{dst.value}", None, did, source=State.CLAIMED.value, code=code)
        return bool(res.rowcount)

    def finish(
        self, did: int, dst: State, values: dict[str, Any], now: datetime, attempt: int, ending: Ending
    ) -> bool:
        """The outcome, in one transaction: the delivery (if still ours), the attempt row, the audit."""
        if dst is not State.PUBLISHING:
            check_transition(State.PUBLISHING, dst, what=f"#{did}")
        with self.db.write() as conn:
            res = conn.execute(
                update(D)
                .where(D.c.id == did, D.c.state == State.PUBLISHING.value, D.c.claimed_by == self.worker)
                .values(state=dst.value, updated_at=now, **values)
            )
            src = State.PUBLISHING
            if not res.rowcount and dst in (State.PUBLISHED, State.HANDED_OFF):
                # Our lease expired meanwhile and the dispatcher doubted us; the answer settles it.
                src = State.UNCONFIRMED
                check_transition(src, dst, what=f"#{did}")
                res = conn.execute(
                    update(D)
                    .where(D.c.id == did, D.c.state == src.value)
                    .values(state=dst.value, updated_at=now, **values)
                )
            moved = bool(res.rowcount)
            if moved and dst is not src:
                audit(conn, "worker", f"state_{dst.value}", None, did, source=src.value, worker=self.worker)
            self._close_attempt(conn, attempt, ending, now)
        return moved

    def doubt(self, did: int, values: dict[str, Any], now: datetime) -> bool:
        """``publishing`` (ours) → ``unconfirmed`` after an exception: a send may have happened."""
        with self.db.write() as conn:
            moved = conn.execute(
                update(D)
                .where(D.c.id == did, D.c.state == State.PUBLISHING.value, D.c.claimed_by == self.worker)
                .values(
                    state=State.UNCONFIRMED.value, claimed_by=None, lease_until=None, updated_at=now, **values
                )
            ).rowcount
            if moved:
                audit(conn, "worker", "state_unconfirmed", None, did, source=State.PUBLISHING.value)
        return bool(moved)

    def reconciled(
        self,
        did: int,
        src: State,
        dst: State,
        values: dict[str, Any],
        now: datetime,
        attempt: int,
        ending: Ending,
        on_cancel: CancelRule,
    ) -> State | None:
        """Write the look-up's outcome if the delivery is still in ``src``; the state it moved to.

        An officer's cancel request is read here, in the same transaction as the write (the row
        locked on PostgreSQL, the database on SQLite), so one recorded while the look-up ran is
        honoured too (``on_cancel``: :func:`publisher.core.decisions.settle_cancel`).
        """
        with self.db.write() as conn:
            q = select(D.c.cancel_requested_at, D.c.cancel_requested_by).where(
                D.c.id == did, D.c.state == src.value
            )
            current = conn.execute(q if self.db.is_sqlite else q.with_for_update()).first()
            note: tuple[str, str] | None = None
            if current is not None and current.cancel_requested_at is not None:
                dst, values, note = on_cancel(dst, values, current.cancel_requested_by)
            if dst is not src:
                check_transition(src, dst, what=f"#{did}")
            res = conn.execute(
                update(D)
                .where(D.c.id == did, D.c.state == src.value)
                .values(state=dst.value, updated_at=now, **values)
            )
            if res.rowcount and dst is not src:
                audit(conn, "worker", f"state_{dst.value}", None, did, source=src.value, via="reconcile")
            if res.rowcount and note is not None:
                audit(conn, note[0], note[1], None, did, via="reconcile", remote_url=values.get("remote_url"))
            self._close_attempt(conn, attempt, ending, now)
            return dst if res.rowcount else None


__all__ = ["DeliveryRow", "Ending", "PublishingRepo"]
