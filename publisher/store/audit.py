"""The audit trail, and the base every repository of the store builds on.

Each change an officer, approver or worker makes is written to ``audit`` in the transaction that
makes it: who, what, which post or delivery, and a JSON detail (never a secret).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert

from publisher.settings import Settings
from publisher.store import schema as s
from publisher.store.crypto import Vault
from publisher.store.db import Database


def utcnow() -> datetime:
    return datetime.now(UTC)


def record(
    conn: Connection,
    actor: str,
    action: str,
    post_id: int | None = None,
    delivery_id: int | None = None,
    **detail: Any,
) -> None:
    """Append one audit entry in ``conn`` (the transaction of the change it records)."""
    conn.execute(
        insert(s.audit).values(
            at=utcnow(),
            actor=actor,
            action=action,
            post_id=post_id,
            delivery_id=delivery_id,
            detail=detail or None,
        )
    )


class Repository:
    """What every repository of :class:`publisher.store.Store` shares: settings, database, vault."""

    settings: Settings
    db: Database
    vault: Vault

    audit = staticmethod(record)
