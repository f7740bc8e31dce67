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
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

from publisher.i18n import register, t

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
    }
)

#: how long a stop waits for the children before it kills what is left
STOP_SECONDS = 25.0


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Supervisor:
    def __init__(self, commands: list[list[str]]) -> None:
        self.commands = commands
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
                    self.procs[i] = subprocess.Popen(cmd, start_new_session=True)
                    self.started[i] = now
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
                return 0
            time.sleep(0.1)
        return 0


def main() -> None:
    commands = json.loads(sys.argv[1])
    raise SystemExit(Supervisor(commands).run())


if __name__ == "__main__":
    main()
