"""The explicit list of adapters, one per platform."""

from __future__ import annotations

from publisher.core.models import Platform
from publisher.platforms.base import Adapter
from publisher.platforms.sandbox import SandboxAdapter

ADAPTERS: dict[Platform, type[Adapter]] = {
    Platform.SANDBOX: SandboxAdapter,
}


def adapter_class(platform: Platform | str) -> type[Adapter]:
    return ADAPTERS[Platform(platform)]
