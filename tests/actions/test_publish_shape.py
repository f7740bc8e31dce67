"""The publish path's layout: each concern in one small module, one publish read top to bottom."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

from publisher.actions.publish import Publisher

ROOT = Path(__file__).resolve().parents[2]
MODULES = [
    "publisher/actions/publish.py",
    "publisher/actions/guard.py",
    "publisher/actions/reconcile.py",
    "publisher/actions/sending.py",
    "publisher/actions/worker.py",
    "publisher/actions/dispatch.py",
    "publisher/actions/drain.py",
    "publisher/core/decisions.py",
    "publisher/store/publishing.py",
    "workers/tasks.py",
    "workers/app.py",
    "workers/runtime.py",
    "workers/collect.py",
]


@pytest.mark.parametrize("name", MODULES)
def test_each_module_is_small_documented_and_imports_at_the_top(name: str) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    tree = ast.parse(text)
    assert len(text.splitlines()) <= 450
    assert ast.get_docstring(tree)
    local = [
        node.lineno
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(fn)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert local == [], f"function-local imports in {name} at lines {local}"


def test_one_publish_reads_top_to_bottom_in_one_function() -> None:
    lines, _ = inspect.getsourcelines(Publisher.publish)
    assert len(lines) <= 60


def test_the_old_homes_are_gone() -> None:
    assert importlib.util.find_spec("publisher.publishing") is None
    assert importlib.util.find_spec("publisher.dispatch") is None


def test_importing_the_workers_makes_no_celery_app(tmp_path: Path) -> None:
    """``make_app()`` runs on first use, not at import (no data dir, no broker folders made)."""
    data = tmp_path / "data"
    code = (
        "import workers, workers.app, workers.runtime; "
        "assert workers.app._app is None; "
        "app = workers.celery; assert app is workers.app.get_app() is workers.app.app; "
        "print(app.main)"
    )
    env = {**os.environ, "PUBLISHER_DATA_DIR": str(data)}
    env.pop("PUBLISHER_BROKER_URL", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "publisher"
    assert (data / "broker" / "queue").is_dir()  # made then, by the first use
