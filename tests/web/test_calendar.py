"""The calendar by month and by week: chips on their local day, commemorations on theirs,
navigation, unit isolation, clear messages for a bad ``?month=``/``?week=``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from publisher import i18n
from publisher.core.people import Role
from publisher.store import Store
from publisher.web.routes import calendar as calendar_page
from publisher.web.routes.calendar import BadPeriod, parse_period
from tests.web.conftest import add_user, sign_in
from tests.web.test_dashboard import counting, put

TODAY = date(2026, 4, 15)


def day(html: str, iso: str) -> str:
    """The markup of one day of the grid."""
    assert f'id="d-{iso}"' in html, iso
    return html.split(f'id="d-{iso}"')[1].split('<li id="d-')[0]


@pytest.fixture
def officer(client: TestClient, web_store: Store) -> TestClient:
    add_user(web_store, "an", Role.OFFICER)
    sign_in(client, "an")
    return client


def test_a_month_shows_each_delivery_as_a_chip_on_its_local_day(
    officer: TestClient, web_store: Store
) -> None:
    # 00:00 UTC is 07:00 in Hà Nội; 18:00 UTC on the 30th is already 1 May there
    put(web_store, "tiem-chung", datetime(2026, 4, 15, 0, 0, tzinfo=UTC), title="Lịch tiêm chủng")
    put(web_store, "da-dang", datetime(2026, 4, 15, 3, 30, tzinfo=UTC), "published", target="zalo/oa-xa")
    put(web_store, "nua-dem", datetime(2026, 4, 30, 18, 0, tzinfo=UTC), title="Bài sau nửa đêm")
    r = officer.get("/calendar?month=2026-04")
    assert r.status_code == 200
    assert "Tháng 4/2026" in r.text
    d15 = day(r.text, "2026-04-15")
    assert '<a class="chip state-scheduled" href="/posts/tiem-chung"' in d15
    assert '<img class="icon" src="/static/icons/facebook.svg"' in d15 and 'alt="Facebook"' in d15
    assert ">07:00</time>" in d15 and "Lịch tiêm chủng" in d15
    assert '<a class="chip state-published" href="/posts/da-dang"' in d15 and ">10:30</time>" in d15
    assert "Bài sau nửa đêm" not in r.text
    may = officer.get("/calendar?month=2026-05").text
    assert ">01:00</time>" in day(may, "2026-05-01") and "Bài sau nửa đêm" in day(may, "2026-05-01")
    assert "Lịch tiêm chủng" not in may


def test_the_icons_exist_for_every_platform(officer: TestClient) -> None:
    for platform in ("facebook", "youtube", "zalo", "sandbox"):
        r = officer.get(f"/static/icons/{platform}.svg")
        assert r.status_code == 200 and "<svg" in r.text


def test_a_week_shows_its_seven_days(officer: TestClient, web_store: Store) -> None:
    put(web_store, "trong-tuan", datetime(2026, 5, 3, 1, 0, tzinfo=UTC), title="Chủ nhật đầu tháng 5")
    put(web_store, "tuan-sau", datetime(2026, 5, 4, 1, 0, tzinfo=UTC), title="Thứ hai tuần sau")
    r = officer.get("/calendar?week=2026-W18")
    assert r.status_code == 200
    assert "Tuần 18 năm 2026 (27/04 – 03/05)" in r.text
    assert r.text.count('<li id="d-') == 7
    assert "Chủ nhật đầu tháng 5" in day(r.text, "2026-05-03") and "Thứ hai tuần sau" not in r.text
    assert 'href="/calendar?week=2026-W17" rel="prev"' in r.text
    assert 'href="/calendar?week=2026-W19" rel="next"' in r.text
    assert 'href="/calendar?month=2026-04"' in r.text  # the month view of this week (its Thursday)


def test_month_navigation_crosses_years(officer: TestClient) -> None:
    r = officer.get("/calendar?month=2026-04")
    assert 'href="/calendar?month=2026-03" rel="prev"' in r.text
    assert 'href="/calendar?month=2026-05" rel="next"' in r.text
    assert 'href="/calendar?week=2026-W14"' in r.text  # the week view, from the 1st
    assert 'href="/calendar?week=2026-W18"' in day(r.text, "2026-04-30")  # each day opens its week
    december = officer.get("/calendar?month=2026-12").text
    assert 'href="/calendar?month=2027-01" rel="next"' in december
    assert 'href="/calendar?month=2025-12" rel="prev"' in officer.get("/calendar?month=2026-01").text
    last = officer.get("/calendar?week=2026-W53").text
    assert 'href="/calendar?week=2027-W01" rel="next"' in last and "28/12 – 03/01" in last
    assert '<label for="cal-month">' in r.text and 'id="cal-month" name="month" type="month"' in r.text


def test_without_a_period_the_current_month_is_shown(officer: TestClient) -> None:
    r = officer.get("/calendar")
    today = datetime.now(i18n.display_zone()).date()
    assert r.status_code == 200 and f"Tháng {today.month}/{today.year}" in r.text
    assert 'aria-current="date"' in day(r.text, today.isoformat())


def test_commemorations_sit_on_their_days_with_a_plan_link(officer: TestClient) -> None:
    april = officer.get("/calendar?month=2026-04").text
    reunification = day(april, "2026-04-30")
    assert "giải phóng miền Nam" in reunification and "lần thứ 51" in reunification
    assert "nghỉ lễ" in reunification
    assert 'href="/compose?date=2026-04-30&amp;occasion=giai-phong-mien-nam"' in reunification
    hung_kings = day(april, "2026-04-26")  # lunar 10/3
    assert "Giỗ Tổ Hùng Vương" in hung_kings and "âm lịch 10/3" in hung_kings
    assert 'href="/compose?date=2026-04-26&amp;occasion=gio-to-hung-vuong"' in hung_kings
    assert "Giỗ Tổ Hùng Vương" not in day(april, "2026-04-25")
    labour_day = day(officer.get("/calendar?month=2026-05").text, "2026-05-01")
    assert "lần thứ 140" in labour_day and "năm tròn" in labour_day  # 140 years: a round year
    assert "năm tròn" not in reunification and "năm chẵn" not in reunification  # 51 years
    tet = day(officer.get("/calendar?month=2026-02").text, "2026-02-17")  # lunar 1/1 of Bính Ngọ
    assert "Tết Nguyên Đán" in tet and "âm lịch 1/1" in tet


def test_commemorations_in_english(officer: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "_language", "en")
    r = officer.get("/calendar?month=2026-04")
    reunification = day(r.text, "2026-04-30")
    assert "Liberation of the South" in reunification and "51st anniversary" in reunification
    assert "Plan a post for this day" in reunification and "April 2026" in r.text


def test_units_are_kept_apart(client: TestClient, web_store: Store) -> None:
    add_user(web_store, "an", Role.OFFICER, unit="xa-a")
    add_user(web_store, "quan-tri", Role.ADMIN)
    when = datetime(2026, 4, 10, 1, 0, tzinfo=UTC)
    put(web_store, "bai-a", when, unit="xa-a", target="facebook/trang-a", title="Tin xã A")
    put(web_store, "bai-b", when, unit="xa-b", target="facebook/trang-b", title="Tin xã B")
    sign_in(client, "an")
    for path in ("/calendar?month=2026-04", "/calendar?week=2026-W15"):
        page = client.get(path).text
        assert "Tin xã A" in page and "Tin xã B" not in page and "/posts/bai-b" not in page
    client.cookies.clear()
    sign_in(client, "quan-tri")
    page = client.get("/calendar?month=2026-04").text
    assert "Tin xã A" in page and "Tin xã B" in page


@pytest.mark.parametrize(
    ("query", "value"),
    [
        ("month=2026-13", "2026-13"),
        ("month=abc", "abc"),
        ("month=1800-01", "1800-01"),
        ("month=2026-00", "2026-00"),
        ("week=2026-W60", "2026-W60"),
        ("week=2025-W53", "2025-W53"),  # 2025 has 52 weeks
        ("week=tuan-18", "tuan-18"),
    ],
)
def test_a_bad_period_is_a_clear_400(officer: TestClient, query: str, value: str) -> None:
    r = officer.get(f"/calendar?{query}")
    assert r.status_code == 400
    assert 'role="alert"' in r.text and f"“{value}”" in r.text
    assert ("2026-04" if query.startswith("month") else "2026-W18") in r.text  # the example to follow
    assert "Traceback" not in r.text and 'href="/calendar?month=' in r.text


def test_a_bad_value_is_escaped(officer: TestClient) -> None:
    r = officer.get("/calendar", params={"month": "<script>x</script>"})
    assert r.status_code == 400 and "<script>x" not in r.text and "&lt;script&gt;" in r.text


def test_parse_period() -> None:
    assert parse_period(None, None, TODAY).param == "2026-04"
    assert parse_period("2026-4", None, TODAY).first == date(2026, 4, 1)
    assert parse_period("2026-12", None, TODAY).end == date(2027, 1, 1)
    week = parse_period("2026-04", "2026-W01", TODAY)  # the week wins
    assert (week.kind, week.first, week.end) == ("week", date(2025, 12, 29), date(2026, 1, 5))
    assert parse_period(None, "2026w18", TODAY).param == "2026-W18"
    assert parse_period("", "", TODAY).param == "2026-04"
    with pytest.raises(BadPeriod):
        parse_period("2100-01", None, TODAY)
    grid = parse_period("2026-02", None, TODAY).grid
    assert grid[0] == date(2026, 1, 26) and grid[-1] == date(2026, 3, 1) and len(grid) % 7 == 0


def test_the_month_reads_its_deliveries_in_one_query(officer: TestClient, web_store: Store) -> None:
    put(web_store, "mot", datetime(2026, 4, 2, 1, 0, tzinfo=UTC))
    with counting(web_store) as few:
        assert officer.get("/calendar?month=2026-04").status_code == 200
    for i in range(40):
        put(web_store, f"bai-{i}", datetime(2026, 4, 3, 1, 0, tzinfo=UTC) + timedelta(hours=13 * i))
    with counting(web_store) as many:
        page = officer.get("/calendar?month=2026-04").text
    assert len(many) == len(few) and page.count('<a class="chip state-') == 41
    assert sum("FROM deliveries" in sql for sql in many) == 1


def test_a_broken_calendar_file_leaves_the_posts_and_says_why(
    officer: TestClient, web_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "lich"
    folder.mkdir()
    (folder / "vietnam.yaml").write_text("events:\n  - id: Sai Mã\n    name: x\n", encoding="utf-8")
    monkeypatch.setattr(calendar_page, "CALENDAR_DIR", folder)
    put(web_store, "van-hien", datetime(2026, 4, 15, 0, 0, tzinfo=UTC), title="Bài vẫn hiện")
    r = officer.get("/calendar?month=2026-04")
    assert r.status_code == 200 and "Bài vẫn hiện" in r.text
    assert "vietnam.yaml" in r.text and "Dữ liệu ngày lễ, kỷ niệm có lỗi" in r.text
    assert "giải phóng miền Nam" not in r.text
    (folder / "vietnam.yaml").write_text(
        "events:\n  - id: ngay-xa\n    name: Ngày thành lập xã\n    solar: 15/04\n    since: 1946\n",
        encoding="utf-8",
    )
    fixed = officer.get("/calendar?month=2026-04").text  # read again once the file changes
    assert "Kỷ niệm 80 năm Ngày thành lập xã" in day(fixed, "2026-04-15") and "năm tròn" in fixed


def test_titles_are_escaped(officer: TestClient, web_store: Store) -> None:
    put(web_store, "doc-hai", datetime(2026, 4, 15, 0, 0, tzinfo=UTC), title='<script>alert("x")</script>')
    for path in ("/calendar?month=2026-04", "/calendar?week=2026-W16"):
        page = officer.get(path).text
        assert "<script>alert" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
