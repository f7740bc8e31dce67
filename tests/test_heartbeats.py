"""Heartbeats of the workers and the dispatcher: written, throttled, shown by ``publisher status``."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from publisher.actions.alive import liveness
from publisher.actions.clock import dispatcher_alive
from publisher.i18n import local_time
from publisher.settings import Settings, get_settings
from publisher.store import Store
from publisher.store.heartbeats import DISPATCHER, WORKER, Heartbeats, Pulse
from tests.cli.conftest import Cli


@pytest.fixture
def repo(settings: Settings) -> Heartbeats:
    store = Store(settings)
    store.init()
    return Heartbeats(store.db)


def test_record_upserts_and_keeps_the_detail(repo: Heartbeats) -> None:
    t0 = datetime(2026, 5, 1, 0, 0, tzinfo=UTC)
    repo.record("worker:a@x:1", WORKER, {"node": "a@x"}, now=t0)
    repo.record("worker:a@x:1", WORKER, now=t0 + timedelta(seconds=40))
    [hb] = repo.heartbeats()
    assert hb.last_seen == t0 + timedelta(seconds=40)
    assert hb.detail == {"node": "a@x"}
    assert hb.alive(t0 + timedelta(seconds=100))
    assert not hb.alive(t0 + timedelta(minutes=3))


def test_pulse_writes_at_most_every_30_seconds(repo: Heartbeats) -> None:
    pulse = Pulse(repo)
    t0 = datetime(2026, 5, 1, tzinfo=UTC)
    assert pulse.beat(DISPATCHER, DISPATCHER, now=t0)
    assert not pulse.beat(DISPATCHER, DISPATCHER, now=t0 + timedelta(seconds=10))
    assert repo.heartbeats()[0].last_seen == t0
    assert pulse.beat(DISPATCHER, DISPATCHER, now=t0 + timedelta(seconds=31))
    assert repo.heartbeats()[0].last_seen == t0 + timedelta(seconds=31)


def test_prune_forgets_processes_gone_for_a_week(repo: Heartbeats) -> None:
    now = datetime(2026, 5, 10, tzinfo=UTC)
    repo.record("worker:old:1", WORKER, now=now - timedelta(days=8))
    repo.record("worker:new:2", WORKER, now=now)
    assert repo.prune(now) == 1
    assert [h.name for h in repo.heartbeats()] == ["worker:new:2"]


def test_the_worker_signal_handlers_write_alive_then_stopped(
    settings: Settings, repo: Heartbeats, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workers.tasks as tasks

    monkeypatch.setattr(tasks, "get_settings", lambda: settings)
    tasks._worker_alive(sender=SimpleNamespace(hostname="publisher@may-chu"))
    try:
        for _ in range(100):
            if repo.heartbeats(WORKER):
                break
            time.sleep(0.05)
        [hb] = repo.heartbeats(WORKER)
        assert hb.name.startswith("worker:publisher@may-chu:")
        assert hb.alive(datetime.now(UTC))
    finally:
        tasks._worker_stopping()
    [hb] = repo.heartbeats(WORKER)
    assert hb.detail["stopped"] is True
    assert not hb.alive(datetime.now(UTC))


def test_the_dispatch_task_records_the_dispatcher(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workers.tasks as tasks

    store = Store(settings)
    store.init()
    monkeypatch.setattr(tasks, "runtime", lambda: SimpleNamespace(store=store, settings=settings))
    monkeypatch.setattr(tasks, "_pulses", {})
    tasks.dispatch_tick.run()
    hb = Heartbeats(store.db).heartbeat(DISPATCHER)
    assert hb is not None and hb.alive(datetime.now(UTC))
    assert "clock" not in hb.detail  # no NTP server set: nothing asked


def test_liveness_lines(repo: Heartbeats, settings: Settings) -> None:
    now = datetime.now(UTC)
    assert [x.ok for x in liveness(repo, now).lines] == [False, False]  # no worker, no dispatcher
    repo.record("worker:publisher@a:1", WORKER, {"node": "publisher@a"}, now=now - timedelta(seconds=20))
    repo.record("worker:media@a:2", WORKER, {"node": "media@a"}, now=now - timedelta(minutes=10))
    dispatcher_alive(Pulse(repo), settings, now=now)
    texts = [x.text for x in liveness(repo, now).lines]
    assert "Tiến trình đăng bài publisher@a: đang chạy" in texts
    assert any(x.startswith("Tiến trình đăng bài media@a: không thấy hoạt động từ ") for x in texts)
    assert "Bộ điều phối: đang chạy" in texts


def test_status_shows_whether_workers_and_dispatcher_are_alive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = Cli(tmp_path, monkeypatch)
    get_settings.cache_clear()
    assert run("init").exit_code == 0
    out = run("status").output
    assert "Không có tiến trình đăng bài nào đang chạy" in out
    assert "Bộ điều phối: chưa từng chạy" in out
    repo = Heartbeats(Store(get_settings()).db)
    long_ago = datetime.now(UTC) - timedelta(minutes=30)
    repo.record("worker:publisher@a:1", WORKER, {"node": "publisher@a"})
    repo.record(DISPATCHER, DISPATCHER, now=long_ago)
    out = run("status").output
    assert "Tiến trình đăng bài publisher@a: đang chạy" in out
    assert f"Bộ điều phối: không thấy hoạt động từ {local_time(long_ago)}" in out
    get_settings.cache_clear()
