"""The store is split into repositories by aggregate, joined by the one ``Store`` callers hold."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import publisher.store as store_pkg
from publisher.core.models import PostSpec, Target
from publisher.core.states import State
from publisher.store import Store

STORE_DIR = Path(store_pkg.__file__).parent
#: the repositories by aggregate, and the module that joins them
REPOSITORIES = {
    "accounts": "AccountsRepo",
    "credentials": "CredentialsRepo",
    "posts": "PostsRepo",
    "approval": "ApprovalRepo",
    "deliveries": "DeliveriesRepo",
    "office": "OfficeRepo",
    "read": "ReadRepo",
}
MODULES = [*REPOSITORIES, "audit", "digest", "repo"]


@pytest.mark.parametrize("name", MODULES)
def test_each_store_module_is_small_and_says_what_it_holds(name: str) -> None:
    path = STORE_DIR / f"{name}.py"
    assert path.exists(), f"publisher/store/{name}.py is missing"
    source = path.read_text(encoding="utf-8")
    assert len(source.splitlines()) <= 450, f"{path.name} has {len(source.splitlines())} lines"
    assert ast.get_docstring(ast.parse(source)), f"{path.name} has no module docstring"


def test_only_the_repositories_touch_sql_the_store_joins_them() -> None:
    tree = ast.parse((STORE_DIR / "repo.py").read_text(encoding="utf-8"))
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    } | {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not any(m.split(".")[0] == "sqlalchemy" for m in imported)
    for module, cls in REPOSITORIES.items():
        repo_cls = getattr(__import__(f"publisher.store.{module}", fromlist=[cls]), cls)
        assert issubclass(Store, repo_cls), f"Store does not include {cls}"


def test_one_store_drives_every_aggregate(store: Store, tmp_path: Path) -> None:
    """Queue, approve-free schedule, pause, cancel, retry and read back through the one object."""
    target = Target.parse("facebook/page")
    store.add_account(target, "officer")
    due = datetime.now(UTC) + timedelta(hours=2)
    spec = PostSpec(
        key="hop",
        title="Họp dân",
        text="Họp dân tối nay",
        due_at=due,
        timezone="Asia/Ho_Chi_Minh",
        targets=(target,),
        source_file=str(tmp_path / "lich.yaml"),
        source_line=1,
    )
    assert store.queue([spec], "officer").created == ["hop"]
    [row] = store.deliveries()
    assert store.pause("bão", "officer") == 1
    assert store.counts() == {State.PAUSED.value: 1}
    store.resume("officer")
    assert store.cancel(["hop"], "officer").done == [("hop:facebook/page", row.state)]
    assert [d for d, _ in store.retry(["hop"], "officer").done] == ["hop:facebook/page"]
    detail = store.post_detail("hop")
    actions = [a.action for a in detail["audit"]]
    assert actions[:1] == ["queued"] and {"cancelled", "retry"} <= set(actions)
    assert store.delivery(row.id).post_key == "hop"
