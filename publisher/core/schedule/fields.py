"""Reading one value: durations, local times (with the clocks' jumps), refused characters,
keys given twice, and a read tree turned back into plain Python values."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from publisher.core.schedule.base import MAX_YEAR, MIN_YEAR, _Value
from publisher.i18n import Msg, msg

_ALLOWED_CONTROL = "\t\n\r"

_TIME_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")
_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d)?\s*$", re.IGNORECASE)


def parse_duration(text: str) -> float | None:
    """'90m' / '6h' / '1d' / '6' (hours) → hours."""
    m = _DURATION_RE.match(str(text))
    if not m:
        return None
    n = float(m.group(1))
    unit = (m.group(2) or "h").lower()
    return {"m": n / 60, "min": n / 60, "h": n, "d": n * 24}[unit]


def format_hours(hours: float) -> str:
    if hours >= 24 and hours % 24 == 0:
        return f"{int(hours // 24)}d"
    if hours == int(hours):
        return f"{int(hours)}h"
    return f"{int(round(hours * 60))}m"


def parse_local_time(text: str, tz: str) -> datetime | None:
    return _parse_at(str(text), tz)[0]


def _parse_at(text: str, tz: str) -> tuple[datetime | None, Msg | None, Msg | None]:
    """A local time → (UTC time, error, note). The note names a time the clocks skip or repeat."""
    m = _TIME_RE.match(text)
    if not m:
        return None, msg("sched.bad_time", value=text), None
    y, mo, d, h, mi, s = (int(x) if x else 0 for x in m.groups())
    if not MIN_YEAR <= y <= MAX_YEAR:
        return None, msg("sched.bad_year", year=y, min=MIN_YEAR, max=MAX_YEAR), None
    zone = ZoneInfo(tz)
    try:
        local = datetime(y, mo, d, h, mi, s, tzinfo=zone)
    except ValueError:
        return None, msg("sched.bad_time", value=text), None
    due = local.astimezone(UTC)
    back = due.astimezone(zone)
    shown = "%d/%m/%Y %H:%M"
    note = None
    if back.replace(tzinfo=None) != local.replace(
        tzinfo=None
    ):  # fold=0 reads a skipped time as before the jump
        note = msg("sched.dst_gap", value=local.strftime(shown), tz=tz, shifted=back.strftime(shown))
    elif local.replace(fold=1).utcoffset() != local.utcoffset():
        note = msg("sched.dst_twice", value=local.strftime(shown), tz=tz, utc=due.strftime(shown))
    return due, None, note


def _bad_char(text: str) -> tuple[int, str] | None:
    """The first character no database or platform takes (NUL and other C0 controls, lone surrogates)."""
    for i, c in enumerate(text):
        o = ord(c)
        if (o < 32 and c not in _ALLOWED_CONTROL) or o == 127 or 0xD800 <= o <= 0xDFFF:
            return i, f"U+{o:04X}"
    return None


def _bad_strings(val: _Value, path: str) -> Iterator[tuple[str, int | None, int, str]]:
    """(field path, line, position, code) of every key or scalar holding a character we refuse."""
    if isinstance(val.value, str):
        bad = _bad_char(val.value)
        if bad:
            yield path, val.line, bad[0], bad[1]
    elif isinstance(val.value, list):
        for item in val.value:
            yield from _bad_strings(item, path)
    elif isinstance(val.value, dict):
        for key, (line, sub) in val.value.items():
            bad = _bad_char(key)
            if bad:
                yield f"{path}.{key!r}", line, bad[0], bad[1]
            else:
                yield from _bad_strings(sub, f"{path}.{key}")


def _duplicate_keys(val: _Value, path: str, skip: Collection[str] = ()) -> Iterator[tuple[str, int, int]]:
    """(key path, line, first line) of every key given twice, at any depth."""
    if isinstance(val.value, dict):
        for key, line, first in val.dupes:
            yield (f"{path}.{key}" if path else key), line, first
        for key, (_line, sub) in val.value.items():
            if key not in skip:
                yield from _duplicate_keys(sub, f"{path}.{key}" if path else key)
    elif isinstance(val.value, list):
        for item in val.value:
            yield from _duplicate_keys(item, path)


def _to_python(v: _Value) -> Any:
    if isinstance(v.value, dict):
        return {k: _to_python(val) for k, (_line, val) in v.value.items()}
    if isinstance(v.value, list):
        return [_to_python(x) for x in v.value]
    s = v.value
    if isinstance(s, str):
        low = s.strip().lower()
        if low in ("true", "false"):
            return low == "true"
        if re.fullmatch(r"-?[0-9]{1,18}", s.strip()):  # longer: kept as text (no 4,300-digit int parse)
            return int(s)
    return s
