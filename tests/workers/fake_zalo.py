"""A loopback stand-in for the Zalo OA Open API (articles), enough for the real Zalo adapter.

Written from /work/shared/reference/zalo.md (§0 conventions, §2 articles, §5 errors): the access
token travels in the ``access_token`` header; every answer is JSON ``{"error", "message", "data"}``
and errors come with HTTP 200 and a negative code; ``article/create`` answers a *token*, not an id;
``article/verify`` answers ``-214`` while the article is processing, then ``data.id``;
``article/getslice`` needs ``type`` (``normal``/``video``), refuses ``limit`` over 10 and lists the
newest first with ``create_date`` in milliseconds.

It is strict about request bodies (unknown or missing fields, lengths Zalo refuses, a cover that is
not a public URL: ``-201`` with the field named), keeps every article it created so a test can
count them, and misbehaves on request, one fault per matching create call:

- ``drop_after_create``: create the article, then close the connection without an answer;
- ``status_after_create``: create the article, then answer 500 with an HTML page;
- ``hold_after_create``: create the article, then stall until released;
- ``drop_before_create``: read the request, then close the connection; nothing is created.

``list_delay`` seconds pass before a new article shows in ``getslice`` (Zalo processes it first),
and ``processing_polls`` verify calls answer ``-214`` before the id. ``with_links`` puts a ``link``
in each listed article (whether Zalo sends one is UNCERTAIN; both ways are tested).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.workers.loopback import Loopback

LIST_LIMIT = 10
TITLE_MAX = 149  # "title allow 1 to 150 characters", yet exactly 150 is refused
DESCRIPTION_MAX = 299
AUTHOR_MAX = 50
NORMAL_FIELDS = {"type", "title", "author", "cover", "description", "body", "status", "comment"}
NORMAL_REQUIRED = {"type", "title", "cover", "description", "body", "status"}
VIDEO_FIELDS = {"type", "title", "description", "video_id", "avatar", "status", "comment"}
VIDEO_REQUIRED = {"type", "title", "description", "video_id", "status"}
LINK_BASE = "https://oa.zalo.test/article/"
AFTER_CREATE = ("drop_after_create", "status_after_create", "hold_after_create")


@dataclass
class Fault:
    kind: str
    times: int = 1
    match: str | None = None  # only creates whose title contains this


@dataclass
class Article:
    id: str
    token: str
    kind: str
    title: str
    description: str
    created: float  # epoch seconds (the server's clock)
    body: dict[str, Any]
    verify_calls: int = 0


@dataclass
class ZaloState:
    tokens: set[str] = field(default_factory=lambda: {"zalo-tok"})
    articles: list[Article] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    calls: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    processing_polls: int = 0
    list_delay: float = 0.0
    with_links: bool = True
    clock: Callable[[], float] = time.time
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    seq: int = 0

    def take_fault(self, title: str, kinds: tuple[str, ...]) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.kind in kinds and fault.times > 0 and (fault.match is None or fault.match in title):
                    fault.times -= 1
                    return fault
        return None

    def create(self, body: dict[str, Any], created: float | None = None) -> Article:
        with self.lock:
            self.seq += 1
            article = Article(
                id=f"{0x8F2A5C1D0000 + self.seq:016x}",
                token=f"eyJhcnRpY2xlIjoi{self.seq:06d}In0=",
                kind=str(body.get("type", "normal")),
                title=str(body.get("title", "")),
                description=str(body.get("description", "")),
                created=self.clock() if created is None else created,
                body=body,
            )
            self.articles.append(article)
            return article

    def seed(self, n: int, *, title: str = "Tin cũ", kind: str = "normal", age: float = 86400.0) -> None:
        """``n`` older articles (one an hour back from ``age`` seconds ago), as if posted earlier."""
        now = self.clock()
        for i in range(n):
            self.create(
                {"type": kind, "title": f"{title} {i}", "description": ""}, created=now - age - i * 3600
            )

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(a.title for a in self.articles)

    def listed(self, kind: str) -> list[Article]:
        now = self.clock()
        with self.lock:
            items = [a for a in self.articles if a.kind == kind and a.created + self.list_delay <= now]
        return sorted(items, key=lambda a: a.created, reverse=True)

    def item(self, a: Article) -> dict[str, Any]:
        ms = int(a.created * 1000)
        out: dict[str, Any] = {
            "id": a.id,
            "type": a.kind,
            "title": a.title,
            "description": a.description,
            "status": "show",
            "thumb": "https://cdn.zalo.test/thumb.jpg",
            "create_date": ms,
            "update_date": ms,
            "total_view": 0,
            "total_share": 0,
        }
        if self.with_links:
            out["link"] = LINK_BASE + a.id
        return out


def _error(code: int, message: str) -> dict[str, Any]:
    return {"error": code, "message": message}


def _check_article(body: Any) -> str | None:
    """Why Zalo would refuse this create body (the message of a -201), or None."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    kind = body.get("type")
    if kind not in ("normal", "video"):
        return "type is invalid"
    allowed, required = (
        (NORMAL_FIELDS, NORMAL_REQUIRED) if kind == "normal" else (VIDEO_FIELDS, VIDEO_REQUIRED)
    )
    unknown = set(body) - allowed
    if unknown:
        return f"unknown field {sorted(unknown)[0]}"
    missing = required - set(body)
    if missing:
        return f"{sorted(missing)[0]} is required"
    title = body["title"]
    if not isinstance(title, str) or not 1 <= len(title) <= TITLE_MAX:
        return "title allow 1 to 150 characters"
    if not isinstance(body["description"], str) or len(body["description"]) > DESCRIPTION_MAX:
        return "description allow 1 to 300 characters"
    if len(str(body.get("author", ""))) > AUTHOR_MAX:
        return "author allow 1 to 50 characters"
    if body["status"] not in ("show", "hide"):
        return "status value is invalid"
    if kind == "video":
        if not body["video_id"]:
            return "video_id is invalid"
        return None
    cover = body["cover"]
    if (
        not isinstance(cover, dict)
        or cover.get("cover_type") != "photo"
        or not str(cover.get("photo_url") or "").startswith("https://")
        or " " in str(cover.get("photo_url"))
    ):
        return "cover value is invalid"
    blocks = body["body"]
    if not isinstance(blocks, list) or not blocks:
        return "body is invalid"
    for block in blocks:
        if not isinstance(block, dict) or block.get("type") not in ("text", "image", "video"):
            return "body item type is invalid"
        if block["type"] == "text" and not isinstance(block.get("content"), str):
            return "body text content is invalid"
        if block["type"] == "image" and not str(block.get("url") or "").startswith("https://"):
            return "body image url is invalid"
    return None


