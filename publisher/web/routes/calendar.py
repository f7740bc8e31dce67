"""The calendar (``/calendar``), by month (``?month=2026-04``) or ISO week (``?week=2026-W18``).

Each delivery of the viewer's units is a chip coloured by its state, with its platform's icon,
the post's title and the local time; the year's commemorations and holidays (solar and lunar, with
their ordinals, round years marked) sit on their days with a "plan a post for this day" link.
Days are in the office's time zone; the deliveries of the period are read in one query.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from publisher.core import lunar
from publisher.core.calendar import Event, Occurrence, merge, occurrences, parse_events
from publisher.core.models import POST_ID_RE
from publisher.errors import UserError
from publisher.i18n import display_zone, language, msg, register, t
from publisher.store.webviews import CalendarLine, WebViews
from publisher.web.deps import Viewer, page, web
from publisher.web.render import render
from publisher.web.routes.dashboard import pause_banner, platform_names, state_labels

register(
    {
        "web.calendar.title": ("Lịch đăng bài", "Publishing calendar"),
        "web.calendar.month": ("Tháng {month}/{year}", "{name} {year}"),
        "web.calendar.week": (
            "Tuần {week} năm {year} ({start} – {end})",
            "Week {week} of {year} ({start} – {end})",
        ),
        "web.calendar.periods": ("Chuyển tháng, tuần", "Move between months and weeks"),
        "web.calendar.prev_month": ("← Tháng trước", "← Previous month"),
        "web.calendar.next_month": ("Tháng sau →", "Next month →"),
        "web.calendar.prev_week": ("← Tuần trước", "← Previous week"),
        "web.calendar.next_week": ("Tuần sau →", "Next week →"),
        "web.calendar.this_month": ("Tháng này", "This month"),
        "web.calendar.this_week": ("Tuần này", "This week"),
        "web.calendar.view_week": ("Xem theo tuần", "Week view"),
        "web.calendar.view_month": ("Xem cả tháng", "Month view"),
        "web.calendar.jump": ("Xem tháng", "Show the month"),
        "web.calendar.jump_submit": ("Xem", "Show"),
        "web.calendar.bad_month": (
            "“{value}” không phải là một tháng. Ghi theo dạng NĂM-THÁNG, ví dụ 2026-04 (năm 1901–2099).",
            "“{value}” is not a month. Write YEAR-MONTH, for example 2026-04 (years 1901–2099).",
        ),
        "web.calendar.bad_week": (
            "“{value}” không phải là một tuần. Ghi theo dạng NĂM-Wsố tuần, ví dụ 2026-W18 (năm 1901–2099).",
            "“{value}” is not a week. Write YEAR-Wweek, for example 2026-W18 (years 1901–2099).",
        ),
        "web.calendar.count": ("{n} lượt đăng trong khoảng này.", "{n} deliveries in this period."),
        "web.calendar.week_of": ("Xem tuần có ngày {date}", "Show the week of {date}"),
        "web.calendar.today": ("hôm nay", "today"),
        "web.calendar.lunar": ("âm lịch {date}", "lunar {date}"),
        "web.calendar.round": ("năm chẵn", "round anniversary"),
        "web.calendar.major": ("năm tròn", "major anniversary"),
        "web.calendar.holiday": ("nghỉ lễ", "public holiday"),
        "web.calendar.plan": ("Lên bài cho ngày này", "Plan a post for this day"),
        "web.calendar.legend": ("Màu theo trạng thái", "Colours by state"),
        "web.calendar.occasions": ("Ngày lễ, kỷ niệm", "Commemorations"),
        "web.calendar.unreadable": (
            "Không đọc được tệp lịch: {error}",
            "Cannot read a calendar file: {error}",
        ),
        "web.calendar.broken": (
            "Dữ liệu ngày lễ, kỷ niệm có lỗi nên chưa hiện: {error}",
            "The commemorations are not shown, their data has an error: {error}",
        ),
    }
)

router = APIRouter()
log = logging.getLogger(__name__)

#: ``schedules/calendar/`` of the repository, as ``publisher calendar`` reads it
CALENDAR_DIR = Path(__file__).resolve().parents[3] / "schedules" / "calendar"
MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
WEEK_RE = re.compile(r"^\s*(\d{4})-?[Ww](\d{1,2})\s*$")
FIRST_YEAR, LAST_YEAR = 1901, 2099  # the lunar calendar's range
WEEKDAYS = {
    "vi": ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


class BadPeriod(UserError):
    """A ``?month=`` or ``?week=`` that names no period (answered with 400 and this message)."""


@dataclass(frozen=True)
class Period:
    """The days a page shows: a month, or an ISO week (Monday to Sunday)."""

    kind: str  # "month" | "week"
    first: date  # the first day of the period
    end: date  # the day after its last day

    @property
    def param(self) -> str:
        return month_param(self.first) if self.kind == "month" else week_param(self.first)

    def shifted(self, step: int) -> Period:
        if self.kind == "week":
            return week_period(self.first + timedelta(weeks=step))
        months = self.first.year * 12 + self.first.month - 1 + step
        return month_period(months // 12, months % 12 + 1)

    @property
    def grid(self) -> list[date]:
        """The days of the grid: whole weeks from the Monday on or before ``first``."""
        start = self.first - timedelta(days=self.first.weekday())
        stop = self.end + timedelta(days=(7 - self.end.weekday()) % 7)
        return [start + timedelta(days=i) for i in range((stop - start).days)]


def month_param(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def week_param(d: date) -> str:
    iso = d.isocalendar()
    return f"{iso.year:04d}-W{iso.week:02d}"


def month_period(year: int, month: int) -> Period:
    first = date(year, month, 1)
    end = date(year + month // 12, month % 12 + 1, 1)
    return Period("month", first, end)


def week_period(day: date) -> Period:
    monday = day - timedelta(days=day.weekday())
    return Period("week", monday, monday + timedelta(days=7))


def parse_period(month: str | None, week: str | None, today: date) -> Period:
    """The period a query names (``week`` wins over ``month``); this month without either."""
    if week is not None and week.strip():
        found = WEEK_RE.match(week)
        try:
            if not found or not FIRST_YEAR <= int(found.group(1)) <= LAST_YEAR:
                raise ValueError(week)
            return week_period(date.fromisocalendar(int(found.group(1)), int(found.group(2)), 1))
        except ValueError:
            raise BadPeriod(msg("web.calendar.bad_week", value=week[:40])) from None
    if month is not None and month.strip():
        found = MONTH_RE.match(month)
        if (
            not found
            or not FIRST_YEAR <= int(found.group(1)) <= LAST_YEAR
            or not 1 <= int(found.group(2)) <= 12
        ):
            raise BadPeriod(msg("web.calendar.bad_month", value=month[:40]))
        return month_period(int(found.group(1)), int(found.group(2)))
    return month_period(today.year, today.month)


# -- commemorations -------------------------------------------------------------------------------
def _calendar_files(folder: Path) -> list[Path]:
    """The data files ``publisher calendar`` reads: every YAML file but the examples, national first."""
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and "example" not in p.name]
    return sorted(files, key=lambda p: (p.name != "vietnam.yaml", p.name))


@lru_cache(maxsize=16)
def _year_occurrences(year: int, stamp: tuple[tuple[str, int, int], ...]) -> tuple[Occurrence, ...]:
    groups: list[list[Event]] = []
    for path, _mtime, _size in stamp:
        groups.append(parse_events(Path(path).read_text(encoding="utf-8-sig"), source=Path(path).name))
    return tuple(occurrences(merge(*groups), year))


def year_occurrences(year: int, folder: Path | None = None) -> tuple[Occurrence, ...]:
    """The year's commemorations from ``folder`` (default :data:`CALENDAR_DIR`), read again when a
    data file changes. Raises :class:`UserError` naming the file at fault when one cannot be read.
    """
    try:
        files = _calendar_files(folder or CALENDAR_DIR)
        stamp = tuple((str(p), (st := p.stat()).st_mtime_ns, st.st_size) for p in files)
        return _year_occurrences(year, stamp)
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(msg("web.calendar.unreadable", error=getattr(exc, "strerror", None) or exc)) from None


def _ordinal_en(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix} anniversary"


@dataclass(frozen=True)
class Occasion:
    """A commemoration on a day of the page."""

    id: str
    title: str
    ordinal: str | None
    lunar: str | None
    round: bool
    major: bool
    holiday: bool
    plan_url: str


def occasion(occ: Occurrence, lang: str) -> Occasion:
    event, years = occ.event, occ.years
    if lang == "en":
        title = event.name_en or event.name
        ordinal = _ordinal_en(years) if occ.is_anniversary and years is not None else None
    else:
        title, ordinal = occ.short_title, occ.ordinal_text
    celebrated = event.round_years
    return Occasion(
        id=event.id,
        title=title,
        ordinal=ordinal,
        lunar=t("web.calendar.lunar", date=occ.lunar.short()) if event.is_lunar else None,
        round=celebrated and occ.is_round,
        major=celebrated and occ.is_major,
        holiday=event.holiday,
        plan_url="/compose?" + urlencode({"date": occ.date.isoformat(), "occasion": event.id}),
    )


# -- the page -------------------------------------------------------------------------------------
def post_url(key: str) -> str:
    return "/posts/" + (key if POST_ID_RE.match(key) else quote(key, safe=""))


def chip(line: CalendarLine, local: datetime, icon: str, state: str) -> Markup:
    """A delivery on its day: a link coloured by its state, with the platform's ``icon``, the local
    time, the title, and the account and ``state`` in words (read aloud, printed).

    Made here, every text escaped, rather than in the template: a busy month has 2,000 of them,
    and one string each instead of a dozen template fragments and objects keeps the page fast
    and the garbage collector quiet (bench/web.py).
    """
    return Markup(
        f'<li><a class="chip state-{escape(line.state)}" href="{escape(post_url(line.post_key))}">{icon} '
        f'<time>{local.hour:02d}:{local.minute:02d}</time> <span class="t">{escape(line.title)}</span>'
        f'<span class="st"> · {escape(line.account_label)} · {escape(state)}</span></a></li>'
    )


def icons() -> dict[str, Markup]:
    """Each platform's icon, with its name as the alternative text."""
    return {
        p: Markup('<img class="icon" src="/static/icons/{}.svg" alt="{}">').format(p, name)
        for p, name in platform_names().items()
    }


