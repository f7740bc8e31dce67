"""The Zalo lost-reply case of the fault matrix: the reply to ``article/create`` never arrives.

Zalo created the article; the worker only knows that the connection dropped. Exactly one article
must exist in the end, and the one found must be adopted (its id and link recorded), never created
again. Played twice: in-process with a controlled clock through the exact timeline of the report
(look-ups at +30 s, +3 min, +7 min: the old window followed the latest look-up and lost the article),
and with real Celery workers on Redis. The Zalo API is the loopback :mod:`tests.workers.fake_zalo`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from publisher.actions import dispatch
from publisher.actions.publish import Publisher
from publisher.core.models import Platform, PostSpec, Target
from publisher.platforms.base import Adapter, Credentials
from publisher.platforms.registry import build_adapter
from publisher.settings import Settings
from publisher.store import Store
from publisher.store import schema as s
from tests.conftest import make_settings
from tests.workers.conftest import Cluster
from tests.workers.fake_zalo import LINK_BASE, FakeZalo, Fault

OA = Target(Platform.ZALO, "xa-hanh-dich")
COVER = "https://cdn.xa-hanh-dich.vn/bia.jpg"
TITLE = "Lịch tiêm chủng tháng 12"


@pytest.fixture
def zalo() -> Iterator[FakeZalo]:
    server = FakeZalo().start()
    yield server
    server.stop()


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def epoch(self) -> float:
        return self.now.timestamp()


def prepare(store: Store, zalo: FakeZalo, due: datetime, key: str = "tiem-chung") -> int:
    store.settings.zalo.openapi_url = zalo.url
    if OA.name not in {a.name for a in store.accounts() if a.platform == OA.platform.value}:
        store.add_account(
            OA, actor="can-bo", credentials=Credentials(access_token="zalo-tok", remote_account_id="oa-1")
        )
    spec = PostSpec(
        key=key,
        title=TITLE,
        text="Trạm y tế xã thông báo lịch tiêm chủng mở rộng.",
        due_at=due,
        timezone="Asia/Ho_Chi_Minh",
        targets=(OA,),
        options={"zalo": {"cover_url": COVER}},
    )
    store.queue([spec], actor="can-bo")
    store.approve([key], by="truong-ban")
    [row] = [r for r in store.deliveries() if r.key == key]
    return int(row.id)


def in_process(store: Store, clock: Clock) -> Publisher:
    def adapters(settings: Settings, target: Target, creds: Credentials) -> Adapter:
        adapter = build_adapter(settings, target, creds)
        adapter.clock = clock  # type: ignore[attr-defined]
        adapter.sleep = lambda seconds: None  # type: ignore[attr-defined]
        return adapter

    return Publisher(store, adapters=adapters, clock=clock, rng=lambda: 1.0)


def tick(store: Store, publisher: Publisher, clock: Clock) -> list[str]:
    """One dispatcher tick at the clock's time, its messages handled at once, in this process."""
    todo: list[tuple[str, int]] = []
    dispatch.tick(store.db, store.settings, lambda kind, did: todo.append((kind, did)), now=clock())
    actions = []
    for kind, did in todo:
        if kind == dispatch.PUBLISH:
            actions.append(publisher.publish(did).action)
        elif kind == dispatch.RECONCILE:
            actions.append(publisher.reconcile(did).action)
    return actions


def delivery_row(store: Store, did: int) -> Any:
    with store.db.read() as conn:
        return conn.execute(select(s.deliveries).where(s.deliveries.c.id == did)).one()


def attempts_of(store: Store, did: int) -> list[tuple[str, int, str | None]]:
    with store.db.read() as conn:
        rows = conn.execute(
            select(s.attempts.c.kind, s.attempts.c.number, s.attempts.c.outcome)
            .where(s.attempts.c.delivery_id == did)
            .order_by(s.attempts.c.id)
        ).all()
    return [(r.kind, r.number, r.outcome) for r in rows]


def test_lost_create_reply_then_late_listing_is_adopted_once(store: Store, zalo: FakeZalo) -> None:
    """The report's timeline: created 09:00:00, listed a minute later, looked up at +30 s, +3 and +7 min."""
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    zalo.state.clock = clock.epoch
    zalo.state.list_delay = 60.0  # Zalo lists a new article only once it is processed
    zalo.state.seed(25)  # the OA has older articles
    zalo.state.faults.append(Fault("drop_after_create"))
    did = prepare(store, zalo, clock.now - timedelta(seconds=1))
    publisher = in_process(store, clock)

    start = clock.now
    assert tick(store, publisher, clock) == ["unconfirmed"]
    for later in (timedelta(seconds=30), timedelta(minutes=3), timedelta(minutes=7), timedelta(minutes=12)):
        clock.now = start + later
        tick(store, publisher, clock)

    [ours] = [a for a in zalo.state.articles if a.title == TITLE]
    assert zalo.creates() == 1
    row = delivery_row(store, did)
    assert (row.state, row.remote_id, row.remote_url) == ("published", ours.id, LINK_BASE + ours.id)
    kinds = attempts_of(store, did)
    assert kinds[0] == ("publish", 1, "unknown_outcome")
    assert kinds[-1] == ("reconcile", 1, "published")
    assert [k for k, _, _ in kinds].count("publish") == 1


