"""A thin Graph API caller: versioned URLs on the configured hosts, one answer shape.

Every call returns ``(body, None)`` on success or ``(None, result)`` with the classified failure,
so the flows never see an exception for something the platform said. The Page token travels in
the ``Authorization: OAuth`` header (required by rupload, accepted everywhere), never in the URL.
"""

from __future__ import annotations

import logging
from typing import Any

import requests

from publisher.platforms.base import Result
from publisher.platforms.facebook.errors import classify, usage
from publisher.platforms.http import API_TIMEOUT, exception_result, generic_failure, json_body

log = logging.getLogger(__name__)

#: slow down above this usage percentage (rate-limiting doc: "about 75-80 %")
USAGE_WARN_PERCENT = 80.0


class Graph:
    def __init__(self, settings: Any, http: requests.Session, token: str) -> None:
        self.settings = settings
        self.http = http
        self.token = token
        self.last_usage: dict[str, Any] = {}

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
        self,
        method: str,
        path: str,
        *,
        host: str = "graph",
        creating: bool = False,
        url: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: Any = API_TIMEOUT,
        **kwargs: Any,
    ) -> tuple[dict[str, Any] | None, Result | None]:
        target = url or self.url(path, host)
        all_headers = {"Authorization": f"OAuth {self.token}", **(headers or {})}
        try:
            response = self.http.request(
                method, target, headers=all_headers, timeout=timeout, allow_redirects=False, **kwargs
            )
        except requests.RequestException as exc:
            return None, exception_result(exc, creating=creating)
        self.last_usage = usage(response)
        if self.last_usage.get("percent", 0.0) >= USAGE_WARN_PERCENT:
            log.warning("facebook usage at %.0f%%", self.last_usage["percent"])
        body = json_body(response)
        if response.ok and body is not None and "error" not in body:
            return body, None
        if response.ok:
            return None, generic_failure(response, creating=creating)
        return None, classify(response, body, creating=creating)
