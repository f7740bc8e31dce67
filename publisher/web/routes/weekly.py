"""The weekly review (``/weekly?week=2026-W18``) and its downloads (``/weekly/download``).

The page is ``publisher report weekly`` of the viewer's unit: the report model of
:mod:`publisher.reports.weekly` (the same sections, numbers and charts as the CLI's, never
counted again here), rendered as tables with the charts as PNG data URIs, plus the engagement
log behind the figures (each post's +1 h / +24 h / +7 d snapshots, in local time) one click away
from each post. An admin sees every unit, or picks one with ``&unit=``; anyone else sees their
own unit only (another unit named in ``&unit=`` is a 404). The downloads are the CLI's XLSX, CSV
and HTML files of the same report.
"""

from __future__ import annotations

import base64
import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from publisher.actions.users import known_units
from publisher.errors import UserError
from publisher.i18n import language, msg, register, t
from publisher.reports.charts import all_charts
from publisher.reports.render_html import CHART_SECTION
from publisher.reports.weekly import FORMATS, METRICS, Week, build, engagement_log, file_name, rendered
from publisher.web.deps import Viewer, page, web
from publisher.web.render import render
from publisher.web.routes.dashboard import pause_banner

register(
    {
        "web.weekly.title": ("Báo cáo tuần", "Weekly report"),
        "web.weekly.pick": ("Chọn tuần và đơn vị", "Pick the week and unit"),
        "web.weekly.week": ("Tuần (ví dụ 2026-W18)", "Week (for example 2026-W18)"),
        "web.weekly.unit": ("Đơn vị", "Unit"),
        "web.weekly.all_units": ("Tất cả đơn vị", "All units"),
        "web.weekly.your_unit": ("Đơn vị: {unit}", "Unit: {unit}"),
        "web.weekly.show": ("Xem", "Show"),
        "web.weekly.weeks": ("Chuyển tuần", "Move between weeks"),
        "web.weekly.prev": ("← Tuần trước", "← Previous week"),
        "web.weekly.next": ("Tuần sau →", "Next week →"),
        "web.weekly.last": ("Tuần vừa qua", "Last week"),
        "web.weekly.downloads": ("Tải báo cáo về", "Download the report"),
        "web.weekly.download.xlsx": ("Excel (XLSX)", "Excel (XLSX)"),
        "web.weekly.download.csv": ("CSV", "CSV"),
        "web.weekly.download.html": ("Trang HTML (để in)", "HTML page (to print)"),
        "web.weekly.empty": ("Không có dòng nào.", "No rows."),
        "web.weekly.log": ("Nhật ký số liệu tương tác", "Engagement log"),
        "web.weekly.log_intro": (
            "Mỗi lượt đăng trong tuần với các lần lấy số liệu: sau 1 giờ, 24 giờ, 7 ngày rồi hằng tuần "
            "(giờ {tz}). Số liệu trong báo cáo là lần lấy cuối cùng trước khi hết tuần.",
            "Each delivery published in the week with its snapshots: after 1 hour, 24 hours, 7 days, "
            "then weekly ({tz} time). The report's figures are the last snapshot before the week ended.",
        ),
        "web.weekly.log_none": (
            "Không có bài nào được đăng trong tuần này.",
            "Nothing was published in this week.",
        ),
        "web.weekly.log_link": ("Nhật ký số liệu của bài {key}", "Engagement log of post {key}"),
        "web.weekly.published": ("đăng lúc {at}", "published at {at}"),
        "web.weekly.open": ("Mở bài đã đăng", "Open the live post"),
        "web.weekly.post_page": ("Trang của bài", "The post's page"),
        "web.weekly.to_top": ("↑ Lên đầu trang", "↑ Back to the top"),
        "web.weekly.col.slot": ("Lần lấy", "Snapshot"),
        "web.weekly.col.taken_at": ("Lúc lấy", "Taken at"),
        "web.weekly.slot.1h": ("+1 giờ", "+1 h"),
        "web.weekly.slot.24h": ("+24 giờ", "+24 h"),
        "web.weekly.slot.7d": ("+7 ngày", "+7 d"),
        "web.weekly.slot.weekly": ("Hằng tuần ({week})", "Weekly ({week})"),
        "web.weekly.not_taken": ("chưa lấy", "not taken yet"),
        "web.weekly.bad_week": (
            "“{value}” không phải là một tuần. Ghi theo dạng NĂM-Wsố tuần, ví dụ ?week=2026-W18 "
            "(tuần 18 năm 2026; năm 1901–2099).",
            "“{value}” is not a week. Write YEAR-Wweek, for example ?week=2026-W18 "
            "(week 18 of 2026; years 1901–2099).",
        ),
        "web.weekly.bad_format": (
            "Không có định dạng “{value}”; chọn một trong: {formats}.",
            "There is no format “{value}”; pick one of: {formats}.",
        ),
    }
)

router = APIRouter()

ALL = "all"
FIRST_YEAR, LAST_YEAR = 1901, 2099
YEAR_RE = re.compile(r"^\s*(\d{4})")
#: charts drawn lately, by language and data: drawing the four takes most of a second
CHART_CACHE_SIZE = 16
_charts: OrderedDict[str, dict[str, dict[str, str]]] = OrderedDict()
#: one drawing at a time: pyplot keeps global state, and handlers run in a thread pool
_charts_lock = threading.Lock()


class BadRequest(UserError):
    """A ``?week=`` or ``?format=`` the page cannot use (answered with 400 and this message)."""


@dataclass(frozen=True)
class Scope:
    """Whose posts the report counts: ``units`` (None: every unit) and the unit an admin picked."""

    units: frozenset[str] | None
    picked: str | None


