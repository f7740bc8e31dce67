"""A loopback stand-in for the YouTube Data API v3, enough for the real YouTube adapter to publish.

Written from /work/shared/reference/youtube.md: the resumable ``videos.insert`` (§2: session start
``POST /upload/youtube/v3/videos?uploadType=resumable&part=snippet,status`` answered 200 with the
session URI in ``Location``; ``PUT`` chunks with ``Content-Range``, 308 + ``Range`` for "more",
200 + the video resource at the end; ``bytes */total`` asks what arrived), ``thumbnails.set`` and
``playlistItems.insert`` (§4), ``videos.list`` / ``channels.list`` (§7), the token endpoint (§1),
and Google's JSON error shape (§6) with the recorded bodies under
``tests/platforms/payloads/youtube/``.

It is strict about what the documentation requires (a bearer token it issued, ``uploadType``,
``part``, ``X-Upload-Content-Length``/``-Type``, a JSON body with a valid title and
``privacyStatus``, ranges that continue where the server stands, chunks in 256 KiB multiples)
and answers ``400 badRequest`` otherwise. It keeps every video it created, so a test can count
videos per title (exactly once), and misbehaves on request, one fault per matching call:

- ``rate_limit``: a plain ``429 rateLimitExceeded`` (domain ``global``), with ``Retry-After``
  only if the fault sets ``retry_after``;
- ``daily_uploads``: the 2026 "Video Uploads per day" 429 (google-api-python-client #2753);
- ``quota``: ``403 quotaExceeded``; ``upload_limit``: ``400 uploadLimitExceeded``.

A fault applies to the session start (``on="start"``) or to an upload ``PUT`` (``on="put"``);
``match`` restricts it to videos whose title contains that text.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.platforms.builders import payload
from tests.workers.loopback import Loopback

CHUNK_UNIT = 256 * 1024
PRIVACY = {"public", "unlisted", "private"}

#: fault kind → (HTTP status, recorded body)
FAULT_BODIES: dict[str, tuple[int, str]] = {
    "rate_limit": (429, "error_rate_limit_429"),
    "daily_uploads": (429, "error_daily_uploads_429_plain"),
    "quota": (403, "error_quota"),
    "upload_limit": (400, "error_upload_limit"),
}


@dataclass
class Fault:
    kind: str
    times: int = 1
    retry_after: int | None = None
    match: str | None = None
    on: str = "start"  # "start" (the session start) or "put" (an upload PUT)


@dataclass
class Session:
    id: str
    token: str
    size: int
    resource: dict[str, Any]
    received: int = 0
    video_id: str | None = None


@dataclass
class Video:
    id: str
    token: str
    title: str
    resource: dict[str, Any]
    created: float


@dataclass
class YouTubeState:
    tokens: set[str] = field(default_factory=set)
    faults: list[Fault] = field(default_factory=list)
    sessions: dict[str, Session] = field(default_factory=dict)
    videos: list[Video] = field(default_factory=list)
    thumbnails: dict[str, int] = field(default_factory=dict)  # video id → bytes
    #: every call: (method, path, time, title of the video it concerns or "", HTTP status answered)
    calls: list[tuple[str, str, float, str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    seq: int = 0

    def take_fault(self, title: str, on: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.on == on and fault.times > 0 and (fault.match is None or fault.match in title):
                    fault.times -= 1
                    return fault
        return None

    def next_id(self, prefix: str) -> str:
        with self.lock:
            self.seq += 1
            return f"{prefix}{self.seq:05d}"

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(v.title for v in self.videos)

    def starts(self, title: str | None = None) -> list[tuple[float, int]]:
        """(time, status) of every session start, for one title (or all)."""
        with self.lock:
            return [
                (c[2], c[4])
                for c in self.calls
                if c[0] == "POST" and c[1] == "upload/youtube/v3/videos" and (title is None or title in c[3])
            ]


def _error(code: int, reason: str, message: str, domain: str = "global") -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
        }
    }


class FakeYouTube(Loopback):
    def __init__(self) -> None:
        self.state = YouTubeState()
        state = self.state
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16

            def log_message(self, *args: Any) -> None:
                pass

            # -- plumbing ------------------------------------------------------------------
            def _send(
                self, code: int, body: Any = None, headers: dict[str, str] | None = None, *, title: str = ""
            ) -> None:
                raw = b"" if body is None else json.dumps(body).encode()
                state.calls.append(
                    (self.command, urlsplit(self.path).path.strip("/"), time.time(), title, code)
                )
                self.send_response(code)
                if body is not None:
                    self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def _fault(self, fault: Fault, title: str) -> None:
                status, name = FAULT_BODIES[fault.kind]
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                self._send(status, payload("youtube", name), headers, title=title)

            def _query(self) -> dict[str, str]:
                return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length", "0")))

            def _token(self) -> str | None:
                """The bearer token if it is one we issued; else answers 401 and returns None."""
                token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
                if token in state.tokens:
                    return token
                self._send(401, _error(401, "authError", "Invalid Credentials", "global"))
                return None

            def _bad(self, message: str, title: str = "") -> None:
                self._send(400, _error(400, "badRequest", message), title=title)

            # -- verbs ---------------------------------------------------------------------
            def do_GET(self) -> None:  # noqa: N802
                path = urlsplit(self.path).path.rstrip("/")
                token = self._token()
                if token is None:
                    return
                q = self._query()
                if path == "/youtube/v3/videos":
                    if "part" not in q or "id" not in q:
                        self._bad("Required parameter: part / id")
                        return
                    ids = set(q["id"].split(","))
                    with state.lock:
                        items = [v.resource for v in state.videos if v.id in ids and v.token == token]
                    self._send(
                        200,
                        {
                            "kind": "youtube#videoListResponse",
                            "items": items,
                            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
                        },
                    )
                    return
                if path == "/youtube/v3/channels":
                    self._send(
                        200,
                        {
                            "kind": "youtube#channelListResponse",
                            "items": [
                                {
                                    "id": "UC" + token[-8:],
                                    "statistics": {"subscriberCount": "120", "hiddenSubscriberCount": False},
                                }
                            ],
                        },
                    )
                    return
                self._send(404, _error(404, "notFound", "Not Found"))

            def do_POST(self) -> None:  # noqa: N802
                path = urlsplit(self.path).path.rstrip("/")
                if path == "/token":
                    self._refresh()
                    return
                body = self._body()
                token = self._token()
                if token is None:
                    return
                q = self._query()
                if path == "/upload/youtube/v3/videos":
                    self._start(token, q, body)
                elif path == "/upload/youtube/v3/thumbnails/set":
                    video = q.get("videoId", "")
                    with state.lock:
                        known = any(v.id == video for v in state.videos)
                        if known:
                            state.thumbnails[video] = len(body)
                    if not known:
                        self._send(404, _error(404, "videoNotFound", "Video not found", "youtube.video"))
                        return
                    self._send(
                        200,
                        {
                            "kind": "youtube#thumbnailSetResponse",
                            "items": [
                                {
                                    "default": {
                                        "url": f"https://i.ytimg.com/vi/{video}/default.jpg",
                                        "width": 120,
                                        "height": 90,
                                    }
                                }
                            ],
                        },
                    )
                elif path == "/youtube/v3/playlistItems":
                    doc = json.loads(body or b"{}")
                    snippet = doc.get("snippet") or {}
                    if (
                        q.get("part") != "snippet"
                        or not snippet.get("playlistId")
                        or not snippet.get("resourceId")
                    ):
                        self._bad(
                            "playlistItems.insert needs part=snippet, snippet.playlistId and snippet.resourceId"
                        )
                        return
                    self._send(
                        200, {"kind": "youtube#playlistItem", "id": state.next_id("PLI"), "snippet": snippet}
                    )
                else:
                    self._send(404, _error(404, "notFound", "Not Found"))

            def do_PUT(self) -> None:  # noqa: N802
                q = self._query()
                body = self._body()
                token = self._token()
                if token is None:
                    return
                with state.lock:
                    session = state.sessions.get(q.get("upload_id", ""))
                if session is None or session.token != token:
                    self._send(404, _error(404, "notFound", "Upload session not found"))
                    return
                title = session.resource["snippet"]["title"]
                crange = self.headers.get("Content-Range", "")
                if crange == f"bytes */{session.size}":  # the status query
                    self._progress(session, title)
                    return
                if fault := state.take_fault(title, "put"):
                    self._fault(fault, title)
                    return
                try:
                    span, total = crange.removeprefix("bytes ").split("/")
                    first, last = (int(x) for x in span.split("-"))
                except ValueError:
                    self._bad(f"bad Content-Range {crange!r}", title)
                    return
                if int(total) != session.size or first != session.received or last - first + 1 != len(body):
                    self._bad(f"Content-Range {crange!r} does not continue at {session.received}", title)
                    return
                if last + 1 < session.size and len(body) % CHUNK_UNIT:
                    self._bad("a chunk other than the last must be a multiple of 256 KiB", title)
                    return
                session.received = last + 1
                self._progress(session, title)

            # -- the documented steps ------------------------------------------------------
            def _start(self, token: str, q: dict[str, str], body: bytes) -> None:
                if q.get("uploadType") != "resumable" or set(q.get("part", "").split(",")) != {
                    "snippet",
                    "status",
                }:
                    self._bad("uploadType=resumable and part=snippet,status are required")
                    return
                size = self.headers.get("X-Upload-Content-Length", "")
                mime = self.headers.get("X-Upload-Content-Type", "")
                if not size.isdigit() or not (
                    mime.startswith("video/") or mime == "application/octet-stream"
                ):
                    self._bad("X-Upload-Content-Length and X-Upload-Content-Type are required")
                    return
                if not self.headers.get("Content-Type", "").startswith("application/json"):
                    self._bad("the video resource must be JSON")
                    return
                doc = json.loads(body.decode("utf-8"))
                snippet, status = doc.get("snippet") or {}, doc.get("status") or {}
                title = str(snippet.get("title", ""))
                if not title or len(title) > 100 or "<" in title or ">" in title:
                    self._send(
                        400, _error(400, "invalidTitle", "Invalid video title", "youtube.video"), title=title
                    )
                    return
                if status.get("privacyStatus") not in PRIVACY or (
                    status.get("publishAt") and status["privacyStatus"] != "private"
                ):
                    self._bad(
                        "status.privacyStatus must be public/unlisted/private (private with publishAt)", title
                    )
                    return
                if fault := state.take_fault(title, "start"):
                    self._fault(fault, title)
                    return
                sid = state.next_id("up")
                resource = {"snippet": snippet, "status": status}
                with state.lock:
                    state.sessions[sid] = Session(sid, token, int(size), resource)
                location = f"{fake.url}/upload/youtube/v3/videos?uploadType=resumable&upload_id={sid}"
                self._send(200, None, {"Location": location}, title=title)

            def _progress(self, session: Session, title: str) -> None:
                if session.received < session.size:
                    headers = {"Range": f"bytes=0-{session.received - 1}"} if session.received else {}
                    self._send(308, None, headers, title=title)
                    return
                with state.lock:
                    if session.video_id is None:
                        state.seq += 1
                        vid = f"vid{state.seq:08d}"
                        session.video_id = vid
                        resource = {
                            "kind": "youtube#video",
                            "id": vid,
                            "snippet": {
                                **session.resource["snippet"],
                                "channelId": "UC" + session.token[-8:],
                            },
                            "status": {**session.resource["status"], "uploadStatus": "uploaded"},
                        }
                        state.videos.append(Video(vid, session.token, title, resource, time.time()))
                    video = next(v for v in state.videos if v.id == session.video_id)
                self._send(200, video.resource, title=title)

            def _refresh(self) -> None:
                form = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
                if form.get("grant_type") != "refresh_token" or not form.get("refresh_token"):
                    self._send(400, {"error": "invalid_request"})
                    return
                token = f"ya29.fresh-{state.next_id('')}"
                state.tokens.add(token)
                self._send(
                    200,
                    {
                        "access_token": token,
                        "expires_in": 3599,
                        "scope": "https://www.googleapis.com/auth/youtube",
                        "token_type": "Bearer",
                    },
                )

        self.serve(Handler)

    def env(self) -> dict[str, str]:
        """The settings that point the YouTube adapter of a worker process here."""
        return {
            "PUBLISHER_YOUTUBE__API_URL": f"{self.url}/youtube/v3",
            "PUBLISHER_YOUTUBE__UPLOAD_URL": f"{self.url}/upload/youtube/v3",
            "PUBLISHER_YOUTUBE__OAUTH_URL": self.url,
            "PUBLISHER_YOUTUBE__CLIENT_ID": "cid-test",
            "PUBLISHER_YOUTUBE__CLIENT_SECRET": "csecret-test",
        }
