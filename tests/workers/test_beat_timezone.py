"""The collect schedule follows PUBLISHER_TIMEZONE: Monday 07:00 is the office's 07:00, wherever it is."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from celery import Celery
from celery.beat import ScheduleEntry

from tests.conftest import make_settings
from workers.app import make_app


def _next_run(app: Celery, name: str, now: datetime) -> datetime:
    """When beat (bound to ``app``, as it binds every entry) next runs ``name`` after ``now``."""
    config = app.conf.beat_schedule[name]
    entry = ScheduleEntry(name=name, app=app, task=config["task"], schedule=config["schedule"])
    schedule = entry.schedule
    schedule.nowfun = lambda: now
    return now + schedule.remaining_estimate(now)


@pytest.mark.parametrize(
    "zone", ["Asia/Ho_Chi_Minh", "Europe/Berlin", "America/New_York", "Australia/Sydney"]
)
def test_weekly_report_is_monday_0700_local(tmp_path: Path, zone: str) -> None:
    app = make_app(make_settings(tmp_path, timezone=zone))
    assert app.conf.timezone == zone and app.conf.enable_utc is True
    tz = ZoneInfo(zone)
    # from Wednesday noon local, and from Monday 06:59 local (the same day's run is next)
    for now, expected_day in [
        (datetime(2025, 3, 12, 12, 0, tzinfo=tz), datetime(2025, 3, 17, tzinfo=tz)),
        (datetime(2025, 3, 17, 6, 59, tzinfo=tz), datetime(2025, 3, 17, tzinfo=tz)),
    ]:
        local = _next_run(app, "weekly-report", now).astimezone(tz)
        assert (local.date(), local.weekday(), local.hour, local.minute) == (
            expected_day.date(),
            0,
            7,
            0,
        )
    sweep = _next_run(app, "collect-weekly-sweep", datetime(2025, 3, 12, 12, 0, tzinfo=tz)).astimezone(tz)
    assert (sweep.weekday(), sweep.hour, sweep.minute) == (6, 23, 30)
    followers = _next_run(app, "collect-followers", datetime(2025, 3, 12, 12, 0, tzinfo=tz)).astimezone(tz)
    assert (followers.date().day, followers.hour, followers.minute) == (12, 23, 0)


def test_vietnam_keeps_its_utc_hour(tmp_path: Path) -> None:
    """The office's default zone: Monday 07:00 in Vietnam is still Monday 00:00 UTC."""
    app = make_app(make_settings(tmp_path, timezone="Asia/Ho_Chi_Minh"))
    now = datetime(2025, 3, 12, 5, 0, tzinfo=ZoneInfo("UTC"))
    run = _next_run(app, "weekly-report", now).astimezone(ZoneInfo("UTC"))
    assert run - datetime(2025, 3, 17, 0, 0, tzinfo=ZoneInfo("UTC")) < timedelta(seconds=1)
    assert run >= datetime(2025, 3, 17, 0, 0, tzinfo=ZoneInfo("UTC"))
