"""Refresh orchestration against the real store and a loopback Zalo OAuth server whose refresh
tokens are single-use: 8 concurrent refreshers make exactly one refresh call, lose no token.

Then the publish path: a call refused for its access token gets one forced refresh and one retry
(never a second create), and a publish right after a refresh sends the new token."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import responses
from pydantic import SecretStr

from publisher.actions.publish import Publisher
from publisher.core.models import Platform, PostSpec, Target
from publisher.platforms.base import AuthExpired, Credentials
from publisher.platforms.facebook import FacebookPageAdapter
from publisher.platforms.tokens import ensure_fresh, needs_refresh
from publisher.platforms.youtube import MemoryQuotaCounter, YouTubeAdapter
from publisher.platforms.zalo import ZaloOAAdapter
from publisher.settings import FacebookSettings, YouTubeSettings, ZaloSettings
from publisher.store import Store
from publisher.store.claims import claim_due
from tests.assets.media_factory import clip
from tests.conftest import need_ffmpeg
from tests.platforms.builders import NOW


class OAuthServer(ThreadingHTTPServer):
    """Zalo's /v4/oa/access_token: each refresh token works once and is replaced by a new one."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), OAuthHandler)
        self.valid = {"RT-1"}
        self.calls: list[str] = []
        self.lock = threading.Lock()
        self.n = 1

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class OAuthHandler(BaseHTTPRequestHandler):
    server: OAuthServer

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        form = {
            k: v[0]
            for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()
        }
        server = self.server
        body: dict[str, Any]
        with server.lock:
            token = form.get("refresh_token", "")
            server.calls.append(token)
            if token in server.valid and self.headers.get("secret_key") == "S":
                server.valid.discard(token)  # single use
                server.n += 1
                server.valid.add(f"RT-{server.n}")
                body = {
                    "access_token": f"AT-{server.n}",
                    "refresh_token": f"RT-{server.n}",
                    "expires_in": "90000",
                }
            else:
                body = {"error": -14014, "error_name": "Invalid refresh token"}
        raw = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


@pytest.fixture
def oauth() -> Iterator[OAuthServer]:
    server = OAuthServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _account(store: Any) -> int:
    creds = Credentials(
        access_token="AT-1",
        refresh_token="RT-1",
        expires_at=NOW - timedelta(minutes=5),
        remote_account_id="oa-1",
        extra={"refreshed_at": (NOW - timedelta(hours=25)).isoformat()},
    )
    return int(store.add_account(Target(Platform.ZALO, "oa-test"), "test", credentials=creds))


def _adapter(oauth: OAuthServer) -> ZaloOAAdapter:
    settings = ZaloSettings(oauth_url=oauth.base, app_id="app", app_secret=SecretStr("S"))
    return ZaloOAAdapter(Credentials(), settings, requests.Session())


def test_eight_concurrent_refreshers_make_one_call(store: Any, oauth: OAuthServer) -> None:
    account_id = _account(store)
    barrier = threading.Barrier(8)
    got: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        adapter = _adapter(oauth)
        barrier.wait()
        try:
            creds = ensure_fresh(store, account_id, adapter, now=lambda: datetime.now(UTC))
            got.append(creds.access_token)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert oauth.calls == ["RT-1"]  # exactly one refresh HTTP call
    assert got == ["AT-2"] * 8  # every worker uses the one new access token
    saved = store.credentials(account_id)
    assert (saved.access_token, saved.refresh_token) == ("AT-2", "RT-2")  # the rotated token is not lost
    assert oauth.valid == {"RT-2"}
    # and the saved refresh token works: the chain continues
    again = ensure_fresh(store, account_id, _adapter(oauth), force=True)
    assert again.refresh_token == "RT-3" and store.credentials(account_id).refresh_token == "RT-3"


