"""users of the office, cancel requests on deliveries, token refresh leases on accounts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 03:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import publisher.store.schema

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("unit", sa.String(length=100), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("created_at", publisher.store.schema.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("disabled_at", publisher.store.schema.UTCDateTime(), nullable=True),
        sa.CheckConstraint("role IN ('officer', 'approver', 'admin')", name=op.f("ck_users_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name_key", name=op.f("uq_users_name_key")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cancel_requested_at", publisher.store.schema.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("cancel_requested_by", sa.String(length=100), nullable=True))
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("refresh_lease_until", publisher.store.schema.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("refresh_lease_owner", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("refresh_lease_owner")
        batch_op.drop_column("refresh_lease_until")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("cancel_requested_by")
        batch_op.drop_column("cancel_requested_at")
    op.drop_table("users")
