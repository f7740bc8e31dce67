"""Thin tasks of the ``collect`` queue: engagement snapshots, followers, alerts, the Monday report.

Each builds nothing itself: it takes the worker's runtime and calls ``publisher.actions.engagement``,
``publisher.actions.alerts``, ``publisher.reports.weekly`` or ``publisher.platforms.tokens``. Their beat
entries are ``COLLECT_BEAT`` in workers/app.py.
"""

from __future__ import annotations

from publisher.actions import alerts, engagement
from publisher.actions.accounts import refresh_all
from publisher.reports import weekly
from workers.app import app
from workers.runtime import runtime


@app.task(name="workers.collect.collect_engagement")
def collect_engagement(weekly_sweep: bool = False) -> dict[str, int]:
    """Snapshots due now (+1 h, +24 h, +7 d; with ``weekly_sweep`` the last N weeks too)."""
    rt = runtime()
    report = engagement.collect(
        rt.store,
        weekly=weekly_sweep,
        weeks=rt.settings.engagement_weeks,
        acquire=engagement.collect_limiter(rt.settings, rt.store),
    )
    return {
        "taken": len(report.taken),
        "missing": len(report.not_returned),
        "deferred": len(report.deferred),
        "errors": len(report.errors),
    }


@app.task(name="workers.collect.collect_followers")
def collect_followers() -> dict[str, int]:
    rt = runtime()
    report = engagement.collect_followers(rt.store, acquire=engagement.collect_limiter(rt.settings, rt.store))
    return {"accounts": len(report.followers), "errors": len(report.errors)}


@app.task(name="workers.collect.send_alerts")
def send_alerts() -> dict[str, int]:
    """Tell the officer about new incidents, once each (deduplicated in the alerts table)."""
    report = alerts.notify(runtime().store)
    return {"raised": len(report.raised), "sent": len(report.sent), "errors": len(report.errors)}


@app.task(name="workers.collect.refresh_tokens")
def refresh_tokens() -> dict[str, int]:
    """Refresh tokens ahead of expiry (and Zalo's at least daily); a refused refresh flags the account."""
    report = refresh_all(runtime().store, runtime().settings)
    return {"refreshed": len(report.refreshed), "needs_reauth": len(report.needs_reauth)}


@app.task(name="workers.collect.weekly_report")
def weekly_report() -> list[str]:
    """Last week's report into <data dir>/reports/ (HTML and XLSX); rewriting it is harmless."""
    return [str(p) for p in weekly.write_automatic(runtime().store)]
