"""Real Redis, real ``celery worker`` processes, a loopback Graph API: the worker-area harness.

:class:`Cluster` owns one data dir (SQLite file shared by the test and the workers), one Redis
database (numbers 9-15, flushed), the fake Graph server and the processes it starts; it kills
what it started when the test ends.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from publisher.core.models import Platform, PostSpec, Target
from publisher.platforms.base import Credentials
from publisher.settings import Settings
from publisher.store import Store
from tests.conftest import make_settings, need_service, redis_address, redis_db_numbers, redis_test_url
from tests.workers.fake_graph import FakeGraph

ROOT = Path(__file__).resolve().parents[2]
ENTRY = Path(__file__).with_name("worker_entry.py")
_db_numbers = itertools.cycle(redis_db_numbers())


def redis_server_binary() -> str | None:
    from shutil import which

    return which("redis-server")


@pytest.fixture
def redis_url() -> Iterator[str]:
    need_service("redis", *redis_address())
    import redis

    url = redis_test_url(next(_db_numbers))
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    server = FakeGraph().start()
    yield server
    server.stop()


class Cluster:
    """Settings, store, worker processes and an in-test dispatcher for one scenario."""

    def __init__(
        self, tmp: Path, broker_url: str, graph: FakeGraph, database_url: str | None = None, **overrides: Any
    ) -> None:
        self.tmp = tmp
        self.graph = graph
        self.db_url = database_url or f"sqlite:///{(tmp / 'var' / 'publisher.sqlite').resolve()}"
        values: dict[str, Any] = dict(
            database_url=self.db_url,
            broker_url=broker_url,
            lease_seconds=4,
            tick_seconds=0.5,
            retry_base_seconds=1.0,
            retry_max_seconds=4.0,
            max_attempts=5,
            require_approval=True,
        )
        values.update(overrides)
        self.settings: Settings = make_settings(tmp, **values)
        self.settings.facebook.graph_url = graph.url
        self.store = Store(self.settings)
        self.store.init()
        self.procs: list[subprocess.Popen[bytes]] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.dispatch_errors: list[BaseException] = []
        self._app: Any = None
        self.logs = tmp / "logs"
        self.logs.mkdir(exist_ok=True)

    # -- environment ----------------------------------------------------------------------
    def env(self, **extra: str) -> dict[str, str]:
        st = self.settings
        env = {k: v for k, v in os.environ.items() if not k.startswith("PUBLISHER_")}
        env.update(
            PYTHONPATH=str(ROOT),
            PUBLISHER_DATA_DIR=str(st.data_dir.resolve()),
            PUBLISHER_DATABASE_URL=self.db_url,
            PUBLISHER_BROKER_URL=st.broker_url or "",
            PUBLISHER_LEASE_SECONDS=str(st.lease_seconds),
            PUBLISHER_TICK_SECONDS=str(st.tick_seconds),
            PUBLISHER_RETRY_BASE_SECONDS=str(st.retry_base_seconds),
            PUBLISHER_RETRY_MAX_SECONDS=str(st.retry_max_seconds),
            PUBLISHER_MAX_ATTEMPTS=str(st.max_attempts),
            PUBLISHER_FACEBOOK__GRAPH_URL=self.graph.url,
            PUBLISHER_USER="worker",
        )
        if not st.broker_url:
            env.pop("PUBLISHER_BROKER_URL")
        env.update(extra)
        return env

    # -- data -------------------------------------------------------------------------------
    def add_page(self, name: str, token: str | None = None) -> Target:
        target = Target(Platform.FACEBOOK, name)
        creds = Credentials(access_token=token or f"tok-{name}", remote_account_id=f"page-{name}")
        self.store.add_account(target, actor="can-bo", credentials=creds)
        return target

    def queue(
        self,
        targets: list[Target],
        n: int,
        due_in: float = 2.0,
        spread: float = 0.0,
        prefix: str = "bai",
        images: tuple[Path, ...] = (),
    ) -> list[str]:
        """``n`` posts (one per target round-robin), each with its own text; returns the messages."""
        now = datetime.now(UTC)
        specs = []
        for i in range(n):
            due = now + timedelta(seconds=due_in + (spread * i / max(1, n - 1) if spread else 0.0))
            specs.append(
                PostSpec(
                    key=f"{prefix}-{i:04d}",
                    title=f"Tin số {i}",
                    text=f"Nội dung thông báo số {i} của xã.",
                    due_at=due,
                    timezone="Asia/Ho_Chi_Minh",
                    targets=(targets[i % len(targets)],),
                    images=images,
                )
            )
        self.store.queue(specs, actor="can-bo")
        self.store.approve([s.key for s in specs], by="truong-ban")
        return [f"{s.title}\n\n{s.text}" for s in specs]

    def states(self) -> dict[str, int]:
        return self.store.counts()

    def rows(self) -> list[Any]:
        return self.store.deliveries()

    # -- processes --------------------------------------------------------------------------
    def start_worker(
        self,
        name: str,
        concurrency: int = 2,
        queues: str = "publish,media",
        pool: str = "prefork",
        **extra_env: str,
    ) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            [
                sys.executable,
                str(ENTRY),
                "worker",
                "-Q",
                queues,
                "-c",
                str(concurrency),
                "-P",
                pool,
                "-n",
                f"{name}@test",
                "--without-mingle",
                "--without-gossip",
                "-l",
                "INFO",
            ],
            env=self.env(**extra_env),
            cwd=self.tmp,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def start_beat(self) -> subprocess.Popen[bytes]:
        log = (self.logs / "beat.log").open("ab")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers",
                "beat",
                "-l",
                "INFO",
                "-s",
                str(self.tmp / "beat-schedule"),
            ],
            env=self.env(),
            cwd=self.tmp,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    @staticmethod
    def kill(proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL the whole worker: main process and pool children (its process group), and the
        children ``publisher run`` starts in sessions of their own (their groups too)."""
        import psutil  # the test dependencies only

        try:
            family = psutil.Process(proc.pid).children(recursive=True)
        except psutil.Error:
            family = []
        for pid in [proc.pid, *(p.pid for p in family)]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def app(self) -> Any:
        if self._app is None:
            from workers.app import make_app

            self._app = make_app(self.settings)
        return self._app

    def enqueue(self, kind: str, delivery_id: int) -> None:
        from publisher.actions import dispatch

        names = {
            dispatch.PUBLISH: ("workers.tasks.publish_delivery", "publish"),
            dispatch.RECONCILE: ("workers.tasks.reconcile_delivery", "publish"),
            dispatch.MEDIA: ("workers.tasks.prepare_media", "media"),
        }
        name, queue = names[kind]
        self.app().send_task(name, args=(delivery_id,), queue=queue, retry=False)

    def start_dispatcher(self, name: str = "test") -> None:
        """The dispatcher loop in a thread of the test process (as ``celery beat`` would tick)."""
        from publisher.actions import dispatch

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    dispatch.tick(self.store.db, self.settings, self.enqueue, name=name)
                except Exception as exc:  # broker restarting: the next tick tries again
                    self.dispatch_errors.append(exc)
                self._stop.wait(self.settings.tick_seconds)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        self._threads.append(thread)

    def wait_until(self, predicate: Callable[[], bool], timeout: float, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; states={self.states()}; logs in {self.logs}")

    def wait_settled(self, timeout: float, final: set[str] | None = None) -> dict[str, int]:
        final = final or {"published", "failed", "missed", "cancelled", "needs_reauth"}
        self.wait_until(lambda: set(self.states()) <= final, timeout, "every delivery to settle")
        return self.states()

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        for proc in self.procs:
            if proc.poll() is None:
                self.kill(proc)
        if self._app is not None:
            self._app.close()
        self.store.db.dispose()


@pytest.fixture
def cluster(
    tmp_path: Path, redis_url: str, graph: FakeGraph, request: pytest.FixtureRequest
) -> Iterator[Cluster]:
    """SQLite by default; ``@pytest.mark.parametrize("cluster", ["postgresql"], indirect=True)``."""
    kind = getattr(request, "param", "sqlite")
    url = request.getfixturevalue("pg_url") if kind == "postgresql" else None
    c = Cluster(tmp_path, redis_url, graph, database_url=url)
    yield c
    c.close()
