"""The alerts' rows: what the incident scan reads, and the once-per-incident ledger.

An incident row is created with its UNIQUE key before anything is sent; a sender claims it with a
conditional UPDATE (``claimed_at`` lease) so that two workers never both send, and records which
channels carried it. What an incident is and what it says is decided in :mod:`publisher.actions.alerts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from publisher.core.states import State
from publisher.store import schema as s
from publisher.store.db import Database


@dataclass(frozen=True)
class IncidentRows:
    """What the incident scan reads, in one read transaction."""

    #: deliveries failed or missed since the look-back, with post key and title, account platform and name
    stopped: list[Row[Any]]
    #: (account id, deadline) of every delivery waiting for its account's re-authorisation
    waiting_reauth: list[tuple[int, datetime]]
    #: accounts not disabled, by id
    accounts: list[Row[Any]]


def incident_rows(db: Database, since: datetime) -> IncidentRows:
    D, P, A = s.deliveries, s.posts, s.accounts
    with db.read() as conn:
        stopped = conn.execute(
            select(D, P.c.key, P.c.title, A.c.platform, A.c.name)
            .join(P, P.c.id == D.c.post_id)
            .join(A, A.c.id == D.c.account_id)
            .where(D.c.state.in_([State.FAILED.value, State.MISSED.value]), D.c.updated_at >= since)
            .order_by(D.c.id)
        ).all()
        waiting = conn.execute(
            select(D.c.account_id, D.c.deadline).where(D.c.state == State.NEEDS_REAUTH.value)
        ).all()
        accounts = conn.execute(select(A).where(A.c.status != "disabled").order_by(A.c.id)).all()
    return IncidentRows(list(stopped), [(a, d) for a, d in waiting], list(accounts))


def record(
    db: Database,
    key: str,
    kind: str,
    subject: str,
    body: str,
    now: datetime,
    delivery_id: int | None = None,
    account_id: int | None = None,
) -> bool:
    """Insert the incident unless its key is known; safe under concurrency (the key is UNIQUE)."""
    A = s.alerts
    try:
        with db.write() as conn:
            if conn.execute(select(A.c.id).where(A.c.incident_key == key)).first():
                return False
            conn.execute(
                insert(A).values(
                    incident_key=key,
                    kind=kind,
                    delivery_id=delivery_id,
                    account_id=account_id,
                    subject=subject,
                    body=body,
                    created_at=now,
                    attempts=0,
                )
            )
            return True
    except IntegrityError:  # another worker recorded it first
        return False


def unsent(db: Database, max_attempts: int) -> list[Row[Any]]:
    """Alerts not carried by every channel yet and not given up on, oldest first."""
    A = s.alerts
    with db.read() as conn:
        return list(
            conn.execute(
                select(A).where(A.c.sent_at.is_(None), A.c.attempts < max_attempts).order_by(A.c.id)
            ).all()
        )


def claim(db: Database, alert_id: int, now: datetime, lease: timedelta) -> bool:
    """Take the alert for sending unless it is sent or another sender's lease still runs."""
    A = s.alerts
    with db.write() as conn:
        claimed = conn.execute(
            update(A)
            .where(
                A.c.id == alert_id,
                A.c.sent_at.is_(None),
                or_(A.c.claimed_at.is_(None), A.c.claimed_at < now - lease),
            )
            .values(claimed_at=now, attempts=A.c.attempts + 1)
        ).rowcount
    return bool(claimed)


def finish(
    db: Database,
    alert_id: int,
    channels: list[str],
    sent_at: datetime | None,
    claimed_at: datetime | None,
    last_error: str | None,
) -> None:
    """Record the channels that carried the alert, and when it was fully sent (``None``: not yet)."""
    A = s.alerts
    with db.write() as conn:
        conn.execute(
            update(A)
            .where(A.c.id == alert_id)
            .values(
                channel=",".join(channels) or None,
                sent_at=sent_at,
                claimed_at=claimed_at,
                last_error=last_error,
            )
        )
