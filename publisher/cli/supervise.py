"""The supervisor of ``publisher run``: keeps the worker pools and the web app running.

``publisher run`` checks everything, says what it starts, then exec's this module (same pid) with
the commands as JSON, so the long-lived supervisor holds only what it needs (about 15 MB instead of
the whole command line).

- A child that dies is started again, with a growing wait (Celery 5.7 / kombu 5.7 workers exit
  with "Unrecoverable error" when Redis restarts while they hold unacknowledged messages; the
  database leases make that safe).
- Each child runs in its own session: a signal to the group (Ctrl+C in a terminal, systemd's
  stop) reaches the supervisor only, which asks each child's main process once to stop; Celery
  then stops its own pool (a pool child killed by the same signal could leave the pool hung at
  exit). A second signal, or :data:`STOP_SECONDS` without an exit, kills what is left, and says so.
- The console stays calm: each child's stdout and stderr come to the supervisor through one pipe,
  read line by line by one thread per child; every line goes to the rotating log file
  ``<data dir>/logs/publisher.log``, and the console shows one line per event that matters (a post
  published, failed, needing a new sign-in, missed; stopped), in the office's language and time.
  ``--verbose`` shows every line as well, ``--json-logs`` the JSON attempt lines as they are.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from typing import IO, Any

from publisher.i18n import display_zone, language, register, set_display_zone, set_language, t

register(
    {
        "run.restart": (
            "Tiến trình đăng bài dừng bất thường (mã {code}); khởi động lại sau {seconds} giây.",
            "The publishing processes stopped unexpectedly (code {code}); restarting in {seconds} s.",
        ),
        "run.killed": (
            "Tiến trình {pid} không dừng sau {seconds} giây; đã buộc dừng.",
            "Process {pid} did not stop within {seconds} s; it was killed.",
        ),
        "run.published": (
            "{time} Đã đăng “{title}” lên {account} ({late}): {link}",
            "{time} Published “{title}” to {account} ({late}): {link}",
        ),
        "run.handed_off": (
            "{time} Đã giao “{title}” cho {account} tự đăng đúng giờ: {link}",
            "{time} Handed “{title}” to {account}, which will publish it on time: {link}",
        ),
        "run.on_time": ("đúng giờ", "on time"),
        "run.late": ("trễ {seconds} giây", "{seconds} s late"),
        "run.late_min": ("trễ {minutes} phút", "{minutes} min late"),
        "run.no_link": ("(không có liên kết)", "(no link)"),
        "run.failed": (
            "{time} Đăng “{title}” lên {account} thất bại: {reason}. "
            "Sửa lỗi rồi chạy: publisher retry {post} (chi tiết: publisher show {post})",
            "{time} Publishing “{title}” to {account} failed: {reason}. "
            "Fix it, then run: publisher retry {post} (details: publisher show {post})",
        ),
        "run.needs_reauth": (
            "{time} Tài khoản {account} cần đăng nhập lại (“{title}” chưa đăng): {reason}. "
            "Chạy: publisher accounts connect {account}; các bài đang chờ sẽ tự đăng tiếp",
            "{time} The account {account} needs a new sign-in (“{title}” not published): {reason}. "
            "Run: publisher accounts connect {account}; waiting posts then go out by themselves",
        ),
        "run.released": (
            "{time} Lượt đăng số {delivery} không gửi được ({state}: {reason}). Xem: publisher status",
            "{time} Delivery {delivery} was not sent ({state}: {reason}). See: publisher status",
        ),
        "run.missed": (
            "{time} {n} lượt đăng đã lỡ giờ (quá hạn cho phép), không đăng. "
            "Xem: publisher status; đăng ngay: publisher retry <mã bài>",
            "{time} {n} deliveries missed their time (past the allowed delay) and were not published. "
            "See: publisher status; send now: publisher retry <post id>",
        ),
        "run.no_reason": ("không rõ lý do", "no reason given"),
        "run.stopped": ("{time} Đã dừng.", "{time} Stopped."),
        "run.log_file": ("Nhật ký chi tiết: {path}", "Detailed log: {path}"),
    }
)

#: how long a stop waits for the children before it kills what is left
STOP_SECONDS = 25.0


#: what the console shows (``--verbose``: every line of every child; ``--json-logs``: the JSON
#: attempt lines as they are, instead of the calm lines that tell them)
DEFAULT_OPTIONS: dict[str, Any] = {
    "log_dir": "",
    "max_bytes": 10 * 1024 * 1024,
    "files": 5,
    "timezone": "",
    "language": "",
    "verbose": True,
    "json_logs": False,
}

_MISSED = re.compile(r"\btick: .*\bmissed=(\d+)")
_file_log = logging.getLogger("publisher.supervise.file")
_console_lock = threading.Lock()


def _say(text: str) -> None:
    """A line for the officer: on the console and in the log file."""
    with _console_lock:
        print(text, file=sys.stderr, flush=True)
    _file_log.info(text)


def _print(text: str) -> None:
    with _console_lock:
        print(text, flush=True)


def open_log(options: dict[str, Any]) -> str | None:
    """The rotating log file every child line goes to (``<data dir>/logs/publisher.log``)."""
    _file_log.propagate = False
    _file_log.setLevel(logging.INFO)
    if not options.get("log_dir"):
        return None
    os.makedirs(options["log_dir"], exist_ok=True)
    path = os.path.join(options["log_dir"], "publisher.log")
    handler = RotatingFileHandler(
        path,
        maxBytes=max(1, int(options["max_bytes"])),
        backupCount=max(0, int(options["files"]) - 1),
        encoding="utf-8",
    )
    handler.setFormatter(logging.Formatter("%(message)s"))
    _file_log.addHandler(handler)
    return path


def json_record(line: str) -> dict[str, Any] | None:
    """The attempt record in a line: the whole line, or after the prefix Celery's stderr proxy adds
    in a pool child (``[… WARNING/ForkPoolWorker-1] {…}``)."""
    start = line.find("{")
    if start < 0 or not line.rstrip().endswith("}"):
        return None
    try:
        record = json.loads(line[start:])
    except ValueError:
        return None
    return record if isinstance(record, dict) and "event" in record else None


def _clock(record: dict[str, Any]) -> str:
    try:
        when = datetime.fromisoformat(str(record["ts"]))
    except (KeyError, ValueError):
        when = datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(display_zone()).strftime("%H:%M:%S")


def _late(seconds: Any) -> str:
    if not isinstance(seconds, int | float) or seconds < 0.5:
        return t("run.on_time")
    if seconds < 120:
        shown = f"{seconds:.1f}"
        return t("run.late", seconds=shown if language() == "en" else shown.replace(".", ","))
    return t("run.late_min", minutes=round(seconds / 60))


def calm_line(record: dict[str, Any]) -> str | None:
    """The one console line an attempt record deserves, or None (retries, checks: the log file)."""
    time_ = _clock(record)
    state = record.get("state")
    reason = record.get("reason") or record.get("code") or t("run.no_reason")
    if record.get("event") == "released":
        if state in ("failed", "needs_reauth"):
            return t("run.released", time=time_, delivery=record.get("delivery"), state=state, reason=reason)
        return None
    if record.get("event") != "attempt":
        return None
    post = record.get("post") or record.get("delivery")
    common = {
        "time": time_,
        "title": record.get("title") or post,
        "post": post,
        "account": record.get("target"),
        "reason": reason,
    }
    link = record.get("url") or t("run.no_link")
    if state == "published":
        return t("run.published", late=_late(record.get("lateness_s")), link=link, **common)
    if state == "handed_off":
        return t("run.handed_off", link=link, **common)
    if state == "failed":
        return t("run.failed", **common)
    if state == "needs_reauth":
        return t("run.needs_reauth", **common)
    return None


class Console:
    """Where each line of each child goes: always the log file, and the console as the options say."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.verbose = bool(options.get("verbose"))
        self.json_logs = bool(options.get("json_logs"))

    def line(self, text: str) -> None:
        _file_log.info(text)
        if self.verbose:
            _print(text)
            return
        record = json_record(text)
        if record is not None:
            if self.json_logs:
                _print(text[text.find("{") :])
                return
            calm = calm_line(record)
            if calm is not None:
                _print(calm)
            return
        missed = _MISSED.search(text)
        if missed and int(missed.group(1)) > 0:
            _print(t("run.missed", time=_clock({}), n=int(missed.group(1))))

    def read(self, stream: IO[bytes]) -> None:
        """One child's lines, until its pipe closes (the child and all it forked have exited)."""
        with contextlib.suppress(ValueError, OSError):
            for raw in iter(stream.readline, b""):
                text = raw.decode("utf-8", "replace").rstrip("\r\n")
                try:
                    self.line(text)
                except Exception:  # pragma: no cover - a line must never stop the reader
                    _file_log.exception("could not handle a line")


