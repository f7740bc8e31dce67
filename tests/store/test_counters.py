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


def test_worker_runtime_shares_the_youtube_quota_through_the_database(
    tmp_path: object, monkeypatch: object
) -> None:
    import pytest

    from publisher.core.models import Platform, Target
    from publisher.platforms.base import Credentials
    from publisher.settings import get_settings
    from workers import runtime as rt

    mp = pytest.MonkeyPatch()
    try:
        mp.setenv("PUBLISHER_DATA_DIR", str(tmp_path))
        get_settings.cache_clear()
        rt._current = None
        current = rt.runtime()
        current.store.init()
        # the adapters the worker's publisher builds are handed the database's counter
        adapter = current.publisher.adapters(
            current.settings, Target(Platform.YOUTUBE, "kenh"), Credentials(access_token="T")
        )
        counter = adapter.quota.counter  # type: ignore[attr-defined]
        assert isinstance(counter, DbQuotaCounter)
        counter.add("p", date(2026, 1, 1), 1600)
        assert DbQuotaCounter(current.store.db).used("p", date(2026, 1, 1)) == 1600
    finally:
        rt._current = None
        mp.undo()
        get_settings.cache_clear()