def scope(viewer: Viewer, unit: str | None) -> Scope:
    """An admin: every unit, or the one named; anyone else: their own (another unit named: 404)."""
    named = (unit or "").strip()
    if viewer.units is None:
        return Scope(frozenset({named}) if named and named != ALL else None, named if named != ALL else None)
    if named and named != ALL:
        viewer.require_unit(named)
    return Scope(viewer.units, None)


def parse_week(value: str | None, tz: str, now: datetime) -> Week:
    """The week ``value`` names; the last complete week without one. Raises :class:`BadRequest`."""
    if value is None or not value.strip():
        return Week.last_complete(now, tz)
    shown = value.strip()[:40]
    year = YEAR_RE.match(value)
    try:
        if year is None or not FIRST_YEAR <= int(year.group(1)) <= LAST_YEAR:
            raise ValueError(value)
        return Week.parse(value, tz)
    except (UserError, ValueError, OverflowError):
        raise BadRequest(msg("web.weekly.bad_week", value=shown)) from None


def query(week: Week, picked: str | None, **extra: str) -> str:
    params = {"week": week.label, **({"unit": picked} if picked else {}), **extra}
    return urlencode(params)


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def chart_images(data: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The report's charts (drawn by :mod:`publisher.reports.charts`) as PNG data URIs, by the
    section each one illustrates; the same data in the same language is drawn once."""
    key = f"{language()}:{data!r}"
    with _charts_lock:
        found = _charts.get(key)
        if found is None:
            found = {
                CHART_SECTION[name]: {"key": name, "title": title, "src": data_uri(png)}
                for name, title, png in all_charts(data)
            }
            _charts[key] = found
            while len(_charts) > CHART_CACHE_SIZE:
                _charts.popitem(last=False)
        else:
            _charts.move_to_end(key)
        return found


def slot_label(slot: str) -> str:
    if slot.startswith("weekly:"):
        return t("web.weekly.slot.weekly", week=slot.split(":", 1)[1])
    return t(f"web.weekly.slot.{slot}") if slot in ("1h", "24h", "7d") else slot


def anchor(key: str) -> str:
    """The id of a post's engagement log on the page."""
    return "log-" + re.sub(r"[^A-Za-z0-9_-]", "_", key)


def ascii_name(unit: str) -> str:
    """``unit`` as a plain ASCII file name part (``Xã Đông`` -> ``Xa-Dong``)."""
    text = unicodedata.normalize("NFKD", unit.replace("đ", "d").replace("Đ", "D"))
    return re.sub(r"[^A-Za-z0-9_]+", "-", text.encode("ascii", "ignore").decode()).strip("-") or "don-vi"


def _common(request: Request, viewer: Viewer, picked: str | None, now: datetime) -> dict[str, Any]:
    ctx = web(request)
    return {
        "paused": pause_banner(ctx.store),
        "units": known_units(ctx.store) if viewer.units is None else None,
        "picked": picked,
        "own_unit": None if viewer.units is None else ", ".join(sorted(viewer.units)),
        "all_units": ALL,
        "last_week": Week.last_complete(now, ctx.settings.timezone).label,
    }


@router.get("/weekly", name="weekly", response_class=HTMLResponse)
def weekly(
    request: Request,
    viewer: Annotated[Viewer, Depends(page("weekly"))],
    week: str | None = None,
    unit: str | None = None,
) -> Response:
    ctx = web(request)
    tz = ctx.settings.timezone
    now = datetime.now(UTC)
    where = scope(viewer, unit)
    common = _common(request, viewer, where.picked, now)
    try:
        wk = parse_week(week, tz, now)
    except BadRequest as exc:
        return render(request, "weekly.html", viewer, status_code=400, error=str(exc), report=None, **common)
    report = build(ctx.store, wk, now, where.units)
    keys = [str(row[1]) for row in report.section("posts").rows]
    log = engagement_log(ctx.store, keys, where.units)
    charts = chart_images(report.charts)
    return render(
        request,
        "weekly.html",
        viewer,
        error=None,
        report=report,
        week=wk,
        charts=charts,
        log=log,
        logged={p.key: anchor(p.key) for p in log},
        anchor=anchor,
        post_column=t("report.col.post"),
        metrics=[t(f"report.col.{m}") for m in METRICS],
        slot_label=slot_label,
        tz=tz,
        prev_q=query(wk.previous(tz), where.picked),
        next_q=query(Week.of(wk.monday + timedelta(days=7), tz), where.picked),
        downloads=[(fmt, "/weekly/download?" + query(wk, where.picked, format=fmt)) for fmt in FORMATS],
        **common,
    )


@router.get("/weekly/download", name="weekly_download")
def weekly_download(
    request: Request,
    viewer: Annotated[Viewer, Depends(page("weekly_download"))],
    week: str | None = None,
    unit: str | None = None,
    fmt: Annotated[str, Query(alias="format")] = "xlsx",
) -> Response:
    ctx = web(request)
    now = datetime.now(UTC)
    where = scope(viewer, unit)
    try:
        wk = parse_week(week, ctx.settings.timezone, now)
        kind = fmt.strip().lower()
        if kind not in FORMATS:
            raise BadRequest(msg("web.weekly.bad_format", value=fmt[:20], formats=", ".join(FORMATS)))
    except BadRequest as exc:
        common = _common(request, viewer, where.picked, now)
        return render(request, "weekly.html", viewer, status_code=400, error=str(exc), report=None, **common)
    report = build(ctx.store, wk, now, where.units)
    name = file_name(wk, kind)
    if where.picked:
        name = name.removesuffix(f".{kind}") + f"-{ascii_name(where.picked)}.{kind}"
    return Response(
        rendered(report, kind),
        media_type=FORMATS[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


__all__ = ["BadRequest", "parse_week", "router", "scope"]