class Supervisor:
    def __init__(self, commands: list[list[str]], options: dict[str, Any] | None = None) -> None:
        self.commands = commands
        self.options = {**DEFAULT_OPTIONS, **(options or {})}
        self.console = Console(self.options)
        self.readers: list[threading.Thread] = []
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * len(commands)
        self.started = [0.0] * len(commands)
        self.failures = [0] * len(commands)
        self.restart_at = [0.0] * len(commands)
        self.stopping = False
        self.deadline = 0.0

    def stop(self, signum: int, _frame: Any) -> None:
        if self.stopping:
            self.deadline = 0.0  # asked twice: stop now
            return
        self.stopping = True
        self.deadline = time.monotonic() + STOP_SECONDS
        for p in self.procs:
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGTERM)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        while not self.stopping:
            self._tend(time.monotonic())
            time.sleep(0.3)
        return self._stopped()

    def _tend(self, now: float) -> None:
        for i, cmd in enumerate(self.commands):
            p = self.procs[i]
            if p is None:
                if now >= self.restart_at[i] and not self.stopping:
                    self.procs[i] = p = subprocess.Popen(
                        cmd,
                        start_new_session=True,
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT,
                        env={**os.environ, "PYTHONUNBUFFERED": "1"},
                    )
                    self.started[i] = now
                    assert p.stdout is not None
                    reader = threading.Thread(target=self.console.read, args=(p.stdout,), daemon=True)
                    reader.start()
                    self.readers.append(reader)
                continue
            code = p.poll()
            if code is None or self.stopping:
                continue
            self.procs[i] = None
            self.failures[i] = 0 if now - self.started[i] > 60 else self.failures[i] + 1
            wait = min(30.0, 2.0 ** self.failures[i])
            self.restart_at[i] = now + wait
            _say(t("run.restart", code=code, seconds=round(wait)))

    def _stopped(self) -> int:
        """Wait for the children to stop; past the deadline, kill what is left (and say so)."""
        while any(p is not None and p.poll() is None for p in self.procs):
            if time.monotonic() >= self.deadline:
                for p in self.procs:
                    if p is not None and p.poll() is None:
                        _say(t("run.killed", pid=p.pid, seconds=round(STOP_SECONDS)))
                        with contextlib.suppress(ProcessLookupError):
                            os.killpg(p.pid, signal.SIGKILL)
                for p in self.procs:
                    if p is not None:
                        p.wait()
                return self._done()
            time.sleep(0.1)
        return self._done()

    def _done(self) -> int:
        """The last lines of the children reach the log, then the console says it stopped."""
        until = time.monotonic() + 3.0
        for reader in self.readers:
            reader.join(max(0.0, until - time.monotonic()))
        _print(t("run.stopped", time=_clock({})))
        _file_log.info("supervisor: stopped")
        return 0


def main() -> None:
    commands = json.loads(sys.argv[1])
    options = {**DEFAULT_OPTIONS, **(json.loads(sys.argv[2]) if len(sys.argv) > 2 else {})}
    if options["language"]:
        set_language(options["language"])
    if options["timezone"]:
        set_display_zone(options["timezone"])
    path = open_log(options)
    if path and not options["verbose"] and not options["json_logs"]:
        _print(t("run.log_file", path=path))
    raise SystemExit(Supervisor(commands, options).run())


if __name__ == "__main__":
    main()
