"""``/metrics``: values read from the database; admins or a local scrape only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert, update

from publisher.core.models import Platform, PostSpec, Target
from publisher.core.people import Role
from publisher.platforms.base import Credentials
from publisher.settings import Settings
from publisher.store import Store
from publisher.store import schema as s
from publisher.store.heartbeats import DISPATCHER, Heartbeats
from publisher.web.app import create_app
from tests.web.conftest import add_user, sign_in

PAGE = Target(Platform.FACEBOOK, "ubnd-xa")


def _seed(store: Store) -> datetime:
    now = datetime.now(UTC)
    store.add_account(
        PAGE, actor="can-bo", credentials=Credentials(access_token="SECRET", remote_account_id="p1")
    )
    due = now - timedelta(minutes=10)
    specs = [
        PostSpec(
            key=f"bai-{i}", title="T", text=f"x {i}", due_at=due, timezone="Asia/Ho_Chi_Minh", targets=(PAGE,)
        )
        for i in range(3)
    ]
    store.queue(specs, actor="can-bo")
    store.approve([x.key for x in specs], by="truong-ban")
    ids = {r.key: int(r.id) for r in store.deliveries()}
    with store.db.write() as conn:
        for key, late in (("bai-0", 3), ("bai-1", 40)):
            conn.execute(
                update(s.deliveries)
                .where(s.deliveries.c.id == ids[key])
                .values(state="published", published_at=due + timedelta(seconds=late))
            )
        for n, (key, outcome, code) in enumerate(
            (("bai-0", "published", None), ("bai-1", "rate_limited", "613"), ("bai-1", "published", None))
        ):
            conn.execute(
                insert(s.attempts).values(
                    delivery_id=ids[key], number=n + 1, kind="publish", started_at=due, finished_at=due,
                    outcome=outcome, code=code, content_hash="h",
                )
            )  # fmt: skip
        conn.execute(update(s.accounts).values(token_expires_at=now + timedelta(days=10)))
    Heartbeats(store.db).record(DISPATCHER, DISPATCHER, now=now - timedelta(seconds=12))
    return now


def _values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_values_after_a_few_publishes(client: TestClient, web_store: Store) -> None:
    _seed(web_store)
    add_user(web_store, "quan-tri", Role.ADMIN)
    sign_in(client, "quan-tri")
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    v = _values(r.text)
    fb = (("platform", "facebook"),)
    assert v[("publisher_deliveries", (("platform", "facebook"), ("state", "published")))] == 2
    assert v[("publisher_deliveries", (("platform", "facebook"), ("state", "scheduled")))] == 1
    assert v[("publisher_queue_depth", fb)] == 1  # bai-2: due ten minutes ago, not claimed
    assert v[("publisher_publish_lateness_seconds_count", fb)] == 2
    assert v[("publisher_publish_lateness_seconds_sum", fb)] == 43
    assert v[("publisher_publish_lateness_seconds_bucket", (("le", "5.0"), *fb))] == 1
    assert v[("publisher_publish_lateness_seconds_bucket", (("le", "60.0"), *fb))] == 2
    assert v[("publisher_attempts", (("code", ""), ("outcome", "published"), *fb))] == 2
    assert v[("publisher_attempts", (("code", "613"), ("outcome", "rate_limited"), *fb))] == 1
    assert v[("publisher_rate_limit_waits", fb)] == 1
    days = v[("publisher_token_days_left", (("account", "ubnd-xa"), *fb, ("unit", "default")))]
    assert 9.9 < days <= 10
    age = v[("publisher_heartbeat_age_seconds", (("kind", "dispatcher"), ("name", "dispatcher")))]
    assert 11 <= age < 60
    assert "SECRET" not in r.text


def test_an_officer_gets_403(client: TestClient, web_store: Store) -> None:
    add_user(web_store, "can-bo-1", Role.OFFICER)
    sign_in(client, "can-bo-1")
    assert client.get("/metrics").status_code == 403


def test_a_remote_scrape_without_session_goes_to_sign_in(client: TestClient) -> None:
    r = client.get("/metrics")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_a_local_scrape_needs_no_session(web_settings: Settings, web_store: Store) -> None:
    _seed(web_store)
    app = create_app(web_settings, web_store)
    for host in ("127.0.0.1", "::1"):
        with TestClient(app, follow_redirects=False, client=(host, 50000)) as local:
            r = local.get("/metrics")
            assert r.status_code == 200, host
            assert "publisher_queue_depth" in r.text
            # through a reverse proxy on the same machine: not local
            proxied = local.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
            assert proxied.status_code == 303
