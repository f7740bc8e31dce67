"""``publisher collect [--weekly]``: the engagement collection of the beat, run now.

Calls :func:`publisher.actions.engagement.collect_now` with the workers' rate buckets, then prints a short
summary. Exit code 1 when an account could not be read (the others are still collected).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from publisher.actions import engagement
from publisher.cli.common import bi, handle_errors, open_store, settings
from publisher.cli.output import console, err_console
from publisher.i18n import register, t

register(
    {
        "collect.weekly": (
            "Quét tuần {week} (các bài đăng trong {weeks} tuần qua).",
            "Weekly sweep {week} (posts of the last {weeks} weeks).",
        ),
        "collect.taken": ("Đã lấy {n} số liệu tương tác.", "Took {n} engagement snapshots."),
        "collect.nothing_due": (
            "Không có số liệu tương tác nào đến hạn (số liệu được lấy sau khi đăng 1 giờ, 24 giờ và "
            "7 ngày; thêm --weekly để quét các bài đăng trong {weeks} tuần qua).",
            "No engagement figures are due (they are taken 1 hour, 24 hours and 7 days after "
            "publishing; add --weekly to sweep the posts of the last {weeks} weeks).",
        ),
        "collect.nothing_weekly": (
            "Không có bài nào đăng trong {weeks} tuần qua cần lấy số liệu (hoặc tuần này đã lấy rồi).",
            "No post of the last {weeks} weeks needs figures (or they were taken this week already).",
        ),
        "collect.not_returned": (
            "{n} lượt đăng chưa được nền tảng trả số liệu; sẽ hỏi lại ở lần sau.",
            "{n} deliveries got no figures from the platform; they will be asked again next time.",
        ),
        "collect.deferred": (
            "Tạm hoãn vì giới hạn số lần gọi: {accounts}; sẽ lấy ở lần chạy sau.",
            "Postponed by the call rate limit: {accounts}; left for the next run.",
        ),
        "collect.followers": ("Người theo dõi hôm nay: {items}.", "Followers today: {items}."),
        "collect.error": (
            "Lỗi khi lấy số liệu của {account}: {error}",
            "Could not collect from {account}: {error}",
        ),
    }
)


@click.command(
    "collect",
    help=bi(
        "Lấy số liệu tương tác ngay (như lịch tự động): các bài đến hạn sau 1 giờ, 24 giờ, 7 ngày "
        "và số người theo dõi hôm nay; --weekly quét thêm các bài trong mấy tuần qua.",
        "Collect engagement now (as the automatic schedule does): posts due at 1 hour, 24 hours, "
        "7 days, and today's followers; --weekly also sweeps the posts of the last weeks.",
    ),
)
@click.option(
    "--weekly",
    is_flag=True,
    help=bi(
        "Quét tuần: mọi bài đăng trong engagement_weeks tuần qua (mặc định 8).",
        "Weekly sweep: every post of the last engagement_weeks weeks (default 8).",
    ),
)
@handle_errors
def collect_command(weekly: bool) -> None:
    cfg = settings()
    store = open_store()
    now = datetime.now(UTC)
    try:
        report = engagement.collect_now(
            store, now, weekly=weekly, acquire=engagement.collect_limiter(cfg, store)
        )
    finally:
        store.db.dispose()
    weeks = cfg.engagement_weeks
    lines: list[str] = []
    if weekly:
        lines.append(t("collect.weekly", week=engagement.week_label(now, cfg.timezone), weeks=weeks))
    if report.taken or report.not_returned or report.deferred or report.errors:
        lines.append(t("collect.taken", n=len(report.taken)))
    else:
        lines.append(t("collect.nothing_weekly" if weekly else "collect.nothing_due", weeks=weeks))
    if report.not_returned:
        lines.append(t("collect.not_returned", n=len({did for did, _ in report.not_returned})))
    if report.deferred:
        lines.append(t("collect.deferred", accounts=", ".join(dict.fromkeys(report.deferred))))
    if report.followers:
        items = "; ".join(f"{account} {count}" for account, count in report.followers)
        lines.append(t("collect.followers", items=items))
    for line in lines:
        console.print(line, markup=False)
    for account, error in report.errors:
        err_console.print(t("collect.error", account=account, error=error), markup=False)
    if report.errors:
        sys.exit(1)


COMMANDS: list[click.Command] = [collect_command]
