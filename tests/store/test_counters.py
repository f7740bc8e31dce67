from __future__ import annotations

import threading
from datetime import date

from publisher.store import Store
from publisher.store.counters import DbQuotaCounter


def test_quota_counter_is_atomic_across_threads(store: Store) -> None:
    counter = DbQuotaCounter(store.db)
    day = date(2026, 4, 30)

    def spend() -> None:
        for _ in range(20):
            counter.add("proj", day, 50)

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert counter.used("proj", day) == 4 * 20 * 50
    assert counter.used("proj", date(2026, 5, 1)) == 0
    assert counter.add("proj", day, -50) == 3950
