"""The calm console of ``publisher run`` (issue 16): one line per event that matters, every line of
the machinery in a rotating log file, ``--verbose`` and ``--json-logs`` for who wants more."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from publisher import i18n
from publisher.cli import supervise
from publisher.cli.run import supervisor_options
from publisher.settings import Settings
from tests.workers.test_run import _env, free_port


def _run(tmp_path: Path, *extra: str) -> tuple[str, int, Path]:
    """A real ``publisher run --demo``: its console once the demo post is out and a group SIGINT
    (Ctrl+C in a terminal) stopped it, its exit code, and its data directory."""
    data = tmp_path / "var"
    out = tmp_path / "console.txt"
    proc = subprocess.Popen(
        [sys.executable, "-m", "publisher.cli.main", "run", "--demo", "--demo-in", "2", "-c", "1", *extra],
        env=_env(data, free_port()),
        cwd=tmp_path,
        stdout=out.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        folder = data / "outbox" / "demo"
        while time.monotonic() < deadline and not (folder.is_dir() and list(folder.glob("*.json"))):
            time.sleep(0.3)
        assert folder.is_dir() and list(folder.glob("*.json")), out.read_text(errors="replace")[-3000:]
        time.sleep(2.0)  # the attempt line reaches the supervisor
        os.killpg(proc.pid, signal.SIGINT)
        code = proc.wait(timeout=40)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return out.read_text(errors="replace"), code, data


def test_the_console_shows_only_what_matters_and_the_log_file_everything(tmp_path: Path) -> None:
    text, code, data = _run(tmp_path)
    assert code == 0, text
    lines = [line for line in text.splitlines() if line.strip()]
    expected = (
        "Đã tạo khóa mã hóa",
        "Đã xếp bài thử",
        "Đã thêm can-bo",
        "Mật khẩu dùng một lần của can-bo",
        "    ",  # the one-time password itself, indented
        "Hàng đợi nội bộ (không cần Redis)",
        "Đang chạy 1 luồng đăng bài",
        "Trang web: http://127.0.0.1:",
        "Nhật ký chi tiết: ",
    )
    published = [line for line in lines if "Đã đăng “Bản tin thử nghiệm của xã”" in line]  # the title
    assert len(published) == 1, text
    assert "lên sandbox/demo (" in published[0] and "file://" in published[0], published
    assert "trễ " in published[0] or "đúng giờ" in published[0]
    assert lines[-1].endswith("Đã dừng."), text
    others = [
        line for line in lines[:-1] if line not in published and not any(line.startswith(e) for e in expected)
    ]
    assert others == [], text
    for noise in ("celery", "WARNING", "ERROR", "Traceback", '"event"', "Warm shutdown", "signal 15"):
        assert noise.lower() not in text.lower(), (noise, text)
    log_file = data / "logs" / "publisher.log"
    assert f"Nhật ký chi tiết: {log_file.resolve()}" in text
    logged = log_file.read_text(encoding="utf-8")
    assert "celery" in logged.lower() and "Warm shutdown" in logged  # the machinery, in the file only
    records = [supervise.json_record(line) for line in logged.splitlines()]
    attempts = [r for r in records if r and r["event"] == "attempt"]
    assert attempts and attempts[0]["state"] == "published" and attempts[0]["target"] == "sandbox/demo"


def test_json_logs_prints_the_attempt_lines_as_they_are(tmp_path: Path) -> None:
    text, code, _data = _run(tmp_path, "--json-logs")
    assert code == 0, text
    records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert [r["state"] for r in records if r["event"] == "attempt"] == ["published"], text
    assert "Đã đăng “" not in text  # the JSON line instead of the calm one
    assert "celery" not in text.lower()


@pytest.fixture
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "_language", "en")
    monkeypatch.setattr(i18n, "_zone", "Asia/Ho_Chi_Minh")


def _attempt(**fields: Any) -> dict[str, Any]:
    return {
        "ts": "2026-04-30T00:00:03+00:00",
        "event": "attempt",
        "kind": "publish",
        "delivery": 7,
        "post": "tet-2026",
        "target": "facebook/ubnd-xa",
        **fields,
    }


def test_calm_lines_for_each_outcome_in_local_time(english: None) -> None:
    line = supervise.calm_line(
        _attempt(state="published", url="https://fb.example/1", lateness_s=1.84, title="Lịch tiêm chủng")
    )
    assert (
        line == "07:00:03 Published “Lịch tiêm chủng” to facebook/ubnd-xa (1.8 s late): https://fb.example/1"
    )
    failed = supervise.calm_line(_attempt(state="failed", code="rejected", reason="Text too long"))
    assert failed is not None and "failed: Text too long" in failed and "publisher retry tet-2026" in failed
    reauth = supervise.calm_line(_attempt(state="needs_reauth", reason="token expired"))
    assert reauth is not None and "publisher accounts connect facebook/ubnd-xa" in reauth
    assert "token expired" in reauth
    released = supervise.calm_line({"event": "released", "delivery": 9, "state": "failed", "code": "config"})
    assert released is not None and "Delivery 9" in released and "config" in released
    # what is not an end (a retry later, a check) stays in the log file
    assert supervise.calm_line(_attempt(state="retry_wait", outcome="transient")) is None
    assert supervise.calm_line({"event": "token_refreshed", "delivery": 7}) is None


def test_calm_lines_are_vietnamese_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "_language", "vi")
    monkeypatch.setattr(i18n, "_zone", "Asia/Ho_Chi_Minh")
    line = supervise.calm_line(_attempt(state="published", url="https://fb.example/1", lateness_s=1.84))
    assert line == "07:00:03 Đã đăng “tet-2026” lên facebook/ubnd-xa (trễ 1,8 giây): https://fb.example/1"


def test_console_routes_lines(english: None, capsys: pytest.CaptureFixture[str]) -> None:
    celery = "[2026-04-30 00:00:03,000: WARNING/ForkPoolWorker-1] "
    record = _attempt(state="published", url="u", lateness_s=0.1)
    lines = [
        "[2026-04-30 00:00:01,000: INFO/Beat] Scheduler: Sending due task dispatch",
        celery + json.dumps(record),
        "[2026-04-30 00:00:04,000: INFO/MainProcess] tick: publish=0 reconcile=0 missed=2 released=0",
    ]
    supervise.Console({"verbose": False}).line(lines[0])
    supervise.Console({"verbose": False}).line(lines[1])
    supervise.Console({"verbose": False}).line(lines[2])
    calm = capsys.readouterr().out.splitlines()
    assert len(calm) == 2 and "Published “tet-2026”" in calm[0] and "(on time)" in calm[0]
    assert "2 deliveries missed their time" in calm[1]
    for line in lines:
        supervise.Console({"verbose": True}).line(line)
    assert capsys.readouterr().out.splitlines() == lines  # --verbose: the machinery, as it is
    for line in lines:
        supervise.Console({"json_logs": True}).line(line)
    shown = capsys.readouterr().out.splitlines()
    assert json.loads(shown[0]) == record and shown[0] == json.dumps(record)  # as it is
    assert len(shown) == 2 and "2 deliveries missed" in shown[1]  # no JSON line tells a miss


def test_the_log_file_rotates_and_keeps_at_most_files(tmp_path: Path) -> None:
    st = Settings(_env_file=None, data_dir=tmp_path, log={"max_mb": 0.01, "files": 3})
    options = supervisor_options(st)
    assert options["max_bytes"] == 10485 and options["files"] == 3
    assert options["log_dir"] == str((tmp_path / "logs").resolve())
    handlers = list(supervise._file_log.handlers)
    try:
        path = supervise.open_log(options)
        console = supervise.Console({"verbose": False})
        for n in range(2000):
            console.line(f"[2026-04-30 00:00:01,000: INFO/Beat] line {n} " + "x" * 40)
    finally:
        for handler in supervise._file_log.handlers:
            if handler not in handlers:
                handler.close()
                supervise._file_log.removeHandler(handler)
    files = sorted((tmp_path / "logs").iterdir())
    assert path == str(tmp_path / "logs" / "publisher.log")
    assert [f.name for f in files] == ["publisher.log", "publisher.log.1", "publisher.log.2"]
    assert all(f.stat().st_size <= 10485 for f in files)
    assert "line 1999 " in files[0].read_text(encoding="utf-8")


def test_log_size_has_a_floor() -> None:
    with pytest.raises(ValueError):
        Settings(_env_file=None, log={"max_mb": 0.001})
    assert Settings(_env_file=None).log.max_mb == 10 and Settings(_env_file=None).log.files == 5


def test_supervisor_imports_nothing_heavy() -> None:
    code = (
        "import sys, publisher.cli.supervise; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('celery', 'pydantic', 'sqlalchemy', 'click', 'rich', 'kombu')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
