"""Layer checks over the source tree: persistence has one home, and module imports form no cycle.

Read from the source (``ast``). A function-local import counts like any other: moving an import
into a function to dodge a cycle leaves the cycle in the design, and these checks see it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("publisher", "workers", "assets")
RENDERERS = {"publisher.reports.render_csv", "publisher.reports.render_xlsx", "publisher.reports.render_html"}


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _imports(path: Path, *, top_level: bool) -> set[str]:
    """Modules named by the file's imports (``top_level``: only those run when it is imported)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body if top_level else list(ast.walk(tree)):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def _graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports, wherever in the file (a local import still couples)."""
    modules = _modules()
    return {
        name: {n for n in _imports(path, top_level=False) if n in modules and n != name}
        for name, path in modules.items()
    }


def _cycle_through(graph: dict[str, set[str]], start: str) -> list[str]:
    """One import path from ``start`` back to itself, or ``[]``."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return []


def test_only_the_store_imports_sqlalchemy() -> None:
    offenders = sorted(
        name
        for name, path in _modules().items()
        if not name.startswith("publisher.store")
        and any(n.split(".")[0] == "sqlalchemy" for n in _imports(path, top_level=False))
    )
    assert offenders == []


def test_reports_and_schema_modules_import_no_cycle() -> None:
    graph = _graph()
    mine = [m for m in graph if m.startswith(("publisher.reports", "publisher.store.schema"))]
    assert {"publisher.reports.weekly", "publisher.store.schema_engagement"} <= set(mine)
    cycles = {m: path for m in mine if (path := _cycle_through(graph, m))}
    assert cycles == {}


def test_the_weekly_report_imports_its_renderers_at_module_level() -> None:
    """The renderers are imported where the report is written, not inside ``write`` to dodge a cycle."""
    assert _imports(ROOT / "publisher" / "reports" / "weekly.py", top_level=True) >= RENDERERS


def test_the_architecture_contract_holds() -> None:
    """``[tool.importlinter]`` in pyproject.toml: the layers, SQLAlchemy only in the store, no I/O
    library in the core, no cycle among the siblings of a package (function-local imports count)."""
    import subprocess
    import sys

    linter = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "4 kept, 0 broken" in done.stdout


def test_no_module_over_450_lines() -> None:
    long = {
        name: n
        for name, path in _modules().items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 450 and ".migrations." not in name
    }
    assert long == {}


def test_function_local_imports_say_why() -> None:
    """An import inside a function is allowed only to keep start-up light (Celery, Pillow, ffmpeg
    helpers load only for the command that needs them), and it says so on its line or just above."""
    unexplained: list[str] = []
    for name, path in _modules().items():
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    # its own line, or the comment heading its block of imports (up to 3 lines above)
                    here = "".join(lines[max(0, node.lineno - 4) : node.lineno])
                    if "#" not in here:
                        unexplained.append(f"{name}:{node.lineno}")
    assert unexplained == []
