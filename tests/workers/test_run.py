"""``publisher run``: the embedded default (no Redis) and ``--once``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from publisher.cli.run import run
from tests.workers.conftest import ROOT


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(data: Path, port: int | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUBLISHER_")}
    env.update(
        PYTHONPATH=str(ROOT),
        PUBLISHER_DATA_DIR=str(data),
        PUBLISHER_TICK_SECONDS="0.5",
        PUBLISHER_USER="can-bo",
        PUBLISHER_WEB__PORT=str(port or free_port()),
    )
    return env


def test_run_demo_publishes_into_the_outbox_without_redis(tmp_path: Path) -> None:
    data = tmp_path / "var"
    port = free_port()
    log = (tmp_path / "run.log").open("wb")
    env = _env(data, port)
    del env["PUBLISHER_USER"]  # the README's first command, on a fresh machine, sets nothing
    proc = subprocess.Popen(
        [sys.executable, "-m", "publisher.cli.main", "run", "--demo", "--demo-in", "2", "-c", "1"],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        pages: list[Path] = []
        while time.monotonic() < deadline and not pages:
            pages = (
                list((data / "outbox" / "demo").glob("*.html")) if (data / "outbox" / "demo").is_dir() else []
            )
            time.sleep(0.3)
        assert pages, (tmp_path / "run.log").read_text(errors="replace")[-3000:]
        record = json.loads(pages[0].with_suffix(".json").read_text(encoding="utf-8"))
        assert record["post"].startswith("demo-")
        assert (data / "broker" / "queue").is_dir()  # the embedded broker, not Redis
        # the web app is served beside the workers, at the address printed on the console
        assert f"Trang web: http://127.0.0.1:{port}" in (tmp_path / "run.log").read_text(errors="replace")
        health = None
        while time.monotonic() < deadline and health is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                    health = json.loads(answer.read())
            except OSError:
                time.sleep(0.3)
        assert health == {"status": "ok"}
        # and somebody can sign in to it: the first admin, with a one-time password shown once
        assert "Mật khẩu dùng một lần của" in (tmp_path / "run.log").read_text(errors="replace")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            code = proc.wait()
    assert code == 0
    text = (tmp_path / "run.log").read_text(errors="replace")
    assert "Hàng đợi nội bộ (không cần Redis)" in text


def test_run_once_with_demo_publishes_now(tmp_path: Path) -> None:
    env = _env(tmp_path / "var")
    from publisher.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(run, ["--demo", "--once", "--json"], env=env, catch_exceptions=False)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    out = result.stdout
    payload = json.loads(out[out.index("{") :])
    assert payload["outcomes"] == {"published": 1}
    assert list((tmp_path / "var" / "outbox" / "demo").glob("*.html"))


def test_run_restarts_a_worker_pool_that_died(tmp_path: Path) -> None:
    """Celery/kombu 5.7 workers can exit on a broker error; ``publisher run`` starts them again."""
    import psutil

    from publisher.cli.run import queue_demo
    from publisher.settings import Settings
    from publisher.store import Store

    data = tmp_path / "var"
    # only ``publisher init`` (or ``run --demo``) makes the data directory and the key
    subprocess.run(
        [sys.executable, "-m", "publisher.cli.main", "init"], env=_env(data), cwd=tmp_path, check=True
    )
    log = (tmp_path / "run.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "publisher.cli.main", "run", "-c", "1"],
        env=_env(data),
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        pool: list[psutil.Process] = []
        while time.monotonic() < deadline and not pool:
            pool = [c for c in psutil.Process(proc.pid).children() if "celery" in " ".join(c.cmdline())]
            time.sleep(0.2)
        assert pool, "the worker pool did not start"
        first = pool[0]
        time.sleep(2.0)
        os.killpg(proc.pid, 0)  # the supervisor is alive
        for child in first.children(recursive=True):
            child.kill()
        first.kill()  # SIGKILL the pool's main process only
        settings = Settings(_env_file=None, data_dir=data, user="can-bo")
        store = Store(settings)
        queue_demo(store, settings, 1.0)
        deadline = time.monotonic() + 60
        pages: list[Path] = []
        while time.monotonic() < deadline and not pages:
            folder = data / "outbox" / "demo"
            pages = list(folder.glob("*.html")) if folder.is_dir() else []
            time.sleep(0.3)
        store.db.dispose()
        assert pages, (tmp_path / "run.log").read_text(errors="replace")[-3000:]
        assert proc.poll() is None
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert "khởi động lại" in (tmp_path / "run.log").read_text(errors="replace")


def test_media_renders_run_in_their_own_process(tmp_path: Path) -> None:
    from publisher.cli.run import worker_commands
    from publisher.settings import Settings

    main, media, web = worker_commands(Settings(_env_file=None, data_dir=tmp_path), 3)  # type: ignore[call-arg]
    assert web[-2:] == ["-m", "publisher.web.server"]  # the web app in its own process
    off = Settings(_env_file=None, data_dir=tmp_path, web={"enabled": False})  # type: ignore[call-arg]
    assert len(worker_commands(off, 3)) == 2
    assert main[main.index("-Q") + 1] == "publish,collect" and "--beat" in main
    assert main[main.index("-c") + 1] == "3"
    assert media[media.index("-Q") + 1] == "media" and "--beat" not in media
    assert media[media.index("-P") + 1] == "threads"  # no forked child for one render at a time


def test_run_stops_cleanly_on_group_signals(tmp_path: Path) -> None:
    """SIGTERM or SIGINT to the whole process group (systemd's stop, Ctrl+C) stops ``publisher run``
    within the deadline, every child included, without error lines (issue 16 asks 20 in a row; CI
    runs 4 to keep its time)."""
    import psutil

    data = tmp_path / "var"
    subprocess.run(
        [sys.executable, "-m", "publisher.cli.main", "init"], env=_env(data), cwd=tmp_path, check=True
    )
    for n, sig in enumerate((signal.SIGTERM, signal.SIGINT, signal.SIGTERM, signal.SIGINT)):
        port = free_port()
        log_path = tmp_path / f"run-{n}.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "publisher.cli.main", "run", "-c", "1"],
            env=_env(data, port),
            cwd=tmp_path,
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            children: list[psutil.Process] = []
            while time.monotonic() < deadline and len(children) < 3:
                children = psutil.Process(proc.pid).children()
                time.sleep(0.2)
            assert len(children) == 3, log_path.read_text(errors="replace")[-2000:]
            family = [c for top in children for c in [top, *top.children(recursive=True)]]
            time.sleep(3.0)  # the pools are up
            started = time.monotonic()
            os.killpg(proc.pid, sig)
            code = proc.wait(timeout=40)
            took = time.monotonic() - started
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        assert code == 0 and took < 30, (sig, code, took)
        gone, alive = psutil.wait_procs(family, timeout=5)
        assert alive == [], (sig, [p.cmdline() for p in alive])
        text = log_path.read_text(errors="replace")
        assert "Traceback" not in text and "không dừng sau" not in text, text[-2000:]
