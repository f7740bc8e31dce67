"""Events, ordinals, round flags, titles, lunar placement, and the shipped data files."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from publisher.core.calendar import Event, merge, occurrences, parse_events, to_ics
from publisher.core.lunar import leap_month, lunar_to_solar
from publisher.errors import UserError
from publisher.i18n import set_language

CALENDAR_DIR = Path(__file__).resolve().parents[2] / "schedules" / "calendar"


@pytest.fixture(scope="module")
def national() -> list[Event]:
    return parse_events((CALENDAR_DIR / "vietnam.yaml").read_text(encoding="utf-8"), "vietnam.yaml")


def _by_id(events: list[Event], year: int) -> dict[str, list]:
    out: dict[str, list] = {}
    for occ in occurrences(events, year):
        out.setdefault(occ.event.id, []).append(occ)
    return out


# The five great anniversaries of the seed plan (ke-hoach-thong-tin-doi-ngoai-2025.txt).
SEED_2025 = [
    ("thanh-lap-dang", date(2025, 2, 3), 95, True, False),
    ("giai-phong-mien-nam", date(2025, 4, 30), 50, True, True),
    ("sinh-nhat-bac-ho", date(2025, 5, 19), 135, True, False),
    ("cong-an-nhan-dan", date(2025, 8, 19), 80, True, True),
    ("toan-dan-bao-ve-an-ninh-to-quoc", date(2025, 8, 19), 20, True, True),
    ("quoc-khanh", date(2025, 9, 2), 80, True, True),
]


@pytest.mark.parametrize(("event_id", "day", "years", "is_round", "is_major"), SEED_2025)
def test_seed_plan_anniversaries_2025(
    national: list[Event], event_id: str, day: date, years: int, is_round: bool, is_major: bool
) -> None:
    [occ] = _by_id(national, 2025)[event_id]
    assert occ.date == day
    assert occ.years == years
    assert occ.ordinal_text == f"lần thứ {years}"
    assert occ.years_text == f"{years} năm"
    assert occ.is_round is is_round
    assert occ.is_major is is_major


def test_official_title_with_span(national: list[Event]) -> None:
    [occ] = _by_id(national, 2025)["thanh-lap-dang"]
    assert occ.title == "Kỷ niệm 95 năm Ngày thành lập Đảng Cộng sản Việt Nam (03/02/1930 – 03/02/2025)"
    [occ] = _by_id(national, 2025)["giai-phong-mien-nam"]
    assert occ.title == (
        "Kỷ niệm 50 năm Ngày giải phóng miền Nam, thống nhất đất nước (30/04/1975 – 30/04/2025)"
    )


def test_events_on_the_same_day_are_all_listed(national: list[Event]) -> None:
    same_day = [o.event.id for o in occurrences(national, 2025) if o.date == date(2025, 8, 19)]
    assert same_day == ["cach-mang-thang-tam", "cong-an-nhan-dan", "toan-dan-bao-ve-an-ninh-to-quoc"]


@pytest.mark.parametrize(
    ("years", "is_round", "is_major"),
    [(1, False, False), (5, True, False), (10, True, True), (15, True, False), (25, True, True),
     (75, True, True), (95, True, False), (96, False, False), (100, True, True), (135, True, False)],
)  # fmt: skip
def test_round_and_major(years: int, is_round: bool, is_major: bool) -> None:
    event = Event("x", "Ngày X", "chinh-tri", 1, 6, since=2000)
    [occ] = occurrences([event], 2000 + years)
    assert (occ.years, occ.is_round, occ.is_major) == (years, is_round, is_major)


def test_no_founding_year_no_ordinal(national: list[Event]) -> None:
    [occ] = _by_id(national, 2026)["tet-nguyen-dan"]
    assert occ.years is None and occ.ordinal_text is None and not occ.is_round
    assert occ.title == "Tết Nguyên Đán"


def test_not_yet_founded_is_left_out() -> None:
    event = Event("x", "Ngày X", "chinh-tri", 1, 6, since=2030)
    assert occurrences([event], 2029) == []
    [founding] = occurrences([event], 2030)
    assert founding.years == 0 and founding.title == "Ngày X" and not founding.is_round


def test_lunar_holidays_2025_and_2026(national: list[Event]) -> None:
    y25 = _by_id(national, 2025)
    assert [o.date for o in y25["tet-nguyen-dan"]] == [date(2025, 1, 29)]
    assert [o.date for o in y25["gio-to-hung-vuong"]] == [date(2025, 4, 7)]
    assert [o.date for o in y25["ram-thang-gieng"]] == [date(2025, 2, 12)]
    assert [o.date for o in y25["tet-trung-thu"]] == [date(2025, 10, 6)]
    y26 = _by_id(national, 2026)
    assert [o.date for o in y26["tet-nguyen-dan"]] == [date(2026, 2, 17)]
    assert [o.date for o in y26["gio-to-hung-vuong"]] == [date(2026, 4, 26)]
    assert [o.date for o in y26["tet-trung-thu"]] == [date(2026, 9, 25)]


def test_lunar_event_in_a_leap_year_uses_the_regular_month_unless_told() -> None:
    assert leap_month(2025) == 6
    text = """
events:
  - {id: thuong, name: Lễ A, lunar: 15/06}
  - {id: nhuan, name: Lễ B, lunar: 15/06, leap: leap}
  - {id: ca-hai, name: Lễ C, lunar: 15/06, leap: both}
  - {id: khong-nhuan, name: Lễ D, lunar: 15/05, leap: leap}
