"""The weekly review: what went out, what it reached, as sections of plain numbers.

A week is an ISO week in the officer's time zone (``settings.timezone``), Monday 00:00 to the
next Monday 00:00. The figures of a week are those of the posts **published in that week**, as of
the end of that week (the latest snapshot taken before it ended); the previous week is computed the
same way, so "change" compares like with like. A figure no platform reported stays ``None`` (shown
as "—", an empty cell in CSV and XLSX), never 0.

Sections (each a :class:`Section`, rendered as a table, a CSV block, an XLSX sheet, an HTML table):
``status`` (per platform: due, published, late, missed, failed, needs re-authorisation),
``deliveries`` (each delivery due in the week, with its link), ``posts`` (engagement per post),
``platforms`` (per platform and metric: this week, previous week, change), ``top`` (top posts by
views), ``campaigns`` (totals per campaign), ``followers`` (per account: end of week, end of
previous week, change).

:func:`engagement_log` is the history behind the figures: every snapshot of given posts (the
+1 h, +24 h and +7 d looks after publishing, then the weekly sweeps), as the web page shows it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from publisher.core.states import State, label
from publisher.i18n import t
from publisher.reports.model import Section, Week, WeeklyReport, local_text
from publisher.reports.render_csv import render_csv
from publisher.reports.render_html import render_html
from publisher.reports.render_xlsx import render_xlsx
from publisher.store import reports as rows_of
from publisher.store.repo import Store

__all__ = [
    "LoggedDelivery",
    "LoggedPost",
    "Section",
    "Snapshot",
    "Week",
    "WeeklyReport",
    "FORMATS",
    "build",
    "engagement_log",
    "file_name",
    "rendered",
    "reports_dir",
    "write",
    "write_automatic",
]

#: published more than this after the due time counts as "late"
LATE_AFTER = timedelta(minutes=10)
TOP_N = 5
METRICS = ("views", "reactions", "comments", "shares")
#: the looks after publishing every published delivery gets, in order
MILESTONES = ("1h", "24h", "7d")


def total(values: list[int | None]) -> int | None:
    """Sum of the known values; ``None`` when no value is known (never 0 for "not reported")."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def change(now: int | None, before: int | None) -> tuple[int | None, float | None]:
    if now is None or before is None:
        return None, None
    pct = round((now - before) * 100.0 / before, 1) if before else None
    return now - before, pct


def platform_name(platform: str) -> str:
    return t(f"report.platform.{platform}")


def _latest_snapshots(store: Store, ids: list[int], before: dict[int, datetime]) -> dict[int, Any]:
    """For each delivery id, its latest snapshot taken before ``before[id]``."""
    out: dict[int, Any] = {}
    for row in rows_of.snapshots_of(store.db, ids) if ids else []:
        if row.taken_at < before[row.delivery_id]:
            out[row.delivery_id] = row
    return out


