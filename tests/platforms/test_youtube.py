"""YouTube adapter: request bodies checked against Google's discovery document, the resumable
upload protocol against a loopback server that drops the connection, quota and errors."""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import threading
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from pydantic import SecretStr

from publisher.core.models import Platform, PostSpec, Target
from publisher.platforms.base import AuthExpired, Credentials, Outcome
from publisher.platforms.http import FileSlice
from publisher.platforms.youtube import MemoryQuotaCounter, YouTubeAdapter
from publisher.platforms.youtube.quota import QuotaBook, next_reset, quota_day
from publisher.platforms.youtube.upload import CHUNK_UNIT
from publisher.settings import YouTubeSettings
from tests.platforms.builders import NOW, TEXT, TITLE, Checkpoints, delivery, payload, write_file

UP = "https://www.googleapis.com/upload/youtube/v3"
API = "https://www.googleapis.com/youtube/v3"
SESSION = f"{UP}/videos?uploadType=resumable&upload_id=ABC"
TOKEN = "ya29.SECRET"


# -- discovery document -----------------------------------------------------------------------
DISCOVERY = json.loads(
    importlib.resources.files("googleapiclient.discovery_cache")
    .joinpath("documents/youtube.v3.json")
    .read_text(encoding="utf-8")
)
SCHEMAS = DISCOVERY["schemas"]
TYPES: dict[str, Any] = {"string": str, "boolean": bool, "integer": int, "array": list, "object": dict}


def validate(value: Any, schema: dict[str, Any], where: str, method: str) -> None:
    """Walk a discovery schema by hand ($ref resolved): known keys, types, enums, formats, required."""
    if "$ref" in schema:
        schema = SCHEMAS[schema["$ref"]]
    kind = schema.get("type", "object")
    assert isinstance(value, TYPES[kind]), f"{where}: {value!r} is not {kind}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if schema.get("format") == "date-time":
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    if kind == "array":
        for i, item in enumerate(value):
            validate(item, schema["items"], f"{where}[{i}]", method)
    if kind == "object" and "properties" in schema:
        props = schema["properties"]
        unknown = set(value) - set(props)
        assert not unknown, f"{where}: unknown fields {unknown}"
        for name, prop in props.items():
            required = method in ((prop.get("annotations") or {}).get("required") or [])
            if required:
                assert name in value, f"{where}.{name} is required by {method}"
            if name in value:
                assert not prop.get("readOnly"), f"{where}.{name} is read-only"
                validate(value[name], prop, f"{where}.{name}", method)


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def make_adapter(
    settings: YouTubeSettings | None = None, quota: MemoryQuotaCounter | None = None
) -> YouTubeAdapter:
    a = YouTubeAdapter(
        Credentials(access_token=TOKEN, refresh_token="1//REFRESH", remote_account_id="UCcommune"),
        settings or YouTubeSettings(client_id="cid", client_secret=SecretStr("csecret")),
        requests.Session(),
        quota=quota or MemoryQuotaCounter(),
    )
    a.clock = lambda: NOW
    a.sleep = lambda seconds: None
    return a


@pytest.fixture
def adapter() -> YouTubeAdapter:
    return make_adapter()


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return write_file(tmp_path / "video.mp4", 3 * CHUNK_UNIT + 1000, b"y")


def yt(video: Path | None, **changes: Any) -> Any:
    return delivery(Platform.YOUTUBE, video=video, **changes)


