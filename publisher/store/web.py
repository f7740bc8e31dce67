"""Sessions of the web app and failed sign-ins (tables ``web_sessions`` and ``login_failures``).

A session row is keyed by the SHA-256 of the cookie's token: a copy of the database never lets
anyone sign in. Passwords are hashed elsewhere (:mod:`publisher.actions.signin`); this module
stores the hash it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update

from publisher.store import schema as s
from publisher.store.audit import record, utcnow
from publisher.store.db import Database


@dataclass(frozen=True)
class SessionRow:
    id: str
    user_id: int
    csrf: str
    created_at: datetime
    last_seen_at: datetime
    revoked_at: datetime | None


class WebRepo:
    """Repository of web sessions, sign-in failures and password hashes."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- passwords --------------------------------------------------------------------------
    def password_hash(self, user_id: int) -> str | None:
        with self.db.read() as conn:
            return conn.execute(select(s.users.c.password_hash).where(s.users.c.id == user_id)).scalar()

    def must_change_password(self, user_id: int) -> bool:
        with self.db.read() as conn:
            value = conn.execute(
                select(s.users.c.must_change_password).where(s.users.c.id == user_id)
            ).scalar()
        return bool(value)

    def set_password_hash(
        self, user_id: int, hashed: str, one_time: bool, by: str, user_name: str, now: datetime | None = None
    ) -> None:
        """Store a new hash; every other session of the user ends (a reset locks out a thief)."""
        now = now or utcnow()
        with self.db.write() as conn:
            conn.execute(
                update(s.users)
                .where(s.users.c.id == user_id)
                .values(password_hash=hashed, must_change_password=one_time, password_changed_at=now)
            )
            conn.execute(
                update(s.web_sessions)
                .where(s.web_sessions.c.user_id == user_id, s.web_sessions.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            record(conn, by, "password_set", user=user_name, one_time=one_time)

    # -- sessions ---------------------------------------------------------------------------
    def open_session(
        self, session_id: str, user_id: int, csrf: str, remote_addr: str | None, now: datetime | None = None
    ) -> None:
        now = now or utcnow()
        with self.db.write() as conn:
            conn.execute(
                insert(s.web_sessions).values(
                    id=session_id,
                    user_id=user_id,
                    csrf=csrf,
                    created_at=now,
                    last_seen_at=now,
                    remote_addr=(remote_addr or "")[:64] or None,
                )
            )

    def session(self, session_id: str) -> SessionRow | None:
        with self.db.read() as conn:
            row = conn.execute(select(s.web_sessions).where(s.web_sessions.c.id == session_id)).first()
        if row is None:
            return None
        return SessionRow(
            row.id, int(row.user_id), row.csrf, row.created_at, row.last_seen_at, row.revoked_at
        )

    def touch(self, session_id: str, now: datetime | None = None) -> None:
        with self.db.write() as conn:
            conn.execute(
                update(s.web_sessions)
                .where(s.web_sessions.c.id == session_id)
                .values(last_seen_at=now or utcnow())
            )

    def revoke(self, session_id: str, now: datetime | None = None) -> None:
        with self.db.write() as conn:
            conn.execute(
                update(s.web_sessions)
                .where(s.web_sessions.c.id == session_id, s.web_sessions.c.revoked_at.is_(None))
                .values(revoked_at=now or utcnow())
            )

    def revoke_user(self, user_id: int, now: datetime | None = None) -> int:
        with self.db.write() as conn:
            res = conn.execute(
                update(s.web_sessions)
                .where(s.web_sessions.c.user_id == user_id, s.web_sessions.c.revoked_at.is_(None))
                .values(revoked_at=now or utcnow())
            )
            return int(res.rowcount or 0)

    def forget_sessions_before(self, when: datetime) -> int:
        """Delete sessions last seen before ``when`` (kept a while for the audit of who was in)."""
        with self.db.write() as conn:
            res = conn.execute(delete(s.web_sessions).where(s.web_sessions.c.last_seen_at < when))
            return int(res.rowcount or 0)

    def note(self, actor: str, action: str, **detail: Any) -> None:
        """One line of the audit trail (sign-in, sign-out, lock)."""
        with self.db.write() as conn:
            record(conn, actor, action, **detail)

    # -- sign-in failures -------------------------------------------------------------------
    def locked_until(self, keys: list[str], now: datetime) -> datetime | None:
        with self.db.read() as conn:
            rows = conn.execute(select(s.login_failures).where(s.login_failures.c.key.in_(keys))).all()
        ends = [r.locked_until for r in rows if r.locked_until is not None and r.locked_until > now]
        return max(ends) if ends else None

    def record_failure(
        self, keys: list[str], now: datetime, max_failures: int, lock: timedelta, window: timedelta
    ) -> datetime | None:
        """Count one failure under each key; returns the end of a lock this failure started."""
        started: datetime | None = None
        with self.db.write() as conn:
            for key in keys:
                row: Any = conn.execute(select(s.login_failures).where(s.login_failures.c.key == key)).first()
                if row is None or row.first_at < now - window:
                    conn.execute(delete(s.login_failures).where(s.login_failures.c.key == key))
                    conn.execute(insert(s.login_failures).values(key=key, failures=1, first_at=now))
                    failures = 1
                else:
                    failures = int(row.failures) + 1
                    conn.execute(
                        update(s.login_failures)
                        .where(s.login_failures.c.key == key)
                        .values(failures=failures)
                    )
                if failures >= max_failures:
                    until = now + lock
                    conn.execute(
                        update(s.login_failures)
                        .where(s.login_failures.c.key == key)
                        .values(locked_until=until, failures=0, first_at=now)
                    )
                    started = until
        return started

    def clear_failures(self, keys: list[str]) -> None:
        with self.db.write() as conn:
            conn.execute(delete(s.login_failures).where(s.login_failures.c.key.in_(keys)))


__all__ = ["SessionRow", "WebRepo"]