@dataclass
class Day:
    date: date
    inside: bool
    today: bool
    lunar: str
    week: str
    occasions: list[Occasion] = field(default_factory=list)
    chips: list[Markup] = field(default_factory=list)

    @property
    def holiday(self) -> bool:
        return any(o.holiday for o in self.occasions)


def build_days(
    period: Period, lines: list[CalendarLine], occasions: list[Occurrence], today: date
) -> list[Day]:
    zone, lang, states, marks = display_zone(), language(), state_labels(), icons()
    days = {
        d: Day(d, period.first <= d < period.end, d == today, lunar.solar_to_lunar(d).short(), week_param(d))
        for d in period.grid
    }
    for line in lines:
        local = line.due_at.astimezone(zone)
        day = days.get(local.date())
        if day is not None and day.inside:
            day.chips.append(
                chip(line, local, marks.get(line.platform, ""), states.get(line.state, line.state))
            )
    for occ in occasions:
        day = days.get(occ.date)
        if day is not None and day.inside:
            day.occasions.append(occasion(occ, lang))
    return list(days.values())


def period_occurrences(period: Period) -> tuple[list[Occurrence], str | None]:
    """The commemorations of the period's year(s), or none and why (a broken data file)."""
    try:
        years = sorted({period.first.year, (period.end - timedelta(days=1)).year})
        return [occ for year in years for occ in year_occurrences(year)], None
    except UserError as exc:
        log.warning("calendar data: %s", exc)
        return [], t("web.calendar.broken", error=str(exc))


