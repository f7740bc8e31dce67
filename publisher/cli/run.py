"""``publisher run``: everything one machine needs, in one command (worker pool + dispatcher).

Without ``PUBLISHER_BROKER_URL`` it runs on the embedded broker (files under ``<data dir>/broker``,
no Redis to install); with it, on Redis, side by side with other machines' ``celery -A workers
worker -Q publish``. ``--once`` runs one dispatcher tick and drains what it claimed in this
process (for cron and scripts); ``--demo`` queues a sandbox post due a minute later first.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from typing import Any

import click

from publisher.actions.demo import queue_demo
from publisher.actions.drain import run_once
from publisher.cli.common import bi, handle_errors, open_store, settings
from publisher.cli.output import console, emit_json, err_console, local_time
from publisher.cli.users import init_admin
from publisher.core.people import is_system_actor
from publisher.errors import UserError
from publisher.i18n import register, t
from publisher.platforms.http import mask_text
from publisher.settings import Settings
from publisher.store.db import DEFAULT_CONCURRENCY
from publisher.web.server import address

register(
    {
        "run.embedded": (
            "Hàng đợi nội bộ (không cần Redis): {dir}",
            "Embedded queue (no Redis needed): {dir}",
        ),
        "run.redis": ("Hàng đợi Redis: {url}", "Redis queue: {url}"),
        "run.web": ("Trang web: {url}", "Web app: {url}"),
        "run.starting": (
            "Đang chạy {n} {unit} đăng bài, 1 tiến trình xử lý ảnh/video và bộ điều phối (mỗi {tick} giây). "
            "Nhấn Ctrl+C để dừng.",
            "Running {n} publishing {unit}, 1 media process and the dispatcher (every {tick} s). "
            "Press Ctrl+C to stop.",
        ),
        "run.unit.threads": ("luồng", "threads"),
        "run.unit.prefork": ("tiến trình", "processes"),
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


def worker_commands(st: Settings, concurrency: int, pool: str | None = None) -> list[list[str]]:
    """Two Celery workers: one with the dispatcher (beat) embedded for ``publish`` and ``collect``
    (``concurrency`` sends at once, in threads by default: a send is I/O; the dispatcher's tick has
    its own ``dispatch`` queue, which every worker of ``publish`` also consumes: see
    :func:`workers.app.consume_dispatch`), and one process for ``media``, so that a long video
    render never holds up a post due now; and the web app (``web.enabled``), in its own process."""
    host = socket.gethostname()
    base = [
        sys.executable, "-m", "celery", "-A", "workers.app", "worker",
        "--without-mingle", "--without-gossip", "-l", st.log_level,
    ]  # fmt: skip
    main = [
        *base, "-P", pool or st.worker_pool, "--beat", "-s", str((st.data_dir / "beat-schedule").resolve()),
        "-Q", "publish,collect", "-c", str(concurrency), "-n", f"publisher@{host}",
    ]  # fmt: skip
    # one render at a time, in a thread of the worker's own process: no forked child to keep
    media = [*base, "-P", "threads", "-Q", "media", "-c", "1", "-n", f"media@{host}"]
    if not st.web.enabled:
        return [main, media]
    return [main, media, [sys.executable, "-m", "publisher.web.server"]]


def supervisor_options(st: Settings, verbose: bool = False, json_logs: bool = False) -> dict[str, Any]:
    """What the supervisor needs of the settings, passed in its arguments (it imports none of them)."""
    return {
        "log_dir": str((st.data_dir / "logs").resolve()),
        "max_bytes": int(st.log.max_mb * 1024 * 1024),
        "files": st.log.files,
        "timezone": st.timezone,
        "language": st.language,
        "verbose": verbose,
        "json_logs": json_logs,
    }


def serve(
    st: Settings,
    concurrency: int | None,
    verbose: bool = False,
    json_logs: bool = False,
    pool: str | None = None,
) -> int:
    """Say what starts, then become the supervisor (:mod:`publisher.cli.supervise`): the same
    process (same pid, so a service manager or a test still sees it), exec'd into a small program
    that holds none of the command line's imports while it watches the workers for days."""
    pool = pool or st.worker_pool
    workers = concurrency or st.worker_concurrency or DEFAULT_CONCURRENCY[pool]
    # the workers size their HTTP and database pools from these (workers/runtime.py)
    os.environ["PUBLISHER_WORKER_POOL"] = pool
    os.environ["PUBLISHER_WORKER_CONCURRENCY"] = str(workers)
    if st.broker_url:
        console.print(t("run.redis", url=mask_text(st.broker_url.split("@")[-1])), markup=False)
    else:
        from workers.app import broker  # Celery is loaded by this command only, not by every other one

        broker(st)  # create the folders before the worker starts
        console.print(t("run.embedded", dir=(st.data_dir / "broker").resolve()), markup=False)
    unit = t(f"run.unit.{pool}")
    console.print(t("run.starting", n=workers, unit=unit, tick=st.tick_seconds), markup=False)
    if st.web.enabled:
        console.print(t("run.web", url=address(st)), markup=False)
    commands = worker_commands(st, workers, pool)
    sys.stdout.flush()
    sys.stderr.flush()
    options = json.dumps(supervisor_options(st, verbose, json_logs))
    os.execv(sys.executable, [sys.executable, "-m", "publisher.cli.supervise", json.dumps(commands), options])
    return 0  # pragma: no cover - execv does not return


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
        "Số bài đăng cùng lúc: số luồng (mặc định 32) hoặc số tiến trình với --pool prefork (mặc định 2); "
        "hoặc PUBLISHER_WORKER_CONCURRENCY.",
        "Sends at once: threads (default 32), or processes with --pool prefork (default 2); "
        "or PUBLISHER_WORKER_CONCURRENCY.",
    ),
)
@click.option(
    "--pool",
    type=click.Choice(["threads", "prefork"]),
    default=None,
    help=bi(
        "Kiểu đăng song song: threads (luồng, mặc định: việc đăng là chờ mạng) hoặc prefork (tiến trình); "
        "mặc định PUBLISHER_WORKER_POOL.",
        "How sends run side by side: threads (the default: a send waits on the network) or prefork "
        "(processes); default PUBLISHER_WORKER_POOL.",
    ),
)
@click.option(
    "--json", "as_json", is_flag=True, help=bi("In kết quả dạng JSON (--once).", "JSON output (--once).")
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help=bi(
        "Hiện mọi dòng của các tiến trình (Celery, máy chủ web) trên màn hình, như trong tệp nhật ký.",
        "Show every line of the processes (Celery, web server) on the console, as in the log file.",
    ),
)
@click.option(
    "--json-logs",
    is_flag=True,
    help=bi(
        "In các dòng JSON của mỗi lần đăng ra màn hình (cho container), thay cho các dòng tóm tắt.",
        "Print each attempt's JSON line on the console (for containers), instead of the short lines.",
    ),
)
@handle_errors
def run(
    demo: bool,
    demo_in: float,
    once: bool,
    concurrency: int | None,
    pool: str | None,
    as_json: bool,
    verbose: bool,
    json_logs: bool,
) -> None:
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
            # the demo's web app needs someone to sign in: the first admin, with a one-time password,
            # named by PUBLISHER_USER, else the login name (or "quan-tri" where that is no person's)
            admin = st.actor()
            try:
                init_admin(store, "quan-tri" if is_system_actor(admin) else admin)
            except UserError as exc:  # the demo post goes out all the same; say how to make one
                err_console.print(str(exc), markup=False)
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
    raise SystemExit(serve(st, concurrency, verbose, json_logs, pool))


COMMANDS: list[click.Command] = [run]
