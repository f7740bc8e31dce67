"""Connections begun in the browser and not finished yet: the OAuth ``state`` the web app issued.

Each pending connection is one row of ``meta`` keyed ``oauth.<digest of the state>`` (the state
itself is never stored) whose JSON value says which account it connects, for which session, until
when, and holds what must stay secret until the code comes back (the PKCE verifier, a Facebook
user token) sealed by the vault like any credential. :meth:`OAuthStates.take` removes the row as
it reads it: a state serves once, and an expired one serves never.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from publisher.store import schema as s
from publisher.store.audit import utcnow
from publisher.store.crypto import Vault
from publisher.store.db import Database

PREFIX = "oauth."
#: how long a connection begun in the browser may take to come back (Zalo's code lives ~10 min)
STATE_TTL = timedelta(minutes=15)


def state_key(state: str) -> str:
    """The ``meta`` key of a state: a digest, so that the database never holds the state itself
    (``meta.key`` is 64 characters: 6 for the prefix, 56 hex digits, 224 bits, for the digest)."""
    return PREFIX + hashlib.sha256(state.encode("utf-8")).hexdigest()[:56]


@dataclass
class PendingAuth:
    """One connection waiting for the platform's answer (or, for Facebook, for the Page pick)."""

    provider: str  # google | zalo | facebook
    target: str  # platform/name of the account it connects
    session_id: str  # the web session that began it (the stored id, a digest of the cookie)
    actor: str  # the user who began it
    expires_at: datetime
    redirect_uri: str | None = None
    unit: str | None = None  # the unit a new account joins (None: the account exists)
    secrets: dict[str, str] = field(default_factory=dict)  # sealed in the database
    pages: list[dict[str, str]] = field(default_factory=list)  # Facebook: the Pages offered (id, name)

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


class OAuthStates:
    """The pending connections, kept in ``meta`` (no table of their own)."""

    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    def put(self, state: str, pending: PendingAuth, now: datetime | None = None) -> None:
        """Keep ``pending`` under ``state``; forgets the pending connections that have expired."""
        now = now or utcnow()
        value: dict[str, Any] = {
            "provider": pending.provider,
            "target": pending.target,
            "session": pending.session_id,
            "actor": pending.actor,
            "expires_at": pending.expires_at.isoformat(),
            "redirect_uri": pending.redirect_uri,
            "unit": pending.unit,
            "sealed": self.vault.seal(dict(pending.secrets)) if pending.secrets else None,
            "pages": pending.pages,
        }
        key = state_key(state)
        with self.db.write() as conn:
            self._purge(conn, now)
            conn.execute(delete(s.meta).where(s.meta.c.key == key))
            conn.execute(insert(s.meta).values(key=key, value=value))

    def take(self, state: str, now: datetime | None = None) -> PendingAuth | None:
        """The pending connection of ``state``, removed as it is read (single use); None when
        the state is unknown, already used, or expired."""
        if not state:
            return None
        now = now or utcnow()
        key = state_key(state)
        with self.db.write() as conn:
            value = conn.execute(select(s.meta.c.value).where(s.meta.c.key == key)).scalar()
            if value is None:
                return None
            if not conn.execute(delete(s.meta).where(s.meta.c.key == key)).rowcount:
                return None  # taken meanwhile by another request
        pending = self._load(value)
        if pending is None or pending.expired(now):
            return None
        return pending

    def count(self) -> int:
        """How many connections are pending (expired ones included until the next ``put``)."""
        with self.db.read() as conn:
            return len(conn.execute(select(s.meta.c.key).where(s.meta.c.key.startswith(PREFIX))).all())

    def _load(self, value: Any) -> PendingAuth | None:
        if not isinstance(value, dict):
            return None
        try:
            sealed = value.get("sealed")
            return PendingAuth(
                provider=str(value["provider"]),
                target=str(value["target"]),
                session_id=str(value["session"]),
                actor=str(value.get("actor") or ""),
                expires_at=datetime.fromisoformat(value["expires_at"]),
                redirect_uri=value.get("redirect_uri"),
                unit=value.get("unit"),
                secrets={str(k): str(v) for k, v in self.vault.open(sealed).items()} if sealed else {},
                pages=[dict(p) for p in value.get("pages") or []],
            )
        except (KeyError, TypeError, ValueError):
            return None

    def _purge(self, conn: Connection, now: datetime) -> None:
        rows = conn.execute(select(s.meta.c.key, s.meta.c.value).where(s.meta.c.key.startswith(PREFIX))).all()
        for row in rows:
            value = row.value if isinstance(row.value, dict) else {}
            try:
                gone = datetime.fromisoformat(value["expires_at"]) <= now
            except (KeyError, TypeError, ValueError):
                gone = True
            if gone:
                conn.execute(delete(s.meta).where(s.meta.c.key == row.key))


__all__ = ["PREFIX", "STATE_TTL", "OAuthStates", "PendingAuth", "state_key"]
