"""Units (đơn vị) from the command line: ``accounts add --unit`` and ``queue --unit``."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from publisher.core.people import DEFAULT_UNIT
from publisher.store import Store
from publisher.store import schema as s
from tests.cli.conftest import Cli, future_schedule


def _units(store: Store, table: str) -> dict[str, str]:
    t = getattr(s, table)
    with store.db.read() as conn:
        return {r.name if table == "accounts" else r.key: r.unit for r in conn.execute(select(t))}


def _retarget(path: Path, target: str) -> Path:
    path.write_text(
        path.read_text(encoding="utf-8").replace("[sandbox/demo]", f"[{target}]"), encoding="utf-8"
    )
    return path


def test_accounts_add_unit(run: Cli, office: Store) -> None:
    assert run("accounts", "add", "sandbox/xa-dong", "--unit", " Xã  Đông ").exit_code == 0
    assert run("accounts", "add", "sandbox/xa-tay").exit_code == 0
    units = _units(office, "accounts")
    assert units == {"demo": DEFAULT_UNIT, "xa-dong": "Xã Đông", "xa-tay": DEFAULT_UNIT}
    long = run("accounts", "add", "sandbox/dai", "--unit", "x" * 101)
    assert long.exit_code == 2 and "quá dài" in long.output and "dai" not in _units(office, "accounts")


def test_queue_unit_stores_it(run: Cli, office: Store, tmp_path: Path) -> None:
    assert run("accounts", "add", "sandbox/xa-dong", "--unit", "Xã Đông").exit_code == 0
    path, _ = future_schedule(tmp_path)
    r = run("queue", str(_retarget(path, "sandbox/xa-dong")), "--unit", "Xã Đông")
    assert r.exit_code == 0, r.output
    assert _units(office, "posts") == {"bai-mot": "Xã Đông"}
    again = run("queue", str(path))  # loaded again without --unit: the post keeps its unit
    assert again.exit_code == 0, again.output
    assert _units(office, "posts") == {"bai-mot": "Xã Đông"}


def test_queue_default_unit(run: Cli, office: Store, tmp_path: Path) -> None:
    path, _ = future_schedule(tmp_path)
    assert run("queue", str(path)).exit_code == 0
    assert _units(office, "posts") == {"bai-mot": DEFAULT_UNIT}
    moved = run("queue", str(path), "--unit", "Xã Đông")  # a post never moves to another unit
    assert moved.exit_code == 2
    assert "bai-mot" in moved.output and "Xã Đông" in moved.output and DEFAULT_UNIT in moved.output
    assert _units(office, "posts") == {"bai-mot": DEFAULT_UNIT}


def test_queue_refuses_a_target_of_another_unit(run: Cli, office: Store, tmp_path: Path) -> None:
    assert run("accounts", "add", "sandbox/xa-dong", "--unit", "Xã Đông").exit_code == 0
    path, _ = future_schedule(tmp_path)
    r = run("queue", str(path), "--unit", "Xã Đông")  # its target sandbox/demo is of the default unit
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "bai-mot" in r.output and "sandbox/demo" in r.output and "Xã Đông" in r.output
    assert _units(office, "posts") == {}  # nothing queued
    r = run("queue", str(_retarget(path, "sandbox/xa-dong")))  # default unit, target of Xã Đông
    assert r.exit_code == 2 and "sandbox/xa-dong" in r.output and "bai-mot" in r.output
    en = run("queue", str(path), PUBLISHER_LANGUAGE="en")
    assert en.exit_code == 2 and "belongs to unit" in en.output
    assert _units(office, "posts") == {}
