"""Refresh orchestration against the real store and a loopback Zalo OAuth server whose refresh
tokens are single-use: 8 concurrent refreshers make exactly one refresh call, lose no token."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
from pydantic import SecretStr

from publisher.core.models import Platform, Target
from publisher.platforms.base import AuthExpired, Credentials
from publisher.platforms.tokens import ensure_fresh, needs_refresh
from publisher.platforms.zalo import ZaloOAAdapter
from publisher.settings import ZaloSettings
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

    class Spy:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def account_lock(self, account_id: int) -> Any:
            outer = self.inner.account_lock(account_id)

            class Ctx:
                def __enter__(self_inner) -> Any:
                    return outer.__enter__()

                def __exit__(self_inner, *exc: Any) -> Any:
                    result = outer.__exit__(*exc)
                    seen_in_db.append(store.credentials(account_id).access_token)  # after commit
                    return result

            return Ctx()

    creds = ensure_fresh(Spy(store), account_id, adapter)
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
