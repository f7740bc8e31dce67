"""``publisher run``: everything one machine needs, in one command (worker pool + dispatcher).

Without ``PUBLISHER_BROKER_URL`` it runs on the embedded broker (files under ``<data dir>/broker``,
no Redis to install); with it, on Redis, side by side with other machines' ``celery -A workers
worker -Q publish``. ``--once`` runs one dispatcher tick and drains what it claimed in this
process (for cron and scripts); ``--demo`` queues a sandbox post due a minute later first.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import click

from publisher.actions.demo import queue_demo
from publisher.actions.drain import run_once
from publisher.cli.common import bi, handle_errors, open_store, settings
from publisher.cli.output import console, emit_json, err_console, local_time
from publisher.cli.users import init_admin
from publisher.i18n import register, t
from publisher.platforms.http import mask_text
from publisher.settings import Settings
from publisher.web.server import address

register(
    {
        "run.embedded": (
            "Hàng đợi nội bộ (không cần Redis): {dir}",
            "Embedded queue (no Redis needed): {dir}",
        ),
        "run.redis": ("Hàng đợi Redis: {url}", "Redis queue: {url}"),
        "run.web": ("Trang web: {url}", "Web app: {url}"),
        "run.killed": (
            "Tiến trình {pid} không dừng sau {seconds} giây; đã buộc dừng.",
            "Process {pid} did not stop within {seconds} s; it was killed.",
        ),
        "run.starting": (
            "Đang chạy {n} tiến trình đăng bài, 1 tiến trình xử lý ảnh/video và bộ điều phối (mỗi {tick} giây). "
            "Nhấn Ctrl+C để dừng.",
            "Running {n} publishing processes, 1 media process and the dispatcher (every {tick} s). "
            "Press Ctrl+C to stop.",
        ),
        "run.restart": (
            "Tiến trình đăng bài dừng bất thường (mã {code}); khởi động lại sau {seconds} giây.",
            "The publishing processes stopped unexpectedly (code {code}); restarting in {seconds} s.",
        ),
        "run.demo_queued": (
            "Đã xếp bài thử “{key}” lúc {time} cho sandbox/demo; bài sẽ xuất hiện trong {folder}",
            "Queued the demo post “{key}” at {time} for sandbox/demo; it will appear in {folder}",
        ),
        "run.once_done": (
            "Đã xử lý: {published} đã đăng, {other} lượt khác ({rounds} vòng).",
            "Done: {published} published, {other} other outcomes ({rounds} rounds).",
        ),
    }
)


def worker_commands(st: Settings, concurrency: int) -> list[list[str]]:
    """Two Celery workers: one with the dispatcher (beat) embedded for ``publish`` and ``collect``,
    and one process for ``media``, so that a long video render never holds up a post due now; and
    the web app (``web.enabled``), in its own process."""
    host = socket.gethostname()
    base = [
        sys.executable, "-m", "celery", "-A", "workers.app", "worker", "-P", "prefork",
        "--without-mingle", "--without-gossip", "-l", st.log_level,
    ]  # fmt: skip
    main = [
        *base, "--beat", "-s", str((st.data_dir / "beat-schedule").resolve()),
        "-Q", "publish,collect", "-c", str(concurrency), "-n", f"publisher@{host}",
    ]  # fmt: skip
    media = [*base, "-Q", "media", "-c", "1", "-n", f"media@{host}"]
    if not st.web.enabled:
        return [main, media]
    return [main, media, [sys.executable, "-m", "publisher.web.server"]]


#: how long a stop waits for the children before it kills what is left
STOP_SECONDS = 25.0


def _stopped(procs: list[subprocess.Popen[bytes] | None], deadline: Callable[[], float]) -> int:
    """Wait for the children to stop; past the deadline, kill what is left (and say so)."""
    while any(p is not None and p.poll() is None for p in procs):
        if time.monotonic() >= deadline():
            for p in procs:
                if p is not None and p.poll() is None:
                    err_console.print(t("run.killed", pid=p.pid, seconds=round(STOP_SECONDS)), markup=False)
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(p.pid, signal.SIGKILL)
            for p in procs:
                if p is not None:
                    p.wait()
            return 0
        time.sleep(0.1)
    return 0


def serve(st: Settings, concurrency: int | None) -> int:
    """Run the worker pools and keep them running: a pool that dies is started again.

    Celery 5.7 / kombu 5.7 workers exit ("Unrecoverable error") when Redis restarts while they
    hold unacknowledged messages; the database leases make that safe, and this loop (like
    ``restart: unless-stopped`` in docker-compose or ``Restart=always`` in systemd) brings the
    pool back.
    """
    workers = concurrency or st.worker_concurrency
    if st.broker_url:
        console.print(t("run.redis", url=mask_text(st.broker_url.split("@")[-1])), markup=False)
    else:
        from workers.app import broker  # Celery is loaded by this command only, not by every other one

        broker(st)  # create the folders before the worker starts
        console.print(t("run.embedded", dir=(st.data_dir / "broker").resolve()), markup=False)
    console.print(t("run.starting", n=workers, tick=st.tick_seconds), markup=False)
    if st.web.enabled:
        console.print(t("run.web", url=address(st)), markup=False)
    commands = worker_commands(st, workers)
    procs: list[subprocess.Popen[bytes] | None] = [None] * len(commands)
    started = [0.0] * len(commands)
    failures = [0] * len(commands)
    restart_at = [0.0] * len(commands)
    stopping = False

    deadline = 0.0

    def stop(signum: int, _frame: Any) -> None:
        # Each child runs in its own session: a group signal (Ctrl+C, systemd's stop) reaches this
        # supervisor only, which asks each child's main process once to stop; Celery then stops its
        # own pool (a pool child killed by the same signal could leave the pool hung at exit).
        nonlocal stopping, deadline
        if stopping:
            deadline = 0.0  # asked twice: stop now
            return
        stopping = True
        deadline = time.monotonic() + STOP_SECONDS
        for p in procs:
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        if stopping:
            return _stopped(procs, lambda: deadline)
        now = time.monotonic()
        for i, cmd in enumerate(commands):
            p = procs[i]
            if p is None:
                if now >= restart_at[i]:
                    procs[i] = subprocess.Popen(cmd, start_new_session=True)
                    started[i] = now
                continue
            code = p.poll()
            if code is None or stopping:
                continue
            procs[i] = None
            failures[i] = 0 if now - started[i] > 60 else failures[i] + 1
            wait = min(30.0, 2.0 ** failures[i])
            restart_at[i] = now + wait
            err_console.print(t("run.restart", code=code, seconds=round(wait)), markup=False)
        time.sleep(0.3)


@click.command(
    "run",
    help=bi(
        "Chạy bộ đăng bài trên máy này: các tiến trình đăng bài và bộ điều phối, trong một lệnh. "
        "Không cần Redis (dùng hàng đợi trong thư mục dữ liệu) trừ khi đặt PUBLISHER_BROKER_URL.",
        "Run the publisher on this machine: worker pool and dispatcher in one command. No Redis needed "
        "(an embedded queue in the data directory) unless PUBLISHER_BROKER_URL is set.",
    ),
)
@click.option(
    "--demo",
    is_flag=True,
    help=bi(
        "Trước khi chạy, xếp một bài thử cho sandbox/demo, đăng sau 1 phút.",
        "First queue a demo post for sandbox/demo, due one minute later.",
    ),
)
@click.option("--demo-in", type=float, default=60.0, show_default=True, hidden=True)
@click.option(
    "--once",
    is_flag=True,
    help=bi(
        "Chỉ xử lý một lượt những gì đã đến giờ rồi thoát (cho cron, script).",
        "Handle what is due now once, then exit (for cron and scripts).",
    ),
)
@click.option(
    "--concurrency",
    "-c",
    type=int,
    default=None,
    help=bi(
        "Số tiến trình đăng bài (mặc định PUBLISHER_WORKER_CONCURRENCY).",
        "Number of publishing processes (default PUBLISHER_WORKER_CONCURRENCY).",
    ),
)
@click.option(
    "--json", "as_json", is_flag=True, help=bi("In kết quả dạng JSON (--once).", "JSON output (--once).")
)
@handle_errors
def run(demo: bool, demo_in: float, once: bool, concurrency: int | None, as_json: bool) -> None:
    st = settings()
    # --demo is the README's first command on a fresh machine: it initialises like ``publisher init``
    store = open_store(create=demo)
    if demo:
        spec = queue_demo(store, st, 0.0 if once else demo_in)
        folder = (st.outbox_dir / "demo").resolve()
        console.print(
            t(
                "run.demo_queued",
                key=spec.key,
                time=local_time(spec.due_at, st.timezone, "%H:%M:%S"),
                folder=folder,
            ),
            markup=False,
        )
        if st.web.enabled and not once:
            # the demo's web app needs someone to sign in: the first admin, with a one-time password
            init_admin(store, "")
    if once:
        result = run_once(store, st)
        if as_json:
            emit_json(result)
        else:
            published = result["outcomes"].get("published", 0)
            other = sum(result["outcomes"].values()) - published
            console.print(
                t("run.once_done", published=published, other=other, rounds=result["rounds"]), markup=False
            )
        return
    store.db.dispose()
    raise SystemExit(serve(st, concurrency))


COMMANDS: list[click.Command] = [run]
