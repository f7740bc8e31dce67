"""Token refresh orchestration: one refresher per account, the new pair committed before use.

Zalo refresh tokens are single-use and rotate: two processes refreshing the same OA at once
burn the token and lock the OA out until an admin consents again. So a refresh happens only
under ``store.account_lock(account_id)``: a **committed lease** on the account row (a conditional
UPDATE of ``refresh_lease_until/_owner``), never an open transaction, so no other write waits
while the token server is slow. Under the lease we read the credentials afresh: if another
process has just refreshed them we use its tokens and make no HTTP call. The HTTP call runs with
a **total deadline** (:data:`REFRESH_DEADLINE`, shorter than the lease): a server that stalls or
trickles its answer is cut off and the refresh ends with :class:`TemporaryFailure` (``requests``
timeouts are per read, so a trickle would never end them). The new pair is committed the moment
it arrives, *before* the new access token is returned to anyone; then the lease is cleared. A
refused refresh raises :class:`AuthExpired` (the caller marks the account ``needs_reauth`` and
tells the officer once) and changes nothing.

A refresh whose answer is lost (cut at the deadline, connection dropped) may have spent Zalo's
refresh token: the next refresh is refused and the account needs re-authorisation. Nothing better
exists, and the token is still never *sent* by two refreshers at once.

Refresh ahead of expiry (``ahead``), at least every ``max_age`` even when idle (so Zalo's
3-month refresh window keeps rolling), and once, forced, after a call refused at authentication
(:func:`cured_by_refresh`): that call created nothing, so the caller may make it once more.

A refresher that stalls past its lease (a paused VM, a slow disk) may find the lease taken over
by another process when its answer finally arrives: the save is fenced by the lease owner, so it
writes nothing, and the credentials the other holder stored are used instead (the store logs it).

Adapters may keep their own copy of the token (the Facebook ``Graph`` client does): callers build
a new adapter from the credentials :func:`ensure_fresh` returns.
"""

from __future__ import annotations

import copy
import socket
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack, suppress
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from publisher.i18n import msg, register
from publisher.platforms.base import Adapter, Credentials, Outcome, Result
from publisher.platforms.http import TemporaryFailure

register(
    {
        "tokens.deadline": (
            "Máy chủ cấp mã của {platform} không trả lời xong trong {seconds} giây; "
            "mã chưa được gia hạn, sẽ thử lại sau.",
            "The {platform} token server did not finish answering within {seconds} seconds; "
            "the token was not renewed, will try again later.",
        ),
        "tokens.busy": (
            "Một tiến trình khác đang gia hạn mã của tài khoản này quá lâu; sẽ thử lại sau.",
            "Another process has been renewing this account's token for too long; will try again later.",
        ),
    }
)

#: refresh when less than this is left on the access token (a YouTube access token lives one hour,
#: so a longer margin would refresh it before every call; a call refused mid-way is refreshed once
#: and retried anyway)
REFRESH_AHEAD = timedelta(minutes=10)
#: refresh at least this often, even when the access token is still good
MAX_AGE = timedelta(hours=20)
#: the whole token-endpoint call (connect, send, wait, read) must end within this many seconds
REFRESH_DEADLINE = 30.0
#: the lease outlives the deadline by this much, so it never runs out under a live holder
LEASE_MARGIN = 30.0


class LockedAccount(Protocol):
    credentials: Credentials

    def save(self, credentials: Credentials) -> bool:
        """Commit the new pair while the lease is still ours; False (nothing written) when another
        process took the lease over meanwhile (it may have saved newer credentials)."""
        ...


class AccountStore(Protocol):
    def credentials(self, account_id: Any) -> Credentials: ...

    def account_lock(self, account_id: Any, *, seconds: float) -> AbstractContextManager[LockedAccount]: ...


def refreshed_at(credentials: Credentials) -> datetime | None:
    value = credentials.extra.get("refreshed_at")
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def needs_refresh(
    credentials: Credentials, now: datetime, *, ahead: timedelta = REFRESH_AHEAD, max_age: timedelta = MAX_AGE
) -> bool:
    if not credentials.refresh_token:
        return False
    if credentials.expires_at is None or credentials.expires_at - now <= ahead:
        return True
    last = refreshed_at(credentials)
    return last is None or now - last >= max_age


def cured_by_refresh(adapter: Adapter, result: Result) -> bool:
    """Whether ``result`` is a call refused at authentication that a new access token may cure.

    Only codes the adapter lists in ``refresh_codes`` count: an expired or revoked access token,
    answered before anything was created (never a missing permission, which a refresh cannot
    give). The account must hold a refresh token.
    """
    codes = adapter.refresh_codes
    return (
        result.outcome is Outcome.AUTH_EXPIRED
        and result.code in codes
        and bool(adapter.credentials.refresh_token)
    )


