"""What a worker process runs beside each publish: the lease heartbeat and the JSON attempt log.

- :class:`Heartbeat`: while a send is in progress, a daemon thread extends the delivery's lease
  every third of ``lease_seconds``; a dead worker stops beating and loses the lease, and the
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
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("publisher.attempts")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Heartbeat:
    """Calls ``beat`` every ``every`` seconds in a daemon thread while the ``with`` block runs."""

    def __init__(self, beat: Callable[[], None], every: float, name: str) -> None:
        self.beat = beat
        self.every = max(0.5, every)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(self.every):
            try:
                self.beat()
            except Exception:  # pragma: no cover - the next beat tries again
                log.debug("lease extension failed", exc_info=True)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)


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
