"""``publisher calendar`` and ``publisher plan`` through click, as an officer runs them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import Result

from publisher.cli.calendar import COMMANDS, calendar_command, plan_command
from publisher.core.schedule import Context, load_schedule


@pytest.fixture
def runner(run: Any) -> Any:
    """The whole ``publisher`` command line (tests/cli/conftest.py), as the officer runs it."""
    return run


def invoke(runner: Any, command: click.Command, *args: str, **env: str) -> Result:
    return runner(command.name, *args, **env)


def test_commands_are_exposed() -> None:
    from publisher.cli.main import cli

    assert {c.name for c in COMMANDS} == {"calendar", "plan"}
    assert cli.commands["calendar"] is calendar_command and cli.commands["plan"] is plan_command


def test_calendar_2025_lists_the_seed_anniversaries(runner: Any) -> None:
    result = invoke(runner, calendar_command, "2025")
    assert result.exit_code == 0, result.output
    out = result.output
    for line in (
        "03/02/2025 (T2) · âm lịch 6/1 năm Ất Tỵ · Kỷ niệm 95 năm Ngày thành lập Đảng Cộng sản Việt Nam "
        "(03/02/1930 – 03/02/2025) · 95 năm, lần thứ 95 · năm chẵn",
        "30/04/2025 (T4) · âm lịch 3/4 năm Ất Tỵ · Kỷ niệm 50 năm Ngày giải phóng miền Nam, thống nhất đất nước "
        "(30/04/1975 – 30/04/2025) · 50 năm, lần thứ 50 · năm tròn, nghỉ lễ",
        "Kỷ niệm 135 năm Ngày sinh Chủ tịch Hồ Chí Minh (19/05/1890 – 19/05/2025) · 135 năm, lần thứ 135 · năm chẵn",
        "Kỷ niệm 80 năm Ngày truyền thống Công an nhân dân Việt Nam (19/08/1945 – 19/08/2025) · 80 năm, lần thứ 80",
        "Kỷ niệm 20 năm Ngày hội Toàn dân bảo vệ an ninh Tổ quốc (19/08/2005 – 19/08/2025) · 20 năm, lần thứ 20",
        "Kỷ niệm 80 năm Ngày Quốc khánh nước Cộng hòa xã hội chủ nghĩa Việt Nam (02/09/1945 – 02/09/2025)",
        "29/01/2025 (T4) · âm lịch 1/1 năm Ất Tỵ · Tết Nguyên Đán · nghỉ lễ",
        "07/04/2025 (T2) · âm lịch 10/3 năm Ất Tỵ · Giỗ Tổ Hùng Vương · nghỉ lễ",
        "19/08/2025 (T3) · âm lịch 26/6 nhuận năm Ất Tỵ",
    ):
        assert line in out, line
    assert out.splitlines()[0].startswith("Các ngày lễ, kỷ niệm năm 2025:")


def test_calendar_round_only_and_english(runner: Any) -> None:
    result = invoke(runner, calendar_command, "2025", "--round-only", PUBLISHER_LANGUAGE="en")
    assert result.exit_code == 0
    out = result.output
    assert out.startswith("Round anniversaries of 2025:")
    assert (
        "lunar 6/1, Ất Tỵ year" in out
        and "(Mon)" in out
        and "· round" in out
        and "major, public holiday" in out
    )
    assert "Tết Nguyên Đán" not in out and "Kỷ niệm 79 năm" not in out


def test_calendar_json(runner: Any) -> None:
    result = invoke(runner, calendar_command, "2025", "--json")
    data = json.loads(result.output)
    [dang] = [d for d in data if d["id"] == "thanh-lap-dang"]
    assert dang["years"] == 95 and dang["ordinal"] == "lần thứ 95" and dang["round"] and not dang["major"]
    assert dang["lunar"] == "06/01/2025" and dang["date"] == "2025-02-03"
    assert [d["id"] for d in data if d["date"] == "2025-08-19"] == [
        "cach-mang-thang-tam",
        "cong-an-nhan-dan",
        "toan-dan-bao-ve-an-ninh-to-quoc",
    ]


def test_calendar_local_file(runner: Any, tmp_path: Path) -> None:
    local = tmp_path / "hanh-dich.yaml"
    local.write_text(
        "events:\n  - {id: le-hoi-xa, name: Lễ hội xã Hạnh Dịch, lunar: 15/02, since: 2005, category: dia-phuong}\n",
        encoding="utf-8",
    )
    result = invoke(runner, calendar_command, "2025", "--calendar", str(local))
    assert "Kỷ niệm 20 năm Lễ hội xã Hạnh Dịch (15/02/2005 – 15/02/2025 âm lịch)" in result.output


def test_calendar_ics_export_and_no_overwrite(runner: Any, tmp_path: Path) -> None:
    ics = tmp_path / "lich.ics"
    result = invoke(runner, calendar_command, "2026", "--ics", str(ics))
    assert result.exit_code == 0 and "lich.ics" in result.output
    raw = ics.read_bytes()
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and b"\r\nEND:VCALENDAR\r\n" in raw
    assert "Tết Nguyên Đán".encode() in raw and b"DTSTART;VALUE=DATE:20260217" in raw
    again = invoke(runner, calendar_command, "2026", "--ics", str(ics))
    assert again.exit_code == 2 and "--force" in again.output
    assert invoke(runner, calendar_command, "2026", "--ics", str(ics), "--force").exit_code == 0


def test_calendar_bad_year_and_bad_file(runner: Any, tmp_path: Path) -> None:
    assert invoke(runner, calendar_command, "1800").exit_code == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("events: [{id: x, name: X}]", encoding="utf-8")
    result = invoke(runner, calendar_command, "2025", "--calendar", str(bad))
    assert result.exit_code == 2 and "bad.yaml" in result.output


def test_plan_2026_writes_a_schedule_that_loads(runner: Any, tmp_path: Path) -> None:
    out = tmp_path / "schedules" / "2026.yaml"
    targets = "facebook/ubnd-hanh-dich,zalo/ubnd-hanh-dich"
    result = invoke(runner, plan_command, "2026", "--out", str(out), "--targets", targets, "--lead-days", "5")
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert doc["defaults"]["targets"] == targets.split(",")
    assert "publisher queue" in result.output
    posts = {p["id"]: p for p in doc["posts"]}
    if "quoc-khanh-2026-09-02" in posts:  # not yet past when this test runs
        assert posts["quoc-khanh-2026-09-02-truoc"]["at"] == "2026-08-28 07:00"
    loaded = load_schedule(out, Context(now=datetime(2025, 12, 1, tzinfo=UTC)))
    assert len(loaded.posts) == len(doc["posts"])


def test_plan_never_overwrites_without_force(runner: Any, tmp_path: Path) -> None:
    out = tmp_path / "2030.yaml"
    first = invoke(runner, plan_command, "2030", "--out", str(out), "--targets", "sandbox/demo")
    assert first.exit_code == 0
    content = out.read_bytes()
    second = invoke(
        runner, plan_command, "2030", "--out", str(out), "--targets", "sandbox/demo", "--hour", "08:00"
    )
    assert second.exit_code == 2 and "--force" in second.output
    assert out.read_bytes() == content
    third = invoke(runner, plan_command, "2030", "--out", str(out), "--targets", "sandbox/demo", "--force")
    assert third.exit_code == 0 and out.read_bytes() == content  # same inputs, same bytes
    english = invoke(runner, plan_command, "2030", "--out", str(out), PUBLISHER_LANGUAGE="en")
    assert english.exit_code == 2 and "already exists" in english.output


def test_plan_defaults_to_the_sandbox_target_and_says_so(runner: Any, tmp_path: Path) -> None:
    out = tmp_path / "2031.yaml"
    result = invoke(runner, plan_command, "2031", "--out", str(out), "--hour", "18:30", "--round-only")
    assert result.exit_code == 0 and "sandbox/demo" in result.output
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert doc["defaults"]["targets"] == ["sandbox/demo"]
    assert all(p["at"].endswith(" 18:30") for p in doc["posts"])


@pytest.mark.parametrize(
    "args",
    [("--targets", "myspace/abc"), ("--hour", "7h"), ("--lead-days", "-1")],
)
def test_plan_bad_options_exit_2(runner: Any, tmp_path: Path, args: tuple[str, str]) -> None:
    result = invoke(runner, plan_command, "2031", "--out", str(tmp_path / "x.yaml"), *args)
    assert result.exit_code == 2
    assert not (tmp_path / "x.yaml").exists()


def test_calendar_without_a_year_shows_this_year(runner: Any) -> None:
    from zoneinfo import ZoneInfo

    result = invoke(runner, calendar_command)
    assert result.exit_code == 0
    this_year = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).year
    assert result.output.startswith(f"Các ngày lễ, kỷ niệm năm {this_year}:")
