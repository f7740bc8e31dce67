"""users from the audit trail: the names that queued, approved or acted become users of the office

A data migration, no schema change. Before named users, ``--by`` was free text: every person named
in ``posts.queued_by``, ``posts.approved_by`` or ``audit.actor`` becomes a user, so that the office
keeps working after the upgrade. Spellings of one name (NFD, case, extra spaces) become one user,
shown as the spelling used most often. Each name goes through the same check as
``publisher users add``: control and invisible characters (a zero-width space) are dropped first,
so that "Trần\u200b B" is "Trần B", not a second person who might approve alone; a name still
invalid after that (empty, too long, reserved) names nobody and is left out. The role is ``approver`` for whoever ever approved, else
``officer``; nobody becomes ``admin`` (the first ``publisher users add NAME --role admin`` does, no
``--by`` needed while there is none). Names the software itself writes (``system``, ``worker``,
``dispatch:…``, the demo's ``demo``/``publisher``) are left out.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 09:00:00
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import publisher.store.schema
from publisher.core.people import name_key, strip_invisible, validate_name
from publisher.errors import UserError

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

CREATED_BY = "migration 0005"

users = sa.table(
    "users",
    sa.column("id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("name_key", sa.String()),
    sa.column("role", sa.String()),
    sa.column("created_at", publisher.store.schema.UTCDateTime()),
    sa.column("created_by", sa.String()),
)
posts = sa.table("posts", sa.column("queued_by", sa.String()), sa.column("approved_by", sa.String()))
audit = sa.table("audit", sa.column("actor", sa.String()), sa.column("action", sa.String()))


def upgrade() -> None:
    bind = op.get_bind()
    spellings: dict[str, Counter[str]] = {}
    approvers: set[str] = set()

    def seen(name: str | None, approved: bool = False, times: int = 1) -> None:
        if not name:
            return
        try:
            shown = validate_name(strip_invisible(name))  # as `users add` would take it (or refuse it)
        except UserError:
            return  # empty, too long, or a name the software itself writes: nobody
        key = name_key(shown)
        spellings.setdefault(key, Counter())[shown] += times
        if approved:
            approvers.add(key)

    for queued_by, approved_by in bind.execute(sa.select(posts.c.queued_by, posts.c.approved_by)):
        seen(queued_by)
        seen(approved_by, approved=True)
    counted = sa.select(audit.c.actor, audit.c.action, sa.func.count()).group_by(
        audit.c.actor, audit.c.action
    )
    for actor, action, n in bind.execute(counted):
        seen(actor, approved=action == "approved", times=int(n))
    existing = {row[0] for row in bind.execute(sa.select(users.c.name_key))}
    now = datetime.now(UTC)
    rows = [
        {
            "name": counts.most_common(1)[0][0],
            "name_key": key,
            "role": "approver" if key in approvers else "officer",
            "created_at": now,
            "created_by": CREATED_BY,
        }
        for key, counts in sorted(spellings.items())
        if key not in existing
    ]
    if rows:
        bind.execute(users.insert(), rows)


def downgrade() -> None:
    op.get_bind().execute(users.delete().where(users.c.created_by == CREATED_BY))
