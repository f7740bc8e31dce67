"""ruff and mypy are part of the test suite, so a lint or type error fails CI like any other test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_clean() -> None:
    r = _run(str(BIN / "ruff"), "check", "publisher", "workers", "assets", "tests", "bench")
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_clean() -> None:
    r = _run(str(BIN / "mypy"), "publisher", "workers", "assets")
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_format_clean() -> None:
    """One code style: ``ruff format`` would change nothing."""
    r = _run(str(BIN / "ruff"), "format", "--check", "publisher", "workers", "assets", "tests", "bench")
    assert r.returncode == 0, r.stdout + r.stderr
