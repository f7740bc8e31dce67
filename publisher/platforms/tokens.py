"""Token refresh orchestration: one refresher per account, new pair committed before use.

Zalo refresh tokens are single-use and rotate: two processes refreshing the same OA at once
burn the token and lock the OA out until an admin consents again. So a refresh happens only
inside ``store.account_lock(account_id)`` (an exclusive row lock: PostgreSQL ``FOR UPDATE``,
SQLite ``BEGIN IMMEDIATE``). Inside the lock we re-read the credentials: if another process has
just refreshed them we use its tokens and make no HTTP call. The new pair is saved in the same
transaction, which commits when the block exits, *before* the new access token is returned to
anyone. A refused refresh raises :class:`AuthExpired` (the caller marks the account
``needs_reauth`` and tells the officer once); the transaction rolls back and nothing changes.

Refresh ahead of expiry (``ahead``) and at least every ``max_age`` even when idle, so that Zalo's
3-month refresh window keeps rolling.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from publisher.platforms.base import Adapter, Credentials

#: refresh when less than this is left on the access token
REFRESH_AHEAD = timedelta(hours=1)
#: refresh at least this often, even when the access token is still good
MAX_AGE = timedelta(hours=20)


class LockedAccount(Protocol):
    credentials: Credentials

    def save(self, credentials: Credentials) -> None: ...


class AccountStore(Protocol):
    def account_lock(self, account_id: Any) -> AbstractContextManager[LockedAccount]: ...


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


def ensure_fresh(
    store: AccountStore,
    account_id: Any,
    adapter: Adapter,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    force: bool = False,
    ahead: timedelta = REFRESH_AHEAD,
    max_age: timedelta = MAX_AGE,
) -> Credentials:
    """Fresh credentials for ``account_id``, refreshing under the account lock when due.

    ``force`` refreshes even if the token looks fine (after a 401), unless another process
    refreshed while we waited for the lock (its ``refreshed_at`` is newer than our start).
    """
    started = now()
    with store.account_lock(account_id) as account:
        current = account.credentials
        last = refreshed_at(current)
        someone_else = last is not None and last >= started
        due = needs_refresh(current, now(), ahead=ahead, max_age=max_age)
        if someone_else or not (due or force):
            adapter.credentials = current
            return current
        fresh = adapter.refresh(current)
        if "refreshed_at" not in fresh.extra:
            fresh.extra["refreshed_at"] = now().isoformat()
        account.save(fresh)
    # The block has exited: the new pair is committed. Only now is the access token used.
    adapter.credentials = fresh
    return fresh