def test_refused_refresh_raises_and_changes_nothing(store: Any, oauth: OAuthServer) -> None:
    account_id = _account(store)
    oauth.valid.clear()  # the refresh token was burnt elsewhere
    with pytest.raises(AuthExpired):
        ensure_fresh(store, account_id, _adapter(oauth))
    assert store.credentials(account_id).refresh_token == "RT-1"


def test_new_pair_is_committed_before_the_access_token_is_returned(store: Any, oauth: OAuthServer) -> None:
    account_id = _account(store)
    adapter = _adapter(oauth)
    seen_in_db: list[str] = []
    other = Store(store.settings)  # its own connections: it sees committed data only

    class Spy:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def credentials(self, account_id: int) -> Credentials:
            return Credentials.from_dict(self.inner.credentials(account_id).to_dict())

        @contextmanager
        def account_lock(self, account_id: int, **kw: Any) -> Iterator[Any]:
            with self.inner.account_lock(account_id, **kw) as account:
                yield account
                # still under the lease, before ensure_fresh returns the new access token
                seen_in_db.append(other.credentials(account_id).access_token)

    try:
        creds = ensure_fresh(Spy(store), account_id, adapter)
    finally:
        other.db.dispose()
    assert seen_in_db == [creds.access_token] == ["AT-2"]
    assert adapter.credentials.access_token == "AT-2"


def test_refresh_ahead_of_expiry_and_at_least_daily() -> None:
    fresh = Credentials(
        access_token="a",
        refresh_token="r",
        expires_at=NOW + timedelta(hours=20),
        extra={"refreshed_at": (NOW - timedelta(hours=2)).isoformat()},
    )
    assert not needs_refresh(fresh, NOW)
    assert needs_refresh(fresh, NOW + timedelta(hours=19, minutes=30))  # under an hour left
    long_lived = Credentials(
        access_token="a",
        refresh_token="r",
        expires_at=NOW + timedelta(days=30),
        extra={"refreshed_at": (NOW - timedelta(hours=21)).isoformat()},
    )
    assert needs_refresh(long_lived, NOW)  # idle accounts still refresh daily: the window keeps rolling
    assert not needs_refresh(Credentials(access_token="page-token"), NOW)  # nothing to refresh with


# == a refused call: one forced refresh, one retry (issue 10, point 3) ==========================
# The publish path against the platforms' documented answers (``responses``): the real store, the
# real Publisher and the real Zalo / YouTube / Facebook adapters.
ZALO_API = "https://openapi.zalo.me/v2.0"
ZALO_TOKEN_URL = "https://oauth.zaloapp.com/v4/oa/access_token"
YT_UP = "https://www.googleapis.com/upload/youtube/v3"
YT_SESSION = f"{YT_UP}/videos?uploadType=resumable&upload_id=XYZ"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
GRAPH = "https://graph.facebook.com/v25.0"
ZALO_SETTINGS = ZaloSettings(app_id="app", app_secret=SecretStr("S"))
COVER = {"zalo": {"cover_url": "https://cdn.xa.vn/bia.jpg"}}
# https://developers.google.com/youtube/v3/docs/errors (401 authError, "Invalid Credentials")
YT_401 = {
    "error": {
        "code": 401,
        "message": "Request had invalid authentication credentials.",
        "errors": [
            {
                "message": "Invalid Credentials",
                "domain": "global",
                "reason": "authError",
                "location": "Authorization",
                "locationType": "header",
            }
        ],
        "status": "UNAUTHENTICATED",
    }
}
ZALO_EXPIRED = {"error": -216, "message": "Access token is invalid"}


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _ready(store: Any, target: Target, creds: Credentials, video: Any = None, options: Any = None) -> int:
    """One approved delivery to ``target``, due now, claimed by the dispatcher."""
    store.add_account(target, "can-bo", credentials=creds)
    spec = PostSpec(
        key="tiem-chung",
        title="Lịch tiêm chủng",
        text="Trạm y tế xã thông báo lịch tiêm chủng mở rộng.",
        due_at=datetime.now(UTC) - timedelta(seconds=1),
        timezone="Asia/Ho_Chi_Minh",
        targets=(target,),
        video=video,
        options=options or {},
    )
    store.queue([spec], actor="can-bo")
    store.approve(["tiem-chung"], by="truong-ban")
    [row] = store.deliveries()
    did = int(row.id)
    if video is not None:
        store.record_media(
            did, {"hash": store.delivery(did).content_hash, "video": str(video)}, "ready", None
        )
    assert claim_due(store.db, datetime.now(UTC), "dispatch:test", 300) == [did]
    return did


