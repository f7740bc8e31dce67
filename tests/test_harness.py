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
    files = [
        "tests/store/test_claims.py",
        "tests/workers/test_ratelimit.py",
        "tests/workers/test_dispatch.py",
    ]
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


def test_tests_that_start_their_own_redis_server_are_marked_redis() -> None:
    everything = _pytest("--collect-only", "-q", "tests/workers/test_fault_matrix.py").stdout
    kept = _pytest("--collect-only", "-q", "-m", "not redis", "tests/workers/test_fault_matrix.py").stdout
    assert "test_redis_restarted_mid_run" in everything, everything[-2000:]
    assert "test_redis_restarted_mid_run" not in kept, kept[-2000:]


def test_postgres_tests_use_the_host_and_port_of_the_url_they_are_given() -> None:
    # nothing listens on port 1: a fixture that checked 127.0.0.1:5432 instead would go on and error
    url = "postgresql+psycopg://postgres@127.0.0.1:1/postgres"
    args = ("-q", "-rs", "tests/store/test_claims.py", "-k", "postgresql")
    skipped = _pytest(*args, PUBLISHER_TEST_PG_URL=url)
    assert skipped.returncode == 0, skipped.stdout[-2000:]
    assert "postgresql is not reachable on 127.0.0.1:1" in skipped.stdout, skipped.stdout[-2000:]
    required = _pytest(*args, PUBLISHER_TEST_PG_URL=url, PUBLISHER_TEST_REQUIRE_SERVICES="1")
    assert required.returncode != 0
    assert "postgresql is not reachable on 127.0.0.1:1" in required.stdout, required.stdout[-2000:]
