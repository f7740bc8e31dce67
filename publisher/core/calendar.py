"""Commemorations and holidays of a year, solar or lunar, with ordinals and round flags (pure).

Data files (``schedules/calendar/*.yaml``) list events; the caller reads them and passes the text
to :func:`parse_events`. One entry::

    - id: thanh-lap-dang                 # unique; becomes part of post ids
      name: Ngày thành lập Đảng Cộng sản Việt Nam
      name_en: Founding of the Communist Party of Viet Nam     # optional
      solar: 03/02                       # or  lunar: 10/03  (day/month)
      since: 1930                        # optional founding year: gives "95 năm", "lần thứ 95"
      category: chinh-tri                # free word, used for filtering
      round_years: true                  # round anniversaries are celebrated (default true)
      holiday: false                     # a public holiday (default false)
      plan: true                         # include in ``publisher plan`` (default true)
      leap: regular                      # lunar only: regular (default) | leap | both

An anniversary ``n = year - since`` is *round* (năm chẵn) when ``n`` is a multiple of 5 and
*major* (năm tròn, lớn) when it is a multiple of 10 or of 25. A lunar event in a year with a
leap month of the same number falls on the regular month unless ``leap`` says ``leap`` (the leap
month instead) or ``both``. A lunar day 30 in a 29-day month falls on the 29th (the last day:
"30 Tết" is the last day of the year). A lunar event may fall twice in one solar year, or not at
all. Later files override entries of earlier files with the same ``id``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

import yaml

from publisher.core import lunar
from publisher.core.lunar import LunarDate
from publisher.core.models import nfc
from publisher.errors import UserError
from publisher.i18n import msg, register

register(
    {
        "calendar.bad_yaml": (
            "Tệp lịch {source} không đọc được: {error}",
            "Calendar file {source} is not valid YAML: {error}",
        ),
        "calendar.bad_shape": (
            "Tệp lịch {source}: cần một danh sách 'events'.",
            "Calendar file {source}: expected a list under 'events'.",
        ),
        "calendar.bad_entry": (
            "Tệp lịch {source}, mục {index} ({id}): {problem}",
            "Calendar file {source}, entry {index} ({id}): {problem}",
        ),
        "calendar.duplicate": (
            "Tệp lịch {source}: mã '{id}' bị trùng.",
            "Calendar file {source}: id '{id}' appears twice.",
        ),
    }
)

EVENT_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}$")
_DAY_MONTH_RE = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{1,2})\s*$")
LeapRule = Literal["regular", "leap", "both"]


@dataclass(frozen=True)
class Event:
    """A recurring day: a commemoration (with a founding year) or a holiday."""

    id: str
    name: str
    category: str
    day: int
    month: int
    is_lunar: bool = False
    since: int | None = None
    round_years: bool = True
    holiday: bool = False
    plan: bool = True
    leap: LeapRule = "regular"
    name_en: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Occurrence:
    """One event on one day of one year."""

    event: Event
    date: date
    lunar: LunarDate

    @property
    def years(self) -> int | None:
        """Years since the founding (the ordinal ``n``), or None without a founding year."""
        if self.event.since is None:
            return None
        year = self.lunar.year if self.event.is_lunar else self.date.year
        return year - self.event.since

    @property
    def is_anniversary(self) -> bool:
        n = self.years
        return n is not None and n > 0

    @property
    def is_round(self) -> bool:
        """Năm chẵn: a multiple of 5 years."""
        n = self.years
        return n is not None and n > 0 and n % 5 == 0

    @property
    def is_major(self) -> bool:
        """A major anniversary: a multiple of 10 or of 25 years."""
        n = self.years
        return n is not None and n > 0 and (n % 10 == 0 or n % 25 == 0)

    @property
    def ordinal_text(self) -> str | None:
        """``lần thứ 95``."""
        return f"lần thứ {self.years}" if self.is_anniversary else None

    @property
    def years_text(self) -> str | None:
        """``95 năm``."""
        return f"{self.years} năm" if self.is_anniversary else None

    @property
    def span(self) -> str | None:
        """``03/02/1930 – 03/02/2025`` (lunar dates end with ``âm lịch``)."""
        if not self.is_anniversary or self.event.since is None:
            return None
        dm = f"{self.event.day:02d}/{self.event.month:02d}"
        year = self.lunar.year if self.event.is_lunar else self.date.year
        text = f"{dm}/{self.event.since} – {dm}/{year}"
        return text + " âm lịch" if self.event.is_lunar else text

    @property
    def short_title(self) -> str:
        """``Kỷ niệm 95 năm Ngày thành lập Đảng Cộng sản Việt Nam``, or the name alone."""
        if self.is_anniversary:
            return f"Kỷ niệm {self.years} năm {self.event.name}"
        return self.event.name

    @property
    def title(self) -> str:
        """The official title with the span, as on a programme or a banner."""
        return f"{self.short_title} ({self.span})" if self.span else self.short_title

    @property
    def key(self) -> str:
        """Unique per event and day: ``thanh-lap-dang-2025-02-03``."""
        return f"{self.event.id}-{self.date.isoformat()}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.event.id,
            "date": self.date.isoformat(),
            "lunar": str(self.lunar),
            "lunar_year_name": self.lunar.year_name,
            "name": self.event.name,
            "name_en": self.event.name_en,
            "category": self.event.category,
            "calendar": "lunar" if self.event.is_lunar else "solar",
            "since": self.event.since,
            "years": self.years,
            "ordinal": self.ordinal_text,
            "round": self.is_round,
            "major": self.is_major,
            "round_years_celebrated": self.event.round_years,
            "holiday": self.event.holiday,
            "title": self.title,
            "source": self.event.source,
        }


# --- parsing ----------------------------------------------------------------------------------


def _bad(source: str, index: int, ident: Any, problem: str) -> UserError:
    return UserError(msg("calendar.bad_entry", source=source, index=index, id=ident, problem=problem))


def _day_month(value: Any) -> tuple[int, int] | None:
    match = _DAY_MONTH_RE.match(str(value))
    if not match:
        return None
    day, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return day, month


def parse_events(text: str, source: str = "<calendar>") -> list[Event]:
    """Events of one data file. Raises :class:`UserError` naming the entry at fault."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UserError(msg("calendar.bad_yaml", source=source, error=str(exc).splitlines()[0])) from exc
    if data is None:
        return []
    entries = data.get("events") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise UserError(msg("calendar.bad_shape", source=source))
    events: list[Event] = []
    seen: set[str] = set()
    for index, raw in enumerate(entries, start=1):
        events.append(_parse_entry(raw, index, source))
        if events[-1].id in seen:
            raise UserError(msg("calendar.duplicate", source=source, id=events[-1].id))
        seen.add(events[-1].id)
    return events