def _fresh_looking(access: str, refresh: str | None) -> Credentials:
    """Credentials that look good for hours: only the platform's answer says they are not."""
    now = datetime.now(UTC)
    return Credentials(
        access_token=access,
        refresh_token=refresh,
        expires_at=now + timedelta(hours=10),
        remote_account_id="acct-1",
        extra={"refreshed_at": (now - timedelta(minutes=5)).isoformat()},
    )


def _zalo_publisher(store: Any) -> Any:
    def factory(settings: Any, target: Target, creds: Credentials) -> ZaloOAAdapter:
        adapter = ZaloOAAdapter(creds, ZALO_SETTINGS, requests.Session())
        adapter.sleep = lambda seconds: None
        return adapter

    return Publisher(store, adapters=factory, rng=lambda: 1.0)


def _calls(rsps: Any, url: str) -> list[Any]:
    return [c for c in rsps.calls if c.request.url.split("?")[0] == url]


def _form(call: Any) -> dict[str, str]:
    body = call.request.body
    body = body.decode() if isinstance(body, bytes) else body
    return {k: v[0] for k, v in parse_qs(body).items()}


def test_zalo_expired_token_on_create_refreshes_once_and_creates_once(store: Any, rsps: Any) -> None:
    target = Target(Platform.ZALO, "oa-xa")
    did = _ready(store, target, _fresh_looking("AT-OLD", "RT-1"), options=COVER)
    rsps.post(f"{ZALO_API}/article/create", json=ZALO_EXPIRED)  # refused at authentication
    rsps.post(
        f"{ZALO_API}/article/create", json={"error": 0, "message": "Success", "data": {"token": "tok-A"}}
    )
    rsps.post(f"{ZALO_API}/article/verify", json={"error": 0, "message": "Success", "data": {"id": "art-1"}})
    rsps.post(ZALO_TOKEN_URL, json={"access_token": "AT-NEW", "refresh_token": "RT-2", "expires_in": "90000"})

    step = _zalo_publisher(store).publish(did)

    assert step.action == "published", store.delivery(did)
    creates = _calls(rsps, f"{ZALO_API}/article/create")
    assert [c.request.headers["access_token"] for c in creates] == ["AT-OLD", "AT-NEW"]
    [refresh] = _calls(rsps, ZALO_TOKEN_URL)
    assert _form(refresh)["refresh_token"] == "RT-1" and refresh.request.headers["secret_key"] == "S"
    saved = store.credentials(store.account(target).id)
    assert (saved.access_token, saved.refresh_token) == ("AT-NEW", "RT-2")  # the rotated pair is kept
    assert store.delivery(did).remote_id == "art-1"
    assert store.account(target).status == "active"


def test_zalo_expired_token_after_create_retries_the_verify_never_the_create(store: Any, rsps: Any) -> None:
    target = Target(Platform.ZALO, "oa-xa")
    did = _ready(store, target, _fresh_looking("AT-OLD", "RT-1"), options=COVER)
    rsps.post(
        f"{ZALO_API}/article/create", json={"error": 0, "message": "Success", "data": {"token": "tok-A"}}
    )
    rsps.post(f"{ZALO_API}/article/verify", json={"error": -220, "message": "Access token has expired"})
    rsps.post(f"{ZALO_API}/article/verify", json={"error": 0, "message": "Success", "data": {"id": "art-1"}})
    rsps.post(ZALO_TOKEN_URL, json={"access_token": "AT-NEW", "refresh_token": "RT-2", "expires_in": "90000"})

    step = _zalo_publisher(store).publish(did)

    assert step.action == "published"
    assert len(_calls(rsps, f"{ZALO_API}/article/create")) == 1  # the article exists: never created again
    verifies = _calls(rsps, f"{ZALO_API}/article/verify")
    assert [c.request.headers["access_token"] for c in verifies] == ["AT-OLD", "AT-NEW"]
    assert store.delivery(did).remote_id == "art-1"


