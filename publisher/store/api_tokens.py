"""Personal API tokens (table ``api_tokens``): made, listed and revoked by their own user.

A row keeps the SHA-256 of the token, never the token: a copy of the database lets nobody call the
API. :meth:`ApiTokens.lookup` answers a token only while it is not revoked and its user is
enabled; the caller hashes what the client sent (:mod:`publisher.web.api.auth`). Making and
revoking a token are written to the audit trail (its name, never the token).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, func, insert, select, update

from publisher.core.people import Role, User
from publisher.store import schema as s
from publisher.store.audit import record, utcnow
from publisher.store.db import Database

#: at most this many live tokens per user
MAX_TOKENS = 20
#: ``last_used_at`` is written at most once in this time per token (not a write per request)
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class TokenRow:
    """A token as its owner's page lists it (never the token or its hash)."""

    id: int
    user_id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _token(row: Row[Any]) -> TokenRow:
    return TokenRow(int(row.id), int(row.user_id), row.name, row.created_at, row.last_used_at, row.revoked_at)


def _user(row: Row[Any]) -> User:
    return User(
        id=int(row.user_id),
        name=row.user_name,
        key=row.name_key,
        role=Role(row.role),
        unit=row.unit,
        created_at=row.user_created_at,
        created_by=row.created_by,
        disabled_at=row.disabled_at,
    )


class ApiTokens:
    """Repository of ``api_tokens``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, user: User, name: str, token_hash: str, now: datetime | None = None) -> TokenRow:
        """Store a new token of ``user`` under ``name`` (the hash of the token only)."""
        now = now or utcnow()
        with self.db.write() as conn:
            res = conn.execute(
                insert(s.api_tokens).values(user_id=user.id, name=name, token_hash=token_hash, created_at=now)
            )
            token_id = int(res.inserted_primary_key[0])  # type: ignore[index]
            record(conn, user.name, "api_token_created", token=name, token_id=token_id)
        return TokenRow(token_id, user.id, name, now, None, None)

    def live_count(self, user_id: int) -> int:
        q = (
            select(func.count())
            .select_from(s.api_tokens)
            .where(s.api_tokens.c.user_id == user_id, s.api_tokens.c.revoked_at.is_(None))
        )
        with self.db.read() as conn:
            return int(conn.execute(q).scalar_one())

    def of_user(self, user_id: int, include_revoked: bool = False) -> list[TokenRow]:
        """The user's tokens, newest first."""
        T = s.api_tokens
        q = select(T).where(T.c.user_id == user_id).order_by(T.c.created_at.desc(), T.c.id.desc())
        if not include_revoked:
            q = q.where(T.c.revoked_at.is_(None))
        with self.db.read() as conn:
            return [_token(r) for r in conn.execute(q)]

    def revoke(self, user: User, token_id: int, now: datetime | None = None) -> TokenRow | None:
        """Revoke the token ``token_id`` of ``user`` (another user's token is not touched);
        the token as it was, or None when the user has no such live token."""
        T = s.api_tokens
        with self.db.write() as conn:
            row = conn.execute(
                select(T).where(T.c.id == token_id, T.c.user_id == user.id, T.c.revoked_at.is_(None))
            ).first()
            if row is None:
                return None
            conn.execute(update(T).where(T.c.id == row.id).values(revoked_at=now or utcnow()))
            record(conn, user.name, "api_token_revoked", token=row.name, token_id=int(row.id))
        return _token(row)

    def lookup(self, token_hash: str) -> tuple[TokenRow, User, bool] | None:
        """The live token with this hash, its user and whether that user must first replace a
        one-time password; None when unknown, revoked, or the user is disabled."""
        T, U = s.api_tokens, s.users
        q = (
            select(
                T,
                U.c.name.label("user_name"),
                U.c.name_key,
                U.c.role,
                U.c.unit,
                U.c.created_at.label("user_created_at"),
                U.c.created_by,
                U.c.disabled_at,
                U.c.must_change_password,
            )
            .join(U, U.c.id == T.c.user_id)
            .where(T.c.token_hash == token_hash)
        )
        with self.db.read() as conn:
            row = conn.execute(q).first()
        if row is None or row.revoked_at is not None or row.disabled_at is not None:
            return None
        return _token(row), _user(row), bool(row.must_change_password)

    def touch(self, token: TokenRow, now: datetime | None = None) -> None:
        """Record a use of ``token`` (at most one write per :data:`TOUCH_EVERY`)."""
        now = now or utcnow()
        if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
            return
        with self.db.write() as conn:
            conn.execute(update(s.api_tokens).where(s.api_tokens.c.id == token.id).values(last_used_at=now))


__all__ = ["MAX_TOKENS", "TOUCH_EVERY", "ApiTokens", "TokenRow"]
