"""Web app pages: the calendar month view and the dashboard, against a bare Jinja2 render, one run.

    .venv/bin/python bench/web.py [--deliveries 2000] [--runs 300] [--month 2026-12] [--others 0]
                                  [--gc-freeze]

Seeds ``--deliveries`` deliveries (half as many posts, two accounts each, mixed states: published
with links, scheduled, awaiting approval, failed, missed, ...) due in one month on SQLite, with
``--others`` more spread over the other months of the year (the range query must not read them).
The month is the current one, or the next one after the 21st, so that the dashboard's next seven
days fall in it. Then, signed in as an admin (every unit) through FastAPI's TestClient:

1. ``GET /calendar?month=…`` and ``GET /``: server-side time of each request (the whole stack:
   session look-up, permission, the query, Jinja2, the security-header middleware), p50 and p95
   of ``--runs`` requests after a warm-up, interleaved so that drift hits both alike;
2. the baseline, in the same process: a bare Jinja2 render (one autoescaped template, no
   framework, no database) of the same data: the month's deliveries read once, each as a chip
   with its link, icon, time, title and state; and the dashboard's rows as a table;
3. the query alone (``WebViews.between`` for the month).

``--gc-freeze`` calls ``gc.freeze()`` after the warm-up, as a server can after start-up: the full
collections (which a 2,000-chip page triggers every few requests) then skip the objects made at
start-up. The number of collections during the runs is printed.

Target (issue 13): both pages <= 100 ms p95.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import jinja2  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import String, case, update  # noqa: E402

from publisher.actions.signin import SignIn  # noqa: E402
from publisher.actions.status import RECENT, UPCOMING  # noqa: E402
from publisher.core.models import Platform, PostSpec, Target  # noqa: E402
from publisher.core.people import Role  # noqa: E402
from publisher.settings import Settings  # noqa: E402
from publisher.store import Store  # noqa: E402
from publisher.store import schema as s  # noqa: E402
from publisher.store.users import Users  # noqa: E402
from publisher.store.web import WebRepo  # noqa: E402
from publisher.store.webviews import WebViews  # noqa: E402
from publisher.web.app import create_app  # noqa: E402
from publisher.web.routes.dashboard import NEEDS_ACTION  # noqa: E402

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
PASSWORD = "mat-khau-bench-123"
#: share of the month's deliveries per state, by delivery id modulo 100
STATES = [
    ("published", 40),
    ("scheduled", 30),
    ("awaiting_approval", 10),
    ("failed", 5),
    ("missed", 4),
    ("unconfirmed", 3),
    ("cancelled", 3),
    ("needs_reauth", 2),
    ("retry_wait", 3),
]
BASELINE_CALENDAR = jinja2.Template(
    """<ol>{% for day, chips in days %}<li><h2>{{ day }}</h2><ul>{% for c in chips %}<li><a class="chip state-{{ c.state }}" href="/posts/{{ c.post_key }}"><img src="/static/icons/{{ c.platform }}.svg" alt="{{ c.platform }}"> <time>{{ c.time }}</time> {{ c.title }}</a></li>{% endfor %}</ul></li>{% endfor %}</ol>""",
    autoescape=True,
)
BASELINE_TABLE = jinja2.Template(
    """<table>{% for x in rows %}<tr><td>{{ x.time }}</td><td><a href="/posts/{{ x.post_key }}">{{ x.title }}</a></td><td><img src="/static/icons/{{ x.platform }}.svg" alt="{{ x.platform }}"> {{ x.account }}</td><td class="chip state-{{ x.state }}">{{ x.state }}</td><td>{% if x.remote_url %}<a href="{{ x.remote_url }}">link</a>{% endif %}</td></tr>{% endfor %}</table>""",
    autoescape=True,
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def default_month(now: datetime) -> date:
    local = now.astimezone(ZONE).date()
    if local.day <= 21:
        return local.replace(day=1)
    return (local.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_range(first: date) -> tuple[datetime, datetime]:
    end = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return (
        datetime(first.year, first.month, 1, tzinfo=ZONE).astimezone(UTC),
        datetime(end.year, end.month, 1, tzinfo=ZONE).astimezone(UTC),
    )


def seed(store: Store, first: date, n: int, others: int) -> None:
    targets = [
        Target(Platform.FACEBOOK, "trang-xa"),
        Target(Platform.ZALO, "oa-xa"),
        Target(Platform.YOUTUBE, "kenh-xa"),
        Target(Platform.SANDBOX, "demo"),
    ]
    for target in targets:
        store.add_account(target, actor="bench")
    start, end = month_range(first)
    span = (end - start).total_seconds()
    posts = n // 2
    specs = [
        PostSpec(
            key=f"thang-{i}",
            title=f"Thông báo số {i}: lịch tiêm chủng, họp dân và vệ sinh môi trường tại thôn {i % 12}",
            text=f"Nội dung bài {i}",
            due_at=start + timedelta(seconds=int(span * (i + 0.5) / posts)),
            timezone="Asia/Ho_Chi_Minh",
            targets=(targets[i % 4], targets[(i + 1) % 4]),
        )
        for i in range(posts)
    ]
    year_start = datetime(first.year, 1, 1, tzinfo=UTC)
    specs += [
        PostSpec(
            key=f"khac-{i}",
            title=f"Bài tháng khác {i}",
            text=f"Nội dung khác {i}",
            due_at=due,
            timezone="Asia/Ho_Chi_Minh",
            targets=(targets[i % 4],),
        )
        for i in range(others)
        if not start <= (due := year_start + timedelta(hours=(i * 8761) % 8760)) < end
    ]
    store.queue(specs, actor="bench")
    bucket, cases, low = s.deliveries.c.id % 100, [], 0
    for state, share in STATES:
        cases.append((bucket < low + share, state))
        low += share
    with store.db.write() as conn:
        conn.execute(update(s.deliveries).values(state=case(*cases, else_="scheduled")))
        conn.execute(
            update(s.deliveries)
            .where(s.deliveries.c.state == "published")
            .values(
                remote_url="https://www.facebook.com/123456789/posts/" + s.deliveries.c.id.cast(String),
                published_at=s.deliveries.c.due_at,
            )
        )
        conn.execute(update(s.accounts).where(s.accounts.c.name == "demo").values(status="needs_reauth"))


def timed(fn: Callable[[], Any], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def plain(x: Any, local: datetime) -> dict[str, Any]:
    """A delivery as the baseline template gets it (the local time already formatted)."""
    return {
        "state": x.state,
        "post_key": x.post_key,
        "platform": x.platform,
        "account": x.account_label,
        "title": x.title,
        "remote_url": getattr(x, "remote_url", None),
        "time": local.strftime("%H:%M"),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--deliveries", type=int, default=2000)
    ap.add_argument("--others", type=int, default=0)
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() after the warm-up, as a server could after start-up (full collections skip it)",
    )
    ap.add_argument("--month", default=None, help="YYYY-MM (default: this month, or the next after the 21st)")
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    now = datetime.now(UTC)
    first = date.fromisoformat(args.month + "-01") if args.month else default_month(now)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-web-"))
    settings = Settings(_env_file=None, data_dir=work / "var", user="bench", timezone="Asia/Ho_Chi_Minh")
    store = Store(settings)
    store.init(create=True)
    t0 = time.perf_counter()
    seed(store, first, args.deliveries, args.others)
    print(
        f"# Python {sys.version.split()[0]}; {os.cpu_count()} CPUs; SQLite; load average at start "
        f"{os.getloadavg()[0]:.2f}; seeded in {time.perf_counter() - t0:.1f} s"
    )
    users = Users(store.db)
    admin, _ = users.add("quan-tri", Role.ADMIN, None, by="bench")
    SignIn(users, WebRepo(store.db), settings).set_password(admin, PASSWORD, by="bench")

    views = WebViews(store.db)
    start, end = month_range(first)
    lines = views.between(start, end, None)
    days: dict[date, list[dict[str, Any]]] = {}
    for x in lines:
        local = x.due_at.astimezone(ZONE)
        days.setdefault(local.date(), []).append(plain(x, local))
    day_list = [(f"{d:%d/%m}", chips) for d, chips in sorted(days.items())]
    dash = views.dashboard(
        now, None, [x.value for x in UPCOMING], [x.value for x in RECENT], [x.value for x in NEEDS_ACTION]
    )
    dash_rows = [
        plain(x, x.due_at.astimezone(ZONE))
        for x in dash.upcoming + dash.recent + [y for group in dash.action.values() for y in group]
    ]
    month = f"{first:%Y-%m}"
    print(
        f"month {month}: {len(lines)} deliveries in the month ({args.others} elsewhere in the year); "
        f"dashboard rows: {len(dash.upcoming)} upcoming (of {dash.upcoming_total}), {len(dash.recent)} recent, "
        f"{sum(len(g) for g in dash.action.values())} needing action (of {sum(dash.action_counts.values())})"
    )

    with TestClient(create_app(settings, store), follow_redirects=False) as client:
        r = client.post("/login", data={"name": "quan-tri", "password": PASSWORD, "next": "/"})
        assert r.status_code == 303, r.text
        cal = client.get(f"/calendar?month={month}")
        home = client.get("/")
        assert cal.status_code == 200 and home.status_code == 200
        assert cal.text.count('<a class="chip state-') == len(lines), "every delivery is a chip"

        def get(path: str) -> Callable[[], Any]:
            return lambda: client.get(path)

        series: dict[str, list[float]] = {
            k: [] for k in ("calendar", "dashboard", "base-cal", "base-dash", "query")
        }
        jobs: dict[str, Callable[[], Any]] = {
            "calendar": get(f"/calendar?month={month}"),
            "dashboard": get("/"),
            "base-cal": lambda: BASELINE_CALENDAR.render(days=day_list),
            "base-dash": lambda: BASELINE_TABLE.render(rows=dash_rows),
            "query": lambda: views.between(start, end, None),
        }
        for fn in jobs.values():
            timed(fn, args.warmup)
        if args.gc_freeze:
            gc.collect()
            gc.freeze()
        before = [s["collections"] for s in gc.get_stats()]
        for _ in range(args.runs):  # interleaved: drift hits every series alike
            for name, fn in jobs.items():
                series[name] += timed(fn, 1)
    sizes = {"calendar": len(cal.content), "dashboard": len(home.content)}

    def ms(name: str, q: float) -> float:
        return percentile(series[name], q) * 1000

    during = [s["collections"] - b for s, b in zip(gc.get_stats(), before, strict=True)]
    frozen = f", {gc.get_freeze_count()} objects frozen by gc.freeze()" if args.gc_freeze else ""
    print(
        f"{args.runs} requests each after {args.warmup} warm-up; times in ms; garbage collections during the "
        f"runs: {sum(during)}, {during[2]} of them full{frozen}"
    )
    print(f"{'what':<34}{'p50':>8}{'p95':>8}{'max':>8}")
    rows = [
        ("calendar month (TestClient)", "calendar"),
        ("  bare Jinja2, same chips", "base-cal"),
        ("  the month's query alone", "query"),
        ("dashboard (TestClient)", "dashboard"),
        ("  bare Jinja2, same rows", "base-dash"),
    ]
    for label, name in rows:
        print(f"{label:<34}{ms(name, 0.5):>8.1f}{ms(name, 0.95):>8.1f}{max(series[name]) * 1000:>8.1f}")
    for page, base in (("calendar", "base-cal"), ("dashboard", "base-dash")):
        p95 = ms(page, 0.95)
        print(
            f"{page}: p95 {p95:.1f} ms ({sizes[page] / 1024:.0f} KiB page), bare Jinja2 p95 {ms(base, 0.95):.1f} ms "
            f"-> ratio {p95 / ms(base, 0.95):.1f}; target <= 100 ms p95: {'met' if p95 <= 100 else 'NOT met'}"
        )
    print(f"# load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