def test_zalo_refused_again_after_the_refresh_needs_reauth(store: Any, rsps: Any) -> None:
    target = Target(Platform.ZALO, "oa-xa")
    did = _ready(store, target, _fresh_looking("AT-OLD", "RT-1"), options=COVER)
    rsps.post(f"{ZALO_API}/article/create", json=ZALO_EXPIRED)
    rsps.post(ZALO_TOKEN_URL, json={"access_token": "AT-NEW", "refresh_token": "RT-2", "expires_in": "90000"})

    step = _zalo_publisher(store).publish(did)

    assert step.action == "needs_reauth"
    assert len(_calls(rsps, f"{ZALO_API}/article/create")) == 2  # one retry only
    assert len(_calls(rsps, ZALO_TOKEN_URL)) == 1
    assert store.account(target).status == "needs_reauth"
    assert store.credentials(store.account(target).id).refresh_token == "RT-2"  # still saved


def test_zalo_refresh_refused_needs_reauth_with_the_reason(store: Any, rsps: Any) -> None:
    target = Target(Platform.ZALO, "oa-xa")
    did = _ready(store, target, _fresh_looking("AT-OLD", "RT-1"), options=COVER)
    rsps.post(f"{ZALO_API}/article/create", json=ZALO_EXPIRED)
    rsps.post(ZALO_TOKEN_URL, json={"error": -14014, "error_name": "Invalid refresh token"})

    step = _zalo_publisher(store).publish(did)

    assert step.action == "needs_reauth"
    assert len(_calls(rsps, f"{ZALO_API}/article/create")) == 1
    [row] = store.deliveries()
    assert row.last_code == "-216" and "-14014" in row.last_reason  # Zalo's refusal, for the officer
    assert store.account(target).status == "needs_reauth"


def test_zalo_missing_permission_is_not_cured_by_a_refresh(store: Any, rsps: Any) -> None:
    target = Target(Platform.ZALO, "oa-xa")
    did = _ready(store, target, _fresh_looking("AT-OLD", "RT-1"), options=COVER)
    rsps.post(f"{ZALO_API}/article/create", json={"error": -223, "message": "OA has not granted permission"})

    step = _zalo_publisher(store).publish(did)

    assert step.action == "needs_reauth"
    assert _calls(rsps, ZALO_TOKEN_URL) == []  # a refresh would rotate the token for nothing