def _parse_entry(raw: Any, index: int, source: str) -> Event:
    if not isinstance(raw, dict):
        raise _bad(source, index, "?", "not a mapping / không phải một mục")
    ident = raw.get("id")
    if not isinstance(ident, str) or not EVENT_ID_RE.match(ident):
        raise _bad(source, index, ident, "id: a-z, 0-9, '-'")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _bad(source, index, ident, "name")
    if ("solar" in raw) == ("lunar" in raw):
        raise _bad(source, index, ident, "solar: DD/MM | lunar: DD/MM (one of them)")
    is_lunar = "lunar" in raw
    dm = _day_month(raw["lunar"] if is_lunar else raw["solar"])
    if dm is None or (is_lunar and dm[0] > 30):
        raise _bad(source, index, ident, "date DD/MM")
    if not is_lunar:
        try:
            date(2024, dm[1], dm[0])  # a leap year: 29/02 is allowed
        except ValueError:
            raise _bad(source, index, ident, "date DD/MM") from None
    since = raw.get("since")
    if since is not None and (
        isinstance(since, bool) or not isinstance(since, int) or not 1 <= since <= 9999
    ):
        raise _bad(source, index, ident, "since: YYYY")
    leap = raw.get("leap", "regular")
    if leap not in ("regular", "leap", "both"):
        raise _bad(source, index, ident, "leap: regular | leap | both")
    for flag in ("round_years", "holiday", "plan"):
        if flag in raw and not isinstance(raw[flag], bool):
            raise _bad(source, index, ident, f"{flag}: true | false")
    name_en = raw.get("name_en")
    return Event(
        id=ident,
        name=nfc(name.strip()),
        category=str(raw.get("category", "khac")),
        day=dm[0],
        month=dm[1],
        is_lunar=is_lunar,
        since=since,
        round_years=raw.get("round_years", True),
        holiday=raw.get("holiday", False),
        plan=raw.get("plan", True),
        leap=leap,
        name_en=str(name_en) if name_en else None,
        source=source,
    )


