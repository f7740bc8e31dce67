"""The weekly report over two seeded weeks: every number of every section, in the model, the CSV
and the XLSX (read back with openpyxl), and the HTML with its charts."""

from __future__ import annotations

import base64
import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert

from publisher.core.states import State
from publisher.errors import UserError
from publisher.i18n import set_language, t
from publisher.reports.render_csv import render_csv
from publisher.reports.render_html import render_html
from publisher.reports.render_xlsx import sheet_name
from publisher.reports.weekly import Week, build, write, write_automatic
from publisher.store import schema as s
from publisher.store import schema_engagement as e
from publisher.store.repo import Store
from tests.test_engagement import account, delivery, post, snapshot

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAMPAIGN = "50 năm 30/4"


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN).astimezone(UTC)


def followers(store: Store, account_id: int, day: date, count: int) -> None:
    with store.db.write() as conn:
        conn.execute(
            insert(e.followers).values(
                account_id=account_id,
                day=day,
                followers_count=count,
                taken_at=datetime.combine(day, datetime.min.time(), UTC),
            )
        )


def seed_two_weeks(store: Store) -> None:
    """2025-W18 (28/04–04/05/2025) and the week before, on Facebook, YouTube and Zalo."""
    fb, yt, za = account(store, "facebook/xa"), account(store, "youtube/xa"), account(store, "zalo/xa")
    other = account(store, "facebook/khac")

    # -- week 18
    due = vn(2025, 4, 29, 8, 0)
    le = post(store, "le-30-4", due, CAMPAIGN, "Kỷ niệm 50 năm Ngày Giải phóng miền Nam")
    d1 = delivery(
        store,
        le,
        fb,
        due,
        published_at=due + timedelta(minutes=2),
        remote_id="1_1",
        remote_url="https://www.facebook.com/1_1",
    )
    snapshot(
        store, d1, due + timedelta(hours=1, minutes=2), "1h", views=100, reactions=10, comments=2, shares=1
    )
    snapshot(
        store, d1, due + timedelta(hours=24, minutes=2), "24h", views=500, reactions=40, comments=5, shares=4
    )
    snapshot(
        store, d1, vn(2025, 5, 5, 10, 0), "weekly:2025-W19", views=900, reactions=90, comments=9, shares=9
    )
    d2 = delivery(
        store,
        le,
        yt,
        due,
        published_at=due + timedelta(minutes=30),
        remote_id="vid1",
        remote_url="https://youtu.be/vid1",
    )
    snapshot(store, d2, due + timedelta(hours=24, minutes=30), "24h", views=300, reactions=20)
    delivery(store, le, za, due, state=State.MISSED, reason="Quá hạn chót")
    delivery(store, le, other, due, state=State.CANCELLED)

    hop = post(store, "hop-dan", vn(2025, 5, 2, 7, 0), None, "Thông báo họp dân")
    d4 = delivery(store, hop, fb, vn(2025, 5, 2, 7, 0), state=State.FAILED, reason="(#100) tham số sai")
    with store.db.write() as conn:  # the attempt behind it, for ``publisher log``
        conn.execute(
            insert(s.attempts).values(
                delivery_id=d4,
                number=1,
                kind="publish",
                started_at=vn(2025, 5, 2, 7, 0),
                finished_at=vn(2025, 5, 2, 7, 0) + timedelta(seconds=2),
                outcome="rejected",
                code="100",
                reason="(#100) tham số sai",
                content_hash="h" * 64,
            )
        )
    d5 = delivery(
        store,
        hop,
        za,
        vn(2025, 5, 2, 7, 0),
        published_at=vn(2025, 5, 2, 7, 1),
        remote_id="z1",
        remote_url="https://oa.zalo.me/z1",
    )
    snapshot(store, d5, vn(2025, 5, 3, 7, 1), "24h", views=150, shares=3)

    tc = post(store, "tiem-chung", vn(2025, 5, 3, 9, 0), "Y tế", "Lịch tiêm chủng")
    delivery(store, tc, yt, vn(2025, 5, 3, 9, 0), state=State.NEEDS_REAUTH)

    # -- week 17
    prev = vn(2025, 4, 22, 8, 0)
    tt = post(store, "tuan-truoc", prev, CAMPAIGN, "Tuần trước")
    d8 = delivery(store, tt, fb, prev, remote_id="1_8", remote_url="https://www.facebook.com/1_8")
    snapshot(store, d8, vn(2025, 4, 26, 9, 0), "7d", views=200, reactions=30, comments=1, shares=2)
    snapshot(
        store, d8, vn(2025, 4, 30, 9, 0), "weekly:2025-W18", views=700, reactions=70, comments=7, shares=7
    )
    d9 = delivery(store, tt, za, prev, remote_id="z8", remote_url="https://oa.zalo.me/z8")
    snapshot(store, d9, vn(2025, 4, 23, 9, 0), "24h", views=100, shares=1)
    # -- next week: not in the report
    nxt = post(store, "tuan-sau", vn(2025, 5, 6, 8, 0))
    delivery(store, nxt, fb, vn(2025, 5, 6, 8, 0), remote_id="1_9")

    followers(store, za, date(2025, 4, 27), 4000)
    followers(store, za, date(2025, 5, 4), 4200)
    followers(store, za, date(2025, 5, 5), 4300)
    followers(store, fb, date(2025, 5, 4), 1000)


