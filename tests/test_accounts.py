"""Tokens refreshed ahead of expiry by the collect queue's hourly round; a refusal flags the account once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import responses
from pydantic import SecretStr

from publisher.accounts import refresh_all
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
    creds = Credentials(access_token="OLD-ACCESS", refresh_token="OLD-REFRESH", expires_at=now + expires_in,
                        remote_account_id="579745863508352884",
                        extra={"refreshed_at": (now - refreshed_ago).isoformat()})
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