def build(
    store: Store, week: Week, now: datetime | None = None, units: Collection[str] | None = None
) -> WeeklyReport:
    """The report of ``week``; ``units`` limits it to those units' posts and accounts (the web
    app's page of a unit); ``None`` (the CLI) reports everything."""
    tz = store.settings.timezone
    now = now or datetime.now(UTC)
    prev = week.previous(tz)
    last_day, prev_last_day = week.monday + timedelta(days=6), prev.monday + timedelta(days=6)
    read = rows_of.week_rows(store.db, prev.start, week.end, last_day, units)
    rows, accounts, follower_rows = read.deliveries, read.accounts, read.followers

    def published_in(r: Any, w: Week) -> bool:
        return (
            r.state == State.PUBLISHED.value
            and r.published_at is not None
            and w.start <= r.published_at < w.end
        )

    this_pub = [r for r in rows if published_in(r, week)]
    prev_pub = [r for r in rows if published_in(r, prev)]
    before = {r.id: week.end for r in this_pub} | {r.id: prev.end for r in prev_pub}
    snaps = _latest_snapshots(store, list(before), before)

    def figures(r: Any) -> list[int | None]:
        snap = snaps.get(r.id)
        return [getattr(snap, m) if snap is not None else None for m in METRICS]

    due_rows = [
        r
        for r in rows
        if week.start <= r.due_at < week.end and r.state not in (State.CANCELLED.value, State.DRAFT.value)
    ]
    platforms = sorted({r.platform for r in rows} | {a.platform for a in accounts})

    # -- status per platform
    status_rows: list[list[Any]] = []
    for plat in platforms:
        mine = [r for r in due_rows if r.platform == plat]
        if not mine:
            continue
        pub = [r for r in mine if r.state == State.PUBLISHED.value]
        late = [r for r in pub if r.published_at and r.published_at - r.due_at > LATE_AFTER]
        status_rows.append(
            [
                platform_name(plat),
                len(mine),
                len(pub),
                len(late),
                sum(r.state == State.MISSED.value for r in mine),
                sum(r.state == State.FAILED.value for r in mine),
                sum(r.state == State.NEEDS_REAUTH.value for r in mine),
            ]
        )
    if status_rows:
        status_rows.append(
            [t("report.all_platforms"), *[sum(row[i] for row in status_rows) for i in range(1, 7)]]
        )
    status = Section(
        "status",
        t("report.section.status"),
        [
            t("report.col.platform"),
            t("report.col.due"),
            t("report.col.published"),
            t("report.col.late"),
            t("report.col.missed"),
            t("report.col.failed"),
            t("report.col.needs_reauth"),
        ],
        status_rows,
    )

    # -- deliveries of the week
    deliveries = Section(
        "deliveries",
        t("report.section.deliveries"),
        [
            t("report.col.due_at"),
            t("report.col.post"),
            t("report.col.title"),
            t("report.col.account"),
            t("report.col.state"),
            t("report.col.published_at"),
            t("report.col.link"),
        ],
        [
            [
                local_text(r.due_at, tz),
                r.key,
                r.title,
                f"{r.platform}/{r.name}",
                label(r.state),
                local_text(r.published_at, tz),
                r.remote_url,
            ]
            for r in due_rows
        ],
        link_column=6,
    )

    # -- engagement per post
    metric_cols = [t(f"report.col.{m}") for m in METRICS]
    posts = Section(
        "posts",
        t("report.section.posts"),
        [
            t("report.col.published_at"),
            t("report.col.post"),
            t("report.col.title"),
            t("report.col.account"),
            *metric_cols,
            t("report.col.link"),
        ],
        [
            [
                local_text(r.published_at, tz),
                r.key,
                r.title,
                f"{r.platform}/{r.name}",
                *figures(r),
                r.remote_url,
            ]
            for r in sorted(this_pub, key=lambda r: (r.published_at, r.key, r.platform, r.name))
        ],
        link_column=8,
    )

    # -- per platform vs previous week
    def sums(pub: list[Any], plat: str | None) -> dict[str, int | None]:
        mine = [r for r in pub if plat is None or r.platform == plat]
        out: dict[str, int | None] = {"posts": len(mine)}
        for i, m in enumerate(METRICS):
            out[m] = total([figures(r)[i] for r in mine])
        return out

    plat_rows: list[list[Any]] = []
    chart_views: dict[str, tuple[int | None, int | None]] = {}
    for plat in [*platforms, None]:
        cur, old = sums(this_pub, plat), sums(prev_pub, plat)
        if plat is not None and not cur["posts"] and not old["posts"]:
            continue
        name = platform_name(plat) if plat else t("report.all_platforms")
        for m in ("posts", *METRICS):
            diff, pct = change(cur[m], old[m])
            plat_rows.append([name, t(f"report.col.{m}"), cur[m], old[m], diff, pct])
        if plat is not None:
            chart_views[name] = (cur["views"], old["views"])
    per_platform = Section(
        "platforms",
        t("report.section.platforms"),
        [
            t("report.col.platform"),
            t("report.col.metric"),
            t("report.col.this_week"),
            t("report.col.previous_week"),
            t("report.col.change"),
            t("report.col.change_pct"),
        ],
        plat_rows,
    )

    # -- top posts by views, then reactions
    def rank_key(r: Any) -> tuple[int, int, str]:
        views, reactions = figures(r)[0], figures(r)[1]
        return (-(views if views is not None else -1), -(reactions if reactions is not None else -1), r.key)

    ranked = sorted([r for r in this_pub if any(v is not None for v in figures(r))], key=rank_key)[:TOP_N]
    top = Section(
        "top",
        t("report.section.top"),
        [
            t("report.col.rank"),
            t("report.col.post"),
            t("report.col.title"),
            t("report.col.account"),
            *metric_cols,
            t("report.col.link"),
        ],
        [
            [i + 1, r.key, r.title, f"{r.platform}/{r.name}", *figures(r), r.remote_url]
            for i, r in enumerate(ranked)
        ],
        link_column=8,
    )

    # -- per campaign
    camp_rows: list[list[Any]] = []
    for camp in sorted({r.campaign or "" for r in this_pub}, key=lambda c: (c == "", c)):
        mine = [r for r in this_pub if (r.campaign or "") == camp]
        camp_rows.append(
            [
                camp or t("report.no_campaign"),
                len({r.post_id for r in mine}),
                len(mine),
                *[total([figures(r)[i] for r in mine]) for i in range(len(METRICS))],
            ]
        )
    campaigns = Section(
        "campaigns",
        t("report.section.campaigns"),
        [t("report.col.campaign"), t("report.col.posts"), t("report.col.deliveries"), *metric_cols],
        camp_rows,
    )

    # -- followers
    latest: dict[int, int] = {}
    latest_prev: dict[int, int] = {}
    for f in follower_rows:
        latest[f.account_id] = f.followers_count
        if f.day <= prev_last_day:
            latest_prev[f.account_id] = f.followers_count
    fol_rows: list[list[Any]] = []
    for a in accounts:
        if a.id not in latest:
            continue
        cur_f, old_f = latest.get(a.id), latest_prev.get(a.id)
        diff, pct = change(cur_f, old_f)
        fol_rows.append([f"{a.platform}/{a.name}", cur_f, old_f, diff, pct])
    followers = Section(
        "followers",
        t("report.section.followers"),
        [
            t("report.col.account"),
            t("report.col.followers_end"),
            t("report.col.followers_prev"),
            t("report.col.change"),
            t("report.col.change_pct"),
        ],
        fol_rows,
    )

    charts = {
        "views": chart_views,
        "status": {row[0]: row[2:7] for row in status_rows[:-1]},
        "top": [(f"{row[1]} ({row[3]})", row[4]) for row in top.rows if row[4] is not None],
        "followers": {row[0]: (row[1], row[2]) for row in fol_rows},
    }
    return WeeklyReport(
        week, prev, tz, now, [status, deliveries, posts, per_platform, top, campaigns, followers], charts
    )


