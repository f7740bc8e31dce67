"""The Vietnamese lunar calendar against an independent ephemeris (PyEphem) and known dates.

The reference below uses nothing from ``publisher.core.lunar``: new moons and solar terms come
from ``ephem`` (VSOP87 / ELP 2000), and the calendar rules are applied to them from scratch on
local (UTC+7) dates.
"""

from __future__ import annotations

import bisect
import math
from datetime import date, timedelta
from functools import lru_cache

import ephem
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.core import lunar
from publisher.core.lunar import LunarDate, can_chi, leap_month, lunar_to_solar, solar_to_lunar, tet

EPHEM_JD0 = 2415020.0  # ephem.Date(0) is JD 2415020.0 (1899-12-31 12:00 UT)
TZ = 7.0
FIRST, LAST = 1900, 2100
# Meeus' new-moon series and PyEphem disagree by up to ~35 s; a new moon closer than this to
# local midnight cannot be put on a day by either with confidence.
AMBIGUOUS_SECONDS = 60.0


def _date(day_number: int) -> date:
    return date.fromordinal(day_number - 1721425)


def _local_jdn(ephem_date: float, tz: float = TZ) -> int:
    return math.floor(ephem_date + EPHEM_JD0 + 0.5 + tz / 24.0)


def _seconds_from_midnight(ephem_date: float, tz: float = TZ) -> float:
    x = ephem_date + EPHEM_JD0 + 0.5 + tz / 24.0
    frac = x - math.floor(x)
    return min(frac, 1.0 - frac) * 86400.0


@lru_cache(maxsize=1)
def reference_new_moons() -> list[float]:
    out: list[float] = []
    d = ephem.Date("1899/09/01")
    end = ephem.Date("2102/03/01")
    while True:
        d = ephem.next_new_moon(d)
        if d > end:
            return out
        out.append(float(d))


def _sun_lon(d: float) -> float:
    sun = ephem.Sun()
    sun.compute(d, epoch=d)
    return math.degrees(float(ephem.Ecliptic(sun, epoch=d).lon))


def _term_instant(guess: float, target: float) -> float:
    def f(x: float) -> float:
        return ((_sun_lon(x) - target + 180.0) % 360.0) - 180.0

    return float(ephem.newton(f, guess, guess + 0.1))


@lru_cache(maxsize=1)
def reference_terms() -> list[tuple[int, int, float]]:
    """(local JDN, sector 0..11, instant) of every principal solar term from 1899 to 2101."""
    out: list[tuple[int, int, float]] = []
    for year in range(FIRST - 1, LAST + 2):
        equinox = float(ephem.next_vernal_equinox(f"{year}/1/1"))
        for n in range(12):
            target = (n * 30.0) % 360.0
            instant = _term_instant(equinox + n * 30.44, target)
            out.append((_local_jdn(instant), n, instant))
    out.sort()
    return out


@lru_cache(maxsize=1)
def reference_calendar() -> dict[int, tuple[date, int | None]]:
    """Lunar year → (Tết, leap month number or None), built only from the ephemeris."""
    starts = [_local_jdn(nm) for nm in reference_new_moons()]
    terms = reference_terms()
    term_days = [t for t, _, _ in terms]
    solstices = {_date(t).year: t for t, n, _ in terms if n == 9}

    def month_index(day: int) -> int:
        return bisect.bisect_right(starts, day) - 1

    tets: dict[int, date] = {}
    leaps: dict[int, int] = {}
    for year in range(FIRST - 1, LAST + 1):
        a = month_index(solstices[year])
        b = month_index(solstices[year + 1])
        number, lunar_year, leap_found = 10, year, False
        for i in range(a, b):
            has_term = bisect.bisect_left(term_days, starts[i]) < bisect.bisect_left(term_days, starts[i + 1])
            if b - a == 13 and i > a and not has_term and not leap_found:
                leaps[lunar_year] = number
                leap_found = True
                continue
            number = number % 12 + 1
            if number == 1:
                lunar_year = year + 1
                tets[lunar_year] = _date(starts[i])
        assert leap_found == (b - a == 13)
    return {y: (tets[y], leaps.get(y)) for y in tets}


def test_every_new_moon_1900_2100_matches_the_ephemeris() -> None:
    nms = reference_new_moons()
    k = lunar._k_before(nms[2] + EPHEM_JD0)
    ambiguous = []
    checked = 0
    while True:
        mine = lunar.new_moon_jd(k) - EPHEM_JD0
        k += 1
        if mine < nms[1]:
            continue
        if mine > nms[-2]:
            break
        i = bisect.bisect_left(nms, mine)
        ref = min((nms[j] for j in (i - 1, i) if 0 <= j < len(nms)), key=lambda x: abs(x - mine))
        assert abs(mine - ref) * 86400 < AMBIGUOUS_SECONDS, (ephem.Date(ref), (mine - ref) * 86400)
        if lunar.new_moon_day(k - 1) != _local_jdn(ref):
            assert _seconds_from_midnight(ref) < AMBIGUOUS_SECONDS, ephem.Date(ref)
            ambiguous.append(str(ephem.Date(ref)))
        checked += 1
    assert checked > 2480
    assert len(ambiguous) <= 2, ambiguous


