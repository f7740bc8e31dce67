"""The fault matrix: in every case exactly one post on the platform and the right final state.

Real Redis, real ``celery worker`` processes (SIGKILLed by process group), the real Facebook
adapter against the loopback Graph server, and the dispatcher ticking in the test process.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from publisher.platforms.base import Credentials
from publisher.store import schema as s
from tests.conftest import REQUIRE
from tests.workers.conftest import Cluster, redis_server_binary
from tests.workers.fake_graph import FakeGraph, Fault


def attempts_of(cluster: Cluster, delivery_id: int) -> list[tuple[str, str | None]]:
    with cluster.store.db.read() as conn:
        rows = conn.execute(
            select(s.attempts.c.kind, s.attempts.c.outcome)
            .where(s.attempts.c.delivery_id == delivery_id)
            .order_by(s.attempts.c.id)
        ).all()
    return [(r.kind, r.outcome) for r in rows]


def assert_exactly_once(cluster: Cluster, messages: list[str]) -> None:
    counts = cluster.graph.state.counts()
    assert {m: counts[m] for m in messages} == dict.fromkeys(messages, 1)
    assert sum(counts.values()) == len(messages)


def test_worker_killed_after_claim(cluster: Cluster, tmp_path: Path) -> None:
    marker = tmp_path / "held"
    page = cluster.add_page("xa-a")
    messages = cluster.queue([page], 1, due_in=1.0)
    w1 = cluster.start_worker("w1", PUBLISHER_TEST_HOLD_AFTER_CLAIM=str(marker))
    cluster.start_dispatcher()
    cluster.wait_until(marker.exists, 30, "the worker to pick up the claim")
    cluster.kill(w1)
    assert cluster.states() == {"claimed": 1}
    assert cluster.graph.state.posts == []
    cluster.start_worker("w2")
    assert cluster.wait_settled(40) == {"published": 1}
    assert_exactly_once(cluster, messages)
    [row] = cluster.rows()
    assert attempts_of(cluster, row.id) == [("publish", "published")]  # the lease gave it back unsent


@pytest.mark.parametrize("cluster", ["sqlite", "postgresql"], indirect=True)
def test_worker_killed_after_platform_accepted(cluster: Cluster) -> None:
    page = cluster.add_page("xa-b")
    messages = cluster.queue([page], 1, due_in=1.0)
    cluster.graph.state.faults.append(Fault("hold_after_create"))
    w1 = cluster.start_worker("w1")
    cluster.start_dispatcher()
    cluster.wait_until(cluster.graph.state.reached.is_set, 30, "the platform to accept the post")
    cluster.kill(w1)  # the post exists; the worker never learnt its id
    cluster.graph.state.release.set()
    cluster.start_worker("w2")
    assert cluster.wait_settled(40) == {"published": 1}
    assert_exactly_once(cluster, messages)
    [row] = cluster.rows()
    assert row.remote_id == cluster.graph.state.posts[0].id
    kinds = attempts_of(cluster, row.id)
    assert kinds[0] == ("publish", None)  # cut off: no outcome written
    assert ("reconcile", "published") in kinds and [k for k, _ in kinds].count("publish") == 1


def test_worker_killed_mid_upload(cluster: Cluster, tmp_path: Path) -> None:
    image = tmp_path / "anh.jpg"
    Image.new("RGB", (640, 480), (200, 30, 30)).save(image, quality=90)
    page = cluster.add_page("xa-c")
    messages = cluster.queue([page], 1, due_in=1.0, images=(image,))
    cluster.graph.state.faults.append(Fault("hold_mid_upload"))
    w1 = cluster.start_worker("w1")
    cluster.start_dispatcher()
    cluster.wait_until(cluster.graph.state.reached.is_set, 30, "the upload to start")
    cluster.kill(w1)
    cluster.graph.state.release.set()
    cluster.start_worker("w2")
    assert cluster.wait_settled(60) == {"published": 1}
    assert_exactly_once(cluster, messages)
    [row] = cluster.rows()
    kinds = attempts_of(cluster, row.id)
    # unknown after the crash → looked up → absent (safe) → sent again, once
    assert ("reconcile", "absent") in kinds
    assert kinds[-1] == ("publish", "published")


def test_media_prepared_by_a_threads_worker_as_publisher_run_starts_it(
    cluster: Cluster, tmp_path: Path
) -> None:
    """``publisher run`` renders media in a ``threads`` worker of one thread (no forked child)."""
    image = tmp_path / "anh.jpg"
    Image.new("RGB", (640, 480), (30, 120, 200)).save(image, quality=90)
    page = cluster.add_page("xa-m")
    messages = cluster.queue([page], 1, due_in=1.0, images=(image,))
    cluster.start_worker("media", concurrency=1, queues="media", pool="threads")
    cluster.start_worker("w1", queues="publish")
    cluster.start_dispatcher()
    assert cluster.wait_settled(60) == {"published": 1}
    assert_exactly_once(cluster, messages)
    [row] = cluster.rows()
    # only the threads worker consumes the media queue: it made the prepared photo that was sent
    assert row.media_state == "ready" and row.media and row.media["images"]
    assert all(Path(p).is_file() and Path(p) != image for p in row.media["images"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _redis(port: int, folder: Path) -> subprocess.Popen[bytes]:
    binary = redis_server_binary()
    assert binary
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    raise AssertionError("redis-server did not start")


@pytest.mark.redis  # starts its own redis-server
def test_redis_restarted_mid_run(tmp_path: Path, graph: FakeGraph) -> None:
    """``publisher run`` on a private Redis (no persistence) that is SIGKILLed and restarted."""
    if redis_server_binary() is None:
        text = "redis-server is not installed; install it with: apt-get install redis-server"
        if REQUIRE:
            pytest.fail(text + " (PUBLISHER_TEST_REQUIRE_SERVICES=1)")
        pytest.skip(text)
    port = _free_port()
    folder = tmp_path / "redis"
    folder.mkdir()
    server = _redis(port, folder)
    cluster = Cluster(tmp_path, f"redis://127.0.0.1:{port}/0", graph)
    try:
        pages = [cluster.add_page("xa-d1"), cluster.add_page("xa-d2")]
        messages = cluster.queue(pages, 20, due_in=1.0, spread=6.0)
        log = (cluster.logs / "run.log").open("ab")
        run = subprocess.Popen(
            [sys.executable, "-m", "publisher.cli.main", "run", "-c", "2"],
            env=cluster.env(),
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        cluster.procs.append(run)
        cluster.wait_until(lambda: len(graph.state.posts) >= 4, 40, "the first posts")
        server.kill()  # SIGKILL, no persistence: every queued message and the unacked set are gone
        server.wait()
        time.sleep(1.0)
        server = _redis(port, folder)
        assert cluster.wait_settled(120) == {"published": 20}
        assert_exactly_once(cluster, messages)
    finally:
        cluster.close()
        server.kill()
        server.wait()


@pytest.mark.parametrize("cluster", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.parametrize("fault", ["status_after_create", "drop_after_create"])
def test_unknown_outcome_after_sending_is_reconciled_not_resent(cluster: Cluster, fault: str) -> None:
    """500 after creating the post; the connection lost after the request went out (timeout)."""
    page = cluster.add_page("xa-e")
    messages = cluster.queue([page], 1, due_in=1.0)
    cluster.graph.state.faults.append(Fault(fault))
    cluster.start_worker("w1")
    cluster.start_dispatcher()
    assert cluster.wait_settled(40) == {"published": 1}
    assert_exactly_once(cluster, messages)
    [row] = cluster.rows()
    assert attempts_of(cluster, row.id) == [("publish", "unknown_outcome"), ("reconcile", "published")]


def test_429_with_retry_after_is_respected(cluster: Cluster) -> None:
    page = cluster.add_page("xa-g")
    messages = cluster.queue([page], 1, due_in=1.0)
    cluster.graph.state.faults.append(Fault("rate_limit", retry_after=3))
    cluster.start_worker("w1")
    cluster.start_dispatcher()
    assert cluster.wait_settled(40) == {"published": 1}
    assert_exactly_once(cluster, messages)
    [row] = cluster.rows()
    with cluster.store.db.read() as conn:
        tries = conn.execute(
            select(s.attempts.c.started_at, s.attempts.c.outcome, s.attempts.c.code)
            .where(s.attempts.c.delivery_id == row.id)
            .order_by(s.attempts.c.id)
        ).all()
    assert [t.outcome for t in tries] == ["rate_limited", "published"]
    assert tries[0].code == "http_429"
    assert (tries[1].started_at - tries[0].started_at).total_seconds() >= 3.0


def test_token_expired_mid_batch(cluster: Cluster) -> None:
    page = cluster.add_page("xa-h", token="tok-old")
    messages = cluster.queue([page], 6, due_in=1.0, spread=10.0)
    cluster.start_worker("w1", concurrency=1)
    cluster.start_dispatcher()
    cluster.wait_until(lambda: len(cluster.graph.state.posts) >= 2, 30, "two posts")
    cluster.graph.state.expired_tokens.add("tok-old")
    states = cluster.wait_settled(60)
    assert set(states) == {"published", "needs_reauth"} and states["needs_reauth"] >= 1
    assert max(cluster.graph.state.counts().values()) == 1
    assert cluster.store.account(page).status == "needs_reauth"
    # the officer reconnects the Page and retries: each remaining post goes out once
    account_id = int(cluster.store.account(page).id)
    cluster.store.save_credentials(
        account_id, Credentials(access_token="tok-new", remote_account_id="page-xa-h")
    )
    waiting = [f"#{r.id}" for r in cluster.rows() if r.state == "needs_reauth"]
    cluster.store.retry(waiting, actor="can-bo")
    assert cluster.wait_settled(60) == {"published": 6}
    assert_exactly_once(cluster, messages)
