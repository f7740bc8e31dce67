"""Field names, bounds, and the types every part of schedule reading shares: a finding
(:class:`ScheduleProblem`), the result (:class:`LoadedSchedule`), what validation knows about
the world (:class:`Context`) and a value read with its line (:class:`_Value`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from publisher.core.limits import Problem
from publisher.core.models import PostSpec
from publisher.core.schedule import messages  # noqa: F401  (registers the sched.* texts)
from publisher.errors import ValidationFailed
from publisher.i18n import Msg, msg, t

POST_FIELDS = (
    "id",
    "at",
    "title",
    "text",
    "images",
    "video",
    "banner",
    "targets",
    "campaign",
    "author",
    "link",
    "draft",
    "grace",
    "options",
    "story",
)
DEFAULT_FIELDS = tuple(f for f in POST_FIELDS if f not in ("id", "at", "title", "text", "story"))
TOP_FIELDS = ("timezone", "campaign", "defaults", "posts")
DEFAULT_TZ = "Asia/Ho_Chi_Minh"

# Bounds that keep every value inside what Python's datetime and both databases hold, so that
# SQLite and PostgreSQL give the same answer for the same file (PostgreSQL refuses a string longer
# than its column; SQLite stores it).
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_GRACE_HOURS = 30 * 24
DEFAULT_MAX_BYTES = 2_000_000  # PUBLISHER_SCHEDULE_MAX_BYTES
MAX_DEPTH = 16  # nesting of lists and mappings; a schedule needs four
# the length of the database column that holds each field (publisher/store/schema.py; a test compares)
FIELD_MAX_CHARS = {"campaign": 200, "author": 200, "timezone": 64}


@dataclass(frozen=True)
class ScheduleProblem:
    """One finding: where it is (file, line, post id, field) and what to do."""

    file: str
    line: int | None
    post_id: str | None
    field: str | None
    message: Msg | str
    severity: str = "error"  # error | note

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        fld = self.field or ""
        post = (f"[{self.post_id}] " if fld else f"[{self.post_id}]") if self.post_id else ""
        return t("sched.problem", where=where, post=post, field=fld, message=str(self.message))


@dataclass
class LoadedSchedule:
    file: str
    posts: list[PostSpec]
    notes: list[ScheduleProblem] = field(default_factory=list)
    # post id -> field -> line ("images.0" for the first photo): where a finding points
    lines: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class Context:
    """What validation needs to know about the world outside the file."""

    now: datetime
    known_targets: set[str] | None = None  # None: do not check accounts
    media_roots: tuple[Path, ...] = ()
    grace_hours: float = 6.0
    limits: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # platform -> limits
    check_media: bool = True
    extra_checks: tuple[Callable[[PostSpec], Iterable[Problem]], ...] = ()
    max_bytes: int = DEFAULT_MAX_BYTES
    # posts already in the store and their due time: one long past is history when the file is loaded
    # again (queue says what became of it), not an error; a new post (or a new time) in the past is
    known_due: Mapping[str, datetime] = field(default_factory=dict)


@dataclass
class _Value:
    value: Any
    line: int | None
    # keys given twice in this mapping: (key, line, line of the first)
    dupes: tuple[tuple[str, int, int], ...] = ()


def _fail(problems: list[ScheduleProblem]) -> NoReturn:
    errors = [p for p in problems if p.severity == "error"]
    raise ValidationFailed(msg("sched.failed", n=len(errors)), errors)


# one post as read: its line, its fields (name -> (line, value)), and its keys given twice
_Record = tuple[int, dict[str, tuple[int, Any]], list[tuple[str, int, int]]]
