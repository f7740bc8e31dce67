"""Shared pieces of the command line: output, JSON, time display, error handling."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from rich.table import Table

from publisher.errors import PublisherError, ValidationFailed
from publisher.i18n import t
from publisher.settings import Settings, get_settings

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
