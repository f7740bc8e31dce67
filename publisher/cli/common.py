"""Shared pieces of the command line: output, JSON, time display, error handling."""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from rich.table import Table

from publisher.errors import PublisherError, ValidationFailed
from publisher.i18n import register, t
from publisher.settings import Settings, get_settings

register(
    {
        "cli.unexpected": (
            "sự cố ngoài dự kiến ({error}). Chi tiết đã ghi vào {log}; gửi tệp đó cho người hỗ trợ kỹ thuật.",
            "unexpected failure ({error}). The details are in {log}; send that file to whoever supports you.",
        ),
        "cli.unexpected_nolog": (
            "sự cố ngoài dự kiến ({error}). Không ghi được nhật ký ({why}); chi tiết ở dưới:",
            "unexpected failure ({error}). Could not write the log ({why}); details below:",
        ),
    }
)

LOG_NAME = "publisher.log"
LOG_MAX_BYTES = 5 * 1024 * 1024

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


def bi(vi: str, en: str) -> str:
    """Help text in both languages, Vietnamese first."""
    return f"{vi}\n\n{en}"


def settings() -> Settings:
    return get_settings()


def local_time(value: datetime | None, tz: str | None = None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(tz or settings().timezone)).strftime(fmt)


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


def print_problems(problems: Sequence[Any]) -> None:
    for p in problems:
        err_console.print(f"  • {p}", markup=False)


def handle_errors(func: F) -> F:
    """Turn our own errors into a message and an exit code; never a traceback for a user mistake."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ValidationFailed as exc:
            err_console.print(f"[bold red]{t('cli.error')}[/] {exc}", markup=True)
            print_problems(exc.problems)
            sys.exit(exc.exit_code)
        except PublisherError as exc:
            err_console.print(f"[bold red]{t('cli.error')}[/] ", markup=True, end="")
            err_console.print(str(exc), markup=False)
            print_problems(exc.details.get("problems") or [])
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


def run_main(group: click.Group, args: Sequence[str] | None = None) -> None:
    """The one top-level handler of the command line.

    Our own errors raised outside a command (invalid settings, an unusable data directory) become
    their message and exit code (2 for anything the officer must fix). Any other exception becomes
    one line on stderr, exit 1, and its traceback goes to ``<data dir>/publisher.log`` (secrets masked).
    """
    try:
        group.main(args=list(args) if args is not None else None, prog_name="publisher", standalone_mode=True)
    except PublisherError as exc:
        err_console.print(f"[bold red]{t('cli.error')}[/] ", markup=True, end="")
        err_console.print(str(exc), markup=False)
        print_problems(exc.details.get("problems") or [])
        sys.exit(exc.exit_code)
    except Exception as exc:
        from publisher.platforms.http import mask_text

        first = (str(exc).strip().splitlines() or [""])[0][:300]
        summary = mask_text(f"{type(exc).__name__}: {first}" if first else type(exc).__name__)
        details = mask_text("".join(traceback.format_exception(exc)))
        try:
            log = _write_log(details, args)
        except Exception as why:  # no data directory, or not writable: the traceback goes to stderr
            reason = why.strerror if isinstance(why, OSError) and why.strerror else why
            err_console.print(f"[bold red]{t('cli.error')}[/] ", markup=True, end="")
            err_console.print(t("cli.unexpected_nolog", error=summary, why=reason), markup=False)
            err_console.print(details, markup=False)
        else:
            err_console.print(f"[bold red]{t('cli.error')}[/] ", markup=True, end="")
            err_console.print(t("cli.unexpected", error=summary, log=log), markup=False)
        sys.exit(1)


def _write_log(details: str, args: Sequence[str] | None) -> Path:
    """Append one entry to the data directory's log (0600), keeping one older file past 5 MB."""
    data_dir = get_settings().data_dir
    if not data_dir.is_dir():
        raise FileNotFoundError(2, os.strerror(2), str(data_dir))
    path = (data_dir / LOG_NAME).resolve()
    if path.exists() and path.stat().st_size > LOG_MAX_BYTES:
        os.replace(path, path.with_name(LOG_NAME + ".1"))
    command = " ".join((list(args) if args is not None else sys.argv[1:])[:1]) or "-"
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(f"{stamp} ERROR pid={os.getpid()} command={command} unexpected error\n{details}\n")
    return path
