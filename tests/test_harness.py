"""The test harness itself: service markers and the test Redis URL are honoured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pytest(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PUBLISHER_TEST_")}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_service_markers_leave_out_postgres_and_redis_tests() -> None:
    files = ["tests/store/test_claims.py", "tests/workers/test_ratelimit.py", "tests/workers/test_dispatch.py"]
    everything = _pytest("--collect-only", "-q", *files).stdout
    kept = _pytest("--collect-only", "-q", "-m", "not postgres and not redis", *files).stdout
    ids = [line for line in kept.splitlines() if "::" in line]
    assert ids, kept
    params = [i.partition("[")[2] for i in ids]
    assert not [p for p in params if "postgresql" in p or "redis" in p], ids
    assert "postgresql" in everything and "redis" in everything
    assert len(ids) < len([line for line in everything.splitlines() if "::" in line])


def test_worker_tests_use_the_redis_url_they_are_given() -> None:
    # nothing listens on port 1: a harness that ignored the URL would reach the default server
    run = _pytest(
        "-q",
        "tests/workers/test_ratelimit.py",
        "-k",
        "redis",
        PUBLISHER_TEST_REDIS_URL="redis://127.0.0.1:1/0",
        PUBLISHER_TEST_REQUIRE_SERVICES="1",
    )
    assert run.returncode != 0, run.stdout
    assert "127.0.0.1:1" in run.stdout, run.stdout[-2000:]
