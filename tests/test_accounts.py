"""Tokens refreshed ahead of expiry by the collect queue's hourly round; a refusal flags the account once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import responses
from pydantic import SecretStr

from publisher.actions.accounts import refresh_all
from publisher.core.models import Platform, Target
from publisher.platforms.base import Credentials
from publisher.store import Store

ZALO = Target(Platform.ZALO, "ubnd-hanh-dich")
PAYLOADS = Path(__file__).parent / "platforms" / "payloads" / "zalo"
TOKEN_URL = "https://oauth.zaloapp.com/v4/oa/access_token"


def zalo_account(store: Store, expires_in: timedelta, refreshed_ago: timedelta) -> int:
    now = datetime.now(UTC)
    store.settings.zalo.app_id = "app-1"
    store.settings.zalo.app_secret = SecretStr("APP-SECRET")
    creds = Credentials(
        access_token="OLD-ACCESS",
        refresh_token="OLD-REFRESH",
        expires_at=now + expires_in,
        remote_account_id="579745863508352884",
        extra={"refreshed_at": (now - refreshed_ago).isoformat()},
    )
    return store.add_account(ZALO, "can-bo", credentials=creds)


@responses.activate
def test_idle_token_is_refreshed_at_least_daily(store: Store) -> None:
    account = zalo_account(store, expires_in=timedelta(hours=20), refreshed_ago=timedelta(hours=21))
    responses.post(TOKEN_URL, json=json.loads((PAYLOADS / "refresh_ok.json").read_text()))
    report = refresh_all(store, store.settings)
    assert report.refreshed == ["zalo/ubnd-hanh-dich"]
    assert store.credentials(account).refresh_token == "ZALO-REFRESH-2"
    assert refresh_all(store, store.settings).refreshed == []  # fresh now: no second call
    assert len(responses.calls) == 1


@responses.activate
def test_refused_refresh_flags_the_account(store: Store) -> None:
    account = zalo_account(store, expires_in=timedelta(minutes=10), refreshed_ago=timedelta(hours=1))
    responses.post(TOKEN_URL, json=json.loads((PAYLOADS / "refresh_refused.json").read_text()))
    report = refresh_all(store, store.settings)
    assert report.needs_reauth == ["zalo/ubnd-hanh-dich"]
    assert store.account(ZALO).status == "needs_reauth"
    assert store.credentials(account).refresh_token == "OLD-REFRESH"  # nothing half-written
    assert refresh_all(store, store.settings).needs_reauth == []  # not tried again until reconnected


@responses.activate
def test_token_endpoint_down_changes_nothing(store: Store) -> None:
    account = zalo_account(store, expires_in=timedelta(minutes=10), refreshed_ago=timedelta(hours=1))
    responses.post(TOKEN_URL, status=503, body="<html>down</html>")
    report = refresh_all(store, store.settings)
    assert report.postponed == ["zalo/ubnd-hanh-dich"] and store.account(ZALO).status == "active"
    assert store.credentials(account).access_token == "OLD-ACCESS"


# -- reconnecting releases what waited for it -----------------------------------------------------

PAGE = Target(Platform.FACEBOOK, "ubnd-hanh-dich")


def queued(store: Store, key: str, due: datetime) -> int:
    """A post queued and approved through the store, as the CLI does it."""
    from publisher.core.models import PostSpec

    spec = PostSpec(
        key=key,
        title="Thông báo",
        text=f"Lịch tiêm chủng {key}",
        due_at=due,
        timezone="Asia/Ho_Chi_Minh",
        targets=(PAGE,),
    )
    store.queue([spec], actor="can-bo")
    store.approve([key], by="truong-ban")
    [row] = [r for r in store.deliveries() if r.key == key]
    return int(row.id)


def state_of(store: Store, did: int) -> Any:
    from sqlalchemy import select

    from publisher.store import schema as s

    with store.db.read() as conn:
        return conn.execute(select(s.deliveries).where(s.deliveries.c.id == did)).one()


def audit_rows(store: Store) -> list[Any]:
    from sqlalchemy import select

    from publisher.store import schema as s

    with store.db.read() as conn:
        return list(conn.execute(select(s.audit).order_by(s.audit.c.id)))


def test_reconnect_releases_waiting_deliveries_and_misses_the_late_ones(store: Store) -> None:
    from publisher.actions.publish import Publisher
    from publisher.core.states import State
    from publisher.platforms.base import Result
    from publisher.platforms.fake import FakeAdapter
    from publisher.store.claims import claim_due

    now = datetime.now(UTC)
    store.add_account(
        PAGE, "can-bo", credentials=Credentials(access_token="OLD-PAGE-TOKEN", remote_account_id="1647395831")
    )
    refused = FakeAdapter(publish=[Result.auth_expired("190/460", "Facebook refused the access token")])
    # 7 hours ago the first post was due; the platform refused the token then (grace: 6 hours)
    early = now - timedelta(hours=7)
    late_id = queued(store, "bai-cu", early)
    assert claim_due(store.db, early + timedelta(seconds=5), "dispatch:t", 300) == [late_id]
    Publisher(store, adapters=lambda *a: refused, clock=lambda: early + timedelta(seconds=6)).publish(late_id)
    assert state_of(store, late_id).state == "needs_reauth"
    assert store.account(PAGE).status == "needs_reauth"
    # a post due now finds the account flagged and waits too, without calling the platform
    open_id = queued(store, "bai-moi", now - timedelta(seconds=1))
    assert claim_due(store.db, now, "dispatch:t", 300) == [open_id]
    Publisher(store, adapters=lambda *a: refused).publish(open_id)
    assert state_of(store, open_id).state == "needs_reauth"
    assert len(refused.calls) == 1

    report = store.update_credentials(
        PAGE, Credentials(access_token="NEW-PAGE-TOKEN"), "can-bo", via="update"
    )

    assert [i["id"] for i in report.released] == [open_id]
    assert [i["id"] for i in report.missed] == [late_id]
    after = state_of(store, open_id)
    assert after.state == State.RETRY_WAIT.value and after.next_attempt_at <= datetime.now(UTC)
    gone = state_of(store, late_id)
    assert gone.state == State.MISSED.value and gone.last_code == "missed"
    assert "hạn chót" in gone.last_reason
    account = store.account(PAGE)
    assert (account.status, account.status_reason, account.remote_id) == ("active", None, "1647395831")
    assert store.credentials(account.id).access_token == "NEW-PAGE-TOKEN"
    trail = [(a.action, a.delivery_id, a.detail) for a in audit_rows(store)]
    assert (
        "credentials_updated",
        None,
        {"target": str(PAGE), "via": "update", "refresh_token": False, "released": 1, "missed": 1},
    ) in trail
    assert ("reauth_released", open_id, {"source": "needs_reauth", "target_state": "retry_wait"}) in trail
    assert ("reauth_released", late_id, {"source": "needs_reauth", "target_state": "missed"}) in trail
    assert all("NEW-PAGE-TOKEN" not in str(a.detail) for a in audit_rows(store))

    # nobody ran "publisher retry": the dispatcher claims it and it goes out with the new token
    seen: list[str] = []

    def factory(settings: Any, target: Target, creds: Credentials) -> FakeAdapter:
        seen.append(creds.access_token)
        return FakeAdapter(publish=[Result.published("1647395831_1", "https://facebook.com/1")])

    assert claim_due(store.db, datetime.now(UTC), "dispatch:t", 300) == [open_id]
    step = Publisher(store, adapters=factory).publish(open_id)
    assert step.state is State.PUBLISHED and seen == ["NEW-PAGE-TOKEN"]
    assert state_of(store, late_id).state == State.MISSED.value


def test_reconnect_during_a_pause_releases_on_resume(store: Store) -> None:
    from sqlalchemy import update

    from publisher.store import schema as s

    now = datetime.now(UTC)
    store.add_account(PAGE, "can-bo", credentials=Credentials(access_token="OLD", remote_account_id="1"))
    did = queued(store, "bai-moi", now - timedelta(minutes=1))
    account_id = store.account(PAGE).id
    store.set_account_status(account_id, "needs_reauth", "190")
    with store.db.write() as conn:  # where the publisher leaves it (see the test above)
        conn.execute(update(s.deliveries).where(s.deliveries.c.id == did).values(state="needs_reauth"))
    store.pause("Quốc tang", "chu-tich")
    assert state_of(store, did).state_before_pause == "needs_reauth"
    report = store.update_credentials(PAGE, Credentials(access_token="NEW"), "can-bo")
    assert [i["id"] for i in report.released] == [did]
    row = state_of(store, did)
    assert (row.state, row.state_before_pause) == ("paused", "retry_wait")  # the pause still holds it
    store.resume("chu-tich")
    row = state_of(store, did)
    assert row.state == "retry_wait" and row.next_attempt_at <= datetime.now(UTC)


def test_update_of_an_unknown_account_is_refused(store: Store) -> None:
    import pytest

    from publisher.errors import NotFound

    with pytest.raises(NotFound):
        store.update_credentials(PAGE, Credentials(access_token="X"), "can-bo")


def test_update_waits_for_a_refresh_in_flight_and_is_not_overwritten(store: Store) -> None:
    """A renewal of the old token that ends after the officer's update must not replace it."""
    import threading
    import time

    account_id = store.add_account(
        PAGE,
        "can-bo",
        credentials=Credentials(access_token="OLD", refresh_token="OLD-R", remote_account_id="1"),
    )
    holding = threading.Event()

    def refresher() -> None:
        with store.account_lock(account_id) as held:
            holding.set()
            time.sleep(0.8)  # waiting on the platform's token endpoint
            held.save(Credentials(access_token="RENEWED-OLD", refresh_token="R2", remote_account_id="1"))

    thread = threading.Thread(target=refresher)
    thread.start()
    assert holding.wait(10)
    started = time.monotonic()
    store.update_credentials(PAGE, Credentials(access_token="NEW", refresh_token="NEW-R"), "can-bo")
    waited = time.monotonic() - started
    thread.join(10)
    assert waited >= 0.5
    creds = store.credentials(account_id)
    assert (creds.access_token, creds.refresh_token, creds.remote_account_id) == ("NEW", "NEW-R", "1")
