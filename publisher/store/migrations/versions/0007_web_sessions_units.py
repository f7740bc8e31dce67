"""web app: sessions, sign-in throttling, one-time passwords; units on accounts and posts

Every existing account and post belongs to the default unit (a single-commune install never has
to think about units).

Revision ID: 0007_web
Revises: 0006_fix_approval
Create Date: 2026-11-29 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import publisher.store.schema

revision = "0007_web"
down_revision = "0006_fix_approval"
branch_labels = None
depends_on = None

DEFAULT_UNIT = "default"  # publisher.core.people.DEFAULT_UNIT when this revision was written


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unit", sa.String(length=100), server_default=DEFAULT_UNIT, nullable=False)
        )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unit", sa.String(length=100), server_default=DEFAULT_UNIT, nullable=False)
        )
        batch_op.create_index("ix_posts_unit", ["unit"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("password_changed_at", publisher.store.schema.UTCDateTime(), nullable=True)
        )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", publisher.store.schema.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", publisher.store.schema.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", publisher.store.schema.UTCDateTime(), nullable=True),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_web_sessions_user", ["user_id"], unique=False)
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_at", publisher.store.schema.UTCDateTime(), nullable=False),
        sa.Column("locked_until", publisher.store.schema.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_failures")),
    )


def downgrade() -> None:
    op.drop_table("login_failures")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_web_sessions_user")
    op.drop_table("web_sessions")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("must_change_password")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index("ix_posts_unit")
        batch_op.drop_column("unit")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("unit")
