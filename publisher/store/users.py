"""The users of the office and the office policies (``meta`` rows ``policy.<name>``).

A user is never deleted: ``disable`` keeps the row, so that every name in the audit trail still
names somebody. Every change is written to the audit trail in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from publisher.core.people import Policy, PolicyValue, Role, User, name_key
from publisher.store import schema as s
from publisher.store.audit import record, utcnow
from publisher.store.db import Database
from publisher.store.office import POLICY_PREFIX


def _user(row: Row[Any]) -> User:
    return User(
        id=int(row.id),
        name=row.name,
        key=row.name_key,
        role=Role(row.role),
        unit=row.unit,
        created_at=row.created_at,
        created_by=row.created_by,
        disabled_at=row.disabled_at,
    )


@dataclass(frozen=True)
class SignInFacts:
    """What the users page shows of a user's sign-in (never the hash itself)."""

    has_password: bool
    must_change_password: bool
    last_sign_in: datetime | None


class Users:
    """Repository of ``users`` and of the office policies."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- reading ----------------------------------------------------------------------------
    def get(self, name: str) -> User | None:
        """The user named ``name`` (any spelling of it), enabled or not."""
        key = name_key(name)
        if not key:
            return None
        with self.db.read() as conn:
            row = conn.execute(select(s.users).where(s.users.c.name_key == key)).first()
        return _user(row) if row is not None else None

    def all(self, include_disabled: bool = False) -> list[User]:
        q = select(s.users).order_by(s.users.c.name_key)
        if not include_disabled:
            q = q.where(s.users.c.disabled_at.is_(None))
        with self.db.read() as conn:
            return [_user(r) for r in conn.execute(q)]

    def sign_in_facts(self) -> dict[int, SignInFacts]:
        """Per user id: whether a password is set, whether it is a one-time one, the last sign-in."""
        last = (
            select(s.audit.c.actor, func.max(s.audit.c.at).label("at"))
            .where(s.audit.c.action == "signin")
            .group_by(s.audit.c.actor)
            .subquery()
        )
        q = select(
            s.users.c.id,
            s.users.c.password_hash.is_not(None).label("has_password"),
            s.users.c.must_change_password,
            last.c.at,
        ).outerjoin(last, last.c.actor == s.users.c.name)
        with self.db.read() as conn:
            return {
                int(r.id): SignInFacts(bool(r.has_password), bool(r.must_change_password), r.at)
                for r in conn.execute(q)
            }

    def with_password(self, role: Role | None = None) -> list[User]:
        """Enabled users (of one role) who have a password, i.e. who can sign in to the web app."""
        q = (
            select(s.users)
            .where(s.users.c.disabled_at.is_(None), s.users.c.password_hash.is_not(None))
            .order_by(s.users.c.name_key)
        )
        if role is not None:
            q = q.where(s.users.c.role == role.value)
        with self.db.read() as conn:
            return [_user(r) for r in conn.execute(q)]

    def count(self, role: Role | None = None) -> int:
        """Enabled users (of one role)."""
        q = select(func.count()).select_from(s.users).where(s.users.c.disabled_at.is_(None))
        if role is not None:
            q = q.where(s.users.c.role == role.value)
        with self.db.read() as conn:
            return int(conn.execute(q).scalar_one())

    # -- writing ----------------------------------------------------------------------------
    def add(
        self, name: str, role: Role, unit: str | None, by: str, now: datetime | None = None
    ) -> tuple[User, str]:
        """Create the user, or update the role/unit of an existing one (re-enabling a disabled one).

        Returns the user and what happened: ``created``, ``updated``, ``enabled`` or ``unchanged``.
        """
        now = now or utcnow()
        key = name_key(name)
        with self.db.write() as conn:
            row = conn.execute(select(s.users).where(s.users.c.name_key == key)).first()
            if row is None:
                conn.execute(
                    insert(s.users).values(
                        name=name, name_key=key, role=role.value, unit=unit, created_at=now, created_by=by
                    )
                )
                record(conn, by, "user_added", user=name, role=role.value, unit=unit)
                outcome = "created"
            else:
                values: dict[str, Any] = {}
                if row.role != role.value:
                    values["role"] = role.value
                if unit is not None and unit != row.unit:
                    values["unit"] = unit
                if row.disabled_at is not None:
                    values["disabled_at"] = None
                if not values:
                    return _user(row), "unchanged"
                conn.execute(update(s.users).where(s.users.c.id == row.id).values(**values))
                outcome = "enabled" if row.disabled_at is not None else "updated"
                record(
                    conn,
                    by,
                    f"user_{outcome}",
                    user=row.name,
                    role=role.value,
                    old_role=row.role,
                    unit=values.get("unit", row.unit),
                )
            new = conn.execute(select(s.users).where(s.users.c.name_key == key)).one()
        return _user(new), outcome

    def disable(self, user: User, by: str, now: datetime | None = None) -> bool:
        """Disable an enabled user; False if it was disabled already."""
        now = now or utcnow()
        with self.db.write() as conn:
            res = conn.execute(
                update(s.users)
                .where(s.users.c.id == user.id, s.users.c.disabled_at.is_(None))
                .values(disabled_at=now)
            )
            if res.rowcount:
                record(conn, by, "user_disabled", user=user.name, role=user.role.value)
            return bool(res.rowcount)

    # -- policies ---------------------------------------------------------------------------
    def policy(self, policy: Policy, conn: Connection | None = None) -> PolicyValue:
        """The stored value of an office policy, or its default when it was never set."""

        def get(c: Connection) -> Any:
            return c.execute(
                select(s.meta.c.value).where(s.meta.c.key == POLICY_PREFIX + policy.name)
            ).scalar()

        if conn is not None:
            stored = get(conn)
        else:
            with self.db.read() as c:
                stored = get(c)
        if not isinstance(stored, dict) or "value" not in stored:
            return PolicyValue(policy, policy.default)
        at = stored.get("at")
        return PolicyValue(
            policy,
            policy.value_of(stored),
            stored.get("by"),
            datetime.fromisoformat(at) if at else None,
            stored.get("source"),
        )

    def set_policy(
        self,
        policy: Policy,
        value: bool,
        by: str,
        source: str | None = None,
        only_if_unset: bool = False,
        now: datetime | None = None,
    ) -> PolicyValue:
        """Store an office policy and audit it; ``only_if_unset`` keeps a value set earlier."""
        now = now or utcnow()
        key = POLICY_PREFIX + policy.name
        with self.db.write() as conn:
            old = self.policy(policy, conn)
            exists = conn.execute(select(s.meta.c.key).where(s.meta.c.key == key)).first() is not None
            if exists and only_if_unset:
                return old
            stored = {"value": value, "by": by, "at": now.isoformat(), "source": source}
            conn.execute(delete(s.meta).where(s.meta.c.key == key))
            conn.execute(insert(s.meta).values(key=key, value=stored))
            detail: dict[str, Any] = {"source": source} if source else {}
            record(conn, by, "policy_set", policy=policy.name, value=value, old_value=old.value, **detail)
        return PolicyValue(policy, value, by, now, source)


__all__ = ["SignInFacts", "Users"]