def reports_dir(store: Store) -> Path:
    return store.settings.data_dir / "reports"


#: the file formats of the report, with their media types
FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


def file_name(week: Week, fmt: str) -> str:
    """The report's file name: ``bao-cao-tuan-2025-W18.xlsx``."""
    return f"bao-cao-tuan-{week.label}.{fmt}"


def rendered(report: WeeklyReport, fmt: str) -> bytes:
    """``report`` as the bytes of a ``fmt`` (csv, xlsx, html) file."""
    if fmt == "csv":
        return render_csv(report).encode("utf-8-sig")  # BOM: Excel opens Vietnamese text right
    if fmt == "xlsx":
        return render_xlsx(report)
    if fmt == "html":
        return render_html(report).encode("utf-8")
    raise ValueError(fmt)


def write(report: WeeklyReport, fmt: str, out: Path) -> Path:
    """Write ``report`` as ``fmt`` (csv, xlsx, html) to ``out``."""
    data = rendered(report, fmt)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


def write_automatic(
    store: Store, now: datetime | None = None, formats: tuple[str, ...] = ("html", "xlsx")
) -> list[Path]:
    """The Monday-morning report of the last complete week into ``<data dir>/reports/``."""
    now = now or datetime.now(UTC)
    week = Week.last_complete(now, store.settings.timezone)
    report = build(store, week, now)
    folder = reports_dir(store)
    return [write(report, fmt, folder / file_name(week, fmt)) for fmt in formats]


# -- the engagement log behind the figures --------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    """One look at a delivery's figures; ``taken_at`` None: a milestone not taken (yet)."""

    slot: str  # 1h | 24h | 7d | weekly:<ISO week>
    taken_at: datetime | None
    figures: tuple[int | None, ...]  # in METRICS order


@dataclass
class LoggedDelivery:
    id: int
    account: str  # platform/name
    published_at: datetime
    remote_url: str | None
    snapshots: list[Snapshot] = field(default_factory=list)


@dataclass
class LoggedPost:
    key: str
    title: str
    deliveries: list[LoggedDelivery] = field(default_factory=list)


def engagement_log(store: Store, keys: list[str], units: Collection[str] | None = None) -> list[LoggedPost]:
    """Each published delivery of the posts ``keys`` (of ``units``; ``None``: any) with every
    snapshot taken so far: the milestones +1 h, +24 h, +7 d first (a placeholder for one not
    taken), then the weekly sweeps, oldest first. Posts in the order of ``keys``."""
    posts: dict[str, LoggedPost] = {}
    deliveries: dict[int, LoggedDelivery] = {}
    for row in rows_of.post_snapshots(store.db, keys, units):
        post = posts.setdefault(row.key, LoggedPost(row.key, row.title))
        logged = deliveries.get(row.delivery_id)
        if logged is None:
            logged = LoggedDelivery(
                row.delivery_id, f"{row.platform}/{row.name}", row.published_at, row.remote_url
            )
            deliveries[row.delivery_id] = logged
            post.deliveries.append(logged)
        if row.slot is not None:
            logged.snapshots.append(Snapshot(row.slot, row.taken_at, tuple(getattr(row, m) for m in METRICS)))
    for logged in deliveries.values():
        taken = {snap.slot: snap for snap in logged.snapshots}
        blank = (None,) * len(METRICS)
        logged.snapshots = [taken.get(m) or Snapshot(m, None, blank) for m in MILESTONES] + [
            snap for snap in logged.snapshots if snap.slot not in MILESTONES
        ]
    return [posts[k] for k in dict.fromkeys(keys) if k in posts]
