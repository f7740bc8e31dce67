"""The weekly report's data: the week, its sections of plain cells, and the report itself.

Shared by :mod:`publisher.reports.weekly` (which builds a report) and the renderers
(``render_csv``, ``render_xlsx``, ``render_html``), which only read one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from publisher.errors import UserError
from publisher.i18n import msg, register, t

register(
    {
        "report.bad_week": (
            "Tuần “{week}” không hợp lệ; viết theo dạng 2025-W18 (năm-W số tuần).",
            "Week “{week}” is not valid; write it as 2025-W18 (year-W week number).",
        ),
        "report.title": ("Báo cáo tuần {week} ({start} – {end})", "Weekly report {week} ({start} – {end})"),
        "report.generated": (
            "Lập lúc {at} (giờ {tz}; mọi thời điểm trong báo cáo đều theo giờ này)",
            "Generated at {at} ({tz} time; every time in this report is in this time zone)",
        ),
        "report.note": (
            "Số liệu tương tác là của các bài đăng trong tuần, tính đến cuối tuần; “—” là không có số "
            "liệu (nền tảng không cung cấp, hoặc không có bài để so sánh). So sánh với các bài đăng tuần trước, tính đến cuối tuần trước.",
            "Engagement figures are those of the posts published in the week, as of the end of the "
            "week; “—” means no figure (the platform does not report it, or there is nothing to compare). Compared with the posts of the "
            "previous week, as of the end of that week.",
        ),
        "report.section.status": ("Tình hình đăng bài theo nền tảng", "Publishing by platform"),
        "report.section.deliveries": ("Danh sách lượt đăng trong tuần", "Deliveries of the week"),
        "report.section.posts": ("Tương tác theo bài", "Engagement per post"),
        "report.section.platforms": (
            "Tương tác theo nền tảng, so với tuần trước",
            "Engagement per platform vs previous week",
        ),
        "report.section.top": ("Bài nổi bật", "Top posts"),
        "report.section.campaigns": ("Tổng theo chiến dịch", "Totals per campaign"),
        "report.section.followers": ("Người theo dõi", "Followers"),
        "report.col.platform": ("Nền tảng", "Platform"),
        "report.col.account": ("Tài khoản", "Account"),
        "report.col.due": ("Đến hạn", "Due"),
        "report.col.published": ("Đã đăng", "Published"),
        "report.col.late": ("Đăng muộn", "Late"),
        "report.col.missed": ("Lỡ giờ", "Missed"),
        "report.col.failed": ("Thất bại", "Failed"),
        "report.col.needs_reauth": ("Chờ đăng nhập lại", "Needs re-auth"),
        "report.col.due_at": ("Giờ hẹn", "Due at"),
        "report.col.published_at": ("Giờ đăng", "Published at"),
        "report.col.post": ("Mã bài", "Post id"),
        "report.col.title": ("Tiêu đề", "Title"),
        "report.col.campaign": ("Chiến dịch", "Campaign"),
        "report.col.state": ("Trạng thái", "Status"),
        "report.col.link": ("Liên kết", "Link"),
        "report.col.views": ("Lượt xem", "Views"),
        "report.col.reactions": ("Lượt thích/cảm xúc", "Reactions"),
        "report.col.comments": ("Bình luận", "Comments"),
        "report.col.shares": ("Chia sẻ", "Shares"),
        "report.col.posts": ("Số bài", "Posts"),
        "report.col.deliveries": ("Số lượt đăng", "Deliveries"),
        "report.col.metric": ("Chỉ số", "Metric"),
        "report.col.this_week": ("Tuần này", "This week"),
        "report.col.previous_week": ("Tuần trước", "Previous week"),
        "report.col.change": ("Thay đổi", "Change"),
        "report.col.change_pct": ("Thay đổi (%)", "Change (%)"),
        "report.col.rank": ("Hạng", "Rank"),
        "report.col.followers_end": ("Cuối tuần này", "End of this week"),
        "report.col.followers_prev": ("Cuối tuần trước", "End of previous week"),
        "report.all_platforms": ("Tất cả", "All"),
        "report.no_campaign": ("(không thuộc chiến dịch)", "(no campaign)"),
        "report.platform.facebook": ("Facebook", "Facebook"),
        "report.platform.youtube": ("YouTube", "YouTube"),
        "report.platform.zalo": ("Zalo OA", "Zalo OA"),
        "report.platform.sandbox": ("Thử nghiệm", "Sandbox"),
    }
)

WEEK_RE = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Week:
    label: str
    monday: date
    start: datetime  # UTC
    end: datetime  # UTC, exclusive

    @classmethod
    def parse(cls, text: str, tz: str) -> Week:
        m = WEEK_RE.match(text or "")
        if not m:
            raise UserError(msg("report.bad_week", week=text))
        try:
            monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        except ValueError:
            raise UserError(msg("report.bad_week", week=text)) from None
        return cls.of(monday, tz)

    @classmethod
    def of(cls, day: date, tz: str) -> Week:
        monday = day - timedelta(days=day.weekday())
        zone = ZoneInfo(tz)
        start = datetime.combine(monday, time(0), zone).astimezone(UTC)
        end = datetime.combine(monday + timedelta(days=7), time(0), zone).astimezone(UTC)
        year, week, _ = monday.isocalendar()
        return cls(f"{year}-W{week:02d}", monday, start, end)

    @classmethod
    def last_complete(cls, now: datetime, tz: str) -> Week:
        today = now.astimezone(ZoneInfo(tz)).date()
        return cls.of(today - timedelta(days=7), tz)

    def previous(self, tz: str) -> Week:
        return Week.of(self.monday - timedelta(days=7), tz)


@dataclass
class Section:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]  # cells: int, float, str or None; datetimes already as local text
    link_column: int | None = None


@dataclass
class WeeklyReport:
    week: Week
    previous: Week
    timezone: str
    generated_at: datetime
    sections: list[Section]
    charts: dict[str, Any] = field(default_factory=dict)  # data the charts are drawn from

    @property
    def title(self) -> str:
        last = self.week.monday + timedelta(days=6)
        return t(
            "report.title",
            week=self.week.label,
            start=self.week.monday.strftime("%d/%m/%Y"),
            end=last.strftime("%d/%m/%Y"),
        )

    @property
    def generated(self) -> str:
        """When the report was made, on the officer's clock (``settings.timezone``), zone named."""
        return t("report.generated", at=local_text(self.generated_at, self.timezone), tz=self.timezone)

    def section(self, key: str) -> Section:
        return next(sec for sec in self.sections if sec.key == key)


def local_text(value: datetime | None, tz: str) -> str | None:
    return value.astimezone(ZoneInfo(tz)).strftime("%d/%m/%Y %H:%M") if value else None
