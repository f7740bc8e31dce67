"""``GET /metrics``: Prometheus exposition, read from the database at scrape time.

Who may scrape: an admin's session, or a request from this machine (127.0.0.1 / ::1) that carries
no session cookie and did not come through a proxy (no ``X-Forwarded-For`` / ``Forwarded``
header), so a Prometheus on the same server needs no password while the internet behind a reverse
proxy gets nothing. Any other request is treated like any page: sign in, admins only.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.core import CollectorRegistry, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

from publisher.store.db import Database
from publisher.store.metrics import MetricsSnapshot, snapshot
from publisher.web.deps import COOKIE, Viewer, page, web

router = APIRouter()

LOCAL = frozenset({"127.0.0.1", "::1"})
#: upper bounds (seconds) of the lateness histogram
LATENESS_BUCKETS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)

_admin = page("metrics")


async def scraper(request: Request) -> Viewer | None:
    """None for a local scrape without session; else the admin's viewer (or login / 403)."""
    host = request.client.host if request.client else ""
    proxied = "x-forwarded-for" in request.headers or "forwarded" in request.headers
    if host in LOCAL and not proxied and not request.cookies.get(COOKIE):
        return None
    return await _admin(request)


def _histogram(name: str, doc: str, values: list[tuple[str, float]]) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, doc, labels=["platform"])
    for platform in sorted({p for p, _ in values}):
        seconds = [v for p, v in values if p == platform]
        buckets = [(str(le), float(sum(1 for v in seconds if v <= le))) for le in LATENESS_BUCKETS]
        buckets.append(("+Inf", float(len(seconds))))
        family.add_metric([platform], buckets, sum(seconds))
    return family


def families(snap: MetricsSnapshot, now: datetime) -> Iterator[Metric]:
    """The metric families of one snapshot of the database."""
    g = GaugeMetricFamily(
        "publisher_deliveries", "Deliveries by state and platform.", labels=["state", "platform"]
    )
    for (state, platform), n in sorted(snap.deliveries.items()):
        g.add_metric([state, platform], n)
    yield g
    yield _histogram(
        "publisher_publish_lateness_seconds",
        "Seconds between a delivery's time and its publication (published within the last 7 days).",
        snap.lateness,
    )
    g = GaugeMetricFamily(
        "publisher_attempts",
        "Finished attempts by outcome, platform and code.",
        labels=["outcome", "platform", "code"],
    )
    for (outcome, platform, code), n in sorted(snap.attempts.items()):
        g.add_metric([outcome, platform, code], n)
    yield g
    g = GaugeMetricFamily(
        "publisher_rate_limit_waits",
        "Attempts a platform answered with 'wait' (rate limited).",
        labels=["platform"],
    )
    waits: dict[str, int] = {}
    for (outcome, platform, _code), n in snap.attempts.items():
        if outcome == "rate_limited":
            waits[platform] = waits.get(platform, 0) + n
    for platform, n in sorted(waits.items()):
        g.add_metric([platform], n)
    yield g
    g = GaugeMetricFamily(
        "publisher_token_days_left",
        "Days until an account's access token expires.",
        labels=["platform", "account", "unit"],
    )
    for (platform, name, unit), days in sorted(snap.token_days.items()):
        g.add_metric([platform, name, unit], round(days, 3))
    yield g
    g = GaugeMetricFamily(
        "publisher_queue_depth", "Deliveries due now that nobody claimed yet.", labels=["platform"]
    )
    for platform, n in sorted(snap.queue.items()):
        g.add_metric([platform], n)
    yield g
    g = GaugeMetricFamily(
        "publisher_heartbeat_age_seconds",
        "Seconds since a worker or the dispatcher was last seen.",
        labels=["name", "kind"],
    )
    for hb in snap.heartbeats:
        g.add_metric([hb.name, hb.kind], round(hb.age(now), 3))
    yield g


class DatabaseCollector(Collector):
    """Reads the database when scraped (one registry per request: nothing kept between scrapes)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        now = datetime.now(UTC)
        yield from families(snapshot(self.db, now), now)


def exposition(db: Database) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(db))
    return generate_latest(registry)


@router.get("/metrics", name="metrics")
async def metrics(request: Request, _viewer: Annotated[Viewer | None, Depends(scraper)]) -> Response:
    body = await run_in_threadpool(exposition, web(request).store.db)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


__all__ = ["DatabaseCollector", "exposition", "families", "router", "scraper"]
