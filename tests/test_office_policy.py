"""The office policy ``require-approval`` (issue 11, review: the four-eyes rule could be switched off
per process with ``PUBLISHER_REQUIRE_APPROVAL=false``): stored in the database, set by an admin and
audited; the environment variable only seeds it when the first admin is added; the queue, ``retry``
and the check before sending all read the stored value."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from publisher.actions.publish import Publisher
from publisher.actions.queue import queue_posts
from publisher.actions.users import add_user, policies, set_policy
from publisher.core.models import Platform, PostSpec, Target
from publisher.core.people import REQUIRE_APPROVAL
from publisher.errors import UserError
from publisher.settings import get_settings
from publisher.store import Store
from publisher.store import schema as s
from publisher.store.claims import claim_due
from tests.cli.conftest import VN, Cli

DEMO = Target(Platform.SANDBOX, "demo")


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    get_settings.cache_clear()
    yield Cli(tmp_path, monkeypatch)
    get_settings.cache_clear()


def late_post(tmp_path: Path, key: str) -> Path:
    """A schedule with one post due a few minutes ago (``publisher run --once`` sends it now)."""
    when = datetime.now(VN) - timedelta(minutes=5)
    path = tmp_path / f"{key}.yaml"
    path.write_text(
        f"""timezone: Asia/Ho_Chi_Minh
defaults:
  targets: [sandbox/demo]
posts:
  - id: {key}
    at: {when:%Y-%m-%d %H:%M}
    title: Chưa duyệt
    text: Bài chưa ai duyệt.
""",
        encoding="utf-8",
    )
    return path


def cli_states(cli: Cli) -> dict[str, str]:
    st = Store(get_settings())
    try:
        return {r.key: r.state for r in st.deliveries()}
    finally:
        st.db.dispose()


def outbox(cli: Cli) -> list[str]:
    folder = cli.data / "outbox" / "demo"
    return sorted(p.name for p in folder.glob("*.json")) if folder.exists() else []


def test_the_environment_cannot_switch_off_the_four_eyes_rule(cli: Cli, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0  # the office: quan-tri (admin), can-bo and chu-tich (approvers)
    off = {"PUBLISHER_REQUIRE_APPROVAL": "false"}
    queued = cli("queue", str(late_post(tmp_path, "r2")), "--by", "Trần B", **off)
    assert queued.exit_code == 2  # "Trần B" is nobody here
    queued = cli("queue", str(late_post(tmp_path, "r2")), "--by", "can-bo", **off)
    assert queued.exit_code == 0, queued.output
    ran = cli("run", "--once", "--json", **off)
    assert ran.exit_code == 0, ran.output
    assert cli_states(cli) == {"r2": "awaiting_approval"}
    assert outbox(cli) == []  # nothing went out that nobody approved

    # only an admin changes the policy, and it is audited
    refused = cli("policy", "set", "require-approval", "false", "--by", "can-bo")
    assert refused.exit_code == 2 and "cần vai trò" in refused.output, refused.output
    done = cli("policy", "set", "require-approval", "false", "--by", "quan-tri")
    assert done.exit_code == 0, done.output
    shown = json.loads(cli("policy", "show", "--json").output)
    assert {p["name"]: (p["value"], p["set_by"]) for p in shown}["require-approval"] == (False, "quan-tri")

    # now, and only now, a new post needs nobody's approval (with or without the variable)
    assert cli("queue", str(late_post(tmp_path, "r3")), "--by", "can-bo").exit_code == 0
    ran = cli("run", "--once", "--json")
    assert ran.exit_code == 0, ran.output
    out = ran.stdout
    assert json.loads(out[out.index("{") :])["outcomes"] == {"published": 1}, out
    assert cli_states(cli) == {"r2": "awaiting_approval", "r3": "published"}
    st = Store(get_settings())
    with st.db.read() as conn:
        trail = conn.execute(
            select(s.audit.c.actor, s.audit.c.detail).where(s.audit.c.action == "policy_set")
        ).all()
    st.db.dispose()
    assert [(a.actor, a.detail["policy"], a.detail["value"]) for a in trail] == [
        ("quan-tri", "require-approval", False)
    ]


def spec(key: str, due: datetime, **kw: Any) -> PostSpec:
    return PostSpec(
        key=key,
        title="Thông báo",
        text="Nội dung.",
        due_at=due,
        timezone="Asia/Ho_Chi_Minh",
        targets=(DEMO,),
        **kw,
    )


@pytest.fixture
def office(store: Store) -> Store:
    store.add_account(DEMO, "quan-tri")
    add_user(store, store.settings, "Quản trị", role="admin")
    add_user(store, store.settings, "Phạm D", role="officer", by="Quản trị")
    return store


def test_the_check_before_sending_reads_the_stored_policy(office: Store) -> None:
    due = datetime.now(UTC) - timedelta(seconds=5)
    set_policy(office, office.settings, "require-approval", "false", by="Quản trị")
    queue_posts(office, office.settings, [spec("bai-1", due)], "Phạm D")
    assert {r.state for r in office.deliveries()} == {"scheduled"}
    # the admin switches approval back on before the worker gets to it; the worker's own
    # settings say nothing either way
    set_policy(office, office.settings, "require-approval", "true", by="Quản trị")
    office.settings.require_approval = False
    [did] = claim_due(office.db, datetime.now(UTC), "dispatch:test", 300)
    step = Publisher(office).publish(did)
    assert step.action == "awaiting_approval"
    assert {r.state for r in office.deliveries()} == {"awaiting_approval"}


def test_the_setting_is_only_the_initial_value_of_the_policy(store: Store) -> None:
    store.settings.require_approval = False
    assert REQUIRE_APPROVAL.default is True
    added = add_user(store, store.settings, "Một Mình")  # the first admin fixes the initial value
    seeded = {p.policy.name: p for p in added.seeded}
    assert seeded["require-approval"].value is False
    assert seeded["require-approval"].source == "PUBLISHER_REQUIRE_APPROVAL"
    store.settings.require_approval = True  # read once: changing it later changes nothing
    add_user(store, store.settings, "Người Hai", by="một mình")
    values = {p.policy.name: p.value for p in policies(store)}
    assert values["require-approval"] is False
    with pytest.raises(UserError, match="cần vai trò"):
        set_policy(store, store.settings, "require-approval", "true", by="Người Hai")


def test_a_database_without_the_policy_requires_approval(store: Store) -> None:
    """Upgraded from a version without the policy, or users added before any admin: the safe
    default holds, whatever the process's environment says."""
    store.add_account(DEMO, "x")
    store.settings.require_approval = False
    add_user(store, store.settings, "Cán Bộ", role="officer")  # no admin yet: no initial value stored
    assert {p.policy.name: p.set_by for p in policies(store)}["require-approval"] is None
    queue_posts(store, store.settings, [spec("bai-1", datetime.now(UTC) + timedelta(days=1))], "cán bộ")
    assert {r.state for r in store.deliveries()} == {"awaiting_approval"}
