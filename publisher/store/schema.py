"""Tables. Every time is stored in UTC (naive in the database, aware in Python).

The shared ``metadata`` and column types live in :mod:`publisher.store.metadata`; the tables of the
engagement log and alerts in :mod:`publisher.store.schema_engagement`, re-exported here so that
importing this module registers every table on ``metadata``.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from publisher.core.people import DEFAULT_UNIT
from publisher.core.states import State
from publisher.store.metadata import JSONText, UTCDateTime, metadata
from publisher.store.schema_engagement import alerts, followers, snapshots

__all__ = ["JSONText", "UTCDateTime", "alerts", "followers", "metadata", "snapshots"]

_states = ", ".join(f"'{s.value}'" for s in State)

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSONText, nullable=True),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("name", String(64), nullable=False),
    Column("display_name", String(200), nullable=True),
    Column("remote_id", String(200), nullable=True),
    Column("status", String(16), nullable=False, default="active"),
    Column("credentials", Text, nullable=True),  # Fernet token, never clear text
    Column("token_expires_at", UTCDateTime, nullable=True),
    Column("refresh_expires_at", UTCDateTime, nullable=True),
    Column("last_refreshed_at", UTCDateTime, nullable=True),
    Column("status_reason", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # a token refresh in flight: taken by a committed conditional UPDATE, the HTTP call is made
    # outside any transaction, the new token committed and the lease cleared afterwards
    Column("refresh_lease_until", UTCDateTime, nullable=True),
    Column("refresh_lease_owner", String(200), nullable=True),
    # the unit (a commune) the account belongs to: a user sees and acts on their unit only
    Column("unit", String(100), nullable=False, server_default=DEFAULT_UNIT),
    UniqueConstraint("platform", "name", name="uq_accounts_platform_name"),
    CheckConstraint("status IN ('active', 'needs_reauth', 'disabled')", name="status"),
)

posts = Table(
    "posts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(100), nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("link", Text, nullable=True),
    Column("images", JSONText, nullable=False),
    Column("video", Text, nullable=True),
    Column("banner", Text, nullable=True),
    Column("campaign", String(200), nullable=True),
    Column("author", String(200), nullable=True),
    Column("options", JSONText, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("grace_seconds", Integer, nullable=False),
    Column("draft", Boolean, nullable=False, default=False),
    Column("content_hash", String(64), nullable=False),
    Column("source_file", Text, nullable=True),
    Column("source_line", Integer, nullable=True),
    Column("queued_by", String(100), nullable=False),
    Column("queued_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("approved_by", String(100), nullable=True),
    Column("approved_at", UTCDateTime, nullable=True),
    Column("approved_hash", String(64), nullable=True),
    Column("unit", String(100), nullable=False, server_default=DEFAULT_UNIT),
    Index("ix_posts_unit", "unit"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("post_id", Integer, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("state", String(24), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("deadline", UTCDateTime, nullable=False),  # due_at + grace: later than this is "missed"
    Column("next_attempt_at", UTCDateTime, nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("claimed_by", String(200), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("remote_id", String(200), nullable=True),
    Column("remote_url", Text, nullable=True),
    Column("resume_state", JSONText, nullable=True),
    Column("last_code", String(64), nullable=True),
    Column("last_reason", Text, nullable=True),
    Column("state_before_pause", String(24), nullable=True),
    Column("progress", Integer, nullable=True),
    # media prepared for this platform: {"images": [...], "video": ..., "thumbnail": ..., "hash": ...}
    Column("media", JSONText, nullable=True),
    Column("media_state", String(16), nullable=True),  # queued | ready | failed
    Column("media_queued_at", UTCDateTime, nullable=True),
    Column("published_at", UTCDateTime, nullable=True),
    # an officer asked to cancel while the outcome was unknown (unconfirmed): honoured by reconcile
    Column("cancel_requested_at", UTCDateTime, nullable=True),
    Column("cancel_requested_by", String(100), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("post_id", "account_id", name="uq_deliveries_post_account"),
    CheckConstraint(f"state IN ({_states})", name="state"),
    CheckConstraint(f"state_before_pause IS NULL OR state_before_pause IN ({_states})", name="paused_from"),
    Index("ix_deliveries_state_due", "state", "due_at"),
    Index("ix_deliveries_state_next", "state", "next_attempt_at"),
    Index("ix_deliveries_state_lease", "state", "lease_until"),
    Index("ix_deliveries_account", "account_id"),
)

attempts = Table(
    "attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("delivery_id", Integer, ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # publish | poll | reconcile
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("outcome", String(24), nullable=True),
    Column("code", String(64), nullable=True),
    Column("reason", Text, nullable=True),
    Column("content_hash", String(64), nullable=False),
    Column("request", JSONText, nullable=True),
    Column("remote_id", String(200), nullable=True),
    Column("worker", String(200), nullable=True),
    Index("ix_attempts_delivery", "delivery_id"),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(32), nullable=False),
    Column("post_id", Integer, ForeignKey("posts.id", ondelete="CASCADE"), nullable=True),
    Column("delivery_id", Integer, ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=True),
    Column("detail", JSONText, nullable=True),
    Index("ix_audit_post", "post_id"),
    Index("ix_audit_delivery", "delivery_id"),
)

# The people of the office. ``name_key`` is the name after NFC, casefold and whitespace folding:
# two spellings of one person are one user (the four-eyes rule compares keys, never raw text).
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("name_key", String(100), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("unit", String(100), nullable=True),
    Column("password_hash", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(100), nullable=True),
    Column("disabled_at", UTCDateTime, nullable=True),
    # a one-time password (from ``init`` or a reset) must be replaced at the first sign-in
    Column("must_change_password", Boolean, nullable=False, server_default=false()),
    Column("password_changed_at", UTCDateTime, nullable=True),
    CheckConstraint("role IN ('officer', 'approver', 'admin')", name="role"),
)

# Sessions of the web app, kept server-side (revocable). ``id`` is the SHA-256 of the cookie's
# token: the token itself is never stored. ``csrf`` is the form token bound to the session.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("remote_addr", String(64), nullable=True),
    Index("ix_web_sessions_user", "user_id"),
)

# Failed sign-ins per name (name key) and per address, for the lock after repeated failures.
login_failures = Table(
    "login_failures",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("first_at", UTCDateTime, nullable=False),
    Column("locked_until", UTCDateTime, nullable=True),
)

rate_buckets = Table(
    "rate_buckets",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("updated", Float, nullable=False),
)

counters = Table(
    "counters",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Integer, nullable=False),
)


# Personal API tokens (``Authorization: Bearer <token>``), made on the user's own page. As with a
# session, only the SHA-256 of the token is kept; a token acts as its user (role and unit) until it
# is revoked or the user is disabled.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Index("ix_api_tokens_user", "user_id"),
)

# "Alive" marks of the long-running processes: one row per worker process ("worker:<node>:<pid>")
# and one for the dispatcher, written at most every ~30 s; ``publisher status``, the dashboard and
# ``/metrics`` read them. ``detail`` holds e.g. the worker's queues or the last clock check.
heartbeats = Table(
    "heartbeats",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("kind", String(16), nullable=False),  # worker | dispatcher
    Column("last_seen", UTCDateTime, nullable=False),
    Column("detail", JSONText, nullable=True),
)