def heading(period: Period) -> str:
    if period.kind == "month":
        name = MONTHS_EN[period.first.month - 1]
        return t("web.calendar.month", month=period.first.month, year=period.first.year, name=name)
    iso = period.first.isocalendar()
    last = period.end - timedelta(days=1)
    return t(
        "web.calendar.week", week=iso.week, year=iso.year, start=f"{period.first:%d/%m}", end=f"{last:%d/%m}"
    )


@router.get("/calendar", name="calendar", response_class=HTMLResponse)
def calendar(
    request: Request,
    viewer: Annotated[Viewer, Depends(page("calendar"))],
    month: str | None = None,
    week: str | None = None,
) -> Response:
    store = web(request).store
    zone = display_zone()
    today = datetime.now(zone).date()
    common: dict[str, Any] = {
        "paused": pause_banner(store),
        "weekdays": WEEKDAYS[language()],
        "states": state_labels(),
        "today_month": month_param(today),
        "today_week": week_param(today),
    }
    try:
        period = parse_period(month, week, today)
    except BadPeriod as exc:
        return render(
            request, "calendar.html", viewer, status_code=400, error=str(exc), period=None, **common
        )
    start = datetime(period.first.year, period.first.month, period.first.day, tzinfo=zone).astimezone(UTC)
    end = datetime(period.end.year, period.end.month, period.end.day, tzinfo=zone).astimezone(UTC)
    lines = WebViews(store.db).between(start, end, viewer.units)
    occurrences_, occasions_error = period_occurrences(period)
    other = week_period(today if period.first <= today < period.end else period.first)
    if period.kind == "week":
        thursday = period.first + timedelta(days=3)
        other = month_period(thursday.year, thursday.month)
    return render(
        request,
        "calendar.html",
        viewer,
        error=None,
        period=period,
        heading=heading(period),
        days=build_days(period, lines, occurrences_, today),
        occasions_error=occasions_error,
        total=len(lines),
        prev=period.shifted(-1),
        next=period.shifted(1),
        other=other,
        **common,
    )


__all__ = ["BadPeriod", "Period", "parse_period", "router", "year_occurrences"]
