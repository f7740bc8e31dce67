"""Capture the exact requests an adapter would send, without sending them.

A ``requests`` transport adapter mounted for every scheme records each prepared request (method,
URL, headers with secrets masked, body) and answers with a plausible canned response, so the
adapter walks its whole flow (create → verify, upload session → chunks → done, stage → attach)
as it would for real. Used by ``publisher publish ID --dry-run``::

    session, recorder = dry_run_session()
    adapter = adapter_class(platform)(credentials, settings_section, session)
    adapter.publish(delivery)            # nothing leaves the machine
    for request in recorder.requests: print(request.render())
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Unpack
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from publisher.core.models import Platform
from publisher.platforms.base import Adapter, AdapterOptions, Checkpoint, Credentials, Result
from publisher.platforms.http import MASK, SECRET_NAMES, mask_headers, mask_mapping, mask_url
from publisher.platforms.registry import adapter_class


@dataclass
class RecordedRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: Any

    def render(self) -> str:
        lines = [f"{self.method} {self.url}"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        if self.body not in (None, "", {}):
            lines.append("")
            lines.append(
                self.body
                if isinstance(self.body, str)
                else json.dumps(self.body, ensure_ascii=False, indent=2)
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "url": self.url, "headers": self.headers, "body": self.body}


def _describe_body(request: requests.PreparedRequest) -> Any:
    body = request.body
    if body is None:
        return None
    ctype = request.headers.get("Content-Type", "")
    if hasattr(body, "read") or hasattr(body, "__iter__") and not isinstance(body, bytes | str):
        length = request.headers.get("Content-Length") or (len(body) if hasattr(body, "__len__") else "?")
        return f"<{length} bytes streamed from disk>"
    raw = body if isinstance(body, bytes) else body.encode("utf-8")
    if "json" in ctype:
        try:
            return mask_mapping(json.loads(raw))
        except ValueError:
            return f"<{len(raw)} bytes>"
    if "x-www-form-urlencoded" in ctype:
        return {
            k: (MASK if k.lower() in SECRET_NAMES else v)
            for k, v in parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
        }
    if "multipart/form-data" in ctype:
        parts: dict[str, str] = {}
        boundary = ctype.split("boundary=")[-1].encode()
        for chunk in raw.split(b"--" + boundary):
            head, _, content = chunk.partition(b"\r\n\r\n")
            name = re.search(rb'name="([^"]+)"', head)
            if not name:
                continue
            key = name.group(1).decode()
            filename = re.search(rb'filename="([^"]*)"', head)
            if filename:
                size = len(content.rstrip(b"\r\n"))
                parts[key] = f"<file {filename.group(1).decode()}: {size} bytes>"
            else:
                value = content.rstrip(b"\r\n").decode("utf-8", "replace")
                parts[key] = MASK if key.lower() in SECRET_NAMES else value
        return parts
    return f"<{len(raw)} bytes>"


#: (method, URL pattern, status, headers, JSON body) answered in order of the first match
CANNED: list[tuple[str, str, int, dict[str, str], dict[str, Any]]] = [
    # Zalo
    (
        "POST",
        r"/article/create$",
        200,
        {},
        {"error": 0, "message": "Success", "data": {"token": "DRYRUN-TOKEN"}},
    ),
    (
        "POST",
        r"/article/verify$",
        200,
        {},
        {"error": 0, "message": "Success", "data": {"id": "DRYRUN-ARTICLE"}},
    ),
    ("POST", r"/upload_video/preparevideo$", 200, {}, {"error": 0, "data": {"token": "DRYRUN-VIDEO-TOKEN"}}),
    (
        "GET",
        r"/upload_video/verify$",
        200,
        {},
        {"error": 0, "data": {"video_id": "DRYRUN-VIDEO", "status": 1}},
    ),
    ("POST", r"/oa/message$", 200, {}, {"error": 0, "data": {"message_id": "DRYRUN-MESSAGE"}}),
    (
        "POST",
        r"/v4/oa/access_token$",
        200,
        {},
        {"access_token": "DRYRUN-ACCESS", "refresh_token": "DRYRUN-REFRESH", "expires_in": "90000"},
    ),
    # YouTube
    (
        "POST",
        r"/upload/youtube/v3/videos$",
        200,
        {"Location": "https://dry-run.invalid/upload?upload_id=DRYRUN"},
        {},
    ),
    (
        "PUT",
        r"dry-run\.invalid/upload",
        200,
        {},
        {"id": "DRYRUNVIDEO", "status": {"uploadStatus": "uploaded"}},
    ),
    ("POST", r"/thumbnails/set$", 200, {}, {"items": []}),
    ("POST", r"/playlistItems$", 200, {}, {"id": "DRYRUN-ITEM"}),
    ("GET", r"/youtube/v3/videos$", 200, {}, {"items": []}),
    ("POST", r"/token$", 200, {}, {"access_token": "DRYRUN-ACCESS", "expires_in": 3599}),
    # Facebook
    (
        "POST",
        r"/video_reels$",
        200,
        {},
        {
            "video_id": "DRYRUN-REEL",
            "upload_url": "https://rupload.facebook.com/video-upload/v25.0/DRYRUN-REEL",
            "success": True,
        },
    ),
    ("POST", r"/video-upload/", 200, {}, {"success": True}),
    (
        "POST",
        r"/videos$",
        200,
        {},
        {
            "id": "DRYRUN-VIDEO",
            "video_id": "DRYRUN-VIDEO",
            "upload_session_id": "DRYRUN-SESSION",
            "start_offset": "0",
            "end_offset": "0",
            "success": True,
        },
    ),
    ("POST", r"/photos$", 200, {}, {"id": "DRYRUN-PHOTO", "post_id": "PAGE_DRYRUN-PHOTO-POST"}),
    ("POST", r"/feed$", 200, {}, {"id": "PAGE_DRYRUN-POST"}),
    (
        "GET",
        r"/(DRYRUN-[A-Z]+)$",
        200,
        {},
        {
            "id": "DRYRUN",
            "status": {
                "video_status": "ready",
                "publishing_phase": {"status": "complete", "publish_status": "published"},
            },
        },
    ),
    ("GET", r"", 200, {}, {"data": []}),
    ("DELETE", r"", 200, {}, {"success": True}),
]


class RecordingTransport(BaseAdapter):
    """Records every request and answers from :data:`CANNED`; nothing is sent."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[RecordedRequest] = []

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        method = (request.method or "GET").upper()
        url = request.url or ""
        self.requests.append(
            RecordedRequest(
                method, mask_url(url), mask_headers(dict(request.headers)), _describe_body(request)
            )
        )
        path = urlsplit(url)._replace(query="").geturl()
        status, headers, payload = 200, {}, {}
        for m, pattern, s, h, p in CANNED:
            if m == method and re.search(pattern, path):
                status, headers, payload = s, h, p
                break
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict({"Content-Type": "application/json", **headers})
        response._content = json.dumps(payload).encode("utf-8")
        response.url = url
        response.request = request
        response.reason = "OK"
        return response

    def close(self) -> None:
        pass


