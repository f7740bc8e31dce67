"""Architecture checks: the core stays pure, and the migrations describe the schema."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"requests", "redis", "celery", "kombu", "sqlalchemy", "PIL", "moviepy", "psycopg", "alembic"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
            if node.module.startswith("publisher.") and not node.module.startswith(
                ("publisher.core", "publisher.i18n", "publisher.errors")
            ):
                names.add(node.module)
    return names


def test_core_imports_no_io_libraries() -> None:
    offenders = {}
    for path in sorted((ROOT / "publisher" / "core").rglob("*.py")):
        bad = {n for n in _imports(path) if n in FORBIDDEN or n.startswith("publisher.")}
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_migrations_match_the_schema(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from publisher.store.db import Database
    from publisher.store.schema import metadata

    db = Database(f"sqlite:///{tmp_path / 'm.sqlite'}")
    db.migrate()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == [], "schema.py changed without an Alembic revision"
