"""What each worker process builds once: the store, the rate limiter, the publisher.

Built lazily in the process that uses it (after the prefork pool forked), never inherited.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from publisher.actions.publish import Publisher
from publisher.platforms.registry import adapter_factory
from publisher.ratelimit import limiter_for
from publisher.settings import Settings, get_settings
from publisher.store import Store
from publisher.store.counters import DbQuotaCounter


@dataclass
class Runtime:
    settings: Settings
    store: Store
    publisher: Publisher
    pid: int


_current: Runtime | None = None


def runtime() -> Runtime:
    global _current
    if _current is None or _current.pid != os.getpid():
        settings = get_settings()
        store = Store(settings)
        # the YouTube daily quota is one budget per project, shared by every process and machine
        adapters = adapter_factory(quota=DbQuotaCounter(store.db))
        publisher = Publisher(store, settings, adapters=adapters, limiter=limiter_for(settings, store.db))
        _current = Runtime(settings, store, publisher, os.getpid())
    return _current