FB_URL, YT_URL, ZA_URL = "https://www.facebook.com/1_1", "https://youtu.be/vid1", "https://oa.zalo.me/z1"
LE_TITLE = "Kỷ niệm 50 năm Ngày Giải phóng miền Nam"
EXPECTED: dict[str, list[list[Any]]] = {
    "status": [
        ["Facebook", 2, 1, 0, 0, 1, 0],
        ["YouTube", 2, 1, 1, 0, 0, 1],
        ["Zalo OA", 2, 1, 0, 1, 0, 0],
        ["Tất cả", 6, 3, 1, 1, 1, 1],
    ],
    "deliveries": [
        ["29/04/2025 08:00", "le-30-4", LE_TITLE, "facebook/xa", "đã đăng", "29/04/2025 08:02", FB_URL],
        ["29/04/2025 08:00", "le-30-4", LE_TITLE, "youtube/xa", "đã đăng", "29/04/2025 08:30", YT_URL],
        ["29/04/2025 08:00", "le-30-4", LE_TITLE, "zalo/xa", "đã lỡ giờ", None, None],
        ["02/05/2025 07:00", "hop-dan", "Thông báo họp dân", "facebook/xa", "thất bại", None, None],
        [
            "02/05/2025 07:00",
            "hop-dan",
            "Thông báo họp dân",
            "zalo/xa",
            "đã đăng",
            "02/05/2025 07:01",
            ZA_URL,
        ],
        [
            "03/05/2025 09:00",
            "tiem-chung",
            "Lịch tiêm chủng",
            "youtube/xa",
            "cần đăng nhập lại tài khoản",
            None,
            None,
        ],
    ],
    "posts": [
        ["29/04/2025 08:02", "le-30-4", LE_TITLE, "facebook/xa", 500, 40, 5, 4, FB_URL],
        ["29/04/2025 08:30", "le-30-4", LE_TITLE, "youtube/xa", 300, 20, None, None, YT_URL],
        ["02/05/2025 07:01", "hop-dan", "Thông báo họp dân", "zalo/xa", 150, None, None, 3, ZA_URL],
    ],
    "platforms": [
        ["Facebook", "Số bài", 1, 1, 0, 0.0],
        ["Facebook", "Lượt xem", 500, 200, 300, 150.0],
        ["Facebook", "Lượt thích/cảm xúc", 40, 30, 10, 33.3],
        ["Facebook", "Bình luận", 5, 1, 4, 400.0],
        ["Facebook", "Chia sẻ", 4, 2, 2, 100.0],
        ["YouTube", "Số bài", 1, 0, 1, None],
        ["YouTube", "Lượt xem", 300, None, None, None],
        ["YouTube", "Lượt thích/cảm xúc", 20, None, None, None],
        ["YouTube", "Bình luận", None, None, None, None],
        ["YouTube", "Chia sẻ", None, None, None, None],
        ["Zalo OA", "Số bài", 1, 1, 0, 0.0],
        ["Zalo OA", "Lượt xem", 150, 100, 50, 50.0],
        ["Zalo OA", "Lượt thích/cảm xúc", None, None, None, None],
        ["Zalo OA", "Bình luận", None, None, None, None],
        ["Zalo OA", "Chia sẻ", 3, 1, 2, 200.0],
        ["Tất cả", "Số bài", 3, 2, 1, 50.0],
        ["Tất cả", "Lượt xem", 950, 300, 650, 216.7],
        ["Tất cả", "Lượt thích/cảm xúc", 60, 30, 30, 100.0],
        ["Tất cả", "Bình luận", 5, 1, 4, 400.0],
        ["Tất cả", "Chia sẻ", 7, 3, 4, 133.3],
    ],
    "top": [
        [1, "le-30-4", LE_TITLE, "facebook/xa", 500, 40, 5, 4, FB_URL],
        [2, "le-30-4", LE_TITLE, "youtube/xa", 300, 20, None, None, YT_URL],
        [3, "hop-dan", "Thông báo họp dân", "zalo/xa", 150, None, None, 3, ZA_URL],
    ],
    "campaigns": [
        [CAMPAIGN, 1, 2, 800, 60, 5, 4],
        ["(không thuộc chiến dịch)", 1, 1, 150, None, None, 3],
    ],
    "followers": [
        ["facebook/xa", 1000, None, None, None],
        ["zalo/xa", 4200, 4000, 200, 5.0],
    ],
}
W18 = "2025-W18"
AFTER = vn(2025, 5, 12, 7, 0)  # generated later: snapshots after the week's end must not count


