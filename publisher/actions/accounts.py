"""Keeping accounts usable: tokens refreshed ahead of expiry, and at least daily where the platform's
refresh window rolls (Zalo: a refresh token unused for about three months is gone).

A refused refresh flags the account ``needs_reauth`` (the alerts tell the officer, once); a network
or server failure changes nothing and is tried again at the next round.
"""

from __future__ import annotations

import logging
import shlex
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from publisher.core.models import Platform, Target
from publisher.errors import PublisherError
from publisher.platforms import connect as flows
from publisher.platforms.base import AuthExpired, Credentials
from publisher.platforms.http import TemporaryFailure
from publisher.platforms.registry import build_adapter
from publisher.platforms.tokens import ensure_fresh, needs_refresh
from publisher.settings import Settings
from publisher.store import Store
from publisher.store.counters import DbQuotaCounter

log = logging.getLogger(__name__)

#: platforms with a connection flow in ``publisher accounts connect`` (the others take a token)
CONNECT_FLOWS = {Platform.ZALO: "--oa-id", Platform.YOUTUBE: None, Platform.FACEBOOK: "--page-id"}
#: platforms whose access token renews itself from a refresh token
REFRESHING = {Platform.ZALO, Platform.YOUTUBE}


def reconnect_commands(target: Target, remote_id: str | None = None) -> list[str]:
    """The commands that give ``target`` new credentials, as the officer types them: the browser
    flow (``accounts connect PLATFORM NAME``, with the Page id Facebook needs and the OA id Zalo
    keeps) where there is one, then ``accounts update`` for a server without a browser."""
    out: list[str] = []
    if target.platform in CONNECT_FLOWS:
        words = ["publisher", "accounts", "connect", target.platform.value, shlex.quote(target.name)]
        option = CONNECT_FLOWS[target.platform]
        if option and remote_id:
            words += [option, shlex.quote(remote_id)]
        elif option and target.platform is Platform.FACEBOOK:
            words += [option, "PAGE_ID"]  # connect cannot work without it
        out.append(" ".join(words))
    update = ["publisher", "accounts", "update", shlex.quote(str(target)), "--token-stdin"]
    if target.platform in REFRESHING:
        update.append("--refresh-token-stdin")
    out.append(" ".join(update))
    return out


@dataclass
class RefreshReport:
    refreshed: list[str] = field(default_factory=list)
    needs_reauth: list[str] = field(default_factory=list)
    postponed: list[str] = field(default_factory=list)


def refresh_all(store: Store, settings: Settings, now: datetime | None = None) -> RefreshReport:
    moment = now or datetime.now(UTC)
    report = RefreshReport()
    for account in store.accounts():
        if account.status != "active" or not account.credentials:
            continue
        target = Target.parse(f"{account.platform}/{account.name}")
        creds: Credentials = store.credentials(account.id)
        if not needs_refresh(creds, moment):
            continue
        adapter = build_adapter(settings, target, creds, quota=DbQuotaCounter(store.db))
        try:
            ensure_fresh(store, account.id, adapter, now=lambda: moment)
        except AuthExpired as exc:
            if store.set_account_status(account.id, "needs_reauth", str(exc)):
                log.warning("account %s needs re-authorisation", target)
            report.needs_reauth.append(str(target))
        except TemporaryFailure:
            report.postponed.append(str(target))
        else:
            report.refreshed.append(str(target))
    return report


def check_access(
    store: Store, settings: Settings, account: Any, now: datetime | None = None
) -> flows.AccessCheck:
    """``publisher accounts check`` for one account: one cheap authenticated call to its platform,
    with the token renewed first when it is due (under the account lock, the new pair committed,
    exactly as the publisher would), and once more after a refusal if a refresh token exists.
    Changes nothing but the token; the officer reads the answer."""
    target = Target.parse(f"{account.platform}/{account.name}")
    if target.platform not in CONNECT_FLOWS or not account.credentials:
        return flows.AccessCheck("not_checked")
    creds = store.credentials(account.id)
    try:
        if target.platform is Platform.FACEBOOK:
            result = flows.check_facebook(settings.facebook, requests.Session(), creds, now=now)
        else:
            probe = flows.probe_youtube if target.platform is Platform.YOUTUBE else flows.probe_zalo
            adapter = build_adapter(settings, target, creds, quota=DbQuotaCounter(store.db))
            fresh = ensure_fresh(store, account.id, adapter)
            result = probe(adapter)
            if (
                result.access == "invalid"
                and fresh.refresh_token
                and fresh.access_token == creds.access_token
            ):
                fresh = ensure_fresh(store, account.id, adapter, force=True)  # a 401 may be one stale token
                result = probe(adapter)
            creds = fresh
    except AuthExpired as exc:
        result = flows.AccessCheck("invalid", str(exc))
    except PublisherError as exc:  # throttled, unreachable, or a setting missing: nothing decided
        result = flows.AccessCheck("unknown", str(exc))
    if result.access_expires_at is None and not result.access_never_expires:
        result.access_expires_at = creds.expires_at
    result.renews_itself = bool(creds.refresh_token) and target.platform in REFRESHING
    result.refresh_expires_at = creds.refresh_expires_at
    result.refresh_note = flows.refresh_note(target.platform.value) if result.renews_itself else None
    return result
