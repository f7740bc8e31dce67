"""``publisher collect [--weekly]``: the beat's engagement collection, run now by the officer.

Real SQLite store, real adapters; the Facebook Graph API is :class:`FakeGraph` (``responses``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import responses
from sqlalchemy import select

from publisher.actions.engagement import week_label
from publisher.settings import Settings
from publisher.store import Store
from publisher.store import schema_engagement as e
from tests.cli.conftest import Cli
from tests.platforms import test_facebook_insights as fbg
from tests.test_engagement import fb_delivery, published


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def seeded(run: Cli, *ago: tuple[str, str, timedelta, str | None]) -> dict[str, int]:
    """``init``, then published deliveries: (account, post key, published how long ago, fb kind)."""
    assert run("init").exit_code == 0
    store = Store(Settings(_env_file=None))
    now = datetime.now(UTC)
    made: dict[str, int] = {}
    try:
        for target, key, age, kind in ago:
            if target == "facebook":
                remote = {"feed": fbg.POST, "reel": fbg.REEL, "video": fbg.VIDEO}[kind or "feed"]
                made[key] = fb_delivery(store, key, now - age, remote, kind)
            else:
                made[key] = published(store, target, key, now - age, f"sandbox-{key}")
    finally:
        store.db.dispose()
    return made


def snapshots(run: Cli) -> list[Any]:
    store = Store(Settings(_env_file=None))
    try:
        with store.db.read() as conn:
            return list(conn.execute(select(e.snapshots).order_by(e.snapshots.c.id)))
    finally:
        store.db.dispose()


def test_collect_takes_what_is_due_and_followers(run: Cli, rsps: Any) -> None:
    fbg.FakeGraph(fbg.page_nodes(), followers=1250).install(rsps)
    made = seeded(
        run,
        ("facebook", "bai", timedelta(hours=2), "feed"),
        ("facebook", "reel", timedelta(hours=2), "reel"),
        ("sandbox/demo", "thu", timedelta(hours=2), None),
        ("sandbox/demo", "moi", timedelta(minutes=10), None),  # not due yet
    )
    r = run("collect")
    assert r.exit_code == 0, r.output
    assert "Đã lấy 3 số liệu tương tác." in r.output
    assert "Người theo dõi hôm nay: facebook/xa-hanh-dich 1250." in r.output
    got = {row.delivery_id: (row.slot, row.reactions, row.shares) for row in snapshots(run)}
    assert got == {
        made["bai"]: ("1h", 85, 7),
        made["reel"]: ("1h", 40, None),
        made["thu"]: ("1h", None, None),
    }

    again = run("collect")  # the same run twice takes nothing twice
    assert again.exit_code == 0 and "Không có số liệu tương tác nào đến hạn" in again.output
    assert len(snapshots(run)) == 3


def test_collect_weekly_sweeps_older_posts(run: Cli, rsps: Any) -> None:
    fbg.FakeGraph(fbg.page_nodes()).install(rsps)
    made = seeded(run, ("facebook", "cu", timedelta(days=20), "video"))
    assert "Không có số liệu tương tác nào đến hạn" in run("collect").output  # no milestone at 20 days
    r = run("collect", "--weekly")
    assert r.exit_code == 0, r.output
    week = week_label(datetime.now(UTC), "Asia/Ho_Chi_Minh")
    assert f"Quét tuần {week} (các bài đăng trong 8 tuần qua)." in r.output
    assert "Đã lấy 1 số liệu tương tác." in r.output
    (row,) = snapshots(run)
    assert (row.delivery_id, row.slot, row.views, row.reactions) == (made["cu"], f"weekly:{week}", 880, 21)
    again = run("collect", "--weekly")  # one weekly figure per week
    assert again.exit_code == 0 and "Không có bài nào đăng trong 8 tuần qua cần lấy số liệu" in again.output


def test_collect_in_english(run: Cli, rsps: Any) -> None:
    fbg.FakeGraph(fbg.page_nodes(), followers=99).install(rsps)
    seeded(run, ("facebook", "bai", timedelta(hours=2), "feed"))
    r = run("collect", PUBLISHER_LANGUAGE="en")
    assert r.exit_code == 0, r.output
    assert (
        "Took 1 engagement snapshots." in r.output
        and "Followers today: facebook/xa-hanh-dich 99." in r.output
    )
    r = run("collect", "--weekly", PUBLISHER_LANGUAGE="en")
    assert "Weekly sweep" in r.output


def test_a_refused_token_is_named_and_the_others_still_collected(run: Cli, rsps: Any) -> None:
    expired = fbg.graph_error(190, "Error validating access token: Session has expired", 463)
    fbg.FakeGraph(fbg.page_nodes(), fail_with=expired).install(rsps)
    made = seeded(
        run,
        ("facebook", "bai", timedelta(hours=2), "feed"),
        ("sandbox/demo", "thu", timedelta(hours=2), None),
    )
    r = run("collect")
    assert r.exit_code == 1, r.output
    assert "Lỗi khi lấy số liệu của facebook/xa-hanh-dich:" in r.output and "190/463" in r.output
    assert "PAGE-TOKEN" not in r.output
    assert [row.delivery_id for row in snapshots(run)] == [made["thu"]]


def test_collect_is_listed_in_help(run: Cli) -> None:
    r = run("--help")
    assert r.exit_code == 0 and "collect" in r.output
    r = run("collect", "--help")
    assert r.exit_code == 0 and "--weekly" in r.output
