"""YouTube Data API quota: a configurable cost table and a per-project daily counter.

https://developers.google.com/youtube/v3/determine_quota_cost: quotas reset at midnight Pacific
time; there is no API to read what is left, so we count. The cost of ``videos.insert`` has
changed (1600 → 100 → its own bucket of 100 calls a day); the default here is the historic 1600,
the conservative reading, and every cost can be overridden.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from publisher.platforms.base import QuotaCounter

PACIFIC = ZoneInfo("America/Los_Angeles")

DEFAULT_COSTS: dict[str, int] = {
    "videos.insert": 1600,
    "videos.list": 1,
    "videos.update": 50,
    "thumbnails.set": 50,
    "playlistItems.insert": 50,
    "playlistItems.list": 1,
    "channels.list": 1,
}


def quota_day(now: datetime) -> date:
    """The Pacific calendar day a call made at ``now`` counts against."""
    return now.astimezone(PACIFIC).date()


def next_reset(now: datetime) -> datetime:
    """The next midnight Pacific time, in UTC (DST handled by the zone)."""
    day = quota_day(now) + timedelta(days=1)
    return datetime.combine(day, time(0, 0), tzinfo=PACIFIC).astimezone(UTC)


class MemoryQuotaCounter:
    """In-process :class:`~publisher.platforms.base.QuotaCounter` for tests and dry runs: each
    adapter built without a counter keeps one of its own (production passes the database's)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: dict[tuple[str, date], int] = {}

    def add(self, project: str, day: date, units: int) -> int:
        with self._lock:
            total = self._used.get((project, day), 0) + units
            self._used[(project, day)] = total
            return total

    def used(self, project: str, day: date) -> int:
        with self._lock:
            return self._used.get((project, day), 0)


class QuotaBook:
    """Spends units from the daily budget before a call is made."""

    def __init__(
        self, counter: QuotaCounter, project: str, daily: int, costs: Mapping[str, int] | None = None
    ) -> None:
        self.counter = counter
        self.project = project
        self.daily = daily
        self.costs = {**DEFAULT_COSTS, **(costs or {})}

    def spend(self, method: str, now: datetime) -> datetime | None:
        """Reserve the cost of ``method``; ``None`` when granted, else when the quota resets."""
        cost = self.costs.get(method, 1)
        day = quota_day(now)
        total = self.counter.add(self.project, day, cost)
        if total > self.daily:
            self.counter.add(self.project, day, -cost)
            return next_reset(now)
        return None

    def exhaust(self, now: datetime) -> datetime:
        """The platform said the quota is spent: record it so other workers stop too."""
        day = quota_day(now)
        left = self.daily - self.counter.used(self.project, day)
        if left > 0:
            self.counter.add(self.project, day, left)
        return next_reset(now)
