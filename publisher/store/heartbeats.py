"""Heartbeats (table ``heartbeats``): the long-running processes say "alive" in the database.

Each Celery worker process writes ``worker:<node>:<pid>`` and whoever runs the dispatcher tick
writes ``dispatcher``, at most every :data:`EVERY` (:class:`Pulse` keeps the last write per process
in memory). Readers (``publisher status``, the dashboard, ``/metrics``) call a process alive when
it was seen within :data:`ALIVE_WITHIN`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from publisher.store import schema as s
from publisher.store.audit import utcnow
from publisher.store.db import Database

#: a process writes its heartbeat at most this often
EVERY = timedelta(seconds=30)
#: seen within this time: alive
ALIVE_WITHIN = timedelta(minutes=2)
#: rows of processes not seen for this long are deleted (each restart makes a new worker row)
KEEP = timedelta(days=7)

WORKER = "worker"
DISPATCHER = "dispatcher"


@dataclass(frozen=True)
class Heartbeat:
    name: str
    kind: str
    last_seen: datetime
    detail: dict[str, Any]

    def age(self, now: datetime) -> float:
        """Seconds since the process was last seen."""
        return max(0.0, (now - self.last_seen).total_seconds())

    def alive(self, now: datetime) -> bool:
        return now - self.last_seen < ALIVE_WITHIN and not self.detail.get("stopped")


class Heartbeats:
    """Repository of ``heartbeats``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(
        self, name: str, kind: str, detail: dict[str, Any] | None = None, now: datetime | None = None
    ) -> None:
        """Upsert the row of ``name``: ``last_seen`` now; ``detail`` replaced only when given."""
        now = now or utcnow()
        dialect = sqlite if self.db.is_sqlite else postgresql
        t = s.heartbeats
        stmt = dialect.insert(t).values(name=name, kind=kind, last_seen=now, detail=detail or {})
        update: dict[str, Any] = {"kind": kind, "last_seen": now}
        if detail is not None:
            update["detail"] = detail
        with self.db.write() as conn:
            conn.execute(stmt.on_conflict_do_update(index_elements=[t.c.name], set_=update))

    def heartbeats(self, kind: str | None = None) -> list[Heartbeat]:
        """Every row (of ``kind``), most recently seen first."""
        t = s.heartbeats
        q = select(t).order_by(t.c.last_seen.desc(), t.c.name)
        if kind is not None:
            q = q.where(t.c.kind == kind)
        with self.db.read() as conn:
            rows = conn.execute(q).all()
        return [Heartbeat(r.name, r.kind, r.last_seen, dict(r.detail or {})) for r in rows]

    def heartbeat(self, name: str) -> Heartbeat | None:
        return next((h for h in self.heartbeats() if h.name == name), None)

    def prune(self, now: datetime | None = None) -> int:
        """Delete rows not seen for :data:`KEEP`."""
        cutoff = (now or utcnow()) - KEEP
        with self.db.write() as conn:
            return int(
                conn.execute(delete(s.heartbeats).where(s.heartbeats.c.last_seen < cutoff)).rowcount or 0
            )


class Pulse:
    """One process's heartbeats, written at most every :data:`EVERY` per name."""

    def __init__(self, repo: Heartbeats, every: timedelta = EVERY) -> None:
        self.repo = repo
        self.every = every
        self._last: dict[str, datetime] = {}

    def beat(
        self, name: str, kind: str, detail: dict[str, Any] | None = None, now: datetime | None = None
    ) -> bool:
        """Write the heartbeat unless one was written less than ``every`` ago (a ``detail`` always is)."""
        now = now or utcnow()
        last = self._last.get(name)
        if detail is None and last is not None and now - last < self.every:
            return False
        self.repo.record(name, kind, detail, now=now)
        self._last[name] = now
        return True


__all__ = ["ALIVE_WITHIN", "DISPATCHER", "EVERY", "KEEP", "WORKER", "Heartbeat", "Heartbeats", "Pulse"]