class FakeZalo(Loopback):
    def __init__(self) -> None:
        self.state = ZaloState()
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, body: Any, html: bool = False) -> None:
                raw = (body if html else json.dumps(body, ensure_ascii=False)).encode()
                self.send_response(code)
                self.send_header("Content-Type", "text/html" if html else "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _path(self) -> str:
                return urlsplit(self.path).path

            def _authorised(self) -> bool:
                if self.headers.get("access_token") in state.tokens:
                    return True
                self._send(200, _error(-216, "Access token is invalid"))
                return False

            def do_GET(self) -> None:  # noqa: N802
                path = self._path()
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                state.calls.append(("GET", path, query))
                if not self._authorised():
                    return
                if path != "/v2.0/article/getslice":
                    self._send(404, _error(-209, "API is not support"))
                    return
                kind = query.get("type")
                if kind not in ("normal", "video"):
                    self._send(200, _error(-201, "type accept only 2 value normal and video."))
                    return
                try:
                    offset, limit = int(query.get("offset", "0")), int(query.get("limit", "10"))
                except ValueError:
                    self._send(200, _error(-201, "offset or limit is invalid"))
                    return
                if limit > LIST_LIMIT or limit < 1 or offset < 0:
                    self._send(200, _error(-201, "maximum limit is 10"))
                    return
                items = state.listed(kind)
                page = [state.item(a) for a in items[offset : offset + limit]]
                self._send(
                    200, {"error": 0, "message": "Success", "data": {"total": len(items), "medias": page}}
                )

            def do_POST(self) -> None:  # noqa: N802
                path = self._path()
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                state.calls.append(("POST", path, {}))
                if not self._authorised():
                    return
                if not self.headers.get("Content-Type", "").startswith("application/json"):
                    self._send(200, _error(-201, "content type must be application/json"))
                    return
                try:
                    body = json.loads(raw.decode("utf-8"))
                except ValueError:
                    self._send(200, _error(-201, "body is not JSON"))
                    return
                if path == "/v2.0/article/create":
                    self._create(body)
                elif path == "/v2.0/article/verify":
                    self._verify(body)
                else:
                    self._send(404, _error(-209, "API is not support"))

            def _create(self, body: Any) -> None:
                refused = _check_article(body)
                if refused:
                    self._send(200, _error(-201, refused))
                    return
                if state.take_fault(str(body["title"]), ("drop_before_create",)):
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                article = state.create(body)
                fault = state.take_fault(article.title, AFTER_CREATE)
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
                self._send(200, {"error": 0, "message": "Success", "data": {"token": article.token}})

            def _verify(self, body: Any) -> None:
                if not isinstance(body, dict) or set(body) != {"token"}:
                    self._send(200, _error(-201, "token is required"))
                    return
                with state.lock:
                    found = [a for a in state.articles if a.token == body["token"]]
                if not found:
                    self._send(200, _error(-201, "token is invalid"))
                    return
                article = found[0]
                article.verify_calls += 1
                if article.verify_calls <= state.processing_polls:
                    self._send(200, _error(-214, "Article is being processed"))
                    return
                self._send(200, {"error": 0, "message": "Success", "data": {"id": article.id}})

        self.serve(Handler)

    def before_stop(self) -> None:
        self.state.release.set()

    def creates(self) -> int:
        return sum(1 for method, path, _ in self.state.calls if method == "POST" and path.endswith("/create"))
