"""The explicit list of adapters, one per platform, and the one way to build one.

:func:`build_adapter` is how the publisher, engagement collection and account checks get an
adapter: the platform's class, its settings section, the process's HTTP session and what the
caller supplies (:class:`~publisher.platforms.base.AdapterOptions`). Nothing is set on a class
from outside: the YouTube quota counter in particular is handed to each adapter by its builder
(the database's in the workers and ``publisher run --once``: see :class:`publisher.actions.publish.Publisher`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import requests

from publisher.core.models import Platform, Target
from publisher.platforms.base import Adapter, Credentials, Handoff, QuotaCounter
from publisher.platforms.facebook import FacebookPageAdapter
from publisher.platforms.sandbox import SandboxAdapter
from publisher.platforms.youtube import YouTubeAdapter
from publisher.platforms.zalo import ZaloOAAdapter

ADAPTERS: dict[Platform, type[Adapter]] = {
    Platform.SANDBOX: SandboxAdapter,
    Platform.FACEBOOK: FacebookPageAdapter,
    Platform.YOUTUBE: YouTubeAdapter,
    Platform.ZALO: ZaloOAAdapter,
}

AdapterFactory = Callable[[Any, Target, Credentials], Adapter]
"""``(settings, target, credentials) -> Adapter``: what the publisher and collectors call."""


def adapter_class(platform: Platform | str) -> type[Adapter]:
    return ADAPTERS[Platform(platform)]


def handoff_platforms(settings: Any) -> dict[Platform, Handoff]:
    """The platforms that declare a hand-off window and whose native scheduling is switched on."""
    out: dict[Platform, Handoff] = {}
    for platform, cls in ADAPTERS.items():
        section = getattr(settings, platform.value, None)
        if cls.handoff is not None and section is not None and getattr(section, "native_scheduling", False):
            out[platform] = cls.handoff
    return out


_sessions: dict[int, requests.Session] = {}


def _session() -> requests.Session:
    """One HTTP session (keep-alive pool) per process, shared by the adapters it builds."""
    pid = os.getpid()
    if pid not in _sessions:
        _sessions.clear()
        _sessions[pid] = requests.Session()
    return _sessions[pid]


def build_adapter(
    settings: Any,
    target: Target,
    credentials: Credentials,
    *,
    quota: QuotaCounter | None = None,
    session: requests.Session | None = None,
) -> Adapter:
    """The registered adapter for ``target`` from the whole ``settings``: its section, the
    process's session (or ``session``), the account's name, ``settings.media.ffprobe``, and the
    shared ``quota`` counter (None: a YouTube adapter keeps a book of its own)."""
    cls = adapter_class(target.platform)
    return cls(
        credentials,
        cls.section(settings),
        session or _session(),
        account=target.name,
        quota=quota,
        ffprobe=settings.media.ffprobe,
    )


def adapter_factory(
    *, quota: QuotaCounter | None = None, session: requests.Session | None = None
) -> AdapterFactory:
    """:func:`build_adapter` with ``quota`` and ``session`` fixed, as an :data:`AdapterFactory`."""

    def build(settings: Any, target: Target, credentials: Credentials) -> Adapter:
        return build_adapter(settings, target, credentials, quota=quota, session=session)

    return build
