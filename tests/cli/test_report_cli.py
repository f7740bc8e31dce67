"""``publisher report weekly`` in every format, and ``publisher log``."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from publisher.reports.render_xlsx import sheet_name
from publisher.settings import Settings
from publisher.store import Store
from tests.cli.conftest import Cli
from tests.reports.test_weekly import EXPECTED, seed_two_weeks


def seeded(run: Cli) -> None:
    assert run("init").exit_code == 0
    store = Store(Settings(_env_file=None))
    try:
        seed_two_weeks(store)
    finally:
        store.db.dispose()


def table_rows(output: str) -> list[list[str]]:
    return [[c.strip() for c in line.split("│")[1:-1]] for line in output.splitlines() if line.count("│") > 2]


def shown(row: list[Any]) -> list[str]:
    return ["—" if v is None else str(v) for v in row]


def test_weekly_table_shows_every_number(run: Cli) -> None:
    seeded(run)
    r = run("report", "weekly", "--week", "2025-W18", COLUMNS="250")
    assert r.exit_code == 0, r.output
    assert "Báo cáo tuần 2025-W18 (28/04/2025 – 04/05/2025)" in r.output
    rows = table_rows(r.output)
    for key, expected in EXPECTED.items():
        for row in expected:
            assert shown(row) in rows, (key, row)


def test_weekly_csv_xlsx_html(run: Cli, tmp_path: Path) -> None:
    seeded(run)
    r = run("report", "weekly", "--week", "2025-W18", "--format", "csv")
    assert r.exit_code == 0, r.output
    lines = list(csv.reader(io.StringIO(r.output)))
    assert ["Tất cả", "6", "3", "1", "1", "1", "1"] in lines
    assert ["Tất cả", "Lượt xem", "950", "300", "650", "216.7"] in lines

    out = tmp_path / "bao-cao.xlsx"
    r = run("report", "weekly", "--week", "2025-W18", "--format", "xlsx", "--out", str(out))
    assert r.exit_code == 0 and "Đã ghi báo cáo" in r.output
    ws = load_workbook(out)[sheet_name("campaigns")]
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=3)] == EXPECTED["campaigns"]

    text = tmp_path / "bao-cao.txt"
    r = run("report", "weekly", "--week", "2025-W18", "--out", str(text))
    assert r.exit_code == 0 and ["Tất cả", "6", "3", "1", "1", "1", "1"] in table_rows(
        text.read_text("utf-8")
    )

    page = tmp_path / "bao-cao.html"
    r = run("report", "weekly", "--week", "2025-W18", "--format", "html", "--out", str(page))
    assert r.exit_code == 0
    assert page.read_text(encoding="utf-8").count("data:image/png;base64,") == 4


def test_weekly_input_errors_exit_2(run: Cli) -> None:
    seeded(run)
    r = run("report", "weekly", "--week", "tuan-18")
    assert r.exit_code == 2 and "không hợp lệ" in r.output
    r = run("report", "weekly", "--week", "2025-W18", "--format", "xlsx")
    assert r.exit_code == 2 and "--out" in r.output


def test_weekly_in_english(run: Cli) -> None:
    seeded(run)
    r = run("report", "weekly", "--week", "2025-W18", PUBLISHER_LANGUAGE="en", COLUMNS="250")
    assert r.exit_code == 0, r.output
    assert "Weekly report 2025-W18" in r.output and ["All", "6", "3", "1", "1", "1", "1"] in table_rows(
        r.output
    )


def test_log_json_filters(run: Cli) -> None:
    seeded(run)
    r = run("log", "--json")
    assert r.exit_code == 0, r.output
    entries = json.loads(r.output)
    snaps = [x for x in entries if x["type"] == "snapshot"]
    assert len(snaps) == 8
    assert [x["at"] for x in entries] == sorted(x["at"] for x in entries)
    first = snaps[0]
    assert (first["post"], first["account"], first["slot"], first["views"], first["reactions"]) == (
        "tuan-truoc",
        "zalo/xa",
        "24h",
        100,
        None,
    )
    assert first["raw"] == {"seeded": True}
    r = run("log", "--json", "--account", "zalo/xa", "--since", "2025-05-01")
    assert [(x["post"], x["views"], x["shares"]) for x in json.loads(r.output)] == [("hop-dan", 150, 3)]
    r = run("log", "--since", "2025-05-01", "--account", "zalo/xa", COLUMNS="200")
    assert (
        r.exit_code == 0 and "hop-dan" in r.output and "views=150" in r.output and "reactions=—" in r.output
    )
    r = run("log", "--json", "--account", "facebook/xa", "--since", "2025-05-01")
    fb_log = json.loads(r.output)
    assert [x["type"] for x in fb_log] == ["attempt", "snapshot"]  # 02/05 attempt, 05/05 snapshot
    attempt = fb_log[0]
    assert (attempt["type"], attempt["post"], attempt["outcome"], attempt["code"]) == (
        "attempt",
        "hop-dan",
        "rejected",
        "100",
    )
    assert len(entries) == 9 and attempt in entries
    assert run("log", "--account", "khong-hop-le").exit_code == 2
    assert run("log", "--since", "hom-qua").exit_code == 2


# -- times the officer reads are local (issue 10.8) ----------------------------------------------
def test_weekly_outputs_say_when_in_local_time(run: Cli, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    seeded(run)

    def local_now() -> set[str]:
        now = datetime.now(UTC).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
        return {(now + timedelta(minutes=d)).strftime("%d/%m/%Y %H:%M") for d in (-1, 0, 1)}

    expected = local_now()
    table = run("report", "weekly", "--week", "2025-W18", COLUMNS="250")
    csv_out = run("report", "weekly", "--week", "2025-W18", "--format", "csv")
    page = tmp_path / "bao-cao.html"
    run("report", "weekly", "--week", "2025-W18", "--format", "html", "--out", str(page))
    expected |= local_now()
    for text in (table.output, csv_out.output, page.read_text("utf-8")):
        found = re.search(r"Lập lúc (\d\d/\d\d/\d{4} \d\d:\d\d) \(giờ Asia/Ho_Chi_Minh;", text)
        assert found and found.group(1) in expected, text[:400]
        assert "UTC" not in text
    r = run("report", "weekly", "--week", "2025-W18", PUBLISHER_LANGUAGE="en", COLUMNS="250")
    assert "Generated at " in r.output and "(Asia/Ho_Chi_Minh time;" in r.output


def test_log_json_times_carry_the_local_offset(run: Cli) -> None:
    seeded(run)
    r = run("log", "--json", "--account", "facebook/xa", "--since", "2025-05-01")
    attempt, snap = json.loads(r.output)
    # 02/05/2025 07:00 in Vietnam, not 2025-05-02T00:00:00+00:00
    assert (attempt["at"], attempt["finished_at"]) == (
        "2025-05-02T07:00:00+07:00",
        "2025-05-02T07:00:02+07:00",
    )
    assert snap["at"] == "2025-05-05T10:00:00+07:00"
    r = run("log", "--account", "facebook/xa", "--since", "2025-05-01", COLUMNS="200")
    assert "02/05/2025 07:00" in r.output and "05/05/2025 10:00" in r.output
    assert "Asia/Ho_Chi_Minh" in r.output  # the table says which clock its times are on
