"""Keeping accounts usable: tokens refreshed ahead of expiry, and at least daily where the platform's
refresh window rolls (Zalo: a refresh token unused for about three months is gone).

A refused refresh flags the account ``needs_reauth`` (the alerts tell the officer, once); a network
or server failure changes nothing and is tried again at the next round.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from publisher.core.models import Target
from publisher.platforms.base import AuthExpired, Credentials
from publisher.platforms.http import TemporaryFailure
from publisher.platforms.tokens import ensure_fresh, needs_refresh
from publisher.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class RefreshReport:
    refreshed: list[str] = field(default_factory=list)
    needs_reauth: list[str] = field(default_factory=list)
    postponed: list[str] = field(default_factory=list)


def refresh_all(store: object, settings: Settings, now: datetime | None = None) -> RefreshReport:
    from publisher.publishing import build_adapter
    from publisher.store import Store

    assert isinstance(store, Store)
    moment = now or datetime.now(UTC)
    report = RefreshReport()
    for account in store.accounts():
        if account.status != "active" or not account.credentials:
            continue
        target = Target.parse(f"{account.platform}/{account.name}")
        creds: Credentials = store.credentials(account.id)
        if not needs_refresh(creds, moment):
            continue
        adapter = build_adapter(settings, target, creds)
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
