"""users: name keys fold the tone placement of "oa", "oe", "uy" ("Hòa" and "Hoà" are one person)

A data migration, no schema change. ``users.name_key`` is recomputed with the current
:func:`publisher.core.people.name_key`, so that a user added before the folding is still found
under either spelling. Two users whose names now fold to one key are one person: the row that
already holds the key (else the oldest) stays, with the strongest role of the two (admin, approver,
officer); the other is disabled, never deleted (the audit trail keeps naming it), and the merge is
written to the audit trail.

Revision ID: 0006_fix_approval
Revises: 0005
Create Date: 2026-11-30 05:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import publisher.store.schema
from publisher.core.people import name_key

revision = "0006_fix_approval"
down_revision = "0005"
branch_labels = None
depends_on = None

RANK = {"officer": 0, "approver": 1, "admin": 2}

users = sa.table(
    "users",
    sa.column("id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("name_key", sa.String()),
    sa.column("role", sa.String()),
    sa.column("disabled_at", publisher.store.schema.UTCDateTime()),
)
audit = sa.table(
    "audit",
    sa.column("at", publisher.store.schema.UTCDateTime()),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("detail", publisher.store.schema.JSONText()),
)


def upgrade() -> None:
    bind = op.get_bind()
    rows = list(bind.execute(sa.select(users).order_by(users.c.id)))
    groups: dict[str, list[sa.Row]] = {}
    for row in rows:
        groups.setdefault(name_key(row.name), []).append(row)
    now = datetime.now(UTC)
    for key, group in groups.items():
        if len(group) == 1 and group[0].name_key == key:
            continue
        # the holder of the key never moves, so no update below collides with another row's key
        keeper = next((r for r in group if r.name_key == key), group[0])
        enabled = [r for r in group if r.disabled_at is None]
        role = max((r.role for r in enabled or group), key=lambda r: RANK.get(r, 0))
        values = {"name_key": key, "role": role}
        if any(r.disabled_at is None for r in group):
            values["disabled_at"] = None
        bind.execute(users.update().where(users.c.id == keeper.id).values(**values))
        for other in group:
            if other.id == keeper.id:
                continue
            if other.disabled_at is None:
                bind.execute(users.update().where(users.c.id == other.id).values(disabled_at=now))
            bind.execute(
                audit.insert().values(
                    at=now,
                    actor="system",
                    action="user_merged",
                    detail={"user": other.name, "into": keeper.name, "role": role, "why": "tone placement"},
                )
            )


def downgrade() -> None:
    pass  # the folded keys still name every user; nothing to undo
