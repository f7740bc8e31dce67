"""``publisher queue`` (:mod:`publisher.cli.queue`): loading, reloading, edits and the truth about late posts."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from tests.cli.conftest import EXAMPLE, VN, Cli, future_schedule, late_schedule


def test_example_check_reports_every_date_as_past(run: Cli) -> None:
    run("init")
    r = run("queue", "--check", str(EXAMPLE))
    assert r.exit_code == 2
    for date in ("03/02/2025", "30/04/2025", "19/05/2025", "19/08/2025", "02/09/2025"):
        assert f"{date} 07:00 đã qua" in r.output, r.output
    assert r.output.count("đã qua") == 5
    en = run("queue", "--check", str(EXAMPLE), PUBLISHER_LANGUAGE="en")
    assert en.output.count("has passed") == 5 and "nothing was written" in en.output
    assert json.loads(run("list", "--json").output) == []


def test_queue_list_local_times_and_idempotent_reload(run: Cli, tmp_path: Path) -> None:
    run("init")
    path, when = future_schedule(tmp_path)
    assert run("queue", "--check", str(path)).exit_code == 0
    assert json.loads(run("list", "--json").output) == []
    r = run("queue", str(path))
    assert r.exit_code == 0, r.output
    assert "bai-mot" in r.output and "chờ duyệt" in r.output
    rows = json.loads(run("list", "--json").output)
    assert len(rows) == 1
    assert rows[0]["due_local"] == when.strftime("%d/%m/%Y %H:%M")
    assert rows[0]["state"] == "awaiting_approval"
    table = run("list").output
    assert when.strftime("%d/%m/%Y 07:00") in table
    again = run("queue", str(path))
    assert "Không đổi: 1" in again.output
    assert json.loads(run("list", "--json").output) == rows


def test_plan_output_queues_cleanly(run: Cli, tmp_path: Path) -> None:
    run("init")
    year = datetime.now(VN).year + 1
    out = tmp_path / f"{year}-ke-hoach.yaml"
    r = run("plan", str(year), "--out", str(out))
    assert r.exit_code == 0, r.output
    q = run("queue", str(out))
    assert q.exit_code == 0, q.output
    rows = json.loads(run("list", "--json").output)
    assert len(rows) > 20
    assert {row["state"] for row in rows} == {"awaiting_approval"}
    assert "Không đổi" in run("queue", str(out)).output


def test_requeueing_a_published_post_does_not_say_it_will_go_out(run: Cli, tmp_path: Path) -> None:
    run("init")
    path = late_schedule(tmp_path)
    first = run("queue", str(path))
    assert first.exit_code == 0 and "ngay khi được duyệt" in first.output  # new: true, it waits for approval
    run("approve", "bai-tre", "--by", "chu-tich")
    approved = run("queue", str(path))
    assert (
        "ngay khi được duyệt" not in approved.output
        and "đã được duyệt và sẽ được đăng muộn ngay" in approved.output
    )
    assert run("run", "--once").exit_code == 0
    assert json.loads(run("list", "--json").output)[0]["state"] == "published"
    again = run("queue", str(path))
    assert again.exit_code == 0, again.output
    assert "ngay khi được duyệt" not in again.output
    assert "đã được đăng trên sandbox/demo" in again.output and "Không đổi: 1" in again.output
    en = run("queue", str(path), PUBLISHER_LANGUAGE="en")
    assert "as soon as it is approved" not in en.output and "already published on sandbox/demo" in en.output
    check = run("queue", "--check", str(path))
    assert "ngay khi được duyệt" not in check.output


def test_removing_draft_from_the_file_is_not_unchanged(run: Cli, tmp_path: Path) -> None:
    run("init")
    path, _ = future_schedule(tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "    draft: true\n", encoding="utf-8")
    run("queue", str(path))
    assert json.loads(run("list", "--json").output)[0]["state"] == "draft"
    path.write_text(text, encoding="utf-8")
    r = run("queue", str(path))
    assert r.exit_code == 0 and "Cập nhật: bai-mot (draft)" in r.output and "Không đổi" not in r.output
    assert json.loads(run("list", "--json").output)[0]["state"] == "awaiting_approval"


def test_a_file_loaded_again_after_its_post_went_out_long_ago_is_not_an_error(
    run: Cli, tmp_path: Path
) -> None:
    run("init")
    path = late_schedule(tmp_path, minutes_ago=7 * 60)
    wide = {"PUBLISHER_GRACE_HOURS": "8"}  # in its window when it is queued and published
    assert run("queue", str(path), **wide).exit_code == 0
    run("approve", "bai-tre", "--by", "chu-tich", **wide)
    assert run("run", "--once", **wide).exit_code == 0
    assert json.loads(run("list", "--json").output)[0]["state"] == "published"

    # later in the year the same file is loaded again: its post is now far past the default 6 h
    again = run("queue", str(path))
    assert again.exit_code == 0, again.output
    assert "đã được đăng trên sandbox/demo" in again.output and "sẽ không được đăng" not in again.output
    assert run("queue", "--check", str(path)).exit_code == 0

    # a new post in the past beyond its window is still refused, and so is moving one into the past
    text = path.read_text(encoding="utf-8")
    path.write_text(text + text.split("posts:\n", 1)[1].replace("bai-tre", "bai-moi"), encoding="utf-8")
    refused = run("queue", str(path))
    assert refused.exit_code == 2 and "1 lỗi" in refused.output and "[bai-moi] at" in refused.output
    assert "[bai-tre] at: " + "Thời điểm" in refused.output and "nạp lại không đăng thêm" in refused.output
