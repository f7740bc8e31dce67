"""``publisher pause`` and ``resume`` (:mod:`publisher.cli.pause`)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Cli, future_schedule


def test_pause_and_resume(run: Cli, tmp_path: Path) -> None:
    run("init")
    path, _ = future_schedule(tmp_path)
    run("queue", str(path))
    run("approve", "bai-mot", "--by", "chu-tich")
    r = run("pause", "--reason", "Quốc tang")
    assert r.exit_code == 0 and "TẠM DỪNG" in r.output
    status = json.loads(run("status", "--json").output)
    assert status["paused"]["reason"] == "Quốc tang"
    assert status["counts"] == {"paused": 1}
    res = run("resume")
    assert res.exit_code == 0 and "bai-mot" in res.output
    assert json.loads(run("status", "--json").output)["counts"] == {"scheduled": 1}
