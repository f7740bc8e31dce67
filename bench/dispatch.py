"""Dispatcher and worker benchmarks (results in bench/RESULTS.md).

``throughput``: N deliveries due at the same moment, published by a real ``celery worker``
(prefork, concurrency C, Redis broker) through the real Facebook adapter against the loopback
Graph server (tests/workers/fake_graph.py) with a configurable latency. In the same run, the raw
Celery baseline: N no-op tasks through the same broker and the same worker pool.

``tick``: one dispatcher tick with 1,000,000 finished deliveries in the database (SQLite and
PostgreSQL), with the query plans of every statement the tick runs.

    .venv/bin/python bench/dispatch.py throughput --n 2000 --concurrency 2 --latency 0
    .venv/bin/python bench/dispatch.py throughput --n 400 --concurrency 4 --latency 0.1
    .venv/bin/python bench/dispatch.py tick --rows 1000000 --db sqlite
    .venv/bin/python bench/dispatch.py tick --rows 1000000 --db postgresql
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_BROKER = "redis://127.0.0.1:6379/13"
if __name__ == "__main__":  # the app below must talk to the broker the worker uses
    argv = sys.argv
    os.environ["PUBLISHER_BROKER_URL"] = (
        argv[argv.index("--broker") + 1] if "--broker" in argv else DEFAULT_BROKER
    )

from workers.app import app  # noqa: E402

COUNTER = "bench:noop"


_client: list[Any] = []


@app.task(name="bench.noop")
def noop() -> None:
    """The raw baseline: one message, one Redis INCR (one pooled client per process) to count it."""
    if not _client:
        import redis

        _client.append(redis.Redis.from_url(app.conf.broker_url))
    _client[0].incr(COUNTER)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# -- throughput -----------------------------------------------------------------------------------
def throughput(
    n: int, concurrency: int, latency: float, broker_url: str, tick: float, database_url: str | None
) -> dict[str, Any]:
    import redis

    from publisher.actions import dispatch
    from publisher.core.models import Platform, PostSpec, Target
    from publisher.platforms.base import Credentials
    from publisher.settings import Settings
    from publisher.store import Store
    from tests.workers.fake_graph import FakeGraph

    tmp = Path(tempfile.mkdtemp(prefix="bench-dispatch-"))
    graph = FakeGraph().start()
    graph.state.latency = latency
    settings = Settings(
        _env_file=None,
        data_dir=tmp / "var",
        broker_url=broker_url,
        tick_seconds=tick,
        lease_seconds=120,
        user="bench",
        database_url=database_url,
    )
    settings.facebook.graph_url = graph.url
    store = Store(settings)
    store.init()
    pages = []
    for i in range(10):
        target = Target(Platform.FACEBOOK, f"trang-{i}")
        store.add_account(
            target, actor="bench", credentials=Credentials(access_token=f"t{i}", remote_account_id=f"p{i}")
        )
        pages.append(target)
    client = redis.Redis.from_url(broker_url)
    client.flushdb()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUBLISHER_")}
    env.update(
        PYTHONPATH=str(ROOT),
        PUBLISHER_DATA_DIR=str(settings.data_dir),
        PUBLISHER_BROKER_URL=broker_url,
        PUBLISHER_FACEBOOK__GRAPH_URL=graph.url,
        PUBLISHER_LEASE_SECONDS="120",
        PUBLISHER_TEST_NO_RATE="1",
        PUBLISHER_LOG_LEVEL="WARNING",
        PUBLISHER_DATABASE_URL=settings.db_url,
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests/workers/worker_entry.py"),
            "worker",
            "-Q",
            "publish",
            "-c",
            str(concurrency),
            "-P",
            "prefork",
            "-n",
            "bench@%h",
            "--without-mingle",
            "--without-gossip",
            "-l",
            "WARNING",
            "-I",
            "bench.dispatch",
        ],
        env=env,
        cwd=tmp,
        stdout=(tmp / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        # warm up: one no-op through the pool
        noop.apply_async(queue="publish")
        _wait(lambda: int(client.get(COUNTER) or 0) >= 1, 60)
        # 1. raw Celery baseline
        client.set(COUNTER, 0)
        t0 = time.perf_counter()
        for _ in range(n):
            noop.apply_async(queue="publish")
        _wait(lambda: int(client.get(COUNTER) or 0) >= n, 600)
        raw_seconds = time.perf_counter() - t0
        # 2. end to end: N deliveries due at the same moment
        due = datetime.now(UTC) + timedelta(seconds=5 + n / 400)
        specs = [
            PostSpec(
                key=f"b-{i}",
                title=f"Tin {i}",
                text=f"Nội dung {i} {uuid.uuid4().hex[:6]}",
                due_at=due,
                timezone="Asia/Ho_Chi_Minh",
                targets=(pages[i % len(pages)],),
            )
            for i in range(n)
        ]
        store.queue(specs, actor="bench")
        store.approve([sp.key for sp in specs], by="duyet")
        sender = app

        def enqueue(kind: str, did: int) -> None:
            if kind != dispatch.PUBLISH:
                return
            sender.send_task("workers.tasks.publish_delivery", args=(did,), queue="publish", retry=False)

        stop = threading.Event()

        def beat() -> None:
            while not stop.is_set():
                dispatch.tick(store.db, settings, enqueue, name="bench")
                stop.wait(tick)

        time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds() - tick))
        thread = threading.Thread(target=beat, daemon=True)
        thread.start()
        _wait(lambda: len(graph.state.posts) >= n, 600)
        _wait(lambda: store.counts().get("published", 0) >= n, 120)
        stop.set()
        thread.join()
        due_ts = due.timestamp()
        firsts: dict[str, float] = {}
        for post in graph.state.posts:
            firsts.setdefault(post.message, post.created)
        lateness = [t - due_ts for t in firsts.values()]
        with store.db.read() as conn:
            from sqlalchemy import func, select

            from publisher.store import schema as s

            last_done = conn.execute(select(func.max(s.deliveries.c.published_at))).scalar_one()
        drain = last_done.timestamp() - due_ts
        counts = graph.state.counts()
        return {
            "db": store.db.engine.dialect.name,
            "n": n,
            "concurrency": concurrency,
            "latency_s": latency,
            "tick_s": tick,
            "raw_tasks_per_s": n / raw_seconds,
            "e2e_posts_per_s": n / drain,
            "ratio": (n / drain) / (n / raw_seconds),
            "drain_s": drain,
            "drain_bound_s": 1.25 * n * latency / concurrency if latency else None,
            "lateness_p50_s": percentile(lateness, 0.5),
            "lateness_p99_s": percentile(lateness, 0.99),
            "posts": len(graph.state.posts),
            "max_per_message": max(counts.values()),
        }
    finally:
        os.killpg(worker.pid, 9)
        worker.wait()
        graph.stop()
        client.flushdb()
        store.db.dispose()


def _wait(predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark step timed out")
        time.sleep(0.02)


# -- one tick with a million finished deliveries --------------------------------------------------
def tick_cost(rows: int, kind: str, pg_admin: str, repeat: int) -> dict[str, Any]:
    from sqlalchemy import create_engine, event, text

    from publisher.actions import dispatch
    from publisher.settings import Settings
    from publisher.store import Store

    tmp = Path(tempfile.mkdtemp(prefix="bench-tick-"))
    dbname = None
    if kind == "postgresql":
        dbname = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(pg_admin, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{dbname}"'))
        url = pg_admin.rsplit("/", 1)[0] + f"/{dbname}"
    else:
        url = f"sqlite:///{tmp / 'publisher.sqlite'}"
    settings = Settings(_env_file=None, data_dir=tmp, database_url=url, user="bench")
    store = Store(settings)
    store.init()
    db = store.db
    t0 = time.perf_counter()
    _fill(db, rows)
    fill_s = time.perf_counter() - t0
    statements: list[tuple[str, Any]] = []

    def record(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        statements.append((statement, parameters))

    timings: list[float] = []
    try:
        for i in range(repeat):
            if i == 0:
                event.listen(db.engine, "before_cursor_execute", record)
            start = time.perf_counter()
            dispatch.tick(db, settings, lambda k, d: None, name="bench")
            timings.append((time.perf_counter() - start) * 1000)
            if i == 0:
                event.remove(db.engine, "before_cursor_execute", record)
        plans = _plans(db, statements)
        return {
            "db": kind,
            "rows": rows,
            "fill_s": round(fill_s, 1),
            "tick_ms_median": statistics.median(timings),
            "tick_ms_max": max(timings),
            "tick_ms_all": [round(x, 2) for x in timings],
            "plans": plans,
        }
    finally:
        db.dispose()
        if dbname:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
            admin.dispose()


def _fill(db: Any, rows: int) -> None:
    """``rows`` published deliveries (rows/2 posts on two accounts each, 1,000 accounts) + live ones."""
    from sqlalchemy import text

    posts = max(1, rows // 2)
    with db.write() as conn:
        if db.is_sqlite:
            gen = "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < :n) "
            src = "FROM g"
            x = "x"
        else:
            gen = ""
            src = "FROM generate_series(1, :n) AS g(x)"
            x = "g.x"
        ts = "'2025-01-01 07:00:00'"
        conn.execute(
            text(
                f"{gen}INSERT INTO accounts (id, platform, name, status, created_at, updated_at) "
                f"SELECT {x}, 'sandbox', 'acct-' || {x}, 'active', {ts}, {ts} {src}"
            ),
            {"n": 1000},
        )
        conn.execute(
            text(
                f"{gen}INSERT INTO posts (id, key, title, text, images, options, timezone, due_at, grace_seconds, "
                f"draft, content_hash, queued_by, queued_at, updated_at) "
                f"SELECT {x}, 'post-' || {x}, 'T', 'text', '[]', '{{}}', 'Asia/Ho_Chi_Minh', {ts}, 21600, false, "
                f"'h', 'bench', {ts}, {ts} {src}"
            ),
            {"n": posts + 1},
        )
        conn.execute(
            text(
                f"{gen}INSERT INTO deliveries (id, post_id, account_id, state, due_at, deadline, attempts, "
                f"remote_id, published_at, created_at, updated_at) "
                f"SELECT {x}, (({x} - 1) / 2) + 1, ((({x} - 1) / 2) % 500) * 2 + (({x} - 1) % 2) + 1, 'published', "
                f"{ts}, {ts}, 1, "
                f"'r' || {x}, {ts}, {ts}, {ts} {src}"
            ),
            {"n": rows},
        )
        # the live part: 200 scheduled in the future, 20 waiting to retry later
        conn.execute(
            text(
                f"{gen}INSERT INTO deliveries (id, post_id, account_id, state, due_at, deadline, next_attempt_at, "
                f"attempts, created_at, updated_at) "
                f"SELECT :base + {x}, :post, {x}, CASE WHEN {x} <= 200 THEN 'scheduled' ELSE 'retry_wait' END, "
                f"'2099-01-01 07:00:00', '2099-01-01 13:00:00', '2099-01-01 07:00:00', 0, {ts}, {ts} {src}"
            ),
            {"n": 220, "base": rows, "post": posts + 1},
        )
    with db.engine.connect() as conn:
        if db.is_sqlite:
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        if not db.is_sqlite:
            conn.commit()


def _plans(db: Any, statements: list[tuple[str, Any]]) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    seen: set[str] = set()
    with db.engine.connect() as conn:
        for statement, params in statements:
            head = " ".join(statement.split())
            if not head.upper().startswith(("SELECT", "UPDATE")) or head in seen or "FROM meta" in head:
                continue
            seen.add(head)
            prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
            rows = conn.exec_driver_sql(prefix + statement, params).all()
            lines = [str(r[-1]) for r in rows]
            out.append((head[:160], lines))
        conn.rollback()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("--n", type=int, default=2000)
    t.add_argument("--concurrency", type=int, default=2)
    t.add_argument("--latency", type=float, default=0.0)
    t.add_argument("--tick", type=float, default=0.5)
    t.add_argument("--broker", default=DEFAULT_BROKER)
    t.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    t.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    k = sub.add_parser("tick")
    k.add_argument("--rows", type=int, default=1_000_000)
    k.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    k.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    k.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if args.cmd == "throughput":
        dbname = f"bench_{uuid.uuid4().hex[:10]}"
        url = None
        if args.db == "postgresql":
            from sqlalchemy import create_engine, text

            admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{dbname}"'))
            url = args.pg.rsplit("/", 1)[0] + f"/{dbname}"
        try:
            result = throughput(args.n, args.concurrency, args.latency, args.broker, args.tick, url)
        finally:
            if url:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
        for key, value in result.items():
            print(f"{key:18} {round(value, 3) if isinstance(value, float) else value}")
    else:
        result = tick_cost(args.rows, args.db, args.pg, args.repeat)
        for key in ("db", "rows", "fill_s", "tick_ms_median", "tick_ms_max", "tick_ms_all"):
            value = result[key]
            print(f"{key:15} {round(value, 2) if isinstance(value, float) else value}")
        for statement, lines in result["plans"]:
            print(f"\n-- {statement}")
            for line in lines:
                print(f"   {line}")


if __name__ == "__main__":
    main()
