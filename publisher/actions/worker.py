"""What a worker process runs beside each publish: the lease heartbeat and the JSON attempt log.

- :class:`Heartbeat`: while a send is in progress, the process's one heartbeat thread
  (:class:`Heart`) extends the delivery's lease every third of ``lease_seconds``; a dead worker stops beating and loses the lease, and the
  dispatcher then turns ``publishing`` into ``unconfirmed``.
- :func:`log_line`: every outcome is one JSON line on the ``publisher.attempts`` logger, written
  to stderr by one handler installed once per process, whatever the host (Celery, the CLI) did to
  logging. Never a token: reasons are masked before they get here.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("publisher.attempts")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Heart:
    """One daemon thread per process that extends the leases of every send in progress.

    A threads pool of 64 sends would otherwise run 64 heartbeat threads. Each registered beat is
    called every ``every`` seconds (its own period) until it is removed. Started on first use in
    each process: a forked pool child starts its own.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._beats: dict[int, tuple[Callable[[], None], float, float]] = {}  # id -> beat, every, next
        self._ids = iter(range(1, 1 << 62))
        self._thread: threading.Thread | None = None
        self._pid = 0

    def add(self, beat: Callable[[], None], every: float) -> int:
        every = max(0.5, every)
        with self._cond:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="lease-heartbeat", daemon=True)
                self._thread.start()
            key = next(self._ids)
            self._beats[key] = (beat, every, time.monotonic() + every)
            self._cond.notify()
            return key

    def remove(self, key: int) -> None:
        with self._cond:
            self._beats.pop(key, None)

    def beating(self) -> int:
        """How many sends this process is keeping alive now."""
        with self._cond:
            return len(self._beats)

    def _run(self) -> None:
        while True:
            with self._cond:
                now = time.monotonic()
                due = [(k, b) for k, (b, _every, at) in self._beats.items() if at <= now]
                for key, _beat in due:
                    beat, every, _at = self._beats[key]
                    self._beats[key] = (beat, every, now + every)
                if not due:
                    nearest = min((at for _b, _e, at in self._beats.values()), default=now + 60)
                    self._cond.wait(max(0.01, nearest - now))
                    continue
            for _key, beat in due:  # outside the lock: a slow database must not stall add/remove
                try:
                    beat()
                except Exception:  # pragma: no cover - the next beat tries again
                    log.debug("lease extension failed", exc_info=True)


#: the process's one heartbeat thread
HEART = Heart()


class Heartbeat:
    """Calls ``beat`` every ``every`` seconds (on the process's :data:`HEART`) while the ``with``
    block runs."""

    def __init__(self, beat: Callable[[], None], every: float, name: str = "") -> None:
        self.beat = beat
        self.every = every
        self.key = 0

    def __enter__(self) -> Heartbeat:
        self.key = HEART.add(self.beat, self.every)
        return self

    def __exit__(self, *exc: object) -> None:
        HEART.remove(self.key)


def log_line(record: dict[str, Any]) -> None:
    """One JSON line on ``publisher.attempts``, timestamped."""
    _ensure_handler()
    record = {"ts": datetime.now(UTC).isoformat(), **record}
    log.info(json.dumps(record, ensure_ascii=False, default=str))


_handler_lock = threading.Lock()
_handler: logging.Handler | None = None


def _ensure_handler() -> None:
    """One plain JSON line per record on stderr, whatever the host (celery, CLI) did to logging."""
    global _handler
    if _handler is not None:
        return
    with _handler_lock:
        if _handler is None:
            _handler = logging.StreamHandler(sys.stderr)
            _handler.setFormatter(logging.Formatter("%(message)s"))
            log.addHandler(_handler)
            log.setLevel(logging.INFO)
            log.propagate = False


__all__ = ["Heartbeat", "log", "log_line", "worker_name"]