def dry_run_session() -> tuple[requests.Session, RecordingTransport]:
    session = requests.Session()
    transport = RecordingTransport()
    session.mount("https://", transport)
    session.mount("http://", transport)
    return session, transport


def capture(
    adapter_cls: type[Adapter],
    credentials: Credentials,
    settings: Any,
    delivery: Any,
    at: datetime | None = None,
    **options: Unpack[AdapterOptions],
) -> tuple[Result, list[RecordedRequest]]:
    """Run ``publish`` against the recorder as if the clock read ``at`` (default: the due time).

    Returns the (pretend) result and the requests, in order.
    """
    session, transport = dry_run_session()
    # No quota counter: a YouTube adapter spends from a book of its own, never the real daily budget.
    adapter = adapter_cls(credentials, settings, session, **options)
    moment = at or delivery.due_at
    adapter.clock = lambda: moment
    if hasattr(adapter, "sleep"):
        adapter.sleep = lambda seconds: None
    noop: Checkpoint = lambda data: None  # noqa: E731
    result = adapter.publish(delivery, noop)
    return result, transport.requests


def dry_run(
    settings: Any, delivery: Any, credentials: Credentials | None = None, at: datetime | None = None
) -> tuple[Result, list[RecordedRequest]]:
    """What ``publisher publish ID --dry-run`` prints: the requests for ``delivery``'s platform.

    ``settings`` is the whole :class:`~publisher.settings.Settings`; the platform's section is
    picked here. Without stored credentials, placeholders stand in (they are masked anyway).
    """
    platform = delivery.target.platform
    creds = credentials or Credentials(
        access_token="DRY-RUN", refresh_token="DRY-RUN", remote_account_id="PAGE_ID"
    )
    if platform is Platform.SANDBOX:
        return Result.published(f"sandbox-{delivery.id}"), []
    cls = adapter_class(platform)
    return capture(cls, creds, cls.section(settings), delivery, at=at, ffprobe=settings.media.ffprobe)