def ensure_fresh(
    store: AccountStore,
    account_id: Any,
    adapter: Adapter,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    force: bool = False,
    rejected: str | None = None,
    ahead: timedelta = REFRESH_AHEAD,
    max_age: timedelta = MAX_AGE,
    deadline: float | None = None,
) -> Credentials:
    """Fresh credentials for ``account_id``, refreshing under the account's lease when due.

    ``force`` refreshes even if the token looks fine (after a refused call whose access token
    was ``rejected``), unless the stored access token is no longer that one: another process
    refreshed meanwhile, and its token is used as it is.
    """
    limit = REFRESH_DEADLINE if deadline is None else deadline
    seen = rejected if rejected is not None else store.credentials(account_id).access_token
    with ExitStack() as held:
        try:
            account = held.enter_context(store.account_lock(account_id, seconds=limit + LEASE_MARGIN))
        except TimeoutError as exc:  # another refresher kept the lease past its time
            raise TemporaryFailure(msg("tokens.busy")) from exc
        current = account.credentials
        if force:
            due = current.access_token == seen
        else:
            due = needs_refresh(current, now(), ahead=ahead, max_age=max_age)
        if not due:
            adapter.credentials = current
            return current
        fresh = refresh_within(adapter, current, limit)
        fresh.extra.setdefault("refreshed_at", now().isoformat())
        if not account.save(fresh):  # committed now: the rotated refresh token is safe on disk
            # we stalled past our lease and another process took it over: never overwrite what it
            # saved; the stored credentials are the newest there are
            fresh = store.credentials(account_id)
    # The lease is cleared and the pair committed: only now is the new access token used.
    adapter.credentials = fresh
    return fresh


def refresh_within(adapter: Adapter, credentials: Credentials, seconds: float) -> Credentials:
    """``adapter.refresh(credentials)`` with a total deadline on its HTTP calls.

    The call runs on a copy of the adapter whose session shuts every socket it opened once
    ``seconds`` have passed; the blocked read ends at once and the refresh fails with
    :class:`TemporaryFailure` saying so. An answer read in full is always returned (and saved
    by the caller), even at the last moment: Zalo has already spent the old refresh token.
    """
    if not isinstance(adapter.http, requests.Session):
        return adapter.refresh(credentials)  # no network session: fakes and stand-ins
    guard = _Deadline(seconds)
    worker = copy.copy(adapter)
    worker.http = guard.session(adapter.http)
    try:
        with guard:
            return worker.refresh(credentials)
    except (TemporaryFailure, requests.RequestException) as exc:
        if guard.expired:
            platform = adapter.platform.value if hasattr(adapter, "platform") else "?"
            raise TemporaryFailure(msg("tokens.deadline", platform=platform, seconds=round(seconds))) from exc
        raise
    finally:
        worker.http.close()


class _Deadline:
    """Shuts the sockets of its session's connections once ``seconds`` have passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._conns: list[Any] = []
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._watch = threading.Thread(target=self._run, name="refresh-deadline", daemon=True)

    def session(self, base: requests.Session) -> requests.Session:
        """A session like ``base`` whose HTTP transports report each connection they use."""
        session = requests.Session()
        session.headers.clear()
        session.headers.update(base.headers)
        session.auth = base.auth
        session.proxies = dict(base.proxies)
        session.verify = base.verify
        session.cert = base.cert
        session.trust_env = base.trust_env
        session.adapters.clear()
        for prefix, transport in base.adapters.items():
            # a stand-in transport (the dry run's recorder) sends nothing: keep it as it is
            session.mount(prefix, _Tracking(self) if type(transport) is HTTPAdapter else transport)
        return session

    def track(self, conn: Any) -> None:
        with self._lock:
            self._conns.append(conn)

    def __enter__(self) -> _Deadline:
        self._watch.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._watch.join(timeout=5)

    def _run(self) -> None:
        if self._done.wait(self.seconds):
            return
        self.expired = True
        while True:  # again and again: a connection may still be opening when the time is up
            with self._lock:
                conns = list(self._conns)
            for conn in conns:
                sock = getattr(conn, "sock", None)
                if sock is not None:
                    with suppress(OSError):  # already shut or closed
                        sock.shutdown(socket.SHUT_RDWR)
            if self._done.wait(0.05):
                return


class _Tracking(HTTPAdapter):
    """An ordinary ``requests`` transport whose connection pools report each connection used."""

    def __init__(self, deadline: _Deadline) -> None:
        self._pools = _tracking_pools(deadline)
        super().__init__()

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pools

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = self._pools
        return manager


def _tracking_pools(deadline: _Deadline) -> dict[str, Any]:
    class Pool(HTTPConnectionPool):
        def _get_conn(self, timeout: float | None = None) -> Any:
            conn = super()._get_conn(timeout)
            deadline.track(conn)
            return conn

    class TLSPool(HTTPSConnectionPool):
        def _get_conn(self, timeout: float | None = None) -> Any:
            conn = super()._get_conn(timeout)
            deadline.track(conn)
            return conn

    return {"http": Pool, "https": TLSPool}
