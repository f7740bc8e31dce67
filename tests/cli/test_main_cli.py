"""The program itself (:mod:`publisher.cli.main`): init, help, errors, and how commands are registered."""

from __future__ import annotations

import ast
import importlib
import json
import os
import pkgutil
import stat
import subprocess
import sys
from pathlib import Path

import click

from tests.cli.conftest import Cli


def test_init_is_idempotent_and_creates_key_file(run: Cli) -> None:
    r1 = run("init")
    assert r1.exit_code == 0, r1.output
    assert "sandbox/demo" in r1.output
    key = run.data / "secret.key"
    mode = stat.S_IMODE(os.stat(key).st_mode)
    assert mode == 0o600
    content = key.read_bytes()
    r2 = run("init")
    assert r2.exit_code == 0
    assert key.read_bytes() == content
    accounts = json.loads(run("accounts", "list", "--json").output)
    assert [a["target"] for a in accounts] == ["sandbox/demo"]


def test_help_is_bilingual(run: Cli) -> None:
    out = run("queue", "--help").output
    assert "Nạp tệp lịch" in out and "Load schedule files" in out


def test_bad_input_is_exit_2_without_traceback(run: Cli, tmp_path: Path) -> None:
    run("init")
    bad = tmp_path / "x.yaml"
    bad.write_text("posts:\n  - id: a b\n    at: hôm nay\n", encoding="utf-8")
    r = run("queue", str(bad))
    assert r.exit_code == 2
    assert "Traceback" not in r.output
    assert f"{bad}:2" in r.output
    assert run("accounts", "add", "myspace/abc").exit_code == 2
    assert run("list", "--from", "hôm qua").exit_code == 2


# -- registration: one visible list, nothing skipped, one way to open the store ----------------------

CLI_DIR = Path(__file__).resolve().parents[2] / "publisher" / "cli"


def _reachable(command: click.Command) -> set[int]:
    found = {id(command)}
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            found |= _reachable(sub)
    return found


def test_every_cli_module_is_imported_and_every_command_in_it_registered() -> None:
    """Each module of ``publisher/cli`` imports (an error is an error, never a skipped module), and
    every command it defines is reachable from ``publisher``: none is left out of the list."""
    from publisher.cli.main import cli

    reachable = _reachable(cli)
    missing: list[str] = []
    for info in pkgutil.iter_modules([str(CLI_DIR)]):
        module = importlib.import_module(f"publisher.cli.{info.name}")
        for name, obj in vars(module).items():
            mine = isinstance(obj, click.Command) and obj.callback.__module__ == module.__name__
            if mine and id(obj) not in reachable:
                missing.append(f"{module.__name__}.{name}")
    assert missing == []
    assert "check" in cli.commands["accounts"].commands  # type: ignore[attr-defined]


def test_an_import_error_stops_the_program(tmp_path: Path) -> None:
    """A command module that cannot be imported is a failure at start, not a command quietly missing."""
    code = (
        "import sys\n"
        "sys.modules['publisher.cli.report'] = None  # as if the module had a broken import\n"
        "import publisher.cli.main\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert r.returncode != 0, r.stdout + r.stderr
    assert "ModuleNotFoundError: import of publisher.cli.report halted" in r.stderr, r.stderr


#: modules another change is still moving to ``open_store`` (none may be added)
NOT_YET = {"media.py"}


def test_the_store_is_opened_in_one_place() -> None:
    """Only ``publisher.cli.common.open_store`` builds a ``Store``: every command gets the same checks
    (data directory, modes, the key's fingerprint), and no command keeps its own copy of the helper."""
    offenders: list[str] = []
    for path in sorted(CLI_DIR.glob("*.py")):
        if path.name in NOT_YET:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == "_store":
                offenders.append(f"{path.name}:{node.lineno} def _store")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Store":
                inside = _enclosing_function(tree, node)
                if (path.name, inside) != ("common.py", "open_store"):
                    offenders.append(f"{path.name}:{node.lineno} Store(...) in {inside}")
    assert offenders == []


def _enclosing_function(tree: ast.Module, target: ast.AST) -> str | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and any(child is target for child in ast.walk(node)):
            return node.name
    return None
