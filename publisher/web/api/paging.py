"""Pagination and the filters the API's listings share.

``?limit=`` (default 50, at most 500: a larger value is cut to 500), then ``?cursor=`` (opaque:
the next page after the last row shown; the ``next`` link carries it) or ``?offset=``. Dates in
``?from=``/``?to=`` are days in the office's time zone (``to`` includes its day) or ISO times
(``to`` excluded); ``?state=`` takes delivery states, repeated or comma-separated; ``?unit=``
narrows to one unit (a unit the caller does not see gives nothing).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request

from publisher.core.states import State
from publisher.i18n import display_zone, msg, register
from publisher.web.api.errors import ApiError
from publisher.web.deps import Viewer

register(
    {
        "api.paging.bad_cursor": (
            "Con trỏ trang (cursor) không hợp lệ; dùng nguyên liên kết “next” của trang trước.",
            "The cursor is not valid; use the “next” link of the previous page as it is.",
        ),
        "api.paging.both": (
            "Chỉ dùng một trong hai: cursor hoặc offset.",
            "Use either cursor or offset, not both.",
        ),
        "api.filter.bad_time": (
            "“{value}” ({name}) không phải ngày (2026-04-30) hay thời điểm ISO (2026-04-30T07:00+07:00).",
            "“{value}” ({name}) is not a day (2026-04-30) or an ISO time (2026-04-30T07:00+07:00).",
        ),
        "api.filter.bad_state": (
            "Không có trạng thái “{value}”; dùng một trong: {states}.",
            "There is no state “{value}”; use one of: {states}.",
        ),
        "api.filter.bad_range": (
            "Khoảng thời gian không hợp lệ: “from” phải trước “to”.",
            "The range is not valid: “from” must come before “to”.",
        ),
    }
)

LIMIT_DEFAULT, LIMIT_MAX = 50, 500
DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STATES = tuple(st.value for st in State)


@dataclass(frozen=True)
class Paging:
    limit: int
    after: tuple[datetime, int] | None
    offset: int


def encode_cursor(due_at: datetime, ident: int) -> str:
    raw = json.dumps([due_at.astimezone(UTC).isoformat(), ident], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        when, ident = json.loads(raw)
        at = datetime.fromisoformat(when)
        if at.tzinfo is None or not isinstance(ident, int) or isinstance(ident, bool):
            raise ValueError(cursor)
        return at, ident
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise ApiError(422, "bad_cursor", msg("api.paging.bad_cursor")) from None


def paging(
    limit: Annotated[
        int, Query(ge=1, description=f"Page size (default {LIMIT_DEFAULT}; above {LIMIT_MAX} is cut to it)")
    ] = LIMIT_DEFAULT,
    cursor: Annotated[
        str | None, Query(max_length=200, description="From the previous page's `next`")
    ] = None,
    offset: Annotated[
        int | None, Query(ge=0, le=10_000_000, description="Rows to skip (instead of cursor)")
    ] = None,
) -> Paging:
    """The dependency of a paged listing."""
    if cursor and offset is not None:
        raise ApiError(422, "validation", msg("api.paging.both"))
    return Paging(min(limit, LIMIT_MAX), decode_cursor(cursor) if cursor else None, offset or 0)


def next_link(request: Request, page: Paging, more: bool, last: tuple[datetime, int] | None) -> str | None:
    """The address of the page after this one (the same filters), or None when this is the last."""
    if not more or last is None:
        return None
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("cursor", "offset", "limit")]
    params.append(("limit", str(page.limit)))
    if page.after is None and page.offset:
        params.append(("offset", str(page.offset + page.limit)))
    else:
        params.append(("cursor", encode_cursor(*last)))
    return f"{request.url.path}?{urlencode(params)}"


def parse_time(value: str | None, name: str, end: bool = False) -> datetime | None:
    """A ``from``/``to`` bound in UTC: a day is its local midnight (``end``: the next one)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    zone = display_zone()
    try:
        if DAY_RE.match(text):
            day = date.fromisoformat(text) + timedelta(days=1 if end else 0)
            return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(422, "validation", msg("api.filter.bad_time", value=text[:40], name=name)) from None
    return (at if at.tzinfo is not None else at.replace(tzinfo=zone)).astimezone(UTC)


def time_range(start: str | None, end: str | None) -> tuple[datetime | None, datetime | None]:
    first, last = parse_time(start, "from"), parse_time(end, "to", end=True)
    if first is not None and last is not None and first >= last:
        raise ApiError(422, "validation", msg("api.filter.bad_range"))
    return first, last


def states(values: Sequence[str] | None) -> list[str]:
    """Delivery states named by ``?state=`` (repeated, or comma-separated); 422 for an unknown one."""
    out: list[str] = []
    for value in values or []:
        for part in value.split(","):
            name = part.strip().lower()
            if not name:
                continue
            if name not in STATES:
                raise ApiError(
                    422, "validation", msg("api.filter.bad_state", value=name[:40], states=", ".join(STATES))
                )
            out.append(name)
    return list(dict.fromkeys(out))


def units_for(viewer: Viewer, unit: str | None) -> frozenset[str] | None:
    """The units a listing reads: the caller's, narrowed to ``unit`` (one they do not see: none)."""
    named = (unit or "").strip()
    if not named:
        return viewer.units
    return frozenset({named}) if viewer.sees(named) else frozenset()


def as_query(values: dict[str, Any]) -> str:
    return urlencode({k: v for k, v in values.items() if v is not None})


__all__ = [
    "LIMIT_DEFAULT",
    "LIMIT_MAX",
    "Paging",
    "as_query",
    "decode_cursor",
    "encode_cursor",
    "next_link",
    "paging",
    "parse_time",
    "states",
    "time_range",
    "units_for",
]
