"""Engagement collection: snapshots of every published delivery, and followers per account per day.

When: at +1 h, +24 h and +7 d after ``published_at`` (:data:`MILESTONES`), plus a weekly sweep
(:func:`collect` with ``weekly=True``) of everything published in the last ``weeks`` weeks. A
milestone that was not taken in time (workers down) is skipped once the next one is due, so a
"+1 h" figure is never taken days later. ``taken_at`` is stored with every row anyway.

How: grouped by account, then by batches the platform accepts in one call (:data:`BATCH`:
YouTube ``videos.list`` takes 50 ids, Facebook ``?ids=`` 50). Before each call the ``acquire``
callable is asked for a token (0 = go, else seconds to wait: that account is left for the next
run). Collection runs on its own ``collect`` queue with its own rate buckets (:func:`collect_limiter`),
holds no lock while it talks to a platform, and writes in short transactions, so it never delays
publishing. The YouTube adapter counts its own daily quota (``videos.list`` = 1 unit per 50 ids)
and answers nothing once the local quota book is spent.
An adapter that asks per object kind (``hints``: Facebook, where a post, a photo,
a video and a Reel have different fields and insights) also gets each delivery's hint: the ``kind``
its publish flow recorded in the resume state and the post's media.

Now: ``publisher collect [--weekly]`` runs :func:`collect_now`, the same collection as the beat.

What: the adapters' normalised :class:`~publisher.platforms.base.Metrics` (``None`` where the
platform does not report a figure: never 0) and ``raw``, the metric names and values exactly as the
platform returned them. Rows are inserted only (one per delivery and slot), never updated.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from publisher.core.models import Platform, Target
from publisher.errors import PublisherError
from publisher.platforms.base import Adapter, Credentials, Metrics
from publisher.platforms.http import mask_text
from publisher.platforms.registry import adapter_factory
from publisher.platforms.tokens import ensure_fresh, needs_refresh
from publisher.ratelimit import Buckets, Limiter, Rate, limiter_for
from publisher.settings import Settings
from publisher.store import engagement as rows
from publisher.store.counters import DbQuotaCounter
from publisher.store.repo import Store

log = logging.getLogger(__name__)

#: snapshot kind -> delay after publishing; a milestone is taken until the next one is due
MILESTONES: tuple[tuple[str, timedelta], ...] = (
    ("1h", timedelta(hours=1)),
    ("24h", timedelta(hours=24)),
    ("7d", timedelta(days=7)),
)
#: the last milestone is still taken up to this long after it was due
LAST_WINDOW = timedelta(days=7)
#: ids per engagement call, as each platform accepts them
BATCH: dict[Platform, int] = {
    Platform.YOUTUBE: 50,  # videos.list?id= takes at most 50 ids (youtube.md §5)
    Platform.FACEBOOK: 50,  # ?ids= batches (facebook.md §9 "Weekly metrics job")
    Platform.ZALO: 100,  # the adapter pages through getslice itself
    Platform.SANDBOX: 100,
}
#: default number of weeks the weekly sweep looks back (proposed setting ``engagement_weeks``)
DEFAULT_WEEKS = 8
#: separate, slower buckets than publishing, so collection never takes a publishing token
COLLECT_RATES: dict[Platform, Rate | None] = {
    Platform.FACEBOOK: Rate(burst=5, per_second=1 / 10),
    Platform.YOUTUBE: Rate(burst=5, per_second=1 / 10),
    Platform.ZALO: Rate(burst=5, per_second=1 / 10),
    Platform.SANDBOX: None,
}

Acquire = Callable[[Target], float]
AdapterFactory = Callable[[Settings, Target, Credentials], Adapter]


def week_label(moment: datetime, tz: str) -> str:
    """ISO week of ``moment`` in the time zone ``tz``: ``2025-W18``."""
    year, week, _ = moment.astimezone(ZoneInfo(tz)).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Due:
    """One snapshot to take."""

    delivery_id: int
    account_id: int
    target: Target
    remote_id: str
    kind: str
    slot: str
    #: what the delivery recorded about the object, for adapters that ask per kind
    #: (``hints``): the publish flow's ``kind`` and the post's media
    hint: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass
class CollectReport:
    taken: list[tuple[int, str]] = field(default_factory=list)  # delivery id, slot
    not_returned: list[tuple[int, str]] = field(default_factory=list)  # the platform gave no figures
    deferred: list[str] = field(default_factory=list)  # accounts left for the next run (rate limit)
    errors: list[tuple[str, str]] = field(default_factory=list)  # account, error
    followers: list[tuple[str, int]] = field(default_factory=list)


def due_snapshots(
    store: Store, now: datetime, *, weekly: bool = False, weeks: int = DEFAULT_WEEKS
) -> list[Due]:
    """Snapshots due at ``now``: milestones, and with ``weekly`` the sweep of the last ``weeks`` weeks."""
    horizon = max(MILESTONES[-1][1] + LAST_WINDOW, timedelta(weeks=weeks) if weekly else timedelta(0))
    published = rows.published_between(store.db, now - horizon, now)
    taken = published.taken
    week = week_label(now, store.settings.timezone)
    out: list[Due] = []
    for r in published.rows:
        target = Target(Platform(r.platform), r.name)
        age = now - r.published_at
        hint = {
            "kind": (r.resume_state or {}).get("kind"),
            "images": len(r.images or []),
            "video": bool(r.video),
        }
        for i, (kind, delay) in enumerate(MILESTONES):
            until = MILESTONES[i + 1][1] if i + 1 < len(MILESTONES) else delay + LAST_WINDOW
            if delay <= age < until and kind not in taken.get(r.id, set()):
                out.append(Due(r.id, r.account_id, target, r.remote_id, kind, kind, hint))
        slot = f"weekly:{week}"
        if weekly and age <= timedelta(weeks=weeks) and slot not in taken.get(r.id, set()):
            out.append(Due(r.id, r.account_id, target, r.remote_id, "weekly", slot, hint))
    return out


def _adapter_for(
    store: Store, account_id: int, target: Target, adapters: AdapterFactory | None, now: datetime
) -> Adapter:
    # by default the registry's adapters, spending YouTube quota from the database's shared counter
    adapters = adapters or adapter_factory(quota=DbQuotaCounter(store.db))
    creds = store.credentials(account_id)
    adapter = adapters(store.settings, target, creds)
    if needs_refresh(creds, now):
        adapter = adapters(store.settings, target, ensure_fresh(store, account_id, adapter, now=lambda: now))
    return adapter


def collect(
    store: Store,
    now: datetime | None = None,
    *,
    weekly: bool = False,
    weeks: int = DEFAULT_WEEKS,
    adapters: AdapterFactory | None = None,
    acquire: Acquire | None = None,
) -> CollectReport:
    """Take every snapshot due at ``now``; what a platform did not answer stays due for the next run."""
    now = now or datetime.now(UTC)
    report = CollectReport()
    due = due_snapshots(store, now, weekly=weekly, weeks=weeks)
    by_account: dict[int, list[Due]] = {}
    for item in due:
        by_account.setdefault(item.account_id, []).append(item)
    for account_id, items in by_account.items():
        target = items[0].target
        try:
            adapter = _adapter_for(store, account_id, target, adapters, now)
            _collect_account(store, adapter, target, items, now, acquire, report)
        except Exception as exc:  # one account's trouble never stops the others; reported, not swallowed
            log.warning(
                "engagement collection failed for %s: %s",
                target,
                exc,
                exc_info=not isinstance(exc, PublisherError),
            )
            report.errors.append((str(target), _error_text(exc)))
    return report


def _error_text(exc: Exception) -> str:
    """What the officer reads: our own errors carry a readable message; anything else its type too."""
    text = str(exc) if isinstance(exc, PublisherError) else f"{type(exc).__name__}: {exc}"
    return mask_text(text)


def collect_now(
    store: Store,
    now: datetime | None = None,
    *,
    weekly: bool = False,
    adapters: AdapterFactory | None = None,
    acquire: Acquire | None = None,
) -> CollectReport:
    """What the beat runs, at once (``publisher collect``): the snapshots due, today's followers,
    and with ``weekly`` the sweep of the last ``settings.engagement_weeks`` weeks."""
    now = now or datetime.now(UTC)
    report = collect(
        store, now, weekly=weekly, weeks=store.settings.engagement_weeks, adapters=adapters, acquire=acquire
    )
    fol = collect_followers(store, now, adapters=adapters, acquire=acquire)
    report.followers += fol.followers
    report.deferred += [d for d in fol.deferred if d not in report.deferred]
    report.errors += [err for err in fol.errors if err not in report.errors]
    return report


def _collect_account(
    store: Store,
    adapter: Adapter,
    target: Target,
    items: list[Due],
    now: datetime,
    acquire: Acquire | None,
    report: CollectReport,
) -> None:
    by_remote: dict[str, list[Due]] = {}
    for item in items:
        by_remote.setdefault(item.remote_id, []).append(item)
    remote_ids = list(by_remote)
    size = BATCH.get(target.platform, 50)
    for i in range(0, len(remote_ids), size):
        batch = remote_ids[i : i + size]
        if acquire is not None and acquire(target) > 0:
            report.deferred.append(str(target))
            return
        metrics = adapter.fetch_engagement(batch, {rid: by_remote[rid][0].hint for rid in batch})
        new: list[dict[str, Any]] = []
        for rid in batch:
            got = metrics.get(rid)
            for item in by_remote[rid]:
                if got is None:
                    report.not_returned.append((item.delivery_id, item.slot))
                else:
                    new.append(_row(item, got, now))
        report.taken.extend((r["delivery_id"], r["slot"]) for r in rows.insert_snapshots(store.db, new))


def _row(item: Due, m: Metrics, now: datetime) -> dict[str, Any]:
    return {
        "delivery_id": item.delivery_id,
        "taken_at": now,
        "kind": item.kind,
        "slot": item.slot,
        "remote_id": item.remote_id,
        "views": m.views,
        "reactions": m.reactions,
        "comments": m.comments,
        "shares": m.shares,
        "raw": m.raw,
    }


# -- followers ----------------------------------------------------------------------------------
def collect_followers(
    store: Store,
    now: datetime | None = None,
    *,
    adapters: AdapterFactory | None = None,
    acquire: Acquire | None = None,
) -> CollectReport:
    """Followers of every active account for today (local day); the first count of a day is kept.

    Adapters of platforms that report them (``reports_followers``: Zalo, Facebook, YouTube) answer
    ``follower_count() -> int | None``; the others are not asked (no rate token spent).
    """
    now = now or datetime.now(UTC)
    report = CollectReport()
    day = now.astimezone(ZoneInfo(store.settings.timezone)).date()
    have = rows.counted_on(store.db, day)
    for acct in store.accounts():
        if acct.status != "active" or acct.id in have:
            continue
        target = Target(Platform(acct.platform), acct.name)
        try:
            adapter = _adapter_for(store, acct.id, target, adapters, now)
            if not adapter.reports_followers:
                continue
            if acquire is not None and acquire(target) > 0:
                report.deferred.append(str(target))
                continue
            count = adapter.follower_count()
        except Exception as exc:
            log.warning(
                "follower count failed for %s: %s", target, exc, exc_info=not isinstance(exc, PublisherError)
            )
            report.errors.append((str(target), _error_text(exc)))
            continue
        if count is None:
            continue
        if record_followers(store, acct.id, day, int(count), now):
            report.followers.append((str(target), int(count)))
    return report


def record_followers(store: Store, account_id: int, day: date, count: int, now: datetime) -> bool:
    return rows.record_followers(store.db, account_id, day, count, now)


# -- rate limits ----------------------------------------------------------------------------------
class _Prefixed:
    """The same buckets under other keys: collection tokens never come out of publishing's."""

    def __init__(self, buckets: Buckets, prefix: str = "collect:") -> None:
        self.buckets = buckets
        self.prefix = prefix

    def take(self, key: str, rate: Rate) -> float:
        return self.buckets.take(self.prefix + key, rate)

    def drain(self, key: str, rate: Rate, seconds: float) -> None:
        self.buckets.drain(self.prefix + key, rate, seconds)


def collect_limiter(settings: Settings, store: Store) -> Acquire:
    """The ``acquire`` callable for workers: publishing's bucket backend, separate keys and rates."""
    base = limiter_for(settings, store.db)
    limiter = Limiter(_Prefixed(base.buckets), account_rates=COLLECT_RATES, app_rates=COLLECT_RATES)
    return limiter.acquire


# -- reading ---------------------------------------------------------------------------------------
def snapshots(
    store: Store, since: datetime | None = None, until: datetime | None = None, account: Target | None = None
) -> list[Any]:
    """Snapshots with their post and account, oldest first."""
    where = (account.platform.value, account.name) if account is not None else (None, None)
    return list(rows.snapshots(store.db, since, until, *where))
