"""A token refresh holds a committed lease on the account row, never a database transaction, and
its HTTP call has a total deadline (issue 11, point 5).

Loopback token servers that misbehave the way a real one can: one accepts the connection and
answers nothing, one trickles its answer a byte at a time (each byte resets a per-read timeout,
so only a total deadline ends it), one is slow but honest and single-use like Zalo's. Every test
runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import multiprocessing
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from pydantic import SecretStr
from sqlalchemy import select, update

from publisher.core.models import Platform, PostSpec, Target
from publisher.platforms import tokens
from publisher.platforms.base import Credentials
from publisher.platforms.http import TemporaryFailure
from publisher.platforms.tokens import ensure_fresh
from publisher.platforms.zalo import ZaloOAAdapter
from publisher.settings import ZaloSettings
from publisher.store import Store
from publisher.store import schema as s
from tests.platforms.test_tokens import OAuthHandler, OAuthServer

TARGET = Target(Platform.ZALO, "oa-lease")


class BadServer:
    """Accepts connections and reads the request; then either says nothing or trickles bytes."""

    def __init__(self, trickle: bool = False) -> None:
        self.trickle = trickle
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.reached = threading.Event()
        self.stop = threading.Event()
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.conns.append(conn)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            self.reached.set()
            if not self.trickle:
                self.stop.wait()
                return
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
            while not self.stop.wait(0.2):  # one header byte at a time, for ever
                conn.sendall(b"X")
        except OSError:
            return

    def close(self) -> None:
        self.stop.set()
        for conn in self.conns:
            conn.close()
        self.sock.close()
        self.thread.join(5)


@pytest.fixture
def stalled() -> Iterator[BadServer]:
    server = BadServer()
    yield server
    server.close()


@pytest.fixture
def trickling() -> Iterator[BadServer]:
    server = BadServer(trickle=True)
    yield server
    server.close()


class SlowOAuthHandler(OAuthHandler):
    def do_POST(self) -> None:
        time.sleep(self.server.delay)  # type: ignore[attr-defined]
        super().do_POST()


class SlowOAuthServer(OAuthServer):
    """Zalo's single-use refresh, answering after ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.RequestHandlerClass = SlowOAuthHandler
        self.delay = delay


@pytest.fixture
def slow_oauth() -> Iterator[SlowOAuthServer]:
    server = SlowOAuthServer(delay=1.5)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def zalo_account(store: Store) -> int:
    creds = Credentials(
        access_token="AT-1",
        refresh_token="RT-1",
        expires_at=datetime.now(UTC) - timedelta(minutes=5),
        remote_account_id="oa-1",
    )
    return int(store.add_account(TARGET, "can-bo", credentials=creds))


def zalo_adapter(base: str) -> ZaloOAAdapter:
    settings = ZaloSettings(oauth_url=base, app_id="app", app_secret=SecretStr("S"))
    return ZaloOAAdapter(Credentials(), settings, requests.Session())


def lease_of(store: Store, account_id: int) -> tuple[Any, Any]:
    with store.db.read() as conn:
        row = conn.execute(
            select(s.accounts.c.refresh_lease_owner, s.accounts.c.refresh_lease_until).where(
                s.accounts.c.id == account_id
            )
        ).one()
    return row.refresh_lease_owner, row.refresh_lease_until


def queued_post(store: Store) -> None:
    spec = PostSpec(
        key="hop-dan",
        title="Họp dân",
        text="Mời bà con họp dân tối thứ Sáu.",
        due_at=datetime.now(UTC) + timedelta(days=1),
        timezone="Asia/Ho_Chi_Minh",
        targets=(TARGET,),
    )
    store.queue([spec], actor="can-bo")