def merge(*groups: Iterable[Event]) -> list[Event]:
    """Events of several files; a later entry with the same id replaces the earlier one."""
    by_id: dict[str, Event] = {}
    for group in groups:
        for event in group:
            by_id.pop(event.id, None)
            by_id[event.id] = event
    return list(by_id.values())


# --- a year's occurrences ---------------------------------------------------------------------


def _solar_dates(event: Event, year: int) -> list[date]:
    if not event.is_lunar:
        try:
            return [date(year, event.month, event.day)]
        except ValueError:  # 29/02 in a common year
            return []
    out: list[date] = []
    for lunar_year in (year - 1, year):
        months = lunar.lunar_year_months(lunar_year)
        has_leap = any(m == event.month and leap for m, leap, _, _ in months)
        wanted = {
            "regular": {False},
            "leap": {True} if has_leap else {False},
            "both": {False, True},
        }[event.leap]
        for m, leap, first, length in months:
            if m == event.month and leap in wanted:
                day = min(event.day, length)
                d = date.fromordinal(first.toordinal() + day - 1)
                if d.year == year:
                    out.append(d)
    return out


def occurrences(events: Sequence[Event], year: int) -> list[Occurrence]:
    """Every event falling in solar ``year``, in date order (file order within a day)."""
    out: list[tuple[date, int, Occurrence]] = []
    for order, event in enumerate(events):
        for d in _solar_dates(event, year):
            occ = Occurrence(event, d, lunar.solar_to_lunar(d))
            n = occ.years
            if n is not None and n < 0:
                continue  # not founded yet
            out.append((d, order, occ))
    out.sort(key=lambda item: (item[0], item[1]))
    return [occ for _, _, occ in out]


# --- iCalendar (RFC 5545) ---------------------------------------------------------------------


def _ics_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _ics_fold(line: str) -> list[str]:
    """Lines of at most 75 octets, continuation lines start with a space (RFC 5545 3.1)."""
    out: list[str] = []
    current = ""
    limit = 75
    for ch in line:
        if len((current + ch).encode("utf-8")) > limit:
            out.append(current)
            current = " "
            limit = 75
        current += ch
    out.append(current)
    return out


def to_ics(items: Sequence[Occurrence], dtstamp: datetime, name: str = "Lịch kỷ niệm") -> str:
    """An iCalendar file of all-day events, one per occurrence; ``dtstamp`` is UTC."""
    stamp = dtstamp.strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//publisher//lich-ky-niem//VI",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_ics_escape(name)}",
        "X-WR-TIMEZONE:Asia/Ho_Chi_Minh",
    ]
    for occ in items:
        details = [f"Âm lịch: {occ.lunar.short()} năm {occ.lunar.year_name}"]
        if occ.is_anniversary:
            details.append(f"{occ.years_text} ({occ.ordinal_text})")
        if occ.is_major:
            details.append("Năm tròn")
        elif occ.is_round:
            details.append("Năm chẵn")
        if occ.event.holiday:
            details.append("Ngày nghỉ lễ")
        lines += [
            "BEGIN:VEVENT",
            f"UID:{occ.key}@publisher",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{occ.date:%Y%m%d}",
            f"DTEND;VALUE=DATE:{occ.date + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_ics_escape(occ.title)}",
            f"DESCRIPTION:{_ics_escape(chr(10).join(details))}",
            f"CATEGORIES:{_ics_escape(occ.event.category)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in _ics_fold(line))
