"""``publisher users`` and ``publisher policy``: people are named users of the office (issue 11.1)."""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.cli.conftest import Cli

A = "Nguyễn Văn A"


def schedule(tmp_path: Path) -> Path:
    when = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(days=5)).strftime("%Y-%m-%d 07:00")
    path = tmp_path / "lich.yaml"
    path.write_text(
        f"""posts:
  - id: bai-mot
    at: {when}
    title: Thông báo của UBND xã
    text: Lịch tiêm chủng tháng này.
    targets: [sandbox/demo]
""",
        encoding="utf-8",
    )
    return path


def test_the_walk_arounds_of_the_issue_are_closed(bare: Cli, tmp_path: Path) -> None:
    assert bare("init").exit_code == 0
    path = schedule(tmp_path)
    none = bare("queue", str(path), "--by", A)
    assert none.exit_code == 2 and "Chưa có người dùng nào" in none.output
    first = bare("users", "add", A)  # no admin yet: no --by needed, and the first user is the admin
    assert first.exit_code == 0, first.output
    assert "quản trị" in first.output and "không cần --by" in first.output
    assert bare("users", "add", "Trần B", "--role", "approver", "--by", "nguyễn văn a").exit_code == 0
    assert bare("queue", str(path), "--by", A).exit_code == 0
    for variant in ("nguyễn văn a", unicodedata.normalize("NFD", A), " Nguyễn  Văn A "):
        r = bare("approve", "bai-mot", "--by", variant)
        assert r.exit_code == 2 and "không thể tự duyệt" in r.output, (variant, r.output)
    # an editor cannot approve their own edit
    path.write_text(path.read_text(encoding="utf-8").replace("tháng này", "tháng sau"), encoding="utf-8")
    assert bare("queue", str(path), "--by", "Trần B").exit_code == 0
    r = bare("approve", "bai-mot", "--by", "trần b")
    assert r.exit_code == 2 and "không thể tự duyệt" in r.output
    ok = bare("users", "add", "Lê C", "--role", "approver", "--unit", "Văn phòng UBND", "--by", A)
    assert ok.exit_code == 0
    approved = bare("approve", "bai-mot", "--by", "LÊ C")
    assert approved.exit_code == 0 and "Đã duyệt bai-mot" in approved.output, approved.output
    shown = json.loads(bare("show", "bai-mot", "--json").output)
    assert shown["post"]["approved_by"] == "Lê C"


def test_by_must_name_a_known_user(run: Cli, tmp_path: Path) -> None:
    run("init")
    path = schedule(tmp_path)
    r = run("queue", str(path), "--by", "Người Lạ")
    assert r.exit_code == 2 and "không phải người dùng" in r.output and "Traceback" not in r.output
    r = run("queue", str(path), PUBLISHER_USER="root")  # no --by: PUBLISHER_USER must be a user too
    assert r.exit_code == 2 and "PUBLISHER_USER" in r.output
    assert json.loads(run("list", "--json").output) == []
    long = run("approve", "bai-mot", "--by", "x" * 5000)
    assert long.exit_code == 2 and "Traceback" not in long.output
    en = run("queue", str(path), "--by", "Người Lạ", PUBLISHER_LANGUAGE="en")
    assert en.exit_code == 2 and "is not a user of the office" in en.output


def test_users_add_list_remove(run: Cli, tmp_path: Path) -> None:
    run("init")
    users = json.loads(run("users", "list", "--json").output)
    assert [(u["name"], u["role"]) for u in users] == [
        ("can-bo", "approver"),
        ("chu-tich", "approver"),
        ("quan-tri", "admin"),
    ]
    not_admin = run("users", "add", "Phạm D")  # --by defaults to PUBLISHER_USER (can-bo): not an admin
    assert not_admin.exit_code == 2 and "quản trị" in not_admin.output
    assert run("users", "add", "Phạm D", "--by", "quan-tri").exit_code == 0
    dup = run("users", "add", "PHẠM  D", "--by", "quan-tri")
    assert dup.exit_code == 0 and "không đổi" in dup.output
    for bad in ("", "system", "Tên\u200bẩn", "x" * 101):
        r = run("users", "add", bad, "--by", "quan-tri")
        assert r.exit_code == 2 and "Traceback" not in r.output, (bad, r.output)
    run("queue", str(schedule(tmp_path)), "--by", "phạm d")
    removed = run("users", "remove", "phạm d", "--by", "quan-tri")
    assert removed.exit_code == 0 and "vô hiệu hóa" in removed.output
    assert "Phạm D" not in run("users", "list").output and "Phạm D" in run("users", "list", "--all").output
    r = run("queue", str(schedule(tmp_path)), "--by", "Phạm D")
    assert r.exit_code == 2 and "vô hiệu hóa" in r.output
    shown = json.loads(run("show", "bai-mot", "--json").output)
    assert shown["post"]["queued_by"] == "Phạm D"  # the audit keeps naming them
    last = run("users", "remove", "quan-tri", "--by", "quan-tri")
    assert last.exit_code == 2 and "quản trị cuối cùng" in last.output


def test_self_approval_is_an_office_policy(run: Cli, tmp_path: Path) -> None:
    run("init")
    run("queue", str(schedule(tmp_path)))
    assert run("approve", "bai-mot", "--by", "can-bo", PUBLISHER_ALLOW_SELF_APPROVAL="true").exit_code == 2
    refused = run("policy", "set", "allow-self-approval", "true", "--by", "chu-tich")
    assert refused.exit_code == 2
    assert run("policy", "set", "no-such-policy", "true", "--by", "quan-tri").exit_code == 2
    ok = run("policy", "set", "allow-self-approval", "true", "--by", "quan-tri")
    assert ok.exit_code == 0, ok.output
    shown = json.loads(run("policy", "show", "--json").output)
    assert [(p["name"], p["value"], p["set_by"]) for p in shown] == [
        ("require-approval", True, None),
        ("allow-self-approval", True, "quan-tri"),
    ]
    assert "quan-tri" in run("policy", "show", PUBLISHER_LANGUAGE="en").output
    assert run("approve", "bai-mot", "--by", "can-bo").exit_code == 0