def in_thread(fn: Any) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        started = time.monotonic()
        try:
            out["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - examined by the test
            out["error"] = exc
        out["took"] = time.monotonic() - started

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def test_stalled_token_server_blocks_no_other_write_and_ends_by_its_deadline(
    store: Store, stalled: BadServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens, "REFRESH_DEADLINE", 2.0, raising=False)
    account_id = zalo_account(store)
    queued_post(store)
    refresher, out = in_thread(lambda: ensure_fresh(store, account_id, zalo_adapter(stalled.base)))
    assert stalled.reached.wait(10), "the refresh never reached the token server"

    # While the refresh waits on HTTP, other writes go through at once.
    writes, written = in_thread(
        lambda: (store.pause("kiểm tra", "can-bo"), store.approve(["hop-dan"], by="truong-ban"))
    )
    writes.join(5)
    assert not writes.is_alive() and "error" not in written, written
    assert written["took"] < 2.0
    assert refresher.is_alive()  # the refresh is still waiting while the writes are done
    owner, until = lease_of(store, account_id)
    assert owner and until > datetime.now(UTC)  # what it holds is a lease on the row

    refresher.join(10)
    assert not refresher.is_alive()
    error = out.get("error")
    assert isinstance(error, TemporaryFailure), out
    assert getattr(error.message, "key", None) == "tokens.deadline"
    assert 1.8 <= out["took"] < 5.0
    assert lease_of(store, account_id) == (None, None)  # released: the next refresh may run
    assert store.credentials(account_id).refresh_token == "RT-1"


def test_trickling_token_server_is_cut_at_the_deadline(
    store: Store, trickling: BadServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens, "REFRESH_DEADLINE", 1.5, raising=False)
    account_id = zalo_account(store)
    refresher, out = in_thread(lambda: ensure_fresh(store, account_id, zalo_adapter(trickling.base)))
    refresher.join(8)
    assert not refresher.is_alive(), "a trickling answer held the refresh past its deadline"
    assert isinstance(out.get("error"), TemporaryFailure), out
    assert getattr(out["error"].message, "key", None) == "tokens.deadline"
    assert out["took"] < 4.0
    assert lease_of(store, account_id) == (None, None)


def test_a_second_refresher_waits_on_the_lease_then_reads_the_new_token(
    store: Store, slow_oauth: SlowOAuthServer
) -> None:
    account_id = zalo_account(store)
    first, one = in_thread(lambda: ensure_fresh(store, account_id, zalo_adapter(slow_oauth.base)))
    deadline = time.monotonic() + 5
    while lease_of(store, account_id)[0] is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert lease_of(store, account_id)[0] is not None
    second, two = in_thread(lambda: ensure_fresh(store, account_id, zalo_adapter(slow_oauth.base)))
    time.sleep(0.3)
    # the second waits on the lease, not on the database: writes still go through
    started = time.monotonic()
    store.pause("kiểm tra", "can-bo")
    assert time.monotonic() - started < 1.0
    assert second.is_alive()
    first.join(10)
    second.join(10)
    assert one["value"].access_token == two["value"].access_token == "AT-2", (one, two)
    assert slow_oauth.calls == ["RT-1"]  # one refresh: the single-use token was spent once
    assert store.credentials(account_id).refresh_token == "RT-2"


def test_the_lease_of_a_dead_refresher_is_taken_over(store: Store, slow_oauth: SlowOAuthServer) -> None:
    account_id = zalo_account(store)
    slow_oauth.delay = 0.0
    with store.db.write() as conn:  # a refresher that died holding the lease, which has run out
        conn.execute(
            update(s.accounts)
            .where(s.accounts.c.id == account_id)
            .values(
                refresh_lease_owner="dead:1", refresh_lease_until=datetime.now(UTC) - timedelta(seconds=1)
            )
        )
    fresh = ensure_fresh(store, account_id, zalo_adapter(slow_oauth.base))
    assert fresh.access_token == "AT-2" and lease_of(store, account_id) == (None, None)


def test_a_live_lease_held_too_long_gives_a_clear_temporary_failure(
    store: Store, slow_oauth: SlowOAuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens, "REFRESH_DEADLINE", 0.5, raising=False)
    monkeypatch.setattr(tokens, "LEASE_MARGIN", 0.5, raising=False)
    account_id = zalo_account(store)
    with store.db.write() as conn:  # another refresher, alive, holds the lease for a minute
        conn.execute(
            update(s.accounts)
            .where(s.accounts.c.id == account_id)
            .values(
                refresh_lease_owner="busy:1", refresh_lease_until=datetime.now(UTC) + timedelta(minutes=1)
            )
        )
    started = time.monotonic()
    with pytest.raises(TemporaryFailure) as info:
        ensure_fresh(store, account_id, zalo_adapter(slow_oauth.base))
    assert getattr(info.value.message, "key", None) == "tokens.busy"
    assert time.monotonic() - started < 5.0
    assert slow_oauth.calls == []


# -- processes --------------------------------------------------------------------------------
def _refresh_in_process(settings: Any, base: str, account_id: int, barrier: Any, out: Any) -> None:
    store = Store(settings)
    try:
        barrier.wait(60)
        creds = ensure_fresh(store, account_id, zalo_adapter(base))
        out.put(("ok", creds.access_token))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        out.put(("error", repr(exc)))
    finally:
        store.db.dispose()


def test_four_processes_spend_the_single_use_refresh_token_once(
    store: Store, slow_oauth: SlowOAuthServer, tmp_path: Path
) -> None:
    slow_oauth.delay = 1.0
    account_id = zalo_account(store)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(4)
    out = ctx.Queue()
    procs = [
        ctx.Process(
            target=_refresh_in_process, args=(store.settings, slow_oauth.base, account_id, barrier, out)
        )
        for _ in range(4)
    ]
    for p in procs:
        p.start()
    try:
        results = [out.get(timeout=90) for _ in procs]
    finally:
        for p in procs:
            p.join(30)
    assert results == [("ok", "AT-2")] * 4
    assert slow_oauth.calls == ["RT-1"]
    saved = store.credentials(account_id)
    assert (saved.access_token, saved.refresh_token) == ("AT-2", "RT-2")
    assert slow_oauth.valid == {"RT-2"}
