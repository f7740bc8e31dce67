"""The explicit list of adapters, one per platform."""

from __future__ import annotations

from publisher.core.models import Platform
from publisher.platforms.base import Adapter
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


def adapter_class(platform: Platform | str) -> type[Adapter]:
    return ADAPTERS[Platform(platform)]
