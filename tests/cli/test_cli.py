from __future__ import annotations

import json
import logging
import os
import stat
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
import responses

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


@responses.activate
def test_account_token_is_read_from_stdin_and_never_printed(
    run: Cli, caplog: pytest.LogCaptureFixture
) -> None:
    """Tokens go in through stdin only; no output, log line or byte of the data directory (the
    SQLite file and its journal included) ever holds one in clear text."""
    caplog.set_level(logging.DEBUG)
    env = {"PUBLISHER_LOG_LEVEL": "DEBUG", "PUBLISHER_FACEBOOK__APP_ID": "1234567890",
           "PUBLISHER_FACEBOOK__APP_SECRET": "FB-APP-SECRET-0451", "PUBLISHER_YOUTUBE__CLIENT_ID": "client-1",
           "PUBLISHER_YOUTUBE__CLIENT_SECRET": "GOOGLE-SECRET-0452"}
    page, yt_access, yt_refresh = "EAAB-secret-token-value-xyz", "ya29.SECRET-ACCESS-1", "1//SECRET-REFRESH-1"
    new_access, new_refresh, refreshed = "ya29.SECRET-ACCESS-2", "1//SECRET-REFRESH-2", "ya29.SECRET-ACCESS-3"
    secrets = [page, yt_access, yt_refresh, new_access, new_refresh, refreshed, "FB-APP-SECRET-0451",
               "GOOGLE-SECRET-0452"]
    responses.get("https://graph.facebook.com/v25.0/debug_token", json={"data": {
        "app_id": "1234567890", "type": "PAGE", "is_valid": True, "expires_at": 0,
        "data_access_expires_at": 1800842400, "scopes": ["pages_show_list", "pages_manage_posts"]}})
    responses.post("https://oauth2.googleapis.com/token",
                   json={"access_token": refreshed, "expires_in": 3599, "token_type": "Bearer"})
    responses.get("https://www.googleapis.com/youtube/v3/channels",
                  json={"items": [{"id": "UCxa", "snippet": {"title": "Xã TV"}}]})
    results = [run("init")]
    results.append(run("accounts", "add", "facebook/ubnd-hanh-dich", "--token-stdin", "--remote-id", "1234",
                       input=page + "\n", **env))
    results.append(run("accounts", "add", "youtube/xa-tv", "--token-stdin", "--refresh-token-stdin",
                       input=f"{yt_access}\n{yt_refresh}\n", **env))
    results.append(run("accounts", "update", "youtube/xa-tv", "--token-stdin", "--refresh-token-stdin",
                       input=f"{new_access} {new_refresh}\n", **env))  # refused: both on one line
    assert results[-1].exit_code == 2
    results.append(run("accounts", "update", "youtube/xa-tv", "--token-stdin", "--refresh-token-stdin",
                       input=f"{new_access}\n{new_refresh}\n", **env))
    for args in (("list",), ("list", "--json"), ("check",), ("check", "--json")):
        results.append(run("accounts", *args, **env))
    results.append(run("status", "--json", **env))
    assert all(r.exit_code == 0 for i, r in enumerate(results) if i != 3), [r.output for r in results]

    listing = json.loads(run("accounts", "list", "--json").output)
    assert {a["target"]: a["remote_id"] for a in listing}["facebook/ubnd-hanh-dich"] == "1234"
    for r in results:
        for secret in secrets:
            assert secret not in r.stdout and secret not in r.stderr, (secret, r.output)
    for record in caplog.records:
        for secret in secrets:
            assert secret not in record.getMessage()
    files = [p for p in run.data.rglob("*") if p.is_file()]
    assert run.data / "publisher.sqlite" in files
    for path in files:
        raw = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in raw, (secret, path)
    # and what is stored still works: the update's refresh token renews it, the renewed token is used
    google = [c.request for c in responses.calls if c.request.url.startswith("https://oauth2")]
    channels = [c.request for c in responses.calls if "/youtube/v3/channels" in c.request.url]
    assert google and all(parse_qs(q.body)["refresh_token"] == [new_refresh] for q in google)
    assert len(channels) == 2 and all(q.headers["Authorization"] == f"Bearer {refreshed}" for q in channels)


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


# -- issue 11.2 / 11.3 / 10.8: edits, re-approval, and the truth about late posts ------------------


def late_schedule(tmp_path: Path, minutes_ago: int = 30, extra: str = "") -> Path:
    when = datetime.now(VN) - timedelta(minutes=minutes_ago)
    path = tmp_path / "tre.yaml"
    path.write_text(
        f"""timezone: Asia/Ho_Chi_Minh
posts:
  - id: bai-tre
    at: {when:%Y-%m-%d %H:%M}
    title: Thông báo khẩn
    text: Lịch cắt điện hôm nay.
    targets: [sandbox/demo]
{extra}""",
        encoding="utf-8",
    )
    return path


def test_requeueing_a_published_post_does_not_say_it_will_go_out(run: Cli, tmp_path: Path) -> None:
    run("init")
    path = late_schedule(tmp_path)
    first = run("queue", str(path))
    assert first.exit_code == 0 and "ngay khi được duyệt" in first.output  # new: true, it waits for approval
    run("approve", "bai-tre", "--by", "chu-tich")
    approved = run("queue", str(path))
    assert "ngay khi được duyệt" not in approved.output and "đã được duyệt và sẽ được đăng muộn ngay" in approved.output
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


def test_approve_shows_what_changed_since_the_last_approval(run: Cli, tmp_path: Path) -> None:
    from PIL import Image

    run("init")
    path, _ = future_schedule(tmp_path)
    Image.new("RGB", (320, 240), (20, 120, 20)).save(tmp_path / "anh.jpg", quality=90)
    path.write_text(path.read_text(encoding="utf-8") + "    images: [anh.jpg]\n", encoding="utf-8")
    run("queue", str(path))
    first = run("approve", "bai-mot", "--by", "chu-tich")
    assert first.exit_code == 0 and "Duyệt lần đầu" in first.output
    path.write_text(path.read_text(encoding="utf-8").replace("ngày thành lập xã Hạnh", "ngày thành lập xã Hạnh Dịch, "
                                                              "Quế Phong,").replace("Chào mừng", "Nhiệt liệt chào mừng"),
                    encoding="utf-8")
    Image.new("RGB", (320, 240), (200, 0, 0)).save(tmp_path / "anh.jpg", quality=90)
    assert "phải duyệt lại" in run("queue", str(path)).output
    again = run("approve", "bai-mot", "--by", "chu-tich")
    assert again.exit_code == 0, again.output
    assert "Đã thay đổi từ lần duyệt trước (chu-tich" in again.output
    assert f"tệp đã thay đổi: {(tmp_path / 'anh.jpg').resolve()}" in again.output
    assert "-Chào mừng ngày thành lập xã Hạnh Dịch." in again.output
    assert "+Nhiệt liệt chào mừng" in again.output
    en = run("show", "bai-mot", "--json")
    trail = [a for a in json.loads(en.output)["audit"] if a["action"] == "approved"]
    assert len(trail) == 2 and trail[-1]["actor"] == "chu-tich"


def test_a_file_loaded_again_after_its_post_went_out_long_ago_is_not_an_error(run: Cli, tmp_path: Path) -> None:
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
