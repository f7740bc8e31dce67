"""A loopback stand-in for the Facebook Graph API, enough for the real Facebook adapter to publish.

It runs in the test process on 127.0.0.1 (a thread per request) while real worker processes call
it over HTTP. It keeps every post it created, so a test can count posts per message (exactly
once), and it can misbehave on purpose, one fault per matching create call:

- ``status_after_create``: create the post, then answer 500 with an HTML page;
- ``drop_after_create``: create the post, then close the connection without an answer;
- ``hold_after_create``: create the post, then stall until released (the test kills the worker);
- ``hold_mid_upload``: read part of a photo upload, then stall (nothing is created);
- ``rate_limit``: answer 429 with ``Retry-After`` (nothing is created);
- tokens in ``expired_tokens`` get Graph error 190/463.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.workers.loopback import Loopback


@dataclass
class Fault:
    kind: str
    times: int = 1
    retry_after: int = 2
    match: str | None = None  # only calls whose message contains this


@dataclass
class Post:
    id: str
    page: str
    message: str
    created: float
    published: bool = True
    scheduled_for: float | None = None


@dataclass
class GraphState:
    posts: list[Post] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    expired_tokens: set[str] = field(default_factory=set)
    calls: list[tuple[str, str, float]] = field(default_factory=list)
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    latency: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    seq: int = 0

    def take_fault(self, message: str, kinds: tuple[str, ...]) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if (
                    fault.kind in kinds
                    and fault.times > 0
                    and (fault.match is None or fault.match in message)
                ):
                    fault.times -= 1
                    return fault
        return None

    def create(self, page: str, message: str, published: bool, when: float | None) -> Post:
        with self.lock:
            self.seq += 1
            post = Post(f"{page}_{self.seq}", page, message, time.time(), published, when)
            self.posts.append(post)
            return post

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(p.message for p in self.posts)


class FakeGraph(Loopback):
    def __init__(self) -> None:
        self.state = GraphState()
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16  # headers and body leave in one segment (no Nagle/delayed-ACK stall)

            def log_message(self, *args: Any) -> None:
                pass

            def _send(
                self, code: int, body: Any, headers: dict[str, str] | None = None, html: bool = False
            ) -> None:
                raw = (body if html else json.dumps(body)).encode()
                self.send_response(code)
                self.send_header("Content-Type", "text/html" if html else "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def _parts(self) -> list[str]:
                path = urlsplit(self.path).path.strip("/").split("/")
                return path[1:] if path and path[0].startswith("v") else path  # drop the API version

            def _token(self) -> str:
                return self.headers.get("Authorization", "").removeprefix("OAuth ").strip()

            def _auth_failed(self) -> bool:
                if self._token() in state.expired_tokens:
                    self._send(
                        400,
                        {
                            "error": {
                                "message": "Error validating access token",
                                "type": "OAuthException",
                                "code": 190,
                                "error_subcode": 463,
                            }
                        },
                    )
                    return True
                return False

            def do_GET(self) -> None:  # noqa: N802
                if state.latency:
                    time.sleep(state.latency)
                parts = self._parts()
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                state.calls.append(("GET", "/".join(parts), time.time()))
                if self._auth_failed():
                    return
                if len(parts) == 2 and parts[1] in (
                    "published_posts",
                    "scheduled_posts",
                    "videos",
                    "video_reels",
                ):
                    since = float(query.get("since", "0"))
                    want_published = parts[1] != "scheduled_posts"
                    with state.lock:
                        items = [
                            p
                            for p in state.posts
                            if p.page == parts[0]
                            and p.created >= since
                            and p.published == want_published
                            and parts[1] not in ("videos", "video_reels")
                        ]
                    data = [
                        {
                            "id": p.id,
                            "message": p.message,
                            "permalink_url": f"https://fb.test/{p.id}",
                            "created_time": datetime.fromtimestamp(p.created, UTC).isoformat(),
                        }
                        for p in items
                    ]
                    self._send(200, {"data": data})
                    return
                if len(parts) == 1:
                    with state.lock:
                        found = [p for p in state.posts if p.id == parts[0]]
                    if not found:
                        self._send(
                            400,
                            {
                                "error": {
                                    "message": "Unsupported get request",
                                    "code": 100,
                                    "error_subcode": 33,
                                }
                            },
                        )
                        return
                    p = found[0]
                    self._send(
                        200,
                        {"id": p.id, "permalink_url": f"https://fb.test/{p.id}", "is_published": p.published},
                    )
                    return
                self._send(404, {"error": {"message": "unknown path", "code": 803}})

            def do_DELETE(self) -> None:  # noqa: N802
                self._send(200, {"success": True})

            def do_POST(self) -> None:  # noqa: N802
                if state.latency:
                    time.sleep(state.latency)
                parts = self._parts()
                state.calls.append(("POST", "/".join(parts), time.time()))
                length = int(self.headers.get("Content-Length", "0"))
                ctype = self.headers.get("Content-Type", "")
                if len(parts) == 2 and parts[1] == "photos" and state.take_fault("", ("hold_mid_upload",)):
                    self.rfile.read(min(length, 64))
                    state.reached.set()
                    state.release.wait(60)
                    self.close_connection = True
                    return
                body = self.rfile.read(length)
                if self._auth_failed():
                    return
                fields = _fields(ctype, body)
                message = fields.get("message", "")
                if len(parts) != 2 or parts[1] not in ("feed", "photos"):
                    self._send(404, {"error": {"message": "unknown path", "code": 803}})
                    return
                if fault := state.take_fault(message, ("rate_limit",)):
                    self._send(
                        429,
                        "<html>Too Many Requests</html>",
                        {"Retry-After": str(fault.retry_after)},
                        html=True,
                    )
                    return
                published = fields.get("published", "true") != "false"
                when = (
                    float(fields["scheduled_publish_time"]) if fields.get("scheduled_publish_time") else None
                )
                post = state.create(parts[0], message, published, when)
                fault = state.take_fault(
                    message, ("status_after_create", "drop_after_create", "hold_after_create")
                )
                if fault and fault.kind == "status_after_create":
                    self._send(500, "<html><body>Internal Server Error</body></html>", html=True)
                    return
                if fault and fault.kind == "drop_after_create":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if fault and fault.kind == "hold_after_create":
                    state.reached.set()
                    state.release.wait(60)
                if parts[1] == "photos":
                    self._send(200, {"id": f"photo{post.id}", "post_id": post.id})
                else:
                    self._send(200, {"id": post.id})

        self.serve(Handler)

    def before_stop(self) -> None:
        self.state.release.set()


def _fields(ctype: str, body: bytes) -> dict[str, str]:
    if ctype.startswith("multipart/"):
        msg = BytesParser(policy=email_policy).parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\nMIME-Version: 1.0\r\n\r\n" + body
        )
        out: dict[str, str] = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name and not part.get_filename():
                payload = part.get_payload(decode=True)
                out[str(name)] = payload.decode("utf-8") if isinstance(payload, bytes) else ""
        return out
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
