"""``publisher report weekly`` and ``publisher log``: the weekly review and the raw log behind it."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from rich.console import Console

from publisher.actions.engagement import snapshots
from publisher.cli.common import bi, handle_errors, open_store, settings
from publisher.cli.output import console, emit_json, local_time, table
from publisher.core.models import Target
from publisher.errors import UserError
from publisher.i18n import msg, register, t
from publisher.reports.render_csv import render_csv
from publisher.reports.weekly import Week, build, write
from publisher.store.reports import attempts_log

register(
    {
        "report.written": ("Đã ghi báo cáo: {path}", "Report written: {path}"),
        "report.bad_since": (
            "“{value}” không phải ngày hợp lệ; viết theo dạng 2025-04-28 hoặc số ngày (7d).",
            "“{value}” is not a valid date; write it as 2025-04-28 or a number of days (7d).",
        ),
        "report.bad_account": (
            "“{value}” không phải tài khoản hợp lệ; viết theo dạng nền-tảng/tên (facebook/ubnd-xa).",
            "“{value}” is not a valid account; write it as platform/name (facebook/ubnd-xa).",
        ),
        "report.binary_needs_out": (
            "Định dạng {fmt} cần tệp đầu ra: thêm --out <tệp>.",
            "The {fmt} format needs an output file: add --out <file>.",
        ),
        "log.col.at": ("Thời điểm (giờ {tz})", "Time ({tz})"),
        "log.col.what": ("Sự kiện", "Event"),
        "log.col.post": ("Mã bài", "Post id"),
        "log.col.account": ("Tài khoản", "Account"),
        "log.col.detail": ("Chi tiết", "Detail"),
        "log.attempt": ("lần đăng", "attempt"),
        "log.snapshot": ("số liệu", "snapshot"),
        "log.empty": ("Chưa có gì trong nhật ký.", "The log is empty."),
    }
)


@click.group("report", help=bi("Báo cáo định kỳ.", "Periodic reports."))
def report_group() -> None:
    pass


@report_group.command(
    "weekly",
    help=bi(
        "Báo cáo tuần: bài đã đăng, đăng muộn, lỡ giờ, lỗi, tương tác, chiến dịch, người theo dõi.",
        "Weekly report: published, late, missed, failed, engagement, campaigns, followers.",
    ),
)
@click.option(
    "--week",
    default=None,
    help=bi(
        "Tuần ISO, ví dụ 2025-W18 (mặc định: tuần trước).", "ISO week, e.g. 2025-W18 (default: last week)."
    ),
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "xlsx", "html"]),
    default="table",
    show_default=True,
    help=bi("Định dạng.", "Format."),
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=bi("Tệp đầu ra (mặc định: màn hình cho table/csv).", "Output file (default: screen for table/csv)."),
)
@handle_errors
def weekly_command(week: str | None, fmt: str, out: Path | None) -> None:
    cfg = settings()
    now = datetime.now(UTC)
    wk = Week.parse(week, cfg.timezone) if week else Week.last_complete(now, cfg.timezone)
    store = open_store()
    report = build(store, wk, now)
    if fmt == "table":
        if out is None:
            _print_tables(report, console)
            return
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as fh:
            _print_tables(report, Console(file=fh, width=200, highlight=False, soft_wrap=True))
        click.echo(t("report.written", path=out))
        return
    if out is None:
        if fmt == "csv":
            sys.stdout.write(render_csv(report))
            return
        raise UserError(msg("report.binary_needs_out", fmt=fmt))
    write(report, fmt, out)
    click.echo(t("report.written", path=out))


def _print_tables(report: Any, to: Console) -> None:
    to.print(report.title, markup=False)
    to.print(report.generated, markup=False)
    to.print(t("report.note"), markup=False)
    for section in report.sections:
        rows = [["—" if v is None else v for v in row] for row in section.rows]
        to.print(table(section.title, section.columns, rows))


def _since(value: str | None, tz: str) -> datetime | None:
    if not value:
        return None
    text = value.strip().lower()
    try:
        if text.endswith("d") and text[:-1].isdigit():
            return datetime.now(UTC) - timedelta(days=int(text[:-1]))
        day = date.fromisoformat(text)
    except ValueError:
        raise UserError(msg("report.bad_since", value=value)) from None
    return datetime.combine(day, time(0), ZoneInfo(tz)).astimezone(UTC)


def log_entries(store: Any, since: datetime | None, account: Target | None) -> list[dict[str, Any]]:
    """Publishing attempts and engagement snapshots, oldest first, as plain dictionaries."""
    where = (account.platform.value, account.name) if account is not None else (None, None)
    attempts = attempts_log(store.db, since, *where)
    out: list[dict[str, Any]] = [
        {
            "at": r.started_at,
            "type": "attempt",
            "delivery_id": r.delivery_id,
            "post": r.key,
            "account": f"{r.platform}/{r.name}",
            "kind": r.kind,
            "number": r.number,
            "outcome": r.outcome,
            "code": r.code,
            "reason": r.reason,
            "remote_id": r.remote_id,
            "finished_at": r.finished_at,
            "url": r.remote_url,
        }
        for r in attempts
    ]
    out += [
        {
            "at": r.taken_at,
            "type": "snapshot",
            "delivery_id": r.delivery_id,
            "post": r.key,
            "account": f"{r.platform}/{r.name}",
            "kind": r.kind,
            "slot": r.slot,
            "remote_id": r.remote_id,
            "views": r.views,
            "reactions": r.reactions,
            "comments": r.comments,
            "shares": r.shares,
            "raw": r.raw,
            "url": r.remote_url,
        }
        for r in snapshots(store, since=since, account=account)
    ]
    out.sort(key=lambda d: (d["at"], d["type"], d["delivery_id"]))
    return out


def _local_times(entry: dict[str, Any], tz: str) -> dict[str, Any]:
    """The entry with its times on the officer's clock, offset included (``…T07:00:00+07:00``)."""
    zone = ZoneInfo(tz)
    return {
        k: (v.replace(tzinfo=v.tzinfo or UTC).astimezone(zone) if isinstance(v, datetime) else v)
        for k, v in entry.items()
    }


