"""``publisher publish REF --dry-run`` (:mod:`publisher.cli.publish`)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.cli.conftest import Cli


def test_publish_dry_run_prints_masked_requests(run: Cli, tmp_path: Path) -> None:
    run("init")
    run(
        "accounts",
        "add",
        "facebook/ubnd-hanh-dich",
        "--token-stdin",
        "--remote-id",
        "1647395831",
        input="PAGE-TOKEN-SECRET\n",
    )
    when = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(days=3)).strftime("%Y-%m-%d 07:00")
    path = tmp_path / "lich.yaml"
    path.write_text(
        f"""posts:
  - id: bai-fb
    at: {when}
    title: Chào mừng Quốc khánh
    text: Chào mừng 81 năm Quốc khánh.
    targets: [facebook/ubnd-hanh-dich]
""",
        encoding="utf-8",
    )
    assert run("queue", str(path)).exit_code == 0
    r = run("publish", "bai-fb", "--dry-run", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    reqs = out[0]["requests"]
    assert reqs and all("PAGE-TOKEN-SECRET" not in json.dumps(q) for q in reqs)
    assert any(q["method"] == "POST" and "/1647395831/" in q["url"] for q in reqs)
    assert "Chào mừng 81 năm Quốc khánh." in json.dumps(reqs, ensure_ascii=False)
    assert run("publish", "bai-fb").exit_code == 2
