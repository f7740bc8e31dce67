"""Two dispatchers (two beats by mistake) at once never claim the same delivery twice."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

from publisher.actions import dispatch
from publisher.core.models import Platform, PostSpec, Target
from publisher.store import Database, Store

DEMO = Target(Platform.SANDBOX, "demo")


def test_two_dispatchers_never_double_claim(store: Store) -> None:
    store.add_account(DEMO, actor="can-bo")
    due = datetime.now(UTC) - timedelta(seconds=1)
    specs = [
        PostSpec(
            key=f"bai-{i}",
            title="Tin",
            text=f"Tin số {i}",
            due_at=due,
            timezone="Asia/Ho_Chi_Minh",
            targets=(DEMO,),
        )
        for i in range(400)
    ]
    store.queue(specs, actor="can-bo")
    store.approve([sp.key for sp in specs], by="truong-ban")
    sent: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def enqueue(kind: str, delivery_id: int) -> None:
        with lock:
            sent.append(delivery_id)

    def beat(name: str) -> None:
        db = Database(store.settings.db_url)  # its own engine, as another process would have
        start.wait()
        for _ in range(10):
            dispatch.tick(db, store.settings, enqueue, name=name, limit=37)
        db.dispose()

    threads = [threading.Thread(target=beat, args=(f"beat-{i}",)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    counts = Counter(sent)
    assert len(counts) == 400
    assert max(counts.values()) == 1
    assert store.counts() == {"claimed": 400}
