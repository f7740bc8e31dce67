"""The year's commemorations and holidays, as ``publisher calendar`` reads them.

Every ``*.yaml`` of ``schedules/calendar/`` in the repository except the ``*example*`` files, the
national file first; read again when a file changes (size or modification time), else cached.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from publisher.core.calendar import Event, Occurrence, merge, occurrences, parse_events
from publisher.errors import UserError
from publisher.i18n import msg, register

register(
    {
        "api.calendar.unreadable": (
            "Không đọc được tệp lịch: {error}",
            "Cannot read a calendar file: {error}",
        ),
    }
)

#: ``schedules/calendar/`` of the repository
CALENDAR_DIR = Path(__file__).resolve().parents[3] / "schedules" / "calendar"
#: the years the lunar calendar covers
FIRST_YEAR, LAST_YEAR = 1901, 2099


def calendar_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and "example" not in p.name]
    return sorted(files, key=lambda p: (p.name != "vietnam.yaml", p.name))


@lru_cache(maxsize=16)
def _year(year: int, stamp: tuple[tuple[str, int, int], ...]) -> tuple[Occurrence, ...]:
    groups: list[list[Event]] = []
    for path, _mtime, _size in stamp:
        groups.append(parse_events(Path(path).read_text(encoding="utf-8-sig"), source=Path(path).name))
    return tuple(occurrences(merge(*groups), year))


def year_occurrences(year: int, folder: Path | None = None) -> tuple[Occurrence, ...]:
    """The commemorations of ``year``; :class:`UserError` naming the file at fault when one cannot
    be read or parsed."""
    try:
        files = calendar_files(folder or CALENDAR_DIR)
        stamp = tuple((str(p), (st := p.stat()).st_mtime_ns, st.st_size) for p in files)
        return _year(year, stamp)
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(msg("api.calendar.unreadable", error=getattr(exc, "strerror", None) or exc)) from None


__all__ = ["CALENDAR_DIR", "FIRST_YEAR", "LAST_YEAR", "calendar_files", "year_occurrences"]
