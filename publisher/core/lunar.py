"""The Vietnamese lunar calendar (âm lịch), computed astronomically for UTC+7 (pure).

The rules are those of Hồ Ngọc Đức's "Thuật toán tính âm lịch", the reference every Vietnamese
calendar program follows:

1. A month starts on the local day (UTC+7) that holds the astronomical new moon.
2. Month 11 is the month that holds the winter solstice (sun's apparent longitude 270°).
3. From one month 11 to the next there are 12 or 13 months. With 13, the first month after
   month 11 that holds no principal solar term (trung khí: the sun crossing a multiple of 30°)
   is the leap month (tháng nhuận); it takes the number of the month before it.
4. Months 11 and 12 belong to the lunar year that began in the previous solar year; Tết Nguyên
   Đán is the first day of month 1.

Đức's published program truncates the new-moon series and the solar longitude (errors of up
to about two minutes in this range), so it puts new moons of 1900–2100 on the wrong side of
local midnight when compared with an ephemeris (20/6/1944, 10/12/2072, 16/11/2077; his
precomputed tables, as shipped by ``vnlunar``, also 7/5/2054). This module keeps his rules but uses the fuller series of Meeus,
*Astronomical Algorithms* (2nd ed.), ch. 49 (new moon with the 14 planetary arguments) and ch. 25 (apparent
solar longitude with aberration and nutation), with ΔT from the Espenak–Meeus polynomials.

Why not a library:

- ``lunardate``, ``lunarcalendar`` (and ``borax``, ``cnlunar``…) are **Chinese** calendars:
  tables computed for Beijing time, UTC+8. Where a new moon or a solar term falls between 23:00
  and 24:00 Vietnamese time, the day (and sometimes the month 11 or the leap month) differs, so
  those libraries give wrong dates for Vietnam. Tết 1985 is 21/1/1985 in Vietnam and 20/2/1985
  in China (Vietnam had a leap 2nd month in 1985, China a leap 10th month in 1984). Computed
  here at UTC+7 and UTC+8 and checked against ``lunardate``, Tết also differs in 1903, 1935,
  1965, 1968 (29/1 vs 30/1), 1969, 2007
  (17/2 vs 18/2), 2030 (2/2 vs 3/2) and 2053 (18/2 vs 19/2); ``tests/core/test_lunar.py`` pins
  the list. Historical note: before 1968 the calendar printed in Vietnam followed UTC+8, and
  China counted Beijing mean solar time before 1929; this module is proleptic UTC+7 unless
  ``tz`` is given.
- ``vnlunar`` and ``lunar-vn`` are ports of Đức's truncated program (same errors), and a
  copy could not serve as the independent check the tests need. Their tables for years before
  1968 follow UTC+8, the historical usage.
- ``skyfield`` is precise but needs a JPL ephemeris file downloaded at run time (the packaged
  DE421 stops in 2053). ``ephem`` (PyEphem, VSOP87 and ELP 2000 built in, no download) is the
  independent reference in the tests: every new moon and every Tết from 1900 to 2100.

Checked against ``ephem``: every new moon 1900–2100 within 35 s; one (7/7/1967, 3 s from
local midnight) is too close to call and is tolerated by the test.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

VIETNAM_TZ = 7.0
SYNODIC_MONTH = 29.530588861
_K0_JDE = 2451550.09766  # first new moon of 2000 (6 January), Meeus k = 0
_DR = math.pi / 180.0

CAN = ("Giáp", "Ất", "Bính", "Đinh", "Mậu", "Kỷ", "Canh", "Tân", "Nhâm", "Quý")
CHI = ("Tý", "Sửu", "Dần", "Mão", "Thìn", "Tỵ", "Ngọ", "Mùi", "Thân", "Dậu", "Tuất", "Hợi")


@dataclass(frozen=True)
class LunarDate:
    """A day of the Vietnamese lunar calendar: ``leap`` marks a day of the leap month."""

    year: int
    month: int
    day: int
    leap: bool = False

    def __str__(self) -> str:
        suffix = " nhuận" if self.leap else ""
        return f"{self.day:02d}/{self.month:02d}{suffix}/{self.year}"

    def short(self) -> str:
        """``10/3`` or ``10/3 nhuận``: how a date is written on a programme."""
        return f"{self.day}/{self.month}" + (" nhuận" if self.leap else "")

    @property
    def year_name(self) -> str:
        return can_chi(self.year)


def can_chi(year: int) -> str:
    """The sexagenary name of a lunar year: 2025 → ``Ất Tỵ``."""
    return f"{CAN[(year + 6) % 10]} {CHI[(year + 8) % 12]}"


# --- Julian day numbers -----------------------------------------------------------------------

_JDN_OF_ORDINAL_0 = 1721425  # date.fromordinal(1) is JDN 1721426


def jdn(d: date) -> int:
    return d.toordinal() + _JDN_OF_ORDINAL_0


def from_jdn(day_number: int) -> date:
    return date.fromordinal(day_number - _JDN_OF_ORDINAL_0)


# --- astronomy (Meeus) ------------------------------------------------------------------------


def delta_t_days(year: float) -> float:
    """TT − UT in days, Espenak & Meeus polynomials (NASA eclipse site) for 1800–2150."""
    y = year
    if y < 1860:
        t = y - 1800
        s = (
            13.72
            - 0.332447 * t
            + 0.0068612 * t**2
            + 0.0041116 * t**3
            - 0.00037436 * t**4
            + 0.0000121272 * t**5
            - 0.0000001699 * t**6
            + 0.000000000875 * t**7
        )
    elif y < 1900:
        t = y - 1860
        s = 7.62 + 0.5737 * t - 0.251754 * t**2 + 0.01680668 * t**3 - 0.0004473624 * t**4 + t**5 / 233174
    elif y < 1920:
        t = y - 1900
        s = -2.79 + 1.494119 * t - 0.0598939 * t**2 + 0.0061966 * t**3 - 0.000197 * t**4
    elif y < 1941:
        t = y - 1920
        s = 21.20 + 0.84493 * t - 0.076100 * t**2 + 0.0020936 * t**3
    elif y < 1961:
        t = y - 1950
        s = 29.07 + 0.407 * t - t**2 / 233 + t**3 / 2547
    elif y < 1986:
        t = y - 1975
        s = 45.45 + 1.067 * t - t**2 / 260 - t**3 / 718
    elif y < 2005:
        t = y - 2000
        s = (
            63.86
            + 0.3345 * t
            - 0.060374 * t**2
            + 0.0017275 * t**3
            + 0.000651814 * t**4
            + 0.00002373599 * t**5
        )
    elif y < 2050:
        t = y - 2000
        s = 62.92 + 0.32217 * t + 0.005589 * t**2
    elif y < 2150:
        s = -20 + 32 * ((y - 1820) / 100) ** 2 - 0.5628 * (2150 - y)
    else:
        s = -20 + 32 * ((y - 1820) / 100) ** 2
    return s / 86400.0


def _year_of_jd(jd: float) -> float:
    return 2000.0 + (jd - 2451545.0) / 365.25


_NEW_MOON_TERMS = (
    # (coefficient, power of E, multiples of M, M', F, Ω)
    (-0.40720, 0, 0, 1, 0, 0),
    (0.17241, 1, 1, 0, 0, 0),
    (0.01608, 0, 0, 2, 0, 0),
    (0.01039, 0, 0, 0, 2, 0),
    (0.00739, 1, -1, 1, 0, 0),
    (-0.00514, 1, 1, 1, 0, 0),
    (0.00208, 2, 2, 0, 0, 0),
    (-0.00111, 0, 0, 1, -2, 0),
    (-0.00057, 0, 0, 1, 2, 0),
    (0.00056, 1, 1, 2, 0, 0),
    (-0.00042, 0, 0, 3, 0, 0),
    (0.00042, 1, 1, 0, 2, 0),
    (0.00038, 1, 1, 0, -2, 0),
    (-0.00024, 1, -1, 2, 0, 0),
    (-0.00017, 0, 0, 0, 0, 1),
    (-0.00007, 0, 2, 1, 0, 0),
    (0.00004, 0, 0, 2, -2, 0),
    (0.00004, 0, 3, 0, 0, 0),
    (0.00003, 0, 1, 1, -2, 0),
    (0.00003, 0, 0, 2, 2, 0),
    (-0.00003, 0, 1, 1, 2, 0),
    (0.00003, 0, -1, 1, 2, 0),
    (-0.00002, 0, -1, 1, -2, 0),
    (-0.00002, 0, 1, 3, 0, 0),
    (0.00002, 0, 0, 4, 0, 0),
)

_PLANETARY = (
    # (coefficient, A0, A per k)
    (0.000325, 299.77, 0.107408),
    (0.000165, 251.88, 0.016321),
    (0.000164, 251.83, 26.651886),
    (0.000126, 349.42, 36.412478),
    (0.000110, 84.66, 18.206239),
    (0.000062, 141.74, 53.303771),
    (0.000060, 207.14, 2.453732),
    (0.000056, 154.84, 7.306860),
    (0.000047, 34.52, 27.261239),
    (0.000042, 207.19, 0.121824),
    (0.000040, 291.34, 1.844379),
    (0.000037, 161.72, 24.198154),
    (0.000035, 239.56, 25.513099),
    (0.000023, 331.55, 3.592518),
)


def new_moon_jd(k: int) -> float:
    """Julian date (UT) of new moon number ``k`` (k = 0: 6 January 2000), Meeus ch. 49."""
    t = k / 1236.85
    jde = 2451550.09766 + 29.530588861 * k + 0.00015437 * t**2 - 0.000000150 * t**3 + 0.00000000073 * t**4
    e = 1 - 0.002516 * t - 0.0000074 * t**2
    m = (2.5534 + 29.10535670 * k - 0.0000014 * t**2 - 0.00000011 * t**3) * _DR
    mp = (201.5643 + 385.81693528 * k + 0.0107582 * t**2 + 0.00001238 * t**3 - 0.000000058 * t**4) * _DR
    f = (160.7108 + 390.67050284 * k - 0.0016118 * t**2 - 0.00000227 * t**3 + 0.000000011 * t**4) * _DR
    om = (124.7746 - 1.56375588 * k + 0.0020672 * t**2 + 0.00000215 * t**3) * _DR
    correction = 0.0
    for coef, e_pow, cm, cmp_, cf, co in _NEW_MOON_TERMS:
        correction += coef * e**e_pow * math.sin(cm * m + cmp_ * mp + cf * f + co * om)
    a1_extra = -0.009173 * t**2
    for i, (coef, a0, ak) in enumerate(_PLANETARY):
        arg = a0 + ak * k + (a1_extra if i == 0 else 0.0)
        correction += coef * math.sin(arg * _DR)
    jde += correction
    return jde - delta_t_days(_year_of_jd(jde))


def sun_longitude(jd_ut: float) -> float:
    """Apparent geocentric longitude of the sun in degrees [0, 360), Meeus ch. 25."""
    jde = jd_ut + delta_t_days(_year_of_jd(jd_ut))
    t = (jde - 2451545.0) / 36525.0
    l0 = 280.46646 + 36000.76983 * t + 0.0003032 * t**2
    m = (357.52911 + 35999.05029 * t - 0.0001537 * t**2) * _DR
    c = (
        (1.914602 - 0.004817 * t - 0.000014 * t**2) * math.sin(m)
        + (0.019993 - 0.000101 * t) * math.sin(2 * m)
        + 0.000289 * math.sin(3 * m)
    )
    omega = (125.04 - 1934.136 * t) * _DR
    apparent = l0 + c - 0.00569 - 0.00478 * math.sin(omega)
    return apparent % 360.0


# --- calendar rules ---------------------------------------------------------------------------


def new_moon_day(k: int, tz: float = VIETNAM_TZ) -> int:
    """JDN of the local day holding new moon ``k``."""
    return math.floor(new_moon_jd(k) + 0.5 + tz / 24.0)


def _term_sector(day_number: int, tz: float) -> int:
    """Which 30° sector the sun is in at local midnight starting this day (0 = 0°–30°)."""
    return math.floor(sun_longitude(day_number - 0.5 - tz / 24.0) / 30.0)


def _k_before(day_number: float) -> int:
    return math.floor((day_number - _K0_JDE) / SYNODIC_MONTH)


@lru_cache(maxsize=1024)
def month11_start(year: int, tz: float = VIETNAM_TZ) -> tuple[int, int]:
    """(JDN, k) of the start of the lunar month holding the winter solstice of solar ``year``."""
    k = _k_before(jdn(date(year, 12, 31)) + 0.5)
    start = new_moon_day(k, tz)
    if start > jdn(date(year, 12, 31)) or _term_sector(start, tz) >= 9:
        k -= 1
        start = new_moon_day(k, tz)
    return start, k


@dataclass(frozen=True)
class _Month:
    start: int  # JDN of day 1
    year: int
    month: int
    leap: bool


@lru_cache(maxsize=512)
def _sui(year: int, tz: float = VIETNAM_TZ) -> tuple[_Month, ...]:
    """The months from month 11 of solar ``year`` up to (not including) the next month 11."""
    start, k = month11_start(year, tz)
    end, k_end = month11_start(year + 1, tz)
    starts = [new_moon_day(k + i, tz) for i in range(k_end - k + 1)]
    assert starts[0] == start and starts[-1] == end
    count = len(starts) - 1
    leap_index = None
    if count == 13:
        sectors = [_term_sector(s, tz) for s in starts]
        for i in range(1, 13):
            if sectors[i] == sectors[i + 1]:
                leap_index = i
                break
        if leap_index is None:  # pragma: no cover - cannot happen with 13 months and 12 terms
            raise AssertionError(f"13 months without a month lacking a principal term: {year}")
    months: list[_Month] = []
    number = 10
    for i in range(count):
        leap = i == leap_index
        if not leap:
            number = number % 12 + 1
        lunar_year = year if number >= 11 and i < 4 else year + 1
        months.append(_Month(starts[i], lunar_year, number, leap))
    return tuple(months)


def _months_around(day_number: int, tz: float) -> tuple[_Month, ...]:
    d = from_jdn(day_number)
    y = d.year if day_number >= month11_start(d.year, tz)[0] else d.year - 1
    return _sui(y, tz) + (_Month(month11_start(y + 1, tz)[0], 0, 0, False),)


def solar_to_lunar(d: date, tz: float = VIETNAM_TZ) -> LunarDate:
    """The lunar date of a solar (Gregorian) date."""
    day_number = jdn(d)
    months = _months_around(day_number, tz)
    starts = [m.start for m in months]
    i = bisect.bisect_right(starts, day_number) - 1
    m = months[i]
    return LunarDate(m.year, m.month, day_number - m.start + 1, m.leap)


def lunar_year_months(year: int, tz: float = VIETNAM_TZ) -> list[tuple[int, bool, date, int]]:
    """Months of lunar ``year`` in order: (month, leap, first day, length in days)."""
    out: list[tuple[int, bool, date, int]] = []
    for sui_year in (year - 1, year):
        months = _sui(sui_year, tz)
        nxt = month11_start(sui_year + 1, tz)[0]
        for i, m in enumerate(months):
            if m.year == year:
                end = months[i + 1].start if i + 1 < len(months) else nxt
                out.append((m.month, m.leap, from_jdn(m.start), end - m.start))
    return out


def leap_month(year: int, tz: float = VIETNAM_TZ) -> int | None:
    """Number of the leap month of lunar ``year``, or None in a common year."""
    for month, leap, _, _ in lunar_year_months(year, tz):
        if leap:
            return month
    return None


def lunar_to_solar(year: int, month: int, day: int, leap: bool = False, tz: float = VIETNAM_TZ) -> date:
    """The solar date of a lunar date. Raises ValueError when that day does not exist."""
    if not 1 <= month <= 12 or not 1 <= day <= 30:
        raise ValueError(f"no lunar date {day}/{month}/{year}")
    for m, is_leap, first, length in lunar_year_months(year, tz):
        if m == month and is_leap == leap:
            if day > length:
                raise ValueError(f"lunar month {month}/{year} has {length} days, not {day}")
            return first + timedelta(days=day - 1)
    raise ValueError(f"lunar year {year} has no leap month {month}")


def month_length(year: int, month: int, leap: bool = False, tz: float = VIETNAM_TZ) -> int:
    for m, is_leap, _, length in lunar_year_months(year, tz):
        if m == month and is_leap == leap:
            return length
    raise ValueError(f"lunar year {year} has no leap month {month}")


def tet(year: int, tz: float = VIETNAM_TZ) -> date:
    """Tết Nguyên Đán (1/1 âm lịch) of lunar ``year``."""
    return lunar_to_solar(year, 1, 1, tz=tz)