def test_every_principal_term_1900_2100_falls_on_the_ephemeris_day() -> None:
    # Meeus ch. 25 is good to ~0.014° here (~20 minutes of the sun's motion).
    tolerance = 30 * 60.0
    wrong = []
    for day, sector, instant in reference_terms():
        if _seconds_from_midnight(instant) < tolerance:
            continue
        before = lunar._term_sector(day, TZ)
        after = lunar._term_sector(day + 1, TZ)
        if before != (sector - 1) % 12 or after != sector:
            wrong.append((str(ephem.Date(instant)), sector, before, after))
    assert wrong == []


def test_every_tet_and_leap_month_1900_2100_matches_the_ephemeris() -> None:
    ref = reference_calendar()
    mismatches = []
    for year in range(FIRST, LAST + 1):
        ref_tet, ref_leap = ref[year]
        if tet(year) != ref_tet or leap_month(year) != ref_leap:
            mismatches.append((year, tet(year), ref_tet, leap_month(year), ref_leap))
    assert mismatches == []


def test_every_month_start_round_trips() -> None:
    d = date(2019, 12, 1)
    end = date(2031, 2, 1)
    previous = solar_to_lunar(d - timedelta(days=1))
    while d < end:
        ld = solar_to_lunar(d)
        assert lunar_to_solar(ld.year, ld.month, ld.day, ld.leap) == d
        if ld.day == 1:
            assert previous.day in (29, 30)
        else:
            assert ld.day == previous.day + 1 and ld.month == previous.month
        previous = ld
        d += timedelta(days=1)


# Every year of 1900–2100 where the Vietnamese (UTC+7) and Chinese (UTC+8) Tết differ, with the
# Chinese date as given by the Chinese-calendar libraries (lunardate 0.3.0, LunarCalendar 0.0.9).
# 1916 also differs in those libraries, because China counted Beijing mean solar time
# (UTC+7:46) before 1929; it is left out.
VN_CN_TET = {
    1903: (date(1903, 1, 28), date(1903, 1, 29)),
    1935: (date(1935, 2, 3), date(1935, 2, 4)),
    1965: (date(1965, 2, 1), date(1965, 2, 2)),
    1968: (date(1968, 1, 29), date(1968, 1, 30)),
    1969: (date(1969, 2, 16), date(1969, 2, 17)),
    1985: (date(1985, 1, 21), date(1985, 2, 20)),
    2007: (date(2007, 2, 17), date(2007, 2, 18)),
    2030: (date(2030, 2, 2), date(2030, 2, 3)),
    2053: (date(2053, 2, 18), date(2053, 2, 19)),
}


def test_the_list_of_differing_years_is_complete() -> None:
    differing = [y for y in range(FIRST, LAST + 1) if tet(y) != tet(y, tz=8.0)]
    assert differing == sorted(set(VN_CN_TET) | {1916})


@pytest.mark.parametrize("year", sorted(VN_CN_TET))
def test_tet_differs_from_the_chinese_calendar(year: int) -> None:
    vietnam, china = VN_CN_TET[year]
    assert tet(year) == vietnam
    assert tet(year, tz=8.0) == china
    assert reference_calendar()[year][0] == vietnam


@pytest.mark.parametrize(
    ("solar", "expected"),
    [
        (date(2025, 1, 29), LunarDate(2025, 1, 1)),  # Tết Ất Tỵ
        (date(2025, 4, 7), LunarDate(2025, 3, 10)),  # Giỗ Tổ Hùng Vương
        (date(2025, 7, 25), LunarDate(2025, 6, 1, leap=True)),  # 2025 has a leap 6th month
        (date(2025, 10, 6), LunarDate(2025, 8, 15)),  # Tết Trung thu
        (date(2026, 2, 17), LunarDate(2026, 1, 1)),  # Tết Bính Ngọ
        (date(2023, 3, 22), LunarDate(2023, 2, 1, leap=True)),
        (date(2024, 2, 9), LunarDate(2023, 12, 30)),
    ],
)
def test_known_dates(solar: date, expected: LunarDate) -> None:
    assert solar_to_lunar(solar) == expected
    assert lunar_to_solar(expected.year, expected.month, expected.day, expected.leap) == solar


def test_leap_month_rules() -> None:
    assert leap_month(2025) == 6
    assert leap_month(2023) == 2
    assert leap_month(2024) is None
    with pytest.raises(ValueError):
        lunar_to_solar(2024, 6, 1, leap=True)
    with pytest.raises(ValueError):
        lunar_to_solar(2025, 13, 1)


def test_day_30_of_a_short_month_does_not_exist() -> None:
    short = [m for m, leap, _, n in lunar.lunar_year_months(2025) if n == 29 and not leap][0]
    with pytest.raises(ValueError):
        lunar_to_solar(2025, short, 30)


def test_can_chi() -> None:
    assert can_chi(2025) == "Ất Tỵ"
    assert can_chi(2026) == "Bính Ngọ"
    assert can_chi(1945) == "Ất Dậu"
    assert str(LunarDate(2025, 6, 1, True)) == "01/06 nhuận/2025"


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=date(1900, 2, 1), max_value=date(2100, 12, 31)))
def test_any_day_round_trips(day: date) -> None:
    ld = solar_to_lunar(day)
    assert 1 <= ld.day <= lunar.month_length(ld.year, ld.month, ld.leap) <= 30
    assert lunar_to_solar(ld.year, ld.month, ld.day, ld.leap) == day
    assert ld.leap == (leap_month(ld.year) == ld.month and ld.leap)
