from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.cli.conftest import Cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "schedules" / "examples" / "2025-thong-tin-doi-ngoai.yaml"
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def future_schedule(tmp_path: Path, days: int = 10) -> tuple[Path, datetime]:
    when = (datetime.now(VN) + timedelta(days=days)).replace(hour=7, minute=0, second=0, microsecond=0)
    path = tmp_path / "lich.yaml"
    path.write_text(
        f"""timezone: Asia/Ho_Chi_Minh
defaults:
  targets: [sandbox/demo]
posts:
  - id: bai-mot
    at: {when:%Y-%m-%d %H:%M}
    title: Kỷ niệm ngày thành lập xã
    text: Chào mừng ngày thành lập xã Hạnh Dịch.
""",
        encoding="utf-8",
    )
    return path, when


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


def test_approve_cancel_retry_and_exit_codes(run: Cli, tmp_path: Path) -> None:
    run("init")
    path, _ = future_schedule(tmp_path)
    run("queue", str(path))
    self_ok = run("approve", "bai-mot", "--by", "can-bo")
    assert self_ok.exit_code == 2 and "không thể tự duyệt" in self_ok.output
    ok = run("approve", "bai-mot", "--by", "chu-tich")
    assert ok.exit_code == 0 and "Đã duyệt bai-mot" in ok.output
    missing = run("show", "khong-co")
    assert missing.exit_code == 2 and "Không tìm thấy" in missing.output
    shown = json.loads(run("show", "bai-mot", "--json").output)
    assert shown["post"]["approved_by"] == "chu-tich"
    assert [a["action"] for a in shown["audit"]][:2] == ["queued", "approved"]
    assert run("cancel", "bai-mot").exit_code == 0
    assert json.loads(run("list", "--json", "--status", "cancelled").output)[0]["post"] == "bai-mot"


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


def test_account_token_is_read_from_stdin_and_never_printed(run: Cli) -> None:
    run("init")
    token = "EAAB-secret-token-value-xyz"
    r = run("accounts", "add", "facebook/ubnd-hanh-dich", "--token-stdin", "--remote-id", "1234", input=token + "\n")
    assert r.exit_code == 0, r.output
    listing = run("accounts", "list", "--json").output
    assert token not in listing and "1234" in listing


def test_help_is_bilingual(run: Cli) -> None:
    out = run("queue", "--help").output
    assert "Nạp tệp lịch" in out and "Load schedule files" in out


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