def test_youtube_401_refreshes_once_and_retries_the_session_start(
    store: Any, rsps: Any, tmp_path: Any
) -> None:
    need_ffmpeg()
    video = clip(tmp_path / "tiem-chung.mp4", seconds=1)
    target = Target(Platform.YOUTUBE, "xa-tv")
    did = _ready(store, target, _fresh_looking("ya29.OLD", "1//REFRESH"), video=video)
    rsps.post(f"{YT_UP}/videos", status=401, json=YT_401)
    rsps.post(f"{YT_UP}/videos", status=200, headers={"Location": YT_SESSION})
    rsps.put(
        YT_SESSION,
        status=200,
        json={"kind": "youtube#video", "id": "vid-1", "status": {"uploadStatus": "uploaded"}},
    )
    rsps.post(GOOGLE_TOKEN_URL, json={"access_token": "ya29.NEW", "expires_in": 3599, "token_type": "Bearer"})
    yt_settings = YouTubeSettings(
        client_id="cid", client_secret=SecretStr("csecret"), native_scheduling=False
    )

    def factory(settings: Any, target: Target, creds: Credentials) -> YouTubeAdapter:
        adapter = YouTubeAdapter(creds, yt_settings, requests.Session(), quota=MemoryQuotaCounter())
        adapter.sleep = lambda seconds: None
        return adapter

    step = Publisher(store, adapters=factory, rng=lambda: 1.0).publish(did)

    assert step.action == "published", store.deliveries()[0].last_reason
    calls = _calls(rsps, f"{YT_UP}/videos")
    starts = [c.request.headers["Authorization"] for c in calls if c.request.method == "POST"]
    uploads = [c.request.headers["Authorization"] for c in calls if c.request.method == "PUT"]
    assert starts == ["Bearer ya29.OLD", "Bearer ya29.NEW"]  # one retry of the refused session start
    assert uploads == ["Bearer ya29.NEW"]
    [refresh] = _calls(rsps, GOOGLE_TOKEN_URL)
    assert _form(refresh)["refresh_token"] == "1//REFRESH"
    saved = store.credentials(store.account(target).id)
    assert (saved.access_token, saved.refresh_token) == ("ya29.NEW", "1//REFRESH")
    assert store.delivery(did).remote_id == "vid-1"


def test_a_refused_token_without_a_refresh_token_needs_reauth_at_once(store: Any, rsps: Any) -> None:
    target = Target(Platform.FACEBOOK, "ubnd-xa")
    did = _ready(store, target, Credentials(access_token="PAGE-OLD", remote_account_id="1647"))
    # https://developers.facebook.com/docs/graph-api/guides/error-handling (code 190, subcode 463)
    rsps.post(
        f"{GRAPH}/1647/feed",
        status=400,
        json={
            "error": {
                "message": "Error validating access token",
                "type": "OAuthException",
                "code": 190,
                "error_subcode": 463,
                "fbtrace_id": "A1",
            }
        },
    )
    publisher = Publisher(
        store,
        adapters=lambda settings, target, creds: FacebookPageAdapter(
            creds, FacebookSettings(), requests.Session()
        ),
    )
    assert publisher.publish(did).action == "needs_reauth"
    assert len(_calls(rsps, f"{GRAPH}/1647/feed")) == 1


# == issue 12: a publish right after a refresh sends the new token ==============================
def test_a_publish_right_after_a_refresh_sends_the_new_token(store: Any, rsps: Any) -> None:
    """The Facebook adapter keeps the token in its Graph client; an adapter built before the
    refresh would send the old one. (Page tokens do not refresh today; this adapter stands for
    one that does, e.g. a Page token derived again from a long-lived user token.)"""

    class RefreshingPage(FacebookPageAdapter):
        def refresh(self, credentials: Credentials) -> Credentials:
            return Credentials(
                access_token="PAGE-NEW",
                refresh_token=credentials.refresh_token,
                expires_at=datetime.now(UTC) + timedelta(days=60),
                remote_account_id=credentials.remote_account_id,
            )

    target = Target(Platform.FACEBOOK, "ubnd-xa")
    expired = Credentials(
        access_token="PAGE-OLD",
        refresh_token="USER-LONG",
        expires_at=datetime.now(UTC) - timedelta(minutes=1),
        remote_account_id="1647",
    )
    did = _ready(store, target, expired)
    rsps.post(f"{GRAPH}/1647/feed", json={"id": "1647_99"})
    publisher = Publisher(
        store,
        adapters=lambda settings, target, creds: RefreshingPage(
            creds, FacebookSettings(), requests.Session()
        ),
    )
    assert publisher.publish(did).action == "published"
    [feed] = _calls(rsps, f"{GRAPH}/1647/feed")
    assert feed.request.headers["Authorization"] == "OAuth PAGE-NEW"
    assert store.credentials(store.account(target).id).access_token == "PAGE-NEW"
