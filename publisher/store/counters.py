"""Counters shared by every worker process and machine, kept in the database (atomic upserts)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from publisher.store import schema as s
from publisher.store.db import Database


class DbCounter:
    """``add(key, n)`` atomically; used for the YouTube daily quota (one row per project and day)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add_key(self, key: str, units: int) -> int:
        dialect = sqlite if self.db.is_sqlite else postgresql
        stmt = dialect.insert(s.counters).values(key=key, value=units)
        stmt = stmt.on_conflict_do_update(
            index_elements=[s.counters.c.key], set_={"value": s.counters.c.value + units}
        ).returning(s.counters.c.value)
        with self.db.write() as conn:
            return int(conn.execute(stmt).scalar_one())

    def get_key(self, key: str) -> int:
        with self.db.read() as conn:
            return int(conn.execute(select(s.counters.c.value).where(s.counters.c.key == key)).scalar() or 0)


class DbQuotaCounter(DbCounter):
    """The YouTube adapter's ``QuotaCounter`` protocol, shared through the database."""

    @staticmethod
    def _key(project: str, day: date) -> str:
        return f"youtube-quota:{project}:{day.isoformat()}"

    def add(self, project: str, day: date, units: int) -> int:
        return self.add_key(self._key(project, day), units)

    def used(self, project: str, day: date) -> int:
        return self.get_key(self._key(project, day))
