"""Storage: SQLAlchemy 2 Core over SQLite (embedded default) or PostgreSQL, with Alembic migrations."""

from publisher.store.db import Database
from publisher.store.repo import Store

__all__ = ["Database", "Store"]