def test_an_article_absent_after_the_settle_time_is_sent_again_once(store: Store, zalo: FakeZalo) -> None:
    """The other side: the connection dropped before Zalo created anything."""
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    zalo.state.clock = clock.epoch
    zalo.state.seed(3)
    did = prepare(store, zalo, clock.now - timedelta(seconds=1))
    publisher = in_process(store, clock)
    zalo.state.faults.append(Fault("drop_before_create"))
    assert tick(store, publisher, clock) == ["unconfirmed"]
    clock.now += timedelta(seconds=30)
    assert tick(store, publisher, clock) == ["unconfirmed"]  # too early to call it absent
    clock.now += timedelta(minutes=4)
    assert tick(store, publisher, clock) == ["retry_wait"]
    clock.now += timedelta(minutes=2)
    assert tick(store, publisher, clock) == ["published"]
    assert zalo.state.counts()[TITLE] == 1
    assert delivery_row(store, did).remote_url.startswith(LINK_BASE)


def test_show_tells_a_send_from_its_follow_ups(tmp_path: Path, zalo: FakeZalo) -> None:
    """A publish that answers ``pending`` and the poll that finds it published are not both "attempt 1"."""
    store = Store(make_settings(tmp_path))
    store.init()
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    zalo.state.clock = clock.epoch
    zalo.state.processing_polls = 8  # every verify of the first call answers -214
    did = prepare(store, zalo, clock.now - timedelta(seconds=1))
    publisher = in_process(store, clock)
    assert tick(store, publisher, clock) == ["publishing"]
    clock.now += timedelta(minutes=1)
    assert tick(store, publisher, clock) == ["published"]
    assert [(k, n) for k, n, _ in attempts_of(store, did)] == [("publish", 1), ("poll", 1)]
    store.db.dispose()

    env = {"PUBLISHER_DATA_DIR": str(tmp_path / "var"), "PUBLISHER_USER": "can-bo", "COLUMNS": "200"}
    from publisher.cli.main import cli
    from publisher.settings import get_settings

    get_settings.cache_clear()
    shown = CliRunner().invoke(cli, ["show", "tiem-chung"], env=env, catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    assert "gửi lần 1" in shown.output and "theo dõi lần gửi 1 (1)" in shown.output
    get_settings.cache_clear()
    en = CliRunner().invoke(
        cli, ["show", "tiem-chung", "--json"], env={**env, "PUBLISHER_LANGUAGE": "en"}, catch_exceptions=False
    )
    labels = [a["label"] for a in json.loads(en.output)["attempts"]]
    assert labels == ["send 1", "follow-up 1 of send 1"]
    get_settings.cache_clear()


@pytest.mark.parametrize("cluster", ["sqlite", "postgresql"], indirect=True)
def test_lost_create_reply_with_real_workers(cluster: Cluster, zalo: FakeZalo) -> None:
    """Real ``celery worker`` processes on Redis; the create reply dropped; Zalo lists it 2 s later."""
    zalo.state.list_delay = 2.0
    zalo.state.seed(12)
    zalo.state.faults.append(Fault("drop_after_create"))
    cluster.settings.zalo.openapi_url = zalo.url
    did = prepare(cluster.store, zalo, datetime.now(UTC) + timedelta(seconds=1))
    cluster.start_worker("w1", PUBLISHER_ZALO__OPENAPI_URL=zalo.url)
    cluster.start_dispatcher()
    assert cluster.wait_settled(60) == {"published": 1}
    [ours] = [a for a in zalo.state.articles if a.title == TITLE]
    assert zalo.creates() == 1
    row = delivery_row(cluster.store, did)
    assert (row.remote_id, row.remote_url) == (ours.id, LINK_BASE + ours.id)
    kinds = attempts_of(cluster.store, did)
    assert kinds[0] == ("publish", 1, "unknown_outcome") and kinds[-1] == ("reconcile", 1, "published")
    assert [k for k, _, _ in kinds].count("publish") == 1