def start_and_finish(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{UP}/videos", status=200, headers={"Location": SESSION})
    rsps.put(SESSION, json=payload("youtube", "video_resource"), status=201)


# -- metadata ---------------------------------------------------------------------------------
def test_session_start_request_follows_the_protocol_and_the_discovery_document(rsps, adapter, clip) -> None:
    start_and_finish(rsps)
    cp = Checkpoints(rsps.calls)
    result = adapter.publish(yt(clip), cp)
    assert result.outcome is Outcome.PUBLISHED and result.remote_id == "dQw4w9WgXcQ"
    assert result.url == "https://youtu.be/dQw4w9WgXcQ"
    start = rsps.calls[0].request
    parts = urlsplit(start.url)
    assert parts.path == "/upload/youtube/v3/videos"
    assert parse_qs(parts.query) == {"uploadType": ["resumable"], "part": ["snippet,status"]}
    assert set(parse_qs(parts.query)) <= set(
        DISCOVERY["resources"]["videos"]["methods"]["insert"]["parameters"]
    ) | {"uploadType"}
    assert start.headers["Authorization"] == f"Bearer {TOKEN}"
    assert start.headers["X-Upload-Content-Length"] == str(clip.stat().st_size)
    assert start.headers["X-Upload-Content-Type"] == "video/mp4"
    assert start.headers["Content-Type"] == "application/json; charset=UTF-8"
    body = json.loads(start.body)
    validate(body, SCHEMAS["Video"], "video", "youtube.videos.insert")
    assert body["snippet"] == {
        "title": TITLE,
        "description": TEXT,
        "categoryId": "22",
        "defaultLanguage": "vi",
    }
    assert body["status"] == {"privacyStatus": "public", "selfDeclaredMadeForKids": False}
    # the session URI is committed right after the start call, before any byte is sent
    assert cp[0]["session_uri"] == SESSION and cp.calls_before[0] == 1
    assert cp.last["video_id"] == "dQw4w9WgXcQ"


def test_scheduled_video_is_private_with_publish_at(rsps, adapter, clip) -> None:
    start_and_finish(rsps)
    due = NOW + timedelta(days=1, hours=2)
    opts = {
        "youtube": {
            "privacy": "unlisted",
            "made_for_kids": True,
            "tags": ["xã Hạnh Dịch", "y tế"],
            "synthetic_media": False,
        }
    }
    result = adapter.publish(yt(clip, due_at=due, options=opts))
    assert result.outcome is Outcome.HANDED_OFF
    body = json.loads(rsps.calls[0].request.body)
    validate(body, SCHEMAS["Video"], "video", "youtube.videos.insert")
    assert body["status"] == {
        "privacyStatus": "private",
        "publishAt": "2026-11-27T04:00:00Z",
        "selfDeclaredMadeForKids": True,
        "containsSyntheticMedia": False,
    }
    assert body["snippet"]["tags"] == ["xã Hạnh Dịch", "y tế"]


@pytest.mark.parametrize(
    ("title", "text", "code"),
    [
        ("x" * 101, TEXT, "title_long"),
        ("Tin <mới>", TEXT, "angle_brackets"),
        (TITLE, "a > b", "angle_brackets"),
        (TITLE, "ệ" * 1700, "text_long"),  # 1,700 characters but 5,100 UTF-8 bytes
        ("", TEXT, "no_title"),
    ],
)
def test_metadata_limits_refuse_before_any_call(rsps, adapter, clip, title, text, code) -> None:
    result = adapter.publish(yt(clip, title=title, text=text))
    assert result.outcome is Outcome.REJECTED and result.code == code
    assert len(rsps.calls) == 0


def test_description_of_exactly_5000_bytes_passes(rsps, adapter, clip) -> None:
    start_and_finish(rsps)
    text = "ệ" * 1666 + "ab"  # 4998 + 2 bytes
    assert len(text.encode()) == 5000
    assert adapter.publish(yt(clip, text=text)).outcome is Outcome.PUBLISHED


def test_check_counts_description_bytes_and_angle_brackets(tmp_path) -> None:
    post = PostSpec(
        key="k",
        title="Tin <mới>",
        text="ệ" * 1700,
        due_at=NOW,
        timezone="Asia/Ho_Chi_Minh",
        targets=(Target(Platform.YOUTUBE, "kenh"),),
        video=tmp_path / "v.mp4",
    )
    codes = {p.code for p in YouTubeAdapter.check(post)}
    assert {"text_long", "angle_brackets"} <= codes


def test_thumbnail_failure_does_not_fail_the_video_and_playlist_is_added(
    rsps, adapter, clip, tmp_path
) -> None:
    thumb = write_file(tmp_path / "thumb.jpg", 5000, b"\xff")
    start_and_finish(rsps)
    rsps.post(f"{UP}/thumbnails/set", json=payload("youtube", "error_forbidden_thumbnail"), status=403)
    rsps.post(f"{API}/playlistItems", json=payload("youtube", "playlist_item"))
    cp = Checkpoints()
    result = adapter.publish(
        yt(clip, options={"youtube": {"thumbnail": str(thumb), "playlist": "PLcommune"}}), cp
    )
    assert result.outcome is Outcome.PUBLISHED
    assert cp.last["thumbnail"] == "failed:forbidden" and cp.last["playlist"] == "done"
    thumb_call = rsps.calls[2].request
    assert parse_qs(urlsplit(thumb_call.url).query) == {"videoId": ["dQw4w9WgXcQ"], "uploadType": ["media"]}
    assert thumb_call.headers["Content-Type"] == "image/jpeg"
    item = json.loads(rsps.calls[3].request.body)
    validate(item, SCHEMAS["PlaylistItem"], "playlistItem", "youtube.playlistItems.insert")
    assert item == {
        "snippet": {
            "playlistId": "PLcommune",
            "resourceId": {"kind": "youtube#video", "videoId": "dQw4w9WgXcQ"},
        }
    }
    assert parse_qs(urlsplit(rsps.calls[3].request.url).query) == {"part": ["snippet"]}


def test_oversized_thumbnail_is_skipped_without_a_call(rsps, adapter, clip, tmp_path) -> None:
    thumb = write_file(tmp_path / "big.jpg", 2 * 1024 * 1024 + 1)
    start_and_finish(rsps)
    cp = Checkpoints()
    result = adapter.publish(yt(clip, options={"youtube": {"thumbnail": str(thumb)}}), cp)
    assert result.outcome is Outcome.PUBLISHED and cp.last["thumbnail"] == "failed:too_large"
    assert not any("thumbnails" in c.request.url for c in rsps.calls)


# -- quota and errors -------------------------------------------------------------------------
def test_quota_day_resets_at_midnight_pacific() -> None:
    # 2026-11-26 07:59 UTC is 23:59 PST on the 25th
    assert quota_day(datetime(2026, 11, 26, 7, 59, tzinfo=UTC)) == date(2026, 11, 25)
    assert quota_day(datetime(2026, 11, 26, 8, 0, tzinfo=UTC)) == date(2026, 11, 26)
    assert next_reset(datetime(2026, 11, 26, 2, 0, tzinfo=UTC)) == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    # summer time: midnight PDT is 07:00 UTC
    assert next_reset(datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) == datetime(2026, 7, 2, 7, 0, tzinfo=UTC)


def test_local_quota_postpones_without_calling(rsps, clip) -> None:
    counter = MemoryQuotaCounter()
    settings = YouTubeSettings(client_id="cid", daily_quota=2000)
    a, b = make_adapter(settings, counter), make_adapter(settings, counter)  # two workers, one project
    start_and_finish(rsps)
    assert a.publish(yt(clip)).outcome is Outcome.PUBLISHED
    calls = len(rsps.calls)
    result = b.publish(yt(clip))
    assert result.outcome is Outcome.RATE_LIMITED
    assert result.postpone_until == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    assert len(rsps.calls) == calls
    assert counter.used("cid", date(2026, 11, 25)) == 1600


def test_quota_book_costs_are_configurable() -> None:
    book = QuotaBook(MemoryQuotaCounter(), "p", 250, {"videos.insert": 100})
    assert book.spend("videos.insert", NOW) is None
    assert book.spend("videos.insert", NOW) is None
    assert book.spend("videos.insert", NOW) == next_reset(NOW)
    assert book.spend("videos.list", NOW) is None


@pytest.mark.parametrize(
    ("name", "status", "scope"),
    [
        ("error_quota", 403, "app"),
        ("error_upload_limit", 400, "account"),
        ("error_daily_uploads_429", 429, "app"),
    ],
)
def test_daily_limits_postpone_to_the_next_quota_day(rsps, clip, name, status, scope) -> None:
    counter = MemoryQuotaCounter()
    adapter = make_adapter(quota=counter)
    rsps.post(f"{UP}/videos", json=payload("youtube", name), status=status)
    result = adapter.publish(yt(clip))
    assert result.outcome is Outcome.RATE_LIMITED and result.scope == scope
    assert result.postpone_until == next_reset(NOW)
    if name == "error_quota":  # the whole project is spent: the counter says so for other workers
        assert counter.used("cid", quota_day(NOW)) == adapter.settings.daily_quota


def test_short_rate_limit_retries_after_header(rsps, adapter, clip) -> None:
    body = {"error": {"code": 403, "errors": [{"reason": "userRateLimitExceeded", "domain": "usageLimits"}]}}
    rsps.post(f"{UP}/videos", json=body, status=403, headers={"Retry-After": "30"})
    result = adapter.publish(yt(clip))
    assert (
        result.outcome is Outcome.RATE_LIMITED and result.retry_after == 30 and result.postpone_until is None
    )


def test_bad_request_is_rejected_with_reason(rsps, adapter, clip) -> None:
    body = {"error": {"code": 400, "errors": [{"reason": "invalidCategoryId", "domain": "youtube.video"}]}}
    rsps.post(f"{UP}/videos", json=body, status=400)
    result = adapter.publish(yt(clip))
    assert result.outcome is Outcome.REJECTED and result.code == "invalidCategoryId"


# -- refresh ----------------------------------------------------------------------------------
def test_refresh_keeps_the_refresh_token(rsps, adapter) -> None:
    rsps.post("https://oauth2.googleapis.com/token", json=payload("youtube", "token_refreshed"))
    new = adapter.refresh(adapter.credentials)
    assert new.access_token == "ya29.NEW-ACCESS" and new.refresh_token == "1//REFRESH"
    assert new.expires_at == NOW + timedelta(seconds=3599)
    form = parse_qs(rsps.calls[0].request.body)
    assert form == {
        "client_id": ["cid"],
        "client_secret": ["csecret"],
        "refresh_token": ["1//REFRESH"],
        "grant_type": ["refresh_token"],
    }


def test_invalid_grant_means_reauth(rsps, adapter) -> None:
    rsps.post("https://oauth2.googleapis.com/token", json=payload("youtube", "invalid_grant"), status=400)
    with pytest.raises(AuthExpired):
        adapter.refresh(adapter.credentials)


# -- reconcile --------------------------------------------------------------------------------
def test_reconcile_by_saved_video_id(rsps, adapter, clip) -> None:
    rsps.get(f"{API}/videos", json={"items": [{"id": "dQw4w9WgXcQ", "status": {"privacyStatus": "public"}}]})
    result = adapter.reconcile(yt(clip, resume_state={"video_id": "dQw4w9WgXcQ"}))
    assert result.outcome is Outcome.PUBLISHED
    rsps.replace(responses.GET, f"{API}/videos", json={"items": []})
    assert adapter.reconcile(yt(clip, resume_state={"video_id": "dQw4w9WgXcQ"})).outcome is Outcome.ABSENT


def test_reconcile_by_session_status(rsps, adapter, clip) -> None:
    size = clip.stat().st_size
    rsps.put(SESSION, status=308, headers={"Range": "bytes=0-262143"})
    result = adapter.reconcile(yt(clip, resume_state={"session_uri": SESSION}))
    assert result.outcome is Outcome.PENDING and result.resume_state["offset"] == 262144
    assert rsps.calls[0].request.headers["Content-Range"] == f"bytes */{size}"
    rsps.replace(responses.PUT, SESSION, json=payload("youtube", "video_resource"), status=200)
    assert adapter.reconcile(yt(clip, resume_state={"session_uri": SESSION})).remote_id == "dQw4w9WgXcQ"
    rsps.replace(responses.PUT, SESSION, status=404)
    assert adapter.reconcile(yt(clip, resume_state={"session_uri": SESSION})).outcome is Outcome.ABSENT


def test_reconcile_without_session_is_absent(rsps, adapter, clip) -> None:
    assert adapter.reconcile(yt(clip)).outcome is Outcome.ABSENT
    assert len(rsps.calls) == 0


# -- engagement -------------------------------------------------------------------------------
def test_statistics_in_batches_of_fifty(rsps, adapter) -> None:
    ids = [f"vid{i:03d}" for i in range(120)]

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        asked = parse_qs(urlsplit(request.url).query)["id"][0].split(",")
        items = [{"id": v, "statistics": {"viewCount": "1200", "likeCount": "34"}} for v in asked]
        return 200, {}, json.dumps({"items": items})

    rsps.add_callback(responses.GET, f"{API}/videos", callback=answer)
    metrics = adapter.fetch_engagement(ids)
    sizes = [len(parse_qs(urlsplit(c.request.url).query)["id"][0].split(",")) for c in rsps.calls]
    assert sizes == [50, 50, 20]
    assert parse_qs(urlsplit(rsps.calls[0].request.url).query)["part"] == ["statistics"]
    assert metrics["vid119"].views == 1200 and metrics["vid119"].reactions == 34
    assert metrics["vid119"].comments is None  # comments disabled: unknown, not zero


# -- the resumable upload against a real socket -----------------------------------------------
class UploadServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, size: int, drop_at: int | None = None, keep: bool = True) -> None:
        super().__init__(("127.0.0.1", 0), UploadHandler)
        self.size = size
        self.drop_at = drop_at
        self.keep = keep
        self.held = 0
        self.data = bytearray()
        self.digest = hashlib.sha256()
        self.log: list[tuple[str, str, str, int]] = []  # (method, path, Content-Range, bytes read)
        self.moved = False

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class UploadHandler(BaseHTTPRequestHandler):
    server: UploadServer

    def log_message(self, *args: Any) -> None:
        pass

    def _reply(
        self, status: int, headers: dict[str, str] | None = None, body: dict[str, Any] | None = None
    ) -> None:
        raw = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        self.server.log.append(("POST", self.path, "", length))
        self._reply(200, {"Location": f"{self.server.base}/session1?upload_id=XYZ"})

    def _range(self) -> dict[str, str]:
        headers = {}
        if self.server.held:
            headers["Range"] = f"bytes=0-{self.server.held - 1}"
        if not self.server.moved and self.server.held:
            # Google may hand out a new session URI with a 308; the client must switch to it
            headers["Location"] = f"{self.server.base}/session2?upload_id=XYZ"
            self.server.moved = True
        return headers

    def do_PUT(self) -> None:
        server = self.server
        content_range = self.headers.get("Content-Range", "")
        length = int(self.headers.get("Content-Length", 0))
        if content_range.startswith("bytes */"):
            self.rfile.read(length)
            server.log.append(("PUT", self.path, content_range, 0))
            if server.held == server.size:
                self._reply(200, body={"id": "LOOPBACK01", "status": {"uploadStatus": "uploaded"}})
            else:
                self._reply(308, self._range())
            return
        first = int(content_range.split(" ")[1].split("-")[0])
        assert first == server.held, (first, server.held)
        if server.drop_at is not None and first + length > server.drop_at:
            part = self.rfile.read(server.drop_at - first)
            server.log.append(("PUT", self.path, content_range, len(part)))
            keep = (len(part) // CHUNK_UNIT) * CHUNK_UNIT  # the server keeps whole units only
            self._take(part[:keep])
            server.drop_at = None
            self.close_connection = True
            self.connection.shutdown(2)  # the connection drops, no answer at all
            return
        read = 0
        while read < length:
            block = self.rfile.read(min(65536, length - read))
            if not block:
                break
            read += len(block)
            self._take(block)
        server.log.append(("PUT", self.path, content_range, read))
        if server.held == server.size:
            self._reply(201, body={"id": "LOOPBACK01", "status": {"uploadStatus": "uploaded"}})
        else:
            self._reply(308, self._range())

    def _take(self, block: bytes) -> None:
        self.server.held += len(block)
        self.server.digest.update(block)
        if self.server.keep:
            self.server.data += block


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[UploadServer] = []

    def start(size: int, **kw: Any) -> UploadServer:
        server = UploadServer(size, **kw)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_interrupted_upload_resumes_with_only_the_remainder(serve, tmp_path) -> None:
    size = 8 * CHUNK_UNIT + 12345
    path = tmp_path / "clip.mp4"
    content = bytes(range(256)) * (size // 256) + bytes(size % 256)
    path.write_bytes(content)
    server = serve(size, drop_at=4 * CHUNK_UNIT + 1000)  # halfway through the third chunk
    settings = YouTubeSettings(client_id="cid", upload_url=f"{server_base(server)}/upload/youtube/v3")
    adapter = make_adapter(settings)
    adapter.chunk_size = 2 * CHUNK_UNIT  # type: ignore[misc]
    cp = Checkpoints()
    result = adapter.publish(yt(path), cp)
    assert result.outcome is Outcome.PUBLISHED and result.remote_id == "LOOPBACK01"
    assert bytes(server.data) == content
    puts = [entry for entry in server.log if entry[0] == "PUT"]
    dropped = next(i for i, e in enumerate(puts) if e[2].startswith(f"bytes {4 * CHUNK_UNIT}-"))
    # after the drop: a status query, then only what the server does not hold
    assert puts[dropped + 1][2] == f"bytes */{size}"
    resumed = puts[dropped + 2 :]
    assert resumed[0][2].startswith(f"bytes {4 * CHUNK_UNIT}-")
    assert sum(e[3] for e in resumed) == size - 4 * CHUNK_UNIT
    # every chunk but the last is a multiple of 256 KiB
    sent = [e for e in puts if not e[2].startswith("bytes */")]
    for _, _, content_range, _ in sent[:-1]:
        first, last = map(int, content_range.split(" ")[1].split("/")[0].split("-"))
        assert (last - first + 1) % CHUNK_UNIT == 0
    # the 308's Location was followed by us (switching session), not replayed by requests
    assert puts[0][1].startswith("/session1") and puts[-1][1].startswith("/session2")
    assert [c for c in cp if "session_uri" in c][-1]["session_uri"].endswith("/session2?upload_id=XYZ")


def server_base(server: UploadServer) -> str:
    return server.base


def test_upload_streams_from_disk_without_growing_memory(serve, tmp_path) -> None:
    size = 96 * CHUNK_UNIT  # 24 MiB
    path = tmp_path / "big.mp4"
    with open(path, "wb") as fh:
        fh.truncate(size)
    server = serve(size, keep=False)
    settings = YouTubeSettings(client_id="cid", upload_url=f"{server.base}/upload/youtube/v3")
    adapter = make_adapter(settings)
    adapter.chunk_size = 32 * CHUNK_UNIT  # type: ignore[misc]  # 8 MiB chunks
    tracemalloc.start()
    try:
        result = adapter.publish(yt(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.outcome is Outcome.PUBLISHED
    assert server.held == size
    assert peak < 2 * 1024 * 1024, peak  # far below one 8 MiB chunk, let alone the 24 MiB file


def test_5xx_during_upload_is_retried_after_a_status_query(rsps, adapter, clip) -> None:
    size = clip.stat().st_size
    rsps.post(f"{UP}/videos", headers={"Location": SESSION})
    rsps.put(SESSION, status=503)
    rsps.put(SESSION, status=308, headers={"Range": f"bytes=0-{2 * CHUNK_UNIT - 1}"})
    rsps.put(SESSION, json=payload("youtube", "video_resource"), status=201)
    adapter.chunk_size = 2 * CHUNK_UNIT
    result = adapter.publish(yt(clip))
    assert result.outcome is Outcome.PUBLISHED
    ranges = [c.request.headers["Content-Range"] for c in rsps.calls[1:]]
    assert ranges == [
        f"bytes 0-{2 * CHUNK_UNIT - 1}/{size}",
        f"bytes */{size}",
        f"bytes {2 * CHUNK_UNIT}-{size - 1}/{size}",
    ]


def test_upload_keeps_resume_state_when_retries_run_out(rsps, adapter, clip) -> None:
    rsps.post(f"{UP}/videos", headers={"Location": SESSION})
    rsps.put(SESSION, status=503)
    result = adapter.publish(yt(clip))
    assert result.outcome is Outcome.TRANSIENT
    assert result.resume_state and result.resume_state["session_uri"] == SESSION


def test_file_slice_reads_only_its_range(tmp_path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(bytes(range(100)))
    piece = FileSlice(path, 10, 5)
    assert len(piece) == 5 and piece.read(3) == bytes([10, 11, 12]) and piece.read() == bytes([13, 14])
    assert piece.read() == b""


# -- connect ----------------------------------------------------------------------------------
def test_oauth_url_asks_for_offline_access_and_the_needed_scopes() -> None:
    from publisher.platforms import connect

    start = connect.youtube_start(YouTubeSettings(client_id="cid.apps.googleusercontent.com"))
    query = parse_qs(urlsplit(start.url).query)
    assert start.url.startswith("https://accounts.google.com/o/oauth2/v2/auth?")
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    assert query["state"] == [start.state] and query["response_type"] == ["code"]
    scopes = set(query["scope"][0].split())
    # playlistItems.insert and videos.list refuse youtube.upload alone (discovery document)
    for method in ("insert",):
        needed = DISCOVERY["resources"]["playlistItems"]["methods"][method]["scopes"]
        assert scopes & set(needed)
    assert scopes & set(DISCOVERY["resources"]["videos"]["methods"]["list"]["scopes"])
    assert scopes & set(DISCOVERY["resources"]["videos"]["methods"]["insert"]["scopes"])


def test_code_exchange_needs_a_refresh_token(rsps) -> None:
    from publisher.platforms import connect

    settings = YouTubeSettings(client_id="cid", client_secret=SecretStr("cs"))
    rsps.post(
        "https://oauth2.googleapis.com/token",
        json={"access_token": "ya29.A", "refresh_token": "1//R", "expires_in": 3599, "scope": "x"},
    )
    creds = connect.youtube_finish(settings, requests.Session(), "4/CODE", now=NOW)
    assert (creds.access_token, creds.refresh_token) == ("ya29.A", "1//R")
    form = parse_qs(rsps.calls[0].request.body)
    assert form["grant_type"] == ["authorization_code"] and form["code"] == ["4/CODE"]
    rsps.replace(responses.POST, "https://oauth2.googleapis.com/token", json={"access_token": "ya29.B"})
    with pytest.raises(AuthExpired):
        connect.youtube_finish(settings, requests.Session(), "4/CODE", now=NOW)


def test_channel_subscribers_none_when_hidden(rsps, adapter) -> None:
    rsps.get(
        f"{API}/channels",
        json={
            "items": [{"id": "UC1", "statistics": {"subscriberCount": "812", "hiddenSubscriberCount": False}}]
        },
    )
    assert adapter.follower_count() == 812
    assert rsps.calls[-1].request.params == {"part": "statistics", "mine": "true"}
    rsps.replace(
        "GET",
        f"{API}/channels",
        json={"items": [{"id": "UC1", "statistics": {"hiddenSubscriberCount": True}}]},
    )
    assert adapter.follower_count() is None


# -- a plain 429 is not the daily cap (issue 10 point 2) -----------------------------------------
@pytest.mark.parametrize("name", ["error_rate_limit_429", "error_queries_per_minute_429"])
@pytest.mark.parametrize("retry_after", [None, "17"])
def test_plain_429_on_insert_backs_off_briefly_instead_of_waiting_for_the_quota_day(
    rsps, clip, name, retry_after
) -> None:
    counter = MemoryQuotaCounter()
    adapter = make_adapter(quota=counter)
    headers = {"Retry-After": retry_after} if retry_after else {}
    rsps.post(f"{UP}/videos", json=payload("youtube", name), status=429, headers=headers)
    result = adapter.publish(yt(clip))
    assert result.outcome is Outcome.RATE_LIMITED
    assert result.postpone_until is None  # not held until the Pacific midnight
    assert result.code == "rateLimitExceeded" and result.scope == "account"
    # Retry-After is the platform's word; without it the publisher's short backoff decides
    assert result.retry_after == (17.0 if retry_after else None)
    assert "quota" not in str(result.reason).lower() and "hạn mức" not in str(result.reason)
    assert counter.used("cid", quota_day(NOW)) == 1600  # only the insert we made: nothing "exhausted"


@pytest.mark.parametrize("retry_after", [None, "30"])
def test_documented_daily_uploads_429_postpones_the_whole_project_to_the_quota_day(
    rsps, clip, retry_after
) -> None:
    """The body exactly as in google-api-python-client issue #2753 (no ``details``), with or
    without a Retry-After: the limit is per day, so a retry in seconds is pointless."""
    counter = MemoryQuotaCounter()
    adapter = make_adapter(quota=counter)
    headers = {"Retry-After": retry_after} if retry_after else {}
    rsps.post(
        f"{UP}/videos", json=payload("youtube", "error_daily_uploads_429_plain"), status=429, headers=headers
    )
    result = adapter.publish(yt(clip))
    assert result.outcome is Outcome.RATE_LIMITED
    assert (
        result.postpone_until == next_reset(NOW)
        and result.retry_after == (next_reset(NOW) - NOW).total_seconds()
    )
    assert result.scope == "app" and result.code == "dailyUploads"  # the project's cap, every channel
    # the uploads bucket is separate from the 10,000 units: reads (reconcile, statistics) still go
    assert counter.used("cid", quota_day(NOW)) == 1600


def test_plain_429_during_the_upload_keeps_the_session_and_backs_off_briefly(rsps, adapter, clip) -> None:
    rsps.post(f"{UP}/videos", headers={"Location": SESSION})
    rsps.put(SESSION, json=payload("youtube", "error_rate_limit_429"), status=429)
    result = adapter.publish(yt(clip))
    assert result.outcome is Outcome.RATE_LIMITED and result.postpone_until is None
    assert result.resume_state and result.resume_state["session_uri"] == SESSION


def test_user_rate_limit_403_without_retry_after_is_a_short_backoff(rsps, adapter, clip) -> None:
    body = {
        "error": {
            "code": 403,
            "message": "User Rate Limit Exceeded",
            "errors": [
                {
                    "reason": "userRateLimitExceeded",
                    "domain": "usageLimits",
                    "message": "User Rate Limit Exceeded",
                }
            ],
        }
    }
    rsps.post(f"{UP}/videos", json=body, status=403)
    result = adapter.publish(yt(clip))
    assert result.outcome is Outcome.RATE_LIMITED and result.postpone_until is None
    assert result.code == "userRateLimitExceeded" and result.retry_after is None


def test_quota_exceeded_on_a_read_marks_the_project_spent(rsps, adapter) -> None:
    rsps.get(f"{API}/videos", json=payload("youtube", "error_quota"), status=403)
    counter = adapter.quota.counter
    assert adapter.fetch_engagement(["v1"]) == {}
    assert counter.used("cid", quota_day(NOW)) == adapter.settings.daily_quota
