"""``publisher approve``, ``cancel`` and ``retry`` (:mod:`publisher.cli.approval`)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from sqlalchemy import update

from publisher.store import Store
from publisher.store import schema as s
from tests.cli.conftest import Cli, future_schedule


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


def test_approve_shows_what_changed_since_the_last_approval(run: Cli, tmp_path: Path) -> None:
    from PIL import Image

    run("init")
    path, _ = future_schedule(tmp_path)
    Image.new("RGB", (320, 240), (20, 120, 20)).save(tmp_path / "anh.jpg", quality=90)
    path.write_text(path.read_text(encoding="utf-8") + "    images: [anh.jpg]\n", encoding="utf-8")
    run("queue", str(path))
    first = run("approve", "bai-mot", "--by", "chu-tich")
    assert first.exit_code == 0 and "Duyệt lần đầu" in first.output
    path.write_text(
        path.read_text(encoding="utf-8")
        .replace("ngày thành lập xã Hạnh", "ngày thành lập xã Hạnh Dịch, Quế Phong,")
        .replace("Chào mừng", "Nhiệt liệt chào mừng"),
        encoding="utf-8",
    )
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


def test_retry_says_when_the_rate_limiter_cannot_be_reached(run: Cli, office: Store, tmp_path: Path) -> None:
    path, _ = future_schedule(tmp_path)
    path.write_text(
        path.read_text(encoding="utf-8").replace("sandbox/demo", "facebook/trang"), encoding="utf-8"
    )
    assert run("accounts", "add", "facebook/trang").exit_code == 0
    assert run("queue", str(path)).exit_code == 0
    assert run("approve", "bai-mot", "--by", "chu-tich").exit_code == 0
    with office.db.write() as conn:
        conn.execute(update(s.deliveries).values(state="failed", last_code="500", last_reason="Lỗi máy chủ"))
    with socket.socket() as sock:  # a port nothing listens on: the Redis of the limiter is down
        sock.bind(("127.0.0.1", 0))
        down = f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
    r = run("retry", "bai-mot", PUBLISHER_BROKER_URL=down)
    assert r.exit_code == 0, r.output
    assert "Không đọc được bộ giới hạn tốc độ (ConnectionError)" in r.stderr
    assert "Sẽ gửi lại bai-mot:facebook/trang ngay" in r.stdout
    assert json.loads(run("list", "--json").output)[0]["state"] == "scheduled"
