"""Shared pieces of the command line: opening the store, settings, parsing input, handling errors.

What is printed (consoles, tables, JSON, local times) is in :mod:`publisher.cli.output`.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click

from publisher.cli.output import console, err_console
from publisher.core.models import Target
from publisher.errors import PublisherError, UserError, ValidationFailed
from publisher.i18n import msg, register, t
from publisher.platforms.http import mask_text
from publisher.settings import Settings, get_settings
from publisher.store import Store

register(
    {
        "cli.error": ("Lỗi:", "Error:"),
        "cli.note": ("Lưu ý:", "Note:"),
        "cli.bad_time": (
            "Thời điểm “{value}” không hợp lệ (dạng 2025-04-30 hoặc 2025-04-30 07:00).",
            "Invalid time “{value}” (use 2025-04-30 or 2025-04-30 07:00).",
        ),
        "cli.bad_target": (
            "Tài khoản “{value}” không hợp lệ (dạng nền-tảng/tên).",
            "Invalid account “{value}” (use platform/name).",
        ),
        "cli.none": ("(không có)", "(none)"),
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

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "bi",
    "handle_errors",
    "open_store",
    "parse_target",
    "parse_time",
    "print_problems",
    "run_main",
    "settings",
]


def bi(vi: str, en: str) -> str:
    """Help text in both languages, Vietnamese first."""
    return f"{vi}\n\n{en}"


def settings() -> Settings:
    return get_settings()


def open_store(*, create: bool = False, forget_credentials: bool = False) -> Store:
    """The store, after the checks every command makes before it reads or writes anything.

    The data directory must exist and be private (0700), the key file and the database file private
    (0600), and the key must be the database's (its fingerprint). Only ``create`` (``publisher
    init``, ``publisher run --demo``) makes the directory and the key and tightens wider modes; what
    it fixed is said on the console. Without it a missing or wrong piece is refused, with what to do.
    """
    store = Store(settings())
    for note in store.init(create=create, forget_credentials=forget_credentials):
        console.print(str(note), markup=False)
    return store


def parse_target(value: str) -> Target:
    """``platform/name`` as typed by the officer."""
    try:
        return Target.parse(value)
    except ValueError:
        raise UserError(msg("cli.bad_target", value=value)) from None


def parse_time(value: str | None, end: bool = False) -> datetime | None:
    """A date or a date and time on the office's clock; ``end``: a bare date means its last moment."""
    if not value:
        return None
    tz = ZoneInfo(settings().timezone)
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            dt = datetime.strptime(value.strip(), fmt).replace(tzinfo=tz)
        except ValueError:
            continue
        if fmt == "%Y-%m-%d" and end:
            dt += timedelta(days=1) - timedelta(microseconds=1)
        return dt.astimezone(UTC)
    raise UserError(msg("cli.bad_time", value=value))


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
