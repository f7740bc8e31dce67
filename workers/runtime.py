"""What each worker process builds once: the store, the rate limiter, the publisher.

Built lazily in the process that uses it (after the prefork pool forked), never inherited, and
once per process under a lock: the threads of a threads pool share it. What they share is safe
to share: the store's engine hands each thread its own pooled connection, the HTTP session's
pool holds a connection per thread (:func:`publisher.platforms.http.pooled_session`), adapters
are built per send, the limiter's buckets are atomic in Redis or in one database transaction, and
the leases of every send in progress are kept by one heartbeat thread
(:class:`publisher.actions.worker.Heart`).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from publisher.actions.publish import Publisher
from publisher.platforms.http import pooled_session
from publisher.platforms.registry import adapter_factory
from publisher.ratelimit import SHORT_WAIT, limiter_for
from publisher.settings import Settings, get_settings
from publisher.store import Store
from publisher.store.counters import DbQuotaCounter
from publisher.store.db import DEFAULT_CONCURRENCY, Database


@dataclass
class Runtime:
    settings: Settings
    store: Store
    publisher: Publisher
    pid: int


_current: Runtime | None = None
_lock = threading.Lock()


def _unlock_in_child() -> None:
    """A fork while another thread held the lock must not leave the child a lock nobody releases."""
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_unlock_in_child)


def threads_of(settings: Settings) -> int:
    """How many threads of this process send at once: the threads pool's concurrency, else 1."""
    if settings.worker_pool != "threads":
        return 1
    return settings.worker_concurrency or DEFAULT_CONCURRENCY["threads"]


def build(settings: Settings) -> Runtime:
    """The process's store, limiter and publisher, with pools sized to its sending threads."""
    threads = threads_of(settings)
    store = Store(settings, Database(settings.db_url, threads))
    # the YouTube daily quota is one budget per project, shared by every process and machine
    adapters = adapter_factory(quota=DbQuotaCounter(store.db), session=pooled_session(threads))
    limiter = limiter_for(settings, store.db)
    limiter.patience = SHORT_WAIT  # a short wait for a token is slept, not a release and a re-claim
    publisher = Publisher(store, settings, adapters=adapters, limiter=limiter)
    return Runtime(settings, store, publisher, os.getpid())


def runtime() -> Runtime:
    global _current
    current = _current
    if current is not None and current.pid == os.getpid():
        return current
    with _lock:
        if _current is None or _current.pid != os.getpid():
            _current = build(get_settings())
        return _current