def test_week_bounds_are_local_monday_midnights() -> None:
    week = Week.parse(W18, "Asia/Ho_Chi_Minh")
    assert (week.monday, week.start, week.end) == (
        date(2025, 4, 28),
        datetime(2025, 4, 27, 17, 0, tzinfo=UTC),
        datetime(2025, 5, 4, 17, 0, tzinfo=UTC),
    )
    assert week.previous("Asia/Ho_Chi_Minh").label == "2025-W17"
    assert Week.last_complete(vn(2025, 5, 5, 7, 0), "Asia/Ho_Chi_Minh").label == W18
    assert Week.last_complete(vn(2025, 5, 4, 23, 0), "Asia/Ho_Chi_Minh").label == "2025-W17"
    for bad in ("2025-18", "W18", "2025-W54", ""):
        with pytest.raises(UserError):
            Week.parse(bad, "Asia/Ho_Chi_Minh")


def test_every_number_of_every_section(store: Store) -> None:
    seed_two_weeks(store)
    report = build(store, Week.parse(W18, store.settings.timezone), AFTER)
    assert [sec.key for sec in report.sections] == list(EXPECTED)
    for sec in report.sections:
        assert sec.rows == EXPECTED[sec.key], sec.key
    assert report.title == "Báo cáo tuần 2025-W18 (28/04/2025 – 04/05/2025)"


def test_csv_has_every_number(store: Store) -> None:
    seed_two_weeks(store)
    report = build(store, Week.parse(W18, store.settings.timezone), AFTER)
    lines = list(csv.reader(io.StringIO(render_csv(report))))
    assert lines[0] == [report.title] and lines[1] == [report.generated]
    blocks: dict[str, list[list[str]]] = {}
    i = 2
    for sec in report.sections:
        assert lines[i] == [] and lines[i + 1] == [sec.title] and lines[i + 2] == sec.columns
        blocks[sec.key] = lines[i + 3 : i + 3 + len(sec.rows)]
        i += 3 + len(sec.rows)
    assert i == len(lines)
    for key, rows in EXPECTED.items():
        assert blocks[key] == [["" if v is None else str(v) for v in row] for row in rows], key


