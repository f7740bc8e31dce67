"""The ``threads`` pool: many sends at once in one process, the surge of issue 15.

In-process: no connection held across the platform call, a short rate-limit wait slept in the
worker instead of a release and a re-claim, pools sized to the threads, the tick on its own queue.
With real ``celery worker -P threads`` processes (Redis): the fault matrix's kills, and a
SIGKILL with 30 posts in flight, each ending in exactly one post on the platform.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from publisher.actions.publish import Publisher
from publisher.core.models import Delivery, Platform, PostSpec, Target
from publisher.platforms.base import Result
from publisher.platforms.fake import FakeAdapter
from publisher.platforms.http import pooled_session
from publisher.ratelimit import SHORT_WAIT, DatabaseBuckets, Limiter, Rate
from publisher.store import Store
from publisher.store.claims import claim_due
from publisher.store.db import Database, pool_limits
from tests.conftest import make_settings
from tests.workers.conftest import Cluster
from tests.workers.test_fault_matrix import assert_exactly_once, attempts_of

DEMO = Target(Platform.SANDBOX, "demo")


def queue_many(store: Store, n: int) -> None:
    store.add_account(DEMO, actor="can-bo")
    due = datetime.now(UTC) - timedelta(seconds=1)
    specs = [
        PostSpec(
            key=f"bai-{i:03d}",
            title="Thông báo",
            text=f"Lịch tiêm chủng số {i}",
            due_at=due,
            timezone="Asia/Ho_Chi_Minh",
            targets=(DEMO,),
        )
        for i in range(n)
    ]
    store.queue(specs, actor="can-bo")
    store.approve([s.key for s in specs], by="truong-ban")


def claim_all(store: Store) -> list[int]:
    return claim_due(store.db, datetime.now(UTC), "dispatch:test", store.settings.lease_seconds)


# -- no connection across the platform call ----------------------------------------------------


def test_no_database_connection_is_held_while_the_platform_is_called(store: Store) -> None:
    queue_many(store, 2)
    ids = claim_all(store)
    limiter = Limiter(DatabaseBuckets(store.db), {}, {Platform.SANDBOX: Rate(burst=10, per_second=1)})
    seen: list[int] = []

    def publish(delivery: Delivery) -> Result:
        seen.append(store.db.engine.pool.checkedout())  # type: ignore[attr-defined]
        return Result.published(f"p-{delivery.id}")

    pub = Publisher(store, adapters=lambda *_: FakeAdapter(publish=[publish]), limiter=limiter)
    steps = [pub.publish(did) for did in ids]
    assert [s.action for s in steps] == ["published", "published"]
    assert seen == [0, 0]


# -- rate limits that wait -------------------------------------------------------------------------


def _surge(store: Store, patience: float) -> tuple[Counter[str], Counter[int], float]:
    """20 deliveries behind an app limit of 5/s (burst 1), sent by 8 threads."""
    queue_many(store, 20)
    ids = claim_all(store)
    assert len(ids) == 20
    rates = {Platform.SANDBOX: Rate(burst=1, per_second=5)}
    limiter = Limiter(DatabaseBuckets(store.db), {}, rates, patience=patience)
    sent: Counter[int] = Counter()
    lock = threading.Lock()

    def publish(delivery: Delivery) -> Result:
        with lock:
            sent[delivery.id] += 1
        return Result.published(f"p-{delivery.id}")

    pub = Publisher(store, adapters=lambda *_: FakeAdapter(publish=[publish]), limiter=limiter)
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        steps = list(pool.map(pub.publish, ids))
    return Counter(s.action for s in steps), sent, time.monotonic() - started


def test_a_short_rate_limit_wait_is_slept_not_released(store: Store) -> None:
    actions, sent, took = _surge(store, SHORT_WAIT)
    # 8 threads race for each token: an unlucky one may see its patience run out, now and then on a
    # loaded machine (3 of 20 seen in CI); without patience at least 10 are released (below)
    assert actions["retry_wait"] <= 5 and actions["published"] + actions["retry_wait"] == 20
    assert len(sent) == actions["published"] and set(sent.values()) == {1}  # each exactly once
    assert took >= 19 / 5 - 0.5  # and paced: the limit still holds


def test_without_patience_the_same_surge_releases(store: Store) -> None:
    actions, _sent, _took = _surge(store, 0.0)
    assert actions["retry_wait"] >= 10  # what the worker's patience removes


def test_a_long_wait_still_gives_the_claim_back() -> None:
    naps: list[float] = []

    class Held:
        def take(self, key: str, rate: Rate) -> float:
            return 120.0  # a platform's "slow down" for two minutes

        def drain(self, key: str, rate: Rate, seconds: float) -> None:
            raise AssertionError

    limiter = Limiter(Held(), {}, {Platform.SANDBOX: Rate(1, 1)}, patience=SHORT_WAIT, sleep=naps.append)
    assert limiter.acquire(DEMO) == 120.0 and naps == []


def test_patience_is_spent_once_across_retakes() -> None:
    naps: list[float] = []
    waits = iter([1.0, 1.5, 1.5, 0.0])

    class Contended:
        def take(self, key: str, rate: Rate) -> float:
            return next(waits)  # other threads took the token first

        def drain(self, key: str, rate: Rate, seconds: float) -> None:
            raise AssertionError

    limiter = Limiter(Contended(), {}, {Platform.SANDBOX: Rate(1, 1)}, patience=3.0, sleep=naps.append)
    assert limiter.acquire(DEMO) == 1.5  # 1.0 + 1.5 slept; another 1.5 would pass 3 s
    assert naps == [1.0, 1.5]


# -- pools sized to the threads ----------------------------------------------------------------


def test_pools_are_sized_to_the_threads(tmp_path: Path) -> None:
    assert pool_limits(1) == (5, 10)  # a command, the web app, a prefork child: as before
    assert pool_limits(32) == (34, 4)
    db = Database(f"sqlite:///{tmp_path / 'x.sqlite'}", threads=32)
    assert db.engine.pool.size() == 34  # type: ignore[attr-defined]
    db.dispose()
    session = pooled_session(32)
    adapter: Any = session.get_adapter("https://graph.facebook.com/")
    assert adapter._pool_maxsize == 32 and adapter._pool_connections == 32
    assert adapter.max_retries.total == 0  # a create call is never repeated behind our back


def test_the_runtime_is_built_once_for_all_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from workers import runtime as rt

    st = make_settings(tmp_path, worker_concurrency=16)
    Store(st).init()
    built: list[int] = []
    real = rt.build

    def slow_build(settings: Any) -> rt.Runtime:
        built.append(1)
        time.sleep(0.2)  # threads arriving meanwhile must wait, not build their own
        return real(settings)

    monkeypatch.setattr(rt, "_current", None)
    monkeypatch.setattr(rt, "build", slow_build)
    monkeypatch.setattr(rt, "get_settings", lambda: st)
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: rt.runtime(), range(8)))
    assert len(built) == 1 and all(r is got[0] for r in got)
    assert got[0].store.db.engine.pool.size() == 18  # type: ignore[attr-defined]
    got[0].store.db.dispose()


def test_the_tick_has_its_own_queue_consumed_by_publish_workers(tmp_path: Path) -> None:
    from workers.app import consume_dispatch, make_app

    app = make_app(make_settings(tmp_path))
    schedule = app.conf.beat_schedule["dispatch"]
    assert schedule["options"]["queue"] == "dispatch"
    assert app.conf.task_routes["workers.tasks.dispatch_tick"] == {"queue": "dispatch"}

    class Worker:
        pass

    for selected, expected in (("publish,collect", True), ("media", False)):
        worker = Worker()
        worker.app = make_app(make_settings(tmp_path))  # type: ignore[attr-defined]
        worker.app.amqp.queues.select(selected.split(","))  # type: ignore[attr-defined]
        consume_dispatch(sender="w@test", instance=worker)
        assert ("dispatch" in worker.app.amqp.queues.consume_from) is expected  # type: ignore[attr-defined]


def test_publisher_run_starts_a_threads_pool_by_default(tmp_path: Path) -> None:
    from publisher.cli.run import worker_commands

    st = make_settings(tmp_path)
    main, media, *_ = worker_commands(st, 32)
    assert main[main.index("-P") + 1] == "threads" and main[main.index("-c") + 1] == "32"
    assert media[media.index("-P") + 1] == "threads" and media[media.index("-c") + 1] == "1"
    main, *_ = worker_commands(st, 2, "prefork")
    assert main[main.index("-P") + 1] == "prefork" and main[main.index("-c") + 1] == "2"


# -- the fault matrix on the threads pool (real workers, Redis) ------------------------------------


def test_threads_worker_killed_after_claim(cluster: Cluster, tmp_path: Path) -> None:
    marker = tmp_path / "held"
    page = cluster.add_page("xa-a")
    messages = cluster.queue([page], 1, due_in=1.0)
    w1 = cluster.start_worker(
        "w1", concurrency=8, pool="threads", PUBLISHER_TEST_HOLD_AFTER_CLAIM=str(marker)
    )
    cluster.start_dispatcher()
    cluster.wait_until(marker.exists, 30, "the worker to pick up the claim")
    cluster.kill(w1)
    assert cluster.graph.state.posts == []
    cluster.start_worker("w2", concurrency=8, pool="threads")
    assert cluster.wait_settled(40) == {"published": 1}
    assert_exactly_once(cluster, messages)
    [row] = cluster.rows()
    assert attempts_of(cluster, row.id) == [("publish", "published")]


def test_threads_worker_killed_after_platform_accepted(cluster: Cluster) -> None:
    page = cluster.add_page("xa-b")
    messages = cluster.queue([page], 1, due_in=1.0)
    from tests.workers.fake_graph import Fault

    cluster.graph.state.faults.append(Fault("hold_after_create"))
    w1 = cluster.start_worker("w1", concurrency=8, pool="threads")
    cluster.start_dispatcher()
    cluster.wait_until(cluster.graph.state.reached.is_set, 30, "the platform to accept the post")
    cluster.kill(w1)  # the answer is lost with the process
    cluster.graph.state.release.set()
    cluster.start_worker("w2", concurrency=8, pool="threads")
    assert cluster.wait_settled(40) == {"published": 1}
    assert_exactly_once(cluster, messages)
    [row] = cluster.rows()
    kinds = attempts_of(cluster, row.id)
    assert ("reconcile", "published") in kinds and [k for k, _ in kinds].count("publish") == 1


def test_threads_worker_sigkilled_with_30_posts_in_flight(cluster: Cluster) -> None:
    """One process, 30 sends waiting on the platform: a thread killed is not a process killed."""
    pages = [cluster.add_page(f"xa-{i}") for i in range(10)]
    messages = cluster.queue(pages, 30, due_in=1.0)
    latency = 3.0
    cluster.graph.state.latency = latency  # every call waits: the 30 are all in flight at once
    w1 = cluster.start_worker("w1", concurrency=32, pool="threads")
    cluster.start_dispatcher()
    cluster.wait_until(lambda: cluster.states().get("publishing", 0) >= 30, 30, "30 sends in flight")
    cluster.kill(w1)
    assert cluster.graph.state.posts == []  # nothing answered yet
    time.sleep(latency + 1.5)  # the platform finishes the requests it got: posts the worker never learnt of
    cluster.graph.state.latency = 0.0
    lost = len(cluster.graph.state.posts)
    assert lost > 0
    cluster.start_worker("w2", concurrency=32, pool="threads")
    assert cluster.wait_settled(90) == {"published": 30}
    assert_exactly_once(cluster, messages)
    # each post whose answer died with the process was found by reconcile, never sent again
    found = [("reconcile", "published") in attempts_of(cluster, r.id) for r in cluster.rows()]
    assert sum(found) == lost
