"""Cancelling a delivery whose outcome is unknown (``unconfirmed``).

The cancel request is recorded on the delivery; reconciliation settles it: the platform provably
does not have the post → ``cancelled`` (never sent again); it has it → ``published`` and the
officer is told it is live. ``publisher cancel`` exits 3 while part of the request is pending.
Real store (SQLite and PostgreSQL), the real Zalo adapter, the loopback Zalo API.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, update

from publisher.actions.publish import Publisher
from publisher.core.models import Delivery
from publisher.core.states import State
from publisher.platforms.base import Adapter, Credentials
from publisher.platforms.registry import build_adapter
from publisher.settings import Settings, get_settings
from publisher.store import Store
from publisher.store import schema as s
from tests.conftest import make_settings
from tests.workers.fake_zalo import LINK_BASE, FakeZalo, Fault
from tests.workers.test_fault_zalo import TITLE, Clock, attempts_of, delivery_row, in_process, prepare, tick


@pytest.fixture
def zalo() -> Iterator[FakeZalo]:
    server = FakeZalo().start()
    yield server
    server.stop()


def unconfirmed(store: Store, zalo: FakeZalo, fault: str) -> tuple[int, Clock, Publisher]:
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    zalo.state.clock = clock.epoch
    zalo.state.seed(3)
    zalo.state.faults.append(Fault(fault))
    did = prepare(store, zalo, clock.now - timedelta(seconds=1))
    publisher = in_process(store, clock)
    assert tick(store, publisher, clock) == ["unconfirmed"]
    return did, clock, publisher


def cli(tmp_path: Path, *args: str, **env: str) -> Result:
    from publisher.cli.main import cli as main

    get_settings.cache_clear()
    base = {"PUBLISHER_DATA_DIR": str(tmp_path / "var"), "PUBLISHER_USER": "chu-tich", "COLUMNS": "200"}
    try:
        return CliRunner().invoke(main, list(args), env={**base, **env}, catch_exceptions=False)
    finally:
        get_settings.cache_clear()


def audit_actions(store: Store, did: int) -> list[tuple[str, str]]:
    with store.db.read() as conn:
        rows = conn.execute(
            select(s.audit.c.actor, s.audit.c.action)
            .where(s.audit.c.delivery_id == did)
            .order_by(s.audit.c.id)
        ).all()
    return [(r.actor, r.action) for r in rows]


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A store the CLI (``PUBLISHER_DATA_DIR``) opens too."""
    store = Store(make_settings(tmp_path))
    store.init()
    yield store
    store.db.dispose()


def test_cancel_records_the_request_and_exits_non_zero(
    sqlite_store: Store, zalo: FakeZalo, tmp_path: Path
) -> None:
    did, _, _ = unconfirmed(sqlite_store, zalo, "drop_before_create")
    r = cli(tmp_path, "cancel", "tiem-chung")
    assert r.exit_code == 3, r.output
    assert "Đã ghi yêu cầu hủy tiem-chung:zalo/xa-hanh-dich" in r.output
    row = delivery_row(sqlite_store, did)
    assert row.state == "unconfirmed"
    assert row.cancel_requested_by == "chu-tich" and row.cancel_requested_at is not None
    assert row.next_attempt_at <= datetime.now(UTC)  # looked up at the next tick, not after a back-off
    assert ("chu-tich", "cancel_requested") in audit_actions(sqlite_store, did)
    again = cli(tmp_path, "cancel", "tiem-chung", PUBLISHER_LANGUAGE="en")
    assert again.exit_code == 3 and "Cancel requested for tiem-chung:zalo/xa-hanh-dich" in again.output


