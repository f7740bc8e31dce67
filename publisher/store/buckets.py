"""The ``rate_buckets`` rows of the database token buckets (:class:`publisher.ratelimit.DatabaseBuckets`).

One row per bucket key: its tokens and when they were counted (``updated``, seconds since the
epoch). :meth:`BucketRows.change` reads and rewrites one row in one write transaction (SQLite
``BEGIN IMMEDIATE`` / PostgreSQL ``FOR UPDATE``), so two workers never both spend the same token;
the arithmetic stays with the limiter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from publisher.store import schema as s
from publisher.store.db import Database

T = TypeVar("T")

#: a bucket as stored: (tokens, updated); ``None`` when it was never used
Stored = tuple[float, float] | None
#: what a change answers: the new (tokens, updated) to store, and its own answer
Step = Callable[[Stored], tuple[float, float, T]]

#: tries when the first-ever writes of a key race on PostgreSQL (the row exists the second time)
TRIES = 3


class BucketRows:
    def __init__(self, db: Database) -> None:
        self.db = db

    def read(self, key: str) -> Stored:
        B = s.rate_buckets
        with self.db.read() as conn:
            row = conn.execute(select(B.c.tokens, B.c.updated).where(B.c.key == key)).first()
        return None if row is None else (float(row.tokens), float(row.updated))

    def change(self, key: str, step: Step[T], fallback: T) -> T:
        """Apply ``step`` to the bucket ``key`` under a row lock; ``fallback`` if every try raced."""
        B = s.rate_buckets
        for _ in range(TRIES):
            try:
                with self.db.write() as conn:
                    q = select(B.c.tokens, B.c.updated).where(B.c.key == key)
                    if not self.db.is_sqlite:
                        q = q.with_for_update()
                    row = conn.execute(q).first()
                    tokens, updated, answer = step(
                        None if row is None else (float(row.tokens), float(row.updated))
                    )
                    if row is None:
                        conn.execute(insert(B).values(key=key, tokens=tokens, updated=updated))
                    else:
                        conn.execute(update(B).where(B.c.key == key).values(tokens=tokens, updated=updated))
                    return answer
            except IntegrityError:  # two first-ever writes raced on PostgreSQL; the row exists now
                continue
        return fallback
