"""Thin tasks of the ``collect`` queue: engagement snapshots, followers, alerts, the Monday report.

Each builds nothing itself: it takes the worker's runtime and calls ``publisher.engagement``,
``publisher.alerts`` or ``publisher.reports.weekly``. Beat entries (registered in workers/app.py):
see :data:`BEAT`.
"""

from __future__ import annotations

from celery.schedules import crontab

from publisher import alerts, engagement
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


@app.task(name="workers.collect.weekly_report")
def weekly_report() -> list[str]:
    """Last week's report into <data dir>/reports/ (HTML and XLSX); rewriting it is harmless."""
    return [str(p) for p in weekly.write_automatic(runtime().store)]


#: beat entries for workers/app.py; times are UTC (the app's timezone): 00:00 UTC = 07:00 in Vietnam
BEAT = {
    "collect-engagement": {
        "task": "workers.collect.collect_engagement",
        "schedule": 600.0,  # every 10 minutes: +1 h snapshots within 10 minutes of their time
        "options": {"queue": "collect", "expires": 540},
    },
    "collect-weekly-sweep": {
        "task": "workers.collect.collect_engagement",
        "schedule": crontab(minute=30, hour=16, day_of_week="sun"),  # Sunday 23:30 in Vietnam
        "kwargs": {"weekly_sweep": True},
        "options": {"queue": "collect", "expires": 3000},
    },
    "collect-followers": {
        "task": "workers.collect.collect_followers",
        "schedule": crontab(minute=0, hour=16),  # 23:00 in Vietnam, every day
        "options": {"queue": "collect", "expires": 3000},
    },
    "send-alerts": {
        "task": "workers.collect.send_alerts",
        "schedule": 120.0,
        "options": {"queue": "collect", "expires": 110},
    },
    "weekly-report": {
        "task": "workers.collect.weekly_report",
        "schedule": crontab(minute=0, hour=0, day_of_week="mon"),  # Monday 07:00 in Vietnam
        "options": {"queue": "collect", "expires": 6 * 3600},
    },
}
