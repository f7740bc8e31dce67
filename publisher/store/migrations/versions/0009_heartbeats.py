"""heartbeats of workers and the dispatcher

Revision ID: 0009_heartbeats
Revises: 0008_api_tokens
Create Date: 2026-12-09 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import publisher.store.schema

revision = "0009_heartbeats"
down_revision = "0008_api_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "heartbeats",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("last_seen", publisher.store.schema.UTCDateTime(), nullable=False),
        sa.Column("detail", publisher.store.schema.JSONText(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("heartbeats")