def _detail(entry: dict[str, Any]) -> str:
    if entry["type"] == "attempt":
        parts = [entry["kind"], entry["outcome"] or "…", entry["code"] or "", entry["reason"] or ""]
        return " ".join(p for p in parts if p)
    figures = " ".join(
        f"{name}={'—' if entry[name] is None else entry[name]}"
        for name in ("views", "reactions", "comments", "shares")
    )
    return f"{entry['slot']} {figures}"


@click.command(
    "log",
    help=bi("Nhật ký đăng bài và số liệu tương tác (dữ liệu gốc).", "The raw publishing and engagement log."),
)
@click.option(
    "--since",
    default=None,
    help=bi(
        "Từ ngày (2025-04-28) hoặc số ngày gần đây (7d).", "From a date (2025-04-28) or recent days (7d)."
    ),
)
@click.option(
    "--account",
    default=None,
    help=bi("Chỉ một tài khoản (facebook/ten).", "One account only (facebook/name)."),
)
@click.option("--json", "as_json", is_flag=True, help=bi("In dạng JSON.", "Print JSON."))
@handle_errors
def log_command(since: str | None, account: str | None, as_json: bool) -> None:
    cfg = settings()
    target = None
    if account:
        try:
            target = Target.parse(account)
        except ValueError:
            raise UserError(msg("report.bad_account", value=account)) from None
    entries = log_entries(open_store(), _since(since, cfg.timezone), target)
    if as_json:
        emit_json([_local_times(en, cfg.timezone) for en in entries])
        return
    if not entries:
        console.print(t("log.empty"), markup=False)
        return
    console.print(
        table(
            None,
            [
                t("log.col.at", tz=cfg.timezone),
                t("log.col.what"),
                t("log.col.post"),
                t("log.col.account"),
                t("log.col.detail"),
            ],
            [
                [
                    local_time(en["at"], cfg.timezone),
                    t(f"log.{en['type']}"),
                    en["post"],
                    en["account"],
                    _detail(en),
                ]
                for en in entries
            ],
        )
    )


COMMANDS: list[click.Command] = [report_group, log_command]
