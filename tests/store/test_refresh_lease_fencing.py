"""A token refresher that stalled past its lease never overwrites the token a newer holder saved
(review of issue 11.5): the save under the lease is fenced by the lease owner, on SQLite and
PostgreSQL, and ``ensure_fresh`` then uses the stored credentials."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from publisher.core.models import Platform, Target
from publisher.platforms.base import Credentials
from publisher.platforms.fake import FakeAdapter
from publisher.platforms.tokens import ensure_fresh
from publisher.store import Store
from publisher.store import schema as s

ZALO = Target(Platform.ZALO, "xa-hanh-dich")


def creds(access: str, refresh: str) -> Credentials:
    return Credentials(
        access_token=access,
        refresh_token=refresh,
        expires_at=datetime.now(UTC) + timedelta(hours=25),
        remote_account_id="oa-1",
    )


@pytest.fixture
def account(store: Store) -> int:
    return store.add_account(ZALO, "quan-tri", credentials=creds("AT-0", "RT-0"))


def lease_of(store: Store, account_id: int) -> tuple[object, object]:
    with store.db.read() as conn:
        row = conn.execute(
            select(s.accounts.c.refresh_lease_owner, s.accounts.c.refresh_lease_until).where(
                s.accounts.c.id == account_id
            )
        ).one()
    return row.refresh_lease_owner, row.refresh_lease_until


def test_a_holder_whose_lease_was_taken_over_does_not_overwrite(
    store: Store, account: int, caplog: pytest.LogCaptureFixture
) -> None:
    with store.account_lock(account, seconds=0.2) as first:
        time.sleep(0.3)  # the first holder stalls past its lease
        with store.account_lock(account, seconds=60, wait=0) as second:  # taken over at once
            assert second.owner != first.owner
            assert second.save(creds("AT-2", "RT-2")) is True
            with caplog.at_level(logging.WARNING, logger="publisher.store"):
                assert first.save(creds("AT-1", "RT-1")) is False  # late: must not win
            assert "lease" in caplog.text and "AT-1" not in caplog.text and "RT-1" not in caplog.text
            assert first.credentials.access_token == "AT-0"  # nothing pretended
            assert lease_of(store, account)[0] == second.owner  # the late holder took nothing back
        stored = store.credentials(account)
        assert (stored.access_token, stored.refresh_token) == ("AT-2", "RT-2")
    assert lease_of(store, account) == (None, None)


def test_an_expired_lease_nobody_took_still_saves(store: Store, account: int) -> None:
    """The refresh token was spent: as long as nobody else holds the lease, the new pair is kept."""
    with store.account_lock(account, seconds=0.1) as holder:
        time.sleep(0.2)
        assert holder.save(creds("AT-1", "RT-1")) is True
    assert store.credentials(account).refresh_token == "RT-1"


def test_ensure_fresh_uses_the_newer_holders_token(store: Store, account: int) -> None:
    with store.db.write() as conn:  # due for a refresh
        stale = replace(creds("AT-0", "RT-0"), expires_at=datetime.now(UTC) - timedelta(minutes=1))
        store._write_credentials(conn, account, stale)

    def stalled_refresh(current: Credentials) -> Credentials:
        # the token server stalls past our lease; another process takes the lease over and saves
        with store.db.write() as conn:
            conn.execute(
                update(s.accounts)
                .where(s.accounts.c.id == account)
                .values(refresh_lease_until=datetime.now(UTC) - timedelta(seconds=1))
            )
        with store.account_lock(account, seconds=60, wait=0) as other:
            other.save(creds("AT-2", "RT-2"))
        return creds("AT-1", "RT-1")

    adapter = FakeAdapter(store.credentials(account), refresh=[stalled_refresh])
    fresh = ensure_fresh(store, account, adapter)
    assert (fresh.access_token, fresh.refresh_token) == ("AT-2", "RT-2")
    assert adapter.credentials.access_token == "AT-2"
    assert store.credentials(account).refresh_token == "RT-2"
