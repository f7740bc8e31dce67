"""What the command line prints: the consoles, tables, JSON, and times on the office's clock."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from rich.table import Table

from publisher.i18n import register, t
from publisher.settings import get_settings

register(
    {
        "cli.col.id": ("Số", "No."),
        "cli.col.post": ("Mã bài", "Post"),
        "cli.col.target": ("Nơi đăng", "Target"),
        "cli.col.time": ("Giờ đăng", "Time"),
        "cli.col.state": ("Trạng thái", "State"),
        "cli.col.title": ("Tiêu đề", "Title"),
        "cli.col.result": ("Kết quả / lý do", "Result / reason"),
        "cli.col.account": ("Tài khoản", "Account"),
        "cli.col.name": ("Tên hiển thị", "Display name"),
        "cli.col.expires": ("Hết hạn token", "Token expires"),
        "cli.col.when": ("Lúc", "When"),
        "cli.col.who": ("Ai", "Who"),
        "cli.col.what": ("Việc", "What"),
        "cli.col.detail": ("Chi tiết", "Detail"),
        "cli.col.attempt": ("Lần", "Attempt"),
        "cli.col.code": ("Mã lỗi", "Code"),
    }
)

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def local_time(value: datetime | None, tz: str | None = None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(tz or get_settings().timezone)).strftime(fmt)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))


def _json_default(o: Any) -> Any:
    if isinstance(o, datetime):
        return o.isoformat()
    return str(o)


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    tbl = Table(title=title, show_lines=False)
    for col in columns:
        tbl.add_column(col)
    for row in rows:
        tbl.add_row(*["" if v is None else str(v) for v in row])
    return tbl


def print_rows(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A table whose columns are named by their ``cli.col.<name>`` message."""
    console.print(table(title, [t(f"cli.col.{c}") for c in columns], rows))
