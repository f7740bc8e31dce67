"""Several claimers at once, in separate processes, against the same due set: each delivery once."""

from __future__ import annotations

import multiprocessing as mp
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from publisher.core.models import Platform, Target
from publisher.core.states import State
from publisher.store import Store
from publisher.store import schema as s
from publisher.store.claims import claim_due
from publisher.store.db import Database

N = 600


def _claimer(url: str, name: str, start: Any, out: Any) -> None:
    db = Database(url)
    start.wait()  # a barrier: every claimer is imported and connected before any claims
    got: list[int] = []
    now = datetime.now(UTC)
    while True:
        ids = claim_due(db, now, name, 300, limit=7)
        if not ids:
            break
        got += ids
        time.sleep(0.002)  # a little work per claim, as a worker does, so that claimers interleave
    out.put((name, got))
    db.dispose()


def _seed(store: Store) -> None:
    acct = store.add_account(Target(Platform.SANDBOX, "demo"), "t")
    now = datetime.now(UTC)
    with store.db.write() as conn:
        conn.execute(
            insert(s.posts).values(
                key="p",
                title="t",
                text="x",
                images=[],
                options={},
                timezone="Asia/Ho_Chi_Minh",
                due_at=now,
                grace_seconds=3600,
                draft=False,
                content_hash="h",
                queued_by="a",
                queued_at=now,
                updated_at=now,
            )
        )
        post_id = conn.execute(s.posts.select()).first().id  # type: ignore[union-attr]
    # one post per account is unique, so spread the due set over many posts
    with store.db.write() as conn:
        conn.execute(
            insert(s.posts),
            [
                dict(
                    key=f"p{i}",
                    title="t",
                    text="x",
                    images=[],
                    options={},
                    timezone="Asia/Ho_Chi_Minh",
                    due_at=now,
                    grace_seconds=3600,
                    draft=False,
                    content_hash="h",
                    queued_by="a",
                    queued_at=now,
                    updated_at=now,
                )
                for i in range(N)
            ],
        )
        ids = [r.id for r in conn.execute(s.posts.select().where(s.posts.c.id != post_id))]
        conn.execute(
            insert(s.deliveries),
            [
                dict(
                    post_id=pid,
                    account_id=acct,
                    state=State.SCHEDULED.value,
                    due_at=now - timedelta(seconds=1),
                    deadline=now + timedelta(hours=1),
                    attempts=0,
                    created_at=now,
                    updated_at=now,
                )
                for pid in ids
            ],
        )


def test_concurrent_claimers_claim_each_delivery_exactly_once(store: Store) -> None:
    _seed(store)
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(6)
    out = ctx.Queue()
    procs = [ctx.Process(target=_claimer, args=(store.db.url, f"w{i}", start, out)) for i in range(6)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    claimed = [i for _, ids in results for i in ids]
    assert len(claimed) == N
    assert len(set(claimed)) == N
    assert sum(1 for _, ids in results if ids) >= 2  # they really competed
    assert store.counts() == {"claimed": N}