def test_absent_with_a_cancel_request_is_cancelled_never_sent(store: Store, zalo: FakeZalo) -> None:
    did, clock, publisher = unconfirmed(store, zalo, "drop_before_create")
    report = store.cancel(["tiem-chung"], "chu-tich")
    assert report.pending == [("tiem-chung:zalo/xa-hanh-dich", "unconfirmed")] and report.done == []
    start = clock.now
    for later in (timedelta(seconds=30), timedelta(minutes=4), timedelta(minutes=8), timedelta(hours=1)):
        clock.now = start + later
        tick(store, publisher, clock)
    row = delivery_row(store, did)
    assert row.state == "cancelled" and row.cancel_requested_at is None  # the request is settled
    assert zalo.creates() == 1 and zalo.state.counts()[TITLE] == 0  # the lost one only; nothing sent again
    assert [k for k, _, _ in attempts_of(store, did)].count("publish") == 1
    assert ("chu-tich", "cancelled") in audit_actions(store, did)


def test_found_with_a_cancel_request_is_published_and_the_officer_is_told(
    sqlite_store: Store, zalo: FakeZalo, tmp_path: Path
) -> None:
    did, clock, publisher = unconfirmed(sqlite_store, zalo, "drop_after_create")
    sqlite_store.cancel(["tiem-chung"], "chu-tich")
    clock.now += timedelta(seconds=30)
    assert tick(sqlite_store, publisher, clock) == ["published"]
    [ours] = [a for a in zalo.state.articles if a.title == TITLE]
    row = delivery_row(sqlite_store, did)
    assert (row.state, row.remote_id, row.remote_url) == ("published", ours.id, LINK_BASE + ours.id)
    assert row.last_code == "cancel_too_late" and LINK_BASE + ours.id in row.last_reason
    assert ("worker", "cancel_too_late") in audit_actions(sqlite_store, did)
    shown = cli(tmp_path, "show", "tiem-chung")
    assert "ĐÃ LÊN" in shown.output and "chu-tich" in shown.output, shown.output
    [listed] = json.loads(cli(tmp_path, "show", "tiem-chung", "--json").output)["deliveries"]
    assert (listed["state"], listed["cancel_requested_by"]) == ("published", "chu-tich")
    status = cli(tmp_path, "cancel", "tiem-chung", PUBLISHER_LANGUAGE="en")
    assert status.exit_code == 0 and "it is published" in status.output


def test_a_request_recorded_while_a_look_up_runs_still_stops_the_resend(store: Store, zalo: FakeZalo) -> None:
    """The cancel lands between the reconcile's read and its write: no ``retry_wait``, no second send."""
    did, clock, _ = unconfirmed(store, zalo, "drop_before_create")

    def adapters(settings: Settings, target: Any, creds: Credentials) -> Adapter:
        adapter = build_adapter(settings, target, creds)
        adapter.clock = clock  # type: ignore[attr-defined]
        look_up = adapter.reconcile

        def reconcile(delivery: Delivery) -> Any:
            store.cancel(["tiem-chung"], "chu-tich")  # the officer, at this very moment
            return look_up(delivery)

        adapter.reconcile = reconcile  # type: ignore[method-assign]
        return adapter

    racing = Publisher(store, adapters=adapters, clock=clock, rng=lambda: 1.0)
    clock.now += timedelta(minutes=5)
    assert racing.reconcile(did).state is State.CANCELLED
    clock.now += timedelta(hours=1)
    tick(store, in_process(store, clock), clock)
    assert delivery_row(store, did).state == "cancelled" and zalo.creates() == 1


def test_a_retry_never_sends_a_delivery_with_a_cancel_request(store: Store, zalo: FakeZalo) -> None:
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    zalo.state.clock = clock.epoch
    did = prepare(store, zalo, clock.now - timedelta(seconds=1))
    with store.db.write() as conn:  # a request left on a delivery that waits for a retry
        conn.execute(
            update(s.deliveries)
            .where(s.deliveries.c.id == did)
            .values(
                state=State.RETRY_WAIT.value,
                next_attempt_at=clock.now,
                cancel_requested_at=clock.now,
                cancel_requested_by="chu-tich",
            )
        )
    assert tick(store, in_process(store, clock), clock) == ["cancelled"]
    assert zalo.state.calls == [] and delivery_row(store, did).state == "cancelled"
