"""``/api/v1/calendar`` (deliveries and commemorations of a range of days) and
``/api/v1/reports/weekly`` (the weekly report's model, as ``publisher report weekly`` builds it).

Days are in the office's time zone (``settings.timezone``). The report of a non-admin is their
unit's; an admin gets every unit, or one with ``?unit=`` (as on the weekly page).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request

from publisher.core.calendar import Occurrence
from publisher.errors import UserError
from publisher.i18n import display_zone, msg, register
from publisher.reports.weekly import FORMATS, Week, build
from publisher.store.webviews import WebViews
from publisher.web.api import models as m
from publisher.web.api.auth import api_page
from publisher.web.api.errors import ApiError, ApiRoute
from publisher.web.api.occasions import FIRST_YEAR, LAST_YEAR, year_occurrences
from publisher.web.deps import Viewer, web

register(
    {
        "api.calendar.bad_day": (
            "“{value}” ({name}) không phải một ngày; ghi theo dạng 2026-04-30 (năm 1901–2099).",
            "“{value}” ({name}) is not a day; write it as 2026-04-30 (years 1901–2099).",
        ),
        "api.calendar.bad_month": (
            "“{value}” không phải một tháng; ghi theo dạng 2026-04.",
            "“{value}” is not a month; write it as 2026-04.",
        ),
        "api.calendar.bad_week": (
            "“{value}” không phải một tuần; ghi theo dạng 2026-W18 (năm 1901–2099).",
            "“{value}” is not a week; write it as 2026-W18 (years 1901–2099).",
        ),
        "api.calendar.too_long": (
            "Khoảng ngày quá dài (tối đa {days} ngày) hoặc ngày cuối trước ngày đầu.",
            "The range is too long (at most {days} days) or ends before it starts.",
        ),
    }
)

router = APIRouter(route_class=ApiRoute, responses=m.ERRORS)

MAX_DAYS = 400
MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
WEEK_RE = re.compile(r"^\s*(\d{4})-?[Ww](\d{1,2})\s*$")


def _day(value: str, name: str) -> date:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        day = None
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ApiError(422, "validation", msg("api.calendar.bad_day", value=value[:40], name=name))
    return day


def days_of(
    start: str | None, end: str | None, month: str | None, week: str | None, today: date
) -> tuple[date, date]:
    """The first and last day (inclusive) the query names: ``from``/``to``, a ``week``, a
    ``month``, else this month."""
    if start or end:
        given = _day(end, "to") if end else None
        first = _day(start, "from") if start else (given or today) - timedelta(days=30)
        last = given or first + timedelta(days=30)
    elif week:
        found = WEEK_RE.match(week)
        try:
            if not found or not FIRST_YEAR <= int(found.group(1)) <= LAST_YEAR:
                raise ValueError(week)
            first = date.fromisocalendar(int(found.group(1)), int(found.group(2)), 1)
        except ValueError:
            raise ApiError(422, "validation", msg("api.calendar.bad_week", value=week[:40])) from None
        last = first + timedelta(days=6)
    else:
        if month:
            found = MONTH_RE.match(month)
            if (
                not found
                or not FIRST_YEAR <= int(found.group(1)) <= LAST_YEAR
                or not 1 <= int(found.group(2)) <= 12
            ):
                raise ApiError(422, "validation", msg("api.calendar.bad_month", value=month[:40]))
            year, number = int(found.group(1)), int(found.group(2))
        else:
            year, number = today.year, today.month
        first = date(year, number, 1)
        last = date(year + number // 12, number % 12 + 1, 1) - timedelta(days=1)
    if last < first or (last - first).days >= MAX_DAYS or last.year > LAST_YEAR:
        raise ApiError(422, "validation", msg("api.calendar.too_long", days=MAX_DAYS))
    return first, last


def _occasion(occ: Occurrence) -> m.Occasion:
    data = occ.as_dict()
    return m.Occasion(
        id=data["id"],
        date=occ.date,
        name=data["name"],
        name_en=data["name_en"],
        title=data["title"],
        category=data["category"],
        calendar=data["calendar"],
        lunar=data["lunar"],
        years=data["years"],
        ordinal=data["ordinal"],
        round=bool(occ.event.round_years and occ.is_round),
        major=bool(occ.event.round_years and occ.is_major),
        holiday=data["holiday"],
        plan_url="/compose?" + urlencode({"date": occ.date.isoformat(), "occasion": occ.event.id}),
    )


@router.get(
    "/api/v1/calendar",
    name="api_calendar",
    operation_id="calendar",
    response_model=m.CalendarResponse,
    tags=["calendar"],
    summary="Deliveries and commemorations of a range of days",
)
def calendar(
    request: Request,
    viewer: Annotated[Viewer, Depends(api_page("api_calendar"))],
    start: Annotated[str | None, Query(alias="from", description="First day, e.g. 2026-04-01")] = None,
    end: Annotated[str | None, Query(alias="to", description="Last day (included)")] = None,
    month: Annotated[str | None, Query(description="A month, e.g. 2026-04 (default: this month)")] = None,
    week: Annotated[str | None, Query(description="An ISO week, e.g. 2026-W18")] = None,
) -> m.CalendarResponse:
    """Every delivery of the caller's units due in the range (at most 400 days), and the year's
    commemorations and holidays on its days (solar and lunar, with their ordinals)."""
    ctx = web(request)
    zone = display_zone()
    first, last = days_of(start, end, month, week, datetime.now(zone).date())
    after = last + timedelta(days=1)
    begin = datetime(first.year, first.month, first.day, tzinfo=zone).astimezone(UTC)
    finish = datetime(after.year, after.month, after.day, tzinfo=zone).astimezone(UTC)
    lines = WebViews(ctx.store.db).between(begin, finish, viewer.units)
    occasions: list[m.Occasion] = []
    error = None
    try:
        for year in range(first.year, last.year + 1):
            occasions += [_occasion(o) for o in year_occurrences(year) if first <= o.date <= last]
    except UserError as exc:
        occasions, error = [], str(exc)
    return m.CalendarResponse(
        start=first,
        end=last,
        timezone=ctx.settings.timezone,
        deliveries=[
            m.CalendarDelivery(
                id=line.id,
                post=line.post_key,
                title=line.title,
                unit=line.unit,
                target=f"{line.platform}/{line.account}",
                account_label=line.account_label,
                state=line.state,
                due_at=line.due_at,
                local_date=line.due_at.astimezone(zone).date(),
            )
            for line in lines
        ],
        occasions=sorted(occasions, key=lambda o: (o.date, o.id)),
        occasions_error=error,
    )


@router.get(
    "/api/v1/reports/weekly",
    name="api_weekly",
    operation_id="weekly_report",
    response_model=m.WeeklyReport,
    tags=["reports"],
    summary="The weekly report",
)
def weekly(
    request: Request,
    viewer: Annotated[Viewer, Depends(api_page("api_weekly"))],
    week: Annotated[str | None, Query(description="ISO week, e.g. 2026-W18 (default: last week)")] = None,
    unit: Annotated[
        str | None, Query(max_length=100, description="An admin: one unit (default: all)")
    ] = None,
) -> m.WeeklyReport:
    """``publisher report weekly`` of the caller's unit: the same sections, figures and chart data."""
    ctx = web(request)
    tz = ctx.settings.timezone
    now = datetime.now(UTC)
    named = (unit or "").strip()
    if named == "all":
        named = ""
    if viewer.units is None:
        units, picked = (frozenset({named}) if named else None), named or None
    else:
        if named and not viewer.sees(named):
            raise ApiError(404)
        units, picked = viewer.units, None
    if week and week.strip():
        year = re.match(r"^\s*(\d{4})", week)
        try:
            if year is None or not FIRST_YEAR <= int(year.group(1)) <= LAST_YEAR:
                raise ValueError(week)
            wk = Week.parse(week, tz)
        except (UserError, ValueError, OverflowError):
            raise ApiError(422, "validation", msg("api.calendar.bad_week", value=week.strip()[:40])) from None
    else:
        wk = Week.last_complete(now, tz)
    report = build(ctx.store, wk, now, units)
    query = {"week": wk.label, **({"unit": picked} if picked else {})}
    return m.WeeklyReport(
        week=wk.label,
        title=report.title,
        start=wk.start,
        end=wk.end,
        previous_week=report.previous.label,
        timezone=report.timezone,
        unit=picked if viewer.units is None else ", ".join(sorted(viewer.units)),
        generated_at=report.generated_at,
        sections=[
            m.ReportSection(
                key=sec.key, title=sec.title, columns=sec.columns, rows=sec.rows, link_column=sec.link_column
            )
            for sec in report.sections
        ],
        charts=report.charts,
        downloads={fmt: "/weekly/download?" + urlencode({**query, "format": fmt}) for fmt in FORMATS},
    )


__all__ = ["days_of", "router"]
