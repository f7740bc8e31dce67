"""Tables of the engagement log (snapshots, followers) and of alerts.

Declared on the shared ``metadata`` (:mod:`publisher.store.metadata`) and re-exported by
:mod:`publisher.store.schema`.

- ``snapshots``: one row per look at a published delivery's figures. Rows are only ever inserted:
  a renamed or retired platform metric never erases history, because ``raw`` keeps the metric
  names and values exactly as the platform returned them. ``slot`` says which look it was
  (``1h``, ``24h``, ``7d`` after publishing, or ``weekly:2025-W18``); one row per delivery and slot.
- ``followers``: followers of an account, one row per account and (local) day, first count kept.
- ``alerts``: one row per incident (``incident_key`` is UNIQUE), so that the officer is told once,
  even when workers restart; ``channel`` lists the channels that have carried it.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from publisher.store.metadata import JSONText, UTCDateTime, metadata

snapshots = Table(
    "snapshots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("delivery_id", Integer, ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False),
    Column("taken_at", UTCDateTime, nullable=False),
    Column("kind", String(16), nullable=False),  # 1h | 24h | 7d | weekly
    Column("slot", String(32), nullable=False),  # kind, or weekly:<ISO week>
    Column("remote_id", String(200), nullable=False),
    Column("views", Integer, nullable=True),
    Column("reactions", Integer, nullable=True),
    Column("comments", Integer, nullable=True),
    Column("shares", Integer, nullable=True),
    Column("raw", JSONText, nullable=True),  # metric names and values as the platform returned them
    UniqueConstraint("delivery_id", "slot", name="uq_snapshots_delivery_slot"),
    Index("ix_snapshots_taken", "taken_at"),
)

followers = Table(
    "followers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("day", Date, nullable=False),  # local day (settings.timezone)
    Column("followers_count", Integer, nullable=False),
    Column("taken_at", UTCDateTime, nullable=False),
    UniqueConstraint("account_id", "day", name="uq_followers_account_day"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_key", String(200), nullable=False, unique=True),
    Column(
        "kind", String(32), nullable=False
    ),  # failed | missed | needs_reauth | token_expiry | refresh_expiry
    Column("delivery_id", Integer, ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=True),
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("claimed_at", UTCDateTime, nullable=True),  # a sender is on it (lease)
    Column("sent_at", UTCDateTime, nullable=True),  # every configured channel carried it
    Column("channel", String(64), nullable=True),  # channels that carried it: "email,webhook"
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
)