def test_xlsx_has_one_sheet_per_section_with_real_numbers(store: Store, tmp_path: Path) -> None:
    seed_two_weeks(store)
    report = build(store, Week.parse(W18, store.settings.timezone), AFTER)
    path = write(report, "xlsx", tmp_path / "tuan.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == [sheet_name("about")] + [sheet_name(k) for k in EXPECTED]
    for sec in report.sections:
        ws = wb[sheet_name(sec.key)]
        assert ws["A1"].value == sec.title
        assert [c.value for c in ws[2]] == sec.columns
        got = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
        assert got == EXPECTED[sec.key], sec.key
    views = wb[sheet_name("posts")]["E3"]
    assert views.data_type == "n" and views.value == 500  # a number an officer can sum, not text
    assert wb[sheet_name("posts")]["I3"].hyperlink.target == FB_URL


def test_html_renders_tables_and_one_image_per_chart(store: Store) -> None:
    seed_two_weeks(store)
    report = build(store, Week.parse(W18, store.settings.timezone), AFTER)
    page = render_html(report)
    charts = re.findall(
        r'<figure data-chart="(\w+)"><img alt="[^"]+" src="data:image/png;base64,([^"]+)"', page
    )
    assert [k for k, _ in charts] == ["status", "views", "top", "followers"]
    for _, data in charts:
        png = base64.b64decode(data)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000
    assert page.count("<table ") == len(EXPECTED)
    assert '<a href="https://www.facebook.com/1_1">' in page and "@media print" in page
    assert '<td class="num">950</td>' in page and "Lượt xem" in page


def test_english_labels(store: Store) -> None:
    seed_two_weeks(store)
    set_language("en")
    report = build(store, Week.parse(W18, store.settings.timezone), AFTER)
    assert report.section("status").rows[-1][0] == "All"
    assert report.section("platforms").columns[2] == "This week"
    assert report.section("deliveries").rows[2][4] == "missed"


def test_monday_report_lands_in_the_data_dir(store: Store) -> None:
    seed_two_weeks(store)
    paths = write_automatic(store, vn(2025, 5, 5, 7, 0))
    folder = store.settings.data_dir / "reports"
    assert paths == [folder / "bao-cao-tuan-2025-W18.html", folder / "bao-cao-tuan-2025-W18.xlsx"]
    assert all(p.stat().st_size > 0 for p in paths)
    wb = load_workbook(paths[1])
    assert wb[sheet_name("status")]["B6"].value == 6


# -- times the officer reads are local (issue 10.8) ----------------------------------------------
GENERATED_VI = "Lập lúc 12/05/2025 07:00 (giờ Asia/Ho_Chi_Minh; mọi thời điểm trong báo cáo đều theo giờ này)"


def test_generated_time_is_local_in_every_rendering(store: Store, tmp_path: Path) -> None:
    seed_two_weeks(store)
    report = build(store, Week.parse(W18, store.settings.timezone), AFTER)  # 00:00 UTC = 07:00 in Vietnam
    assert report.generated == GENERATED_VI

    lines = list(csv.reader(io.StringIO(render_csv(report))))
    assert lines[:2] == [[report.title], [GENERATED_VI]]

    page = render_html(report)
    assert f'<p class="note">{GENERATED_VI}</p>' in page and "UTC" not in page

    wb = load_workbook(write(report, "xlsx", tmp_path / "tuan.xlsx"))
    about = wb[sheet_name("about")]
    assert wb.sheetnames[0] == sheet_name("about")
    assert [about["A1"].value, about["A2"].value, about["A3"].value] == [
        report.title,
        GENERATED_VI,
        t("report.note"),
    ]

    set_language("en")
    assert report.generated == (
        "Generated at 12/05/2025 07:00 (Asia/Ho_Chi_Minh time; every time in this report is in this time zone)"
    )