"""
    got = _by_id(parse_events(text), 2025)
    regular = lunar_to_solar(2025, 6, 15)
    leap = lunar_to_solar(2025, 6, 15, leap=True)
    assert [o.date for o in got["thuong"]] == [regular]
    assert [o.date for o in got["nhuan"]] == [leap]
    assert got["nhuan"][0].lunar.leap
    assert [o.date for o in got["ca-hai"]] == [regular, leap]
    assert [o.date for o in got["khong-nhuan"]] == [lunar_to_solar(2025, 5, 15)]  # no leap 5th month


def test_lunar_day_30_falls_on_the_last_day_of_a_short_month() -> None:
    [occ] = occurrences(parse_events("events: [{id: tat-nien, name: Tất niên, lunar: 30/12}]"), 2026)
    # lunar 12/2025 (Ất Tỵ) has 29 days: the last day is the eve of Tết Bính Ngọ
    assert occ.date == date(2026, 2, 16)
    assert occ.lunar.day == 29


def test_lunar_event_can_fall_twice_or_never_in_one_solar_year() -> None:
    events = parse_events("events: [{id: chap, name: Mùng 1 tháng Chạp, lunar: 01/12}]")
    assert [o.date for o in occurrences(events, 2022)] == [
        lunar_to_solar(2021, 12, 1),
        lunar_to_solar(2022, 12, 1),
    ]
    assert [o.date.year for o in occurrences(events, 2022)] == [2022, 2022]
    assert occurrences(events, 2023) == []  # lunar 1/12/2022 fell in December 2022, 1/12/2023 in 2024
    assert [o.lunar.year for o in occurrences(events, 2024)] == [2023, 2024]


def test_lunar_ordinal_counts_lunar_years() -> None:
    [occ] = occurrences(
        parse_events("events: [{id: le-hoi, name: Lễ hội X, lunar: 10/01, since: 2000}]"), 2025
    )
    assert occ.years == 25 and occ.is_major
    assert occ.span == "10/01/2000 – 10/01/2025 âm lịch"


def test_local_file_overrides_and_adds(national: list[Event]) -> None:
    local = parse_events(
        (CALENDAR_DIR / "local-example.yaml").read_text(encoding="utf-8"), "local-example.yaml"
    )
    override = parse_events(
        "events: [{id: quoc-khanh, name: Ngày Quốc khánh, solar: 02/09, since: 1945, category: chinh-tri}]"
    )
    events = merge(national, local, override)
    ids = [e.id for e in events]
    assert ids.count("quoc-khanh") == 1 and "thanh-lap-xa" in ids and "le-hoi-dan-toc-thai" in ids
    [qk] = [o for o in occurrences(events, 2025) if o.event.id == "quoc-khanh"]
    assert qk.title.startswith("Kỷ niệm 80 năm Ngày Quốc khánh (")


def test_example_file_has_solar_and_lunar_entries() -> None:
    local = parse_events((CALENDAR_DIR / "local-example.yaml").read_text(encoding="utf-8"))
    assert {e.is_lunar for e in local} == {True, False}


def test_national_file_is_complete(national: list[Event]) -> None:
    ids = {e.id for e in national}
    for needed in ("tet-nguyen-dan", "ram-thang-gieng", "gio-to-hung-vuong", "tet-trung-thu", "quoc-khanh"):
        assert needed in ids
    assert all(e.name == e.name.strip() and e.category for e in national)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("events: [{id: A B, name: X, solar: 01/01}]", "id"),
        ("events: [{id: a, solar: 01/01}]", "name"),
        ("events: [{id: a, name: X}]", "solar"),
        ("events: [{id: a, name: X, solar: 01/01, lunar: 01/01}]", "solar"),
        ("events: [{id: a, name: X, solar: 31/02}]", "date"),
        ("events: [{id: a, name: X, lunar: 31/01}]", "date"),
        ("events: [{id: a, name: X, solar: 01/01, since: abc}]", "since"),
        ("events: [{id: a, name: X, lunar: 01/01, leap: maybe}]", "leap"),
        ("events: [{id: a, name: X, solar: 01/01, holiday: yes please}]", "holiday"),
    ],
)
def test_bad_entries_name_the_entry(text: str, fragment: str) -> None:
    with pytest.raises(UserError) as info:
        parse_events(text, "x.yaml")
    message = str(info.value)
    assert "x.yaml" in message and "mục 1" in message and fragment in message
    set_language("en")
    assert "entry 1" in str(info.value)


def test_bad_files() -> None:
    with pytest.raises(UserError):
        parse_events("events: [unclosed", "x.yaml")
    with pytest.raises(UserError):
        parse_events("- a\n- b\n", "x.yaml")
    with pytest.raises(UserError, match="trùng"):
        parse_events("events: [{id: a, name: X, solar: 01/01}, {id: a, name: Y, solar: 02/01}]", "x.yaml")
    assert parse_events("", "x.yaml") == []


def test_ics_is_rfc5545(national: list[Event]) -> None:
    items = occurrences(national, 2025)
    text = to_ics(items, datetime(2025, 1, 1, tzinfo=UTC))
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    lines = text.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert "\n" not in text.replace("\r\n", "")
    assert text.count("BEGIN:VEVENT") == len(items)
    unfolded = text.replace("\r\n ", "")
    assert "DTSTART;VALUE=DATE:20250203\r\n" in unfolded
    assert (
        "SUMMARY:Kỷ niệm 95 năm Ngày thành lập Đảng Cộng sản Việt Nam (03/02/1930 – 03/02/2025)\r\n"
        in unfolded
    )
    # commas are escaped in TEXT values
    assert "SUMMARY:Kỷ niệm 50 năm Ngày giải phóng miền Nam\\, thống nhất đất nước" in unfolded
    assert "DTSTAMP:20250101T000000Z" in unfolded
