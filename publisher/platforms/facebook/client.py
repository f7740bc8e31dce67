"""A thin Graph API caller: versioned URLs on the configured hosts, one answer shape.

Every call goes through :class:`publisher.platforms.http.ApiClient` with :func:`.errors.classify`
and returns ``(body, None)`` on success or ``(None, result)`` with the classified failure, so the
flows never see an exception for something the platform said. The Page token travels in the
``Authorization: OAuth`` header (required by rupload, accepted everywhere), never in the URL; it is
read from the adapter's credentials at each call, so a refreshed token is sent at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import requests

from publisher.platforms.facebook.errors import classify, usage
from publisher.platforms.http import Answer, ApiClient

log = logging.getLogger(__name__)

#: slow down above this usage percentage (rate-limiting doc: "about 75-80 %")
USAGE_WARN_PERCENT = 80.0


class Graph:
    def __init__(self, settings: Any, http: requests.Session, token: Callable[[], str]) -> None:
        self.settings = settings
        self.api = ApiClient(
            http, classify, lambda: {"Authorization": f"OAuth {token()}"}, observe=self._observe
        )
        self.last_usage: dict[str, Any] = {}

    def _observe(self, response: requests.Response) -> None:
        self.last_usage = usage(response)
        if self.last_usage.get("percent", 0.0) >= USAGE_WARN_PERCENT:
            log.warning("facebook usage at %.0f%%", self.last_usage["percent"])

    def url(self, path: str, host: str = "graph") -> str:
        base = {
            "graph": self.settings.graph_url,
            "video": self.settings.video_url,
            "rupload": self.settings.rupload_url,
        }[host].rstrip("/")
        if host == "rupload":
            return f"{base}/video-upload/{self.settings.api_version}/{path.lstrip('/')}"
        return f"{base}/{self.settings.api_version}/{path.lstrip('/')}"

    def call(
        self, method: str, path: str, *, host: str = "graph", url: str | None = None, **kwargs: Any
    ) -> Answer:
        """``path`` on ``host`` (or the full ``url``, e.g. a Reel's upload URL); see :data:`Answer`."""
        return self.api.call(method, url or self.url(path, host), **kwargs)
