"""Schedule files (YAML and CSV) → validated :class:`PostSpec` values, or every problem at once.

Pure: reads the text it is given and looks at the file system only to check media paths. Every
problem names the file, the line, the post id and the field, in Vietnamese (English with
``PUBLISHER_LANGUAGE=en``). The only exception that :func:`load_schedule` raises is
:class:`ValidationFailed`.

Format (YAML)::

    timezone: Asia/Ho_Chi_Minh
    campaign: Thông tin đối ngoại 2025
    defaults:
      targets: [facebook/ubnd-hanh-dich, zalo/ubnd-hanh-dich]
      grace: 6h
    posts:
      - id: giai-phong-50-nam
        at: 2025-04-30 07:00
        title: …
        text: |
          …
        images: [media/30-4-a.jpg]
        video: media/30-4.mp4
        targets: [facebook/ubnd-hanh-dich, youtube/hanh-dich-tv]

CSV: one post per row with the same field names as column headers; lists (images, targets) are
separated by ``;``.

Hostile or careless files get a message, never a traceback or a silent guess: a file over
``Context.max_bytes`` is not read past the cap; YAML anchors and aliases are refused (a tiny file
could expand to gigabytes or refer to itself), as is nesting past :data:`MAX_DEPTH`; a key given
twice, a CSV column named twice or a row wider than its header is an error; years outside
:data:`MIN_YEAR`–:data:`MAX_YEAR`, a grace over :data:`MAX_GRACE_HOURS`, text longer than its
database column (:data:`FIELD_MAX_CHARS`, so SQLite and PostgreSQL answer alike) and control
characters are errors; a local time the clocks skip or repeat is a note naming the time used.
Photos and clips are looked at by ``Context.extra_checks`` (Pillow and ffprobe live outside the core).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from publisher.core.limits import Problem
from publisher.core.models import POST_ID_RE, PostSpec, Target, nfc
from publisher.core.story import Story, StoryInvalid, parse_story, story_to_json, story_video_placeholder
from publisher.errors import ValidationFailed
from publisher.i18n import Msg, msg, register, t

register(
    {
        "sched.problem": ("{where}{post}{field}: {message}", "{where}{post}{field}: {message}"),
        "sched.failed": (
            "Tệp lịch có {n} lỗi, chưa ghi gì vào cơ sở dữ liệu. Sửa các lỗi dưới đây rồi chạy lại:",
            "The schedule has {n} error(s); nothing was written. Fix the following and run again:",
        ),
        "sched.cannot_read": ("Không đọc được tệp: {error}", "Cannot read the file: {error}"),
        "sched.not_utf8": (
            "Tệp không phải UTF-8. Hãy lưu lại tệp với bảng mã UTF-8 (Unicode).",
            "The file is not UTF-8. Save it again with the UTF-8 (Unicode) encoding.",
        ),
        "sched.yaml_syntax": ("Lỗi cú pháp YAML: {error}", "YAML syntax error: {error}"),
        "sched.top_mapping": (
            "Tệp lịch phải là một bảng (mapping) có khóa “posts”.",
            "A schedule file must be a mapping with a “posts” key.",
        ),
        "sched.unknown_field": (
            "Trường “{name}” không được hỗ trợ. Các trường hợp lệ: {allowed}.",
            "Unknown field “{name}”. Allowed fields: {allowed}.",
        ),
        "sched.expected_list": ("Phải là một danh sách.", "Must be a list."),
        "sched.expected_mapping": ("Phải là một bảng (mapping).", "Must be a mapping."),
        "sched.expected_text": ("Phải là một đoạn văn bản.", "Must be text."),
        "sched.no_posts": (
            "Tệp lịch không có bài nào trong “posts”.",
            "The schedule has no posts under “posts”.",
        ),
        "sched.missing": ("Thiếu trường bắt buộc “{name}”.", "Missing required field “{name}”."),
        "sched.bad_id": (
            "Mã bài “{value}” không hợp lệ: chỉ dùng chữ không dấu, số, “-”, “_”, “.” (tối đa 100 ký tự).",
            "Invalid post id “{value}”: use unaccented letters, digits, “-”, “_”, “.” (at most 100).",
        ),
        "sched.duplicate_id": (
            "Mã bài “{value}” bị trùng (đã dùng ở dòng {line}).",
            "Duplicate post id “{value}” (already used on line {line}).",
        ),
        "sched.bad_time": (
            "Thời điểm “{value}” không hợp lệ: viết dạng NĂM-THÁNG-NGÀY GIỜ:PHÚT, ví dụ 2025-04-30 07:00.",
            "Invalid time “{value}”: write YEAR-MONTH-DAY HOUR:MINUTE, e.g. 2025-04-30 07:00.",
        ),
        "sched.bad_tz": (
            "Múi giờ “{value}” không tồn tại (ví dụ: Asia/Ho_Chi_Minh).",
            "Unknown time zone “{value}” (e.g. Asia/Ho_Chi_Minh).",
        ),
        "sched.past_known": (
            "Thời điểm {when} đã qua (quá {grace} cho phép đăng muộn); bài này đã có trong lịch: nạp lại không "
            "đăng thêm gì.",
            "{when} has passed (beyond the {grace} late-publish window); this post is already queued: loading "
            "it again sends nothing more.",
        ),
        "sched.past": (
            "Thời điểm {when} đã qua (quá cả {grace} cho phép đăng muộn): bài này sẽ không được đăng. "
            "Đổi “at” sang một thời điểm trong tương lai hoặc bỏ bài này.",
            "{when} has passed (beyond the {grace} late-publish window too): this post would never go out. "
            "Move “at” to a future time or remove the post.",
        ),
        "sched.late": (
            "Thời điểm {when} đã qua; bài sẽ được đăng muộn ngay khi được duyệt (còn trong {grace} cho phép).",
            "{when} has passed; the post will go out late as soon as it is approved (within the {grace} window).",
        ),
        "sched.bad_duration": (
            "Khoảng thời gian “{value}” không hợp lệ: viết như 90m, 6h hoặc 1d.",
            "Invalid duration “{value}”: write e.g. 90m, 6h or 1d.",
        ),
        "sched.bad_target": (
            "Tài khoản “{value}” không hợp lệ: viết dạng nền-tảng/tên, ví dụ facebook/ubnd-hanh-dich "
            "(nền tảng: facebook, youtube, zalo, sandbox).",
            "Invalid target “{value}”: write platform/name, e.g. facebook/ubnd-hanh-dich "
            "(platforms: facebook, youtube, zalo, sandbox).",
        ),
        "sched.unknown_account": (
            "Chưa có tài khoản “{value}”. Thêm bằng “publisher accounts add {value}” hoặc sửa tên.",
            "No account “{value}”. Add it with “publisher accounts add {value}” or fix the name.",
        ),
        "sched.no_targets": (
            "Bài chưa có nơi đăng (“targets”), kể cả trong “defaults”.",
            "The post has no “targets”, not even in “defaults”.",
        ),
        "sched.media_missing": (
            "Không tìm thấy tệp “{value}” (đã tìm ở {path}).",
            "File “{value}” not found (looked at {path}).",
        ),
        "sched.media_outside": (
            "Đường dẫn “{value}” nằm ngoài thư mục của tệp lịch và các thư mục media được phép "
            "(PUBLISHER_MEDIA_ROOTS). Hãy chép tệp vào thư mục của lịch.",
            "Path “{value}” is outside the schedule's folder and the allowed media roots "
            "(PUBLISHER_MEDIA_ROOTS). Copy the file next to the schedule.",
        ),
        "sched.media_not_file": ("“{value}” không phải là tệp.", "“{value}” is not a file."),
        "sched.bad_bool": ("Phải là true hoặc false.", "Must be true or false."),
        "sched.empty_text": ("Không được để trống.", "Must not be empty."),
        "sched.nfc": (
            "Văn bản chưa ở dạng Unicode dựng sẵn (NFC); đã tự chuẩn hóa.",
            "Text was not in Unicode NFC form; it has been normalised.",
        ),
        "sched.csv_header": (
            "Dòng tiêu đề CSV phải có các cột id, at, title, text (cột lạ: {unknown}).",
            "The CSV header must have the columns id, at, title, text (unknown: {unknown}).",
        ),
        "sched.too_big": (
            "Tệp lịch lớn hơn {max} byte (PUBLISHER_SCHEDULE_MAX_BYTES): hãy chia thành nhiều tệp nhỏ hơn.",
            "The schedule is larger than {max} bytes (PUBLISHER_SCHEDULE_MAX_BYTES): split it into smaller files.",
        ),
        "sched.not_utf8_csv": (
            "Tệp CSV không phải UTF-8 (có lẽ được lưu bằng bảng mã Windows-1258 hay TCVN3). Trong Excel chọn "
            "Tệp → Lưu thành → “CSV UTF-8 (Comma delimited) (*.csv)” rồi nạp lại.",
            "The CSV file is not UTF-8 (probably saved as Windows-1258 or TCVN3). In Excel choose "
            "File → Save As → “CSV UTF-8 (Comma delimited) (*.csv)” and load it again.",
        ),
        "sched.yaml_alias": (
            "Không dùng neo và bí danh YAML (“&tên”, “*tên”, “<<: *tên”): hãy viết đầy đủ giá trị ở từng chỗ.",
            "YAML anchors and aliases (“&name”, “*name”, “<<: *name”) are not accepted: write each value out in full.",
        ),
        "sched.too_deep": (
            "Cấu trúc lồng quá sâu (quá {max} tầng danh sách hoặc bảng).",
            "Nested too deeply (more than {max} levels of lists or mappings).",
        ),
        "sched.duplicate_key": (
            "Khóa “{name}” bị trùng (đã có ở dòng {line}): chỉ giữ một.",
            "Duplicate key “{name}” (already on line {line}): keep only one.",
        ),
        "sched.csv_syntax": ("Lỗi định dạng CSV: {error}", "CSV format error: {error}"),
        "sched.csv_duplicate_column": (
            "Cột “{name}” bị trùng (có hai lần trong dòng tiêu đề): chỉ giữ một.",
            "Duplicate column “{name}” (twice in the header): keep only one.",
        ),
        "sched.csv_extra_cells": (
            "Dòng có {cells} ô nhưng tiêu đề chỉ có {columns} cột (dấu phẩy trong nội dung? Hãy đặt nội dung trong "
            "ngoặc kép).",
            "The row has {cells} cells but the header only {columns} columns (a comma inside a text? Put the text "
            "in double quotes).",
        ),
        "sched.csv_unnamed_cell": (
            "Ô thứ {index} có nội dung nhưng cột đó không có tên ở dòng tiêu đề.",
            "Cell {index} holds a value but its column has no name in the header.",
        ),
        "sched.csv_unterminated_quote": (
            'Dấu ngoặc kép mở ở dòng {line} không được đóng: mọi thứ sau nó bị đọc thành một ô. Thêm dấu " '
            'đóng ô đó (dấu " bên trong nội dung viết thành "").',
            "Unterminated quote starting at line {line}: everything after it reads as one cell. Add the closing "
            '" to that cell (a " inside the text is written "").',
        ),
        "sched.yaml_key": (
            "Khóa này không phải tên trường: tên trường phải là một chữ (ví dụ “text:”), không phải danh sách "
            "hay bảng.",
            "This key is not a field name: a field name is a plain word (e.g. “text:”), not a list or a mapping.",
        ),
        "sched.yaml_tag": (
            "Không dùng thẻ YAML {tag}: viết giá trị như chữ bình thường (cần thì đặt trong ngoặc kép).",
            "YAML tags such as {tag} are not accepted: write the value as plain text (in double quotes if needed).",
        ),
        "sched.bad_year": (
            "Năm {year} nằm ngoài khoảng cho phép {min}–{max}.",
            "Year {year} is outside the allowed range {min}–{max}.",
        ),
        "sched.grace_too_long": (
            "Thời gian cho phép đăng muộn “{value}” quá dài: tối đa {max}.",
            "Late-publish window “{value}” is too long: at most {max}.",
        ),
        "sched.too_long": (
            "Dài {length} ký tự, tối đa {max} ký tự.",
            "{length} characters long; at most {max} allowed.",
        ),
        "sched.control_char": (
            "Có ký tự điều khiển không in được ({code}) ở vị trí {position}: hãy xóa nó "
            "(thường do dán từ phần mềm khác).",
            "Holds an unprintable control character ({code}) at position {position}: remove it "
            "(often pasted from another program).",
        ),
        "sched.story_csv": (
            "Khối “story” (video từ ảnh) chỉ viết được trong tệp lịch YAML, không trong CSV: hãy chuyển bài "
            "này sang một tệp .yaml.",
            "A “story” block (photo video) can only be written in a YAML schedule, not in CSV: move this post "
            "to a .yaml file.",
        ),
        "sched.story_and_video": (
            "Bài có cả “video” và “story”: video của bài là video dựng từ ảnh; bỏ một trong hai.",
            "The post has both “video” and “story”: the story is the post's video; keep only one.",
        ),
        "sched.story_option": (
            "“options.story” không được dùng: viết khối “story:” của bài.",
            "“options.story” is not accepted: write the post's “story:” block.",
        ),
        "sched.dst_gap": (
            "Giờ {value} không có ở múi giờ {tz} (đồng hồ nhảy qua giờ này khi chuyển sang giờ mùa hè): "
            "bài sẽ được đăng lúc {shifted}.",
            "{value} does not exist in {tz} (the clocks skip it when daylight saving time starts): "
            "the post will go out at {shifted}.",
        ),
        "sched.dst_twice": (
            "Giờ {value} có hai lần ở múi giờ {tz} (khi hết giờ mùa hè): bài được đăng vào lần đầu, {utc} UTC.",
            "{value} happens twice in {tz} (when daylight saving time ends): the post goes out at the first, "
            "{utc} UTC.",
        ),
    }
)

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
_ALLOWED_CONTROL = "\t\n\r"

_TIME_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")
_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d)?\s*$", re.IGNORECASE)


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


# -- YAML with line numbers ----------------------------------------------------------------------


def _plain(node: yaml.Node) -> Any:
    """A composed node → nested python values, every scalar as a string with its line.

    The first of two equal keys is kept and the second recorded in ``dupes`` (an error later).
    """
    if isinstance(node, yaml.ScalarNode):
        return _Value(node.value, node.start_mark.line + 1)
    if isinstance(node, yaml.SequenceNode):
        return _Value([_plain(n) for n in node.value], node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, tuple[int, Any]] = {}
        dupes: list[tuple[str, int, int]] = []
        for k, v in node.value:
            key = str(k.value if isinstance(k, yaml.ScalarNode) else k.start_mark)
            line = k.start_mark.line + 1
            if key in out:
                dupes.append((key, line, out[key][0]))
                continue
            out[key] = (line, _plain(v))
        return _Value(out, node.start_mark.line + 1, tuple(dupes))
    return _Value(None, None)


class _Refused(yaml.YAMLError):
    """YAML we do not compose: an anchor or alias, or nesting deeper than :data:`MAX_DEPTH`."""

    def __init__(self, message: Msg, mark: yaml.Mark) -> None:
        super().__init__(str(message))
        self.message = message
        self.mark = mark


def _tag_as_written(event: yaml.Event) -> str:
    """The explicit tag of ``event`` as the file spells it (``!!binary``, ``!x``, ``!<…>``)."""
    buffer = getattr(event.start_mark, "buffer", None)
    at = int(getattr(event.start_mark, "pointer", 0))
    if isinstance(buffer, str) and buffer.startswith("!<", at):  # a verbatim tag
        return buffer[at : at + 200].partition(">")[0] + ">"
    if isinstance(buffer, str) and buffer.startswith("!", at):
        return re.split(r"[\s,\[\]{}]", buffer[at : at + 200], maxsplit=1)[0]
    tag = str(getattr(event, "tag", ""))
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


class _Loader(yaml.SafeLoader):
    """Composes only (no implicit typing): dates, numbers and booleans are read by us.

    Anchors and aliases are refused before anything is built: an alias can make a tiny file
    expand to gigabytes ("billion laughs") or refer to itself (``a: &a [*a]``). Nesting is bounded
    so that neither the composer nor :func:`_plain` can run out of stack. An explicit tag
    (``!!binary``, ``!!str``, ``!x``) is refused rather than dropped: ``text: !!binary aGVsbG8=``
    would otherwise publish "aGVsbG8=". A mapping key must be a scalar (a field name).
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused(msg("sched.yaml_alias"), event.start_mark)
        if getattr(event, "tag", None) is not None:
            raise _Refused(msg("sched.yaml_tag", tag=_tag_as_written(event)), event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(msg("sched.too_deep", max=MAX_DEPTH), event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_mapping_node(self, anchor: Any) -> yaml.MappingNode:
        node = super().compose_mapping_node(anchor)
        for key, _value in node.value:
            if not isinstance(key, yaml.ScalarNode):  # "? [1, 2]" or "{1: 2}: z"
                raise _Refused(msg("sched.yaml_key"), key.start_mark)
        return node


def load_schedule(path: Path | str, ctx: Context, text: str | None = None) -> LoadedSchedule:
    """Read and validate one schedule file. Raises only :class:`ValidationFailed`."""
    path = Path(path)
    name = str(path)
    is_csv = path.suffix.lower() == ".csv"
    too_big = ScheduleProblem(name, None, None, None, msg("sched.too_big", max=ctx.max_bytes))
    if text is None:
        try:
            with path.open("rb") as fh:
                raw = fh.read(ctx.max_bytes + 1)  # never more than the cap, whatever the file is
        except OSError as exc:
            _fail(
                [ScheduleProblem(name, None, None, None, msg("sched.cannot_read", error=exc.strerror or exc))]
            )
        if len(raw) > ctx.max_bytes:
            _fail([too_big])
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            _fail(
                [
                    ScheduleProblem(
                        name, line, None, None, msg("sched.not_utf8_csv" if is_csv else "sched.not_utf8")
                    )
                ]
            )
    elif len(text.encode("utf-8", "surrogatepass")) > ctx.max_bytes:
        _fail([too_big])
    if is_csv:
        records, problems = _records_from_csv(name, text)
        top: dict[str, tuple[int, Any]] = {}
    else:
        top, records, problems = _records_from_yaml(name, text)
    if problems:
        _fail(problems)
    return _validate(path, top, records, ctx)


def _fail(problems: list[ScheduleProblem]) -> NoReturn:
    errors = [p for p in problems if p.severity == "error"]
    raise ValidationFailed(msg("sched.failed", n=len(errors)), errors)


# one post as read: its line, its fields (name -> (line, value)), and its keys given twice
_Record = tuple[int, dict[str, tuple[int, Any]], list[tuple[str, int, int]]]


def _records_from_yaml(
    name: str, text: str
) -> tuple[dict[str, tuple[int, Any]], list[_Record], list[ScheduleProblem]]:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except _Refused as exc:
        return {}, [], [ScheduleProblem(name, exc.mark.line + 1, None, None, exc.message)]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        return {}, [], [ScheduleProblem(name, line, None, None, msg("sched.yaml_syntax", error=problem))]
    except Exception as exc:  # the YAML library can raise odd things on hostile input
        return {}, [], [ScheduleProblem(name, None, None, None, msg("sched.yaml_syntax", error=exc))]
    root = _plain(node) if node is not None else _Value(None, 1)
    if not isinstance(root.value, dict):
        return {}, [], [ScheduleProblem(name, root.line, None, None, msg("sched.top_mapping"))]
    problems: list[ScheduleProblem] = []
    top: dict[str, tuple[int, Any]] = root.value
    for key, line, first in _duplicate_keys(root, "", skip=("posts",)):
        problems.append(
            ScheduleProblem(name, line, None, key, msg("sched.duplicate_key", name=key, line=first))
        )
    for key, (line, _v) in top.items():
        if key not in TOP_FIELDS:
            problems.append(
                ScheduleProblem(
                    name, line, None, key, msg("sched.unknown_field", name=key, allowed=", ".join(TOP_FIELDS))
                )
            )
    posts_entry = top.get("posts")
    if posts_entry is None:
        problems.append(ScheduleProblem(name, root.line, None, "posts", msg("sched.no_posts")))
        return top, [], problems
    pline, pval = posts_entry
    if not isinstance(pval.value, list):
        problems.append(ScheduleProblem(name, pline, None, "posts", msg("sched.expected_list")))
        return top, [], problems
    records: list[_Record] = []
    for item in pval.value:
        if not isinstance(item.value, dict):
            problems.append(ScheduleProblem(name, item.line, None, "posts", msg("sched.expected_mapping")))
            continue
        records.append((item.line or pline, item.value, list(_duplicate_keys(item, ""))))
    if not records and not problems:
        problems.append(ScheduleProblem(name, pline, None, "posts", msg("sched.no_posts")))
    return top, records, problems


def _unterminated_quote(text: str, dialect: Any) -> int | None:
    """The line where a quoted cell opens and never closes, read as :mod:`csv` reads it.

    A quote opens a quoted cell only at the start of a cell; inside it a doubled quote (or the
    escape character) is a quote, and a single one closes the cell.
    """
    quote = getattr(dialect, "quotechar", '"') or '"'
    delimiter = getattr(dialect, "delimiter", ",")
    escape = getattr(dialect, "escapechar", None)
    skip_space = bool(getattr(dialect, "skipinitialspace", False))
    line, opened_at = 1, 0
    at_start, inside, i, n = True, False, 0, len(text)
    while i < n:
        c = text[i]
        if inside:
            if escape and c == escape:
                i += 1
            elif c == quote:
                if i + 1 < n and text[i + 1] == quote and getattr(dialect, "doublequote", True):
                    i += 1
                else:
                    inside = False
        elif c == quote and at_start:
            inside, opened_at = True, line
        elif c == delimiter or c in "\r\n":
            at_start = True
            if c == "\n":
                line += 1
            i += 1
            continue
        elif not (skip_space and c == " " and at_start):
            at_start = False
        if c == "\n":
            line += 1
        if inside:
            at_start = False
        i += 1
    return opened_at if inside else None


def _records_from_csv(name: str, text: str) -> tuple[list[_Record], list[ScheduleProblem]]:
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    opened = _unterminated_quote(text, dialect)
    if opened is not None:  # csv.reader would read the rest of the file as one cell, silently
        return [], [
            ScheduleProblem(name, opened, None, None, msg("sched.csv_unterminated_quote", line=opened))
        ]
    reader = csv.reader(io.StringIO(text), dialect)

    def syntax(exc: csv.Error) -> list[ScheduleProblem]:
        return [ScheduleProblem(name, reader.line_num or 1, None, None, msg("sched.csv_syntax", error=exc))]

    try:
        first = next(reader, None)
    except csv.Error as exc:
        return [], syntax(exc)
    if first is None:
        return [], [ScheduleProblem(name, 1, None, None, msg("sched.no_posts"))]
    header = [h.strip().lower() for h in first]
    while header and not header[-1]:  # Excel pads rows with empty columns
        header.pop()
    unknown = [h for h in header if h and h not in POST_FIELDS]
    if unknown or not {"id", "at", "title", "text"} <= set(header):
        return [], [
            ScheduleProblem(name, 1, None, None, msg("sched.csv_header", unknown=", ".join(unknown) or "—"))
        ]
    problems: list[ScheduleProblem] = []
    for i, col in enumerate(header):
        if col and col in header[:i]:
            problems.append(ScheduleProblem(name, 1, None, col, msg("sched.csv_duplicate_column", name=col)))
    if problems:
        return [], problems
    records: list[_Record] = []
    while True:
        start = reader.line_num + 1  # csv.reader counts physical lines; a quoted cell may span several
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            return [], problems + syntax(exc)
        filled = [i for i, cell in enumerate(row) if cell.strip()]
        if not filled:
            continue
        id_at = header.index("id")
        row_id = row[id_at].strip() if id_at < len(row) and POST_ID_RE.match(row[id_at].strip()) else None
        if filled[-1] >= len(header):
            problems.append(
                ScheduleProblem(
                    name,
                    start,
                    row_id,
                    None,
                    msg("sched.csv_extra_cells", cells=filled[-1] + 1, columns=len(header)),
                )
            )
        for i in filled:
            if i < len(header) and not header[i]:
                problems.append(
                    ScheduleProblem(name, start, row_id, None, msg("sched.csv_unnamed_cell", index=i + 1))
                )
        rec: dict[str, tuple[int, Any]] = {}
        for col, cell in zip(header, row, strict=False):
            if not col or cell.strip() == "":
                continue
            if col in ("images", "targets"):
                rec[col] = (
                    start,
                    _Value([_Value(p.strip(), start) for p in cell.split(";") if p.strip()], start),
                )
            else:
                rec[col] = (start, _Value(cell, start))
        records.append((start, rec, []))
    if not records and not problems:
        return [], [ScheduleProblem(name, 1, None, None, msg("sched.no_posts"))]
    return records, problems


# -- validation ---------------------------------------------------------------------------------


def _validate(
    path: Path, top: dict[str, tuple[int, Any]], records: list[_Record], ctx: Context
) -> LoadedSchedule:
    name = str(path)
    problems: list[ScheduleProblem] = []
    notes: list[ScheduleProblem] = []

    def err(line: int | None, post: str | None, fld: str | None, message: Msg | str) -> None:
        problems.append(ScheduleProblem(name, line, post, fld, message))

    def refused_chars(fields: Mapping[str, tuple[int, Any]], post: str | None, prefix: str = "") -> set[str]:
        """Report every NUL, control character or lone surrogate; the fields holding one."""
        bad: set[str] = set()
        for key, (line, val) in fields.items():
            for fld, at, position, code in _bad_strings(val, prefix + key):
                err(at or line, post, fld, msg("sched.control_char", code=code, position=position))
                bad.add(key)
        return bad

    def text_of(entry: tuple[int, Any] | None, post: str | None, fld: str) -> str | None:
        if entry is None:
            return None
        line, val = entry
        if not isinstance(val.value, str):
            err(line, post, fld, msg("sched.expected_text"))
            return None
        raw = val.value
        norm = nfc(raw)
        if norm != raw:
            notes.append(ScheduleProblem(name, line, post, fld, msg("sched.nfc"), severity="note"))
        limit = FIELD_MAX_CHARS.get(fld)
        if limit is not None and len(norm.strip()) > limit:
            err(line, post, fld, msg("sched.too_long", length=len(norm.strip()), max=limit))
            return None
        return norm

    heads = {k: v for k, v in top.items() if k != "posts"}  # each post is looked at below, with its id
    top = {k: v for k, v in top.items() if k not in refused_chars(heads, None)}
    tz = DEFAULT_TZ
    if "timezone" in top:
        tzv = text_of(top["timezone"], None, "timezone")
        if tzv is not None and not tzv.strip():
            err(top["timezone"][0], None, "timezone", msg("sched.empty_text"))
        elif tzv:
            try:
                ZoneInfo(tzv.strip())
                tz = tzv.strip()
            except (ZoneInfoNotFoundError, ValueError, OSError):
                err(top["timezone"][0], None, "timezone", msg("sched.bad_tz", value=tzv))
    file_campaign = text_of(top.get("campaign"), None, "campaign")

    defaults: dict[str, tuple[int, Any]] = {}
    if "defaults" in top:
        dline, dval = top["defaults"]
        if not isinstance(dval.value, dict):
            err(dline, None, "defaults", msg("sched.expected_mapping"))
        else:
            for key, entry in dval.value.items():
                if key not in DEFAULT_FIELDS:
                    err(
                        entry[0],
                        None,
                        f"defaults.{key}",
                        msg("sched.unknown_field", name=key, allowed=", ".join(DEFAULT_FIELDS)),
                    )
                else:
                    defaults[key] = entry

    roots = [path.parent.resolve(), *(Path(r).resolve() for r in ctx.media_roots)]
    seen_ids: dict[str, int] = {}
    specs: list[PostSpec] = []
    lines: dict[str, dict[str, int]] = {}

    for rec_line, rec, dupes in records:
        post_id: str | None = None
        id_entry = rec.get("id")
        if id_entry is not None and isinstance(id_entry[1].value, str):
            post_id = id_entry[1].value.strip()
        for key, (line, _v) in rec.items():
            if key not in POST_FIELDS:
                err(line, post_id, key, msg("sched.unknown_field", name=key, allowed=", ".join(POST_FIELDS)))
        ok = True
        for key, line, first in dupes:
            err(line, post_id, key, msg("sched.duplicate_key", name=key, line=first))
            ok = False
        if id_entry is None:
            err(rec_line, None, "id", msg("sched.missing", name="id"))
            ok = False
        elif post_id is None or not POST_ID_RE.match(post_id):
            err(id_entry[0], None, "id", msg("sched.bad_id", value=id_entry[1].value))
            post_id = None
            ok = False
        elif post_id in seen_ids:
            err(id_entry[0], post_id, "id", msg("sched.duplicate_id", value=post_id, line=seen_ids[post_id]))
            ok = False
        else:
            seen_ids[post_id] = id_entry[0]

        merged = {**defaults, **rec}
        refused = refused_chars(merged, post_id)  # reported; those fields are left out of the rest
        if refused:
            ok = False
            rec = {k: v for k, v in rec.items() if k not in refused}
            merged = {k: v for k, v in merged.items() if k not in refused}

        for req in ("at", "title", "text"):
            if req not in rec and req not in refused:
                err(rec_line, post_id, req, msg("sched.missing", name=req))
                ok = False
        title = text_of(rec.get("title"), post_id, "title")
        body = text_of(rec.get("text"), post_id, "text")
        for fld, value in (("title", title), ("text", body)):
            if value is not None and not value.strip():
                err(rec[fld][0], post_id, fld, msg("sched.empty_text"))
                ok = False

        grace_hours = ctx.grace_hours
        grace_given: float | None = None
        if "grace" in merged:
            gline, gval = merged["grace"]
            hours = parse_duration(gval.value) if isinstance(gval.value, str) else None
            if hours is None:
                err(gline, post_id, "grace", msg("sched.bad_duration", value=gval.value))
                ok = False
            elif hours > MAX_GRACE_HOURS:
                err(
                    gline,
                    post_id,
                    "grace",
                    msg("sched.grace_too_long", value=gval.value.strip(), max=format_hours(MAX_GRACE_HOURS)),
                )
                ok = False
            else:
                grace_hours = grace_given = hours

        due: datetime | None = None
        if "at" in rec:
            aline, aval = rec["at"]
            problem: Msg | None = msg("sched.bad_time", value=aval.value)
            note: Msg | None = None
            if isinstance(aval.value, str):
                due, problem, note = _parse_at(aval.value, tz)
            if due is None:
                err(aline, post_id, "at", problem or msg("sched.bad_time", value=aval.value))
                ok = False
            elif due + timedelta(hours=grace_hours) < ctx.now and ctx.known_due.get(post_id or "") != due:
                local = due.astimezone(ZoneInfo(tz)).strftime("%d/%m/%Y %H:%M")
                err(aline, post_id, "at", msg("sched.past", when=local, grace=format_hours(grace_hours)))
                ok = False
            elif due < ctx.now:
                local = due.astimezone(ZoneInfo(tz)).strftime("%d/%m/%Y %H:%M")
                notes.append(
                    ScheduleProblem(
                        name,
                        aline,
                        post_id,
                        "at",
                        msg(
                            "sched.late"
                            if due + timedelta(hours=grace_hours) >= ctx.now
                            else "sched.past_known",
                            when=local,
                            grace=format_hours(grace_hours),
                        ),
                        "note",
                    )
                )
            if note is not None and due is not None:
                notes.append(ScheduleProblem(name, aline, post_id, "at", note, "note"))

        targets: list[Target] = []
        if "targets" not in merged:
            err(rec_line, post_id, "targets", msg("sched.no_targets"))
            ok = False
        else:
            tline, tval = merged["targets"]
            items = (
                tval.value
                if isinstance(tval.value, list)
                else [tval]
                if isinstance(tval.value, str)
                else None
            )
            if items is None:
                err(tline, post_id, "targets", msg("sched.expected_list"))
                ok = False
            else:
                for item in items:
                    if not isinstance(item.value, str):
                        err(item.line or tline, post_id, "targets", msg("sched.bad_target", value=item.value))
                        ok = False
                        continue
                    try:
                        tgt = Target.parse(item.value)
                    except ValueError:
                        err(item.line or tline, post_id, "targets", msg("sched.bad_target", value=item.value))
                        ok = False
                        continue
                    if ctx.known_targets is not None and str(tgt) not in ctx.known_targets:
                        err(
                            item.line or tline,
                            post_id,
                            "targets",
                            msg("sched.unknown_account", value=str(tgt)),
                        )
                        ok = False
                    elif tgt not in targets:
                        targets.append(tgt)
                if not items:
                    err(tline, post_id, "targets", msg("sched.no_targets"))
                    ok = False

        def media_path(entry_line: int, value: Any, fld: str, post_id: str | None = post_id) -> Path | None:
            if not isinstance(value, str) or not value.strip():
                err(entry_line, post_id, fld, msg("sched.expected_text"))
                return None
            full = Path()
            try:  # a hostile name (too long, ~nobody) must end in a message, not a traceback
                p = Path(unicodedata.normalize("NFC", value.strip())).expanduser()
                full = (path.parent / p) if not p.is_absolute() else p
                resolved = full.resolve()
                if not any(resolved == r or resolved.is_relative_to(r) for r in roots):
                    err(entry_line, post_id, fld, msg("sched.media_outside", value=value))
                    return None
                if ctx.check_media:
                    if not resolved.exists():
                        err(entry_line, post_id, fld, msg("sched.media_missing", value=value, path=resolved))
                        return None
                    if not resolved.is_file():
                        err(entry_line, post_id, fld, msg("sched.media_not_file", value=value))
                        return None
            except (OSError, RuntimeError, ValueError):
                err(entry_line, post_id, fld, msg("sched.media_missing", value=value, path=full))
                return None
            return resolved

        images: list[Path] = []
        image_lines: dict[str, int] = {}
        if "images" in merged:
            iline, ival = merged["images"]
            items = (
                ival.value
                if isinstance(ival.value, list)
                else [ival]
                if isinstance(ival.value, str)
                else None
            )
            if items is None:
                err(iline, post_id, "images", msg("sched.expected_list"))
                ok = False
            else:
                for item in items:
                    mp = media_path(item.line or iline, item.value, "images")
                    if mp is None:
                        ok = False
                    else:
                        image_lines[f"images.{len(images)}"] = item.line or iline
                        images.append(mp)
        video: Path | None = None
        if "video" in merged:
            vline, vval = merged["video"]
            video = media_path(vline, vval.value, "video")
            if video is None:
                ok = False

        story: Story | None = None
        story_lines: dict[str, int] = {}
        if "story" in rec:
            sline, sval = rec["story"]
            story_lines = _story_lines(sval, "story")
            if path.suffix.lower() == ".csv":
                err(sline, post_id, "story", msg("sched.story_csv"))
                ok = False
            elif video is not None or "video" in merged:
                err(sline, post_id, "story", msg("sched.story_and_video"))
                ok = False
            else:
                story = _load_story(sval, sline, story_lines, due, tz, title, post_id, media_path, err)
                ok = ok and story is not None

        draft = False
        if "draft" in merged:
            dline, dval = merged["draft"]
            b = str(dval.value).strip().lower() if isinstance(dval.value, str) else None
            if b in ("true", "yes", "1", "có", "co"):
                draft = True
            elif b in ("false", "no", "0", "không", "khong", ""):
                draft = False
            else:
                err(dline, post_id, "draft", msg("sched.bad_bool"))
                ok = False

        options: dict[str, Any] = {}
        if "options" in merged:
            oline, oval = merged["options"]
            if not isinstance(oval.value, dict):
                err(oline, post_id, "options", msg("sched.expected_mapping"))
                ok = False
            else:
                options = _to_python(oval)
        banner = text_of(merged.get("banner"), post_id, "banner")
        if banner:
            options = {**options, "banner": banner}
        if "story" in options:  # only the validated block below may set it
            err(merged["options"][0], post_id, "options.story", msg("sched.story_option"))
            ok = False
        if story is not None and post_id is not None:
            options = {**options, "story": story_to_json(story)}
            video = story_video_placeholder(path.parent.resolve(), post_id)

        campaign = text_of(merged.get("campaign"), post_id, "campaign") or file_campaign
        author = text_of(merged.get("author"), post_id, "author")
        link = text_of(merged.get("link"), post_id, "link")

        if not ok or due is None or post_id is None or title is None or body is None:
            continue
        spec = PostSpec(
            key=post_id,
            title=title.strip(),
            text=body.rstrip() + ("\n" if body.endswith("\n") else ""),
            due_at=due,
            timezone=tz,
            targets=tuple(targets),
            images=tuple(images),
            video=video,
            campaign=campaign.strip() if campaign else None,
            author=author.strip() if author else None,
            link=link.strip() if link else None,
            grace_hours=grace_given,
            draft=draft,
            options=options,
            source_file=str(path.resolve()),
            source_line=rec_line,
        )
        field_lines = {"post": rec_line, **{k: v[0] for k, v in merged.items()}, **image_lines, **story_lines}

        def line_of(fld: str, position: int | None, field_lines: dict[str, int] = field_lines) -> int:
            if position is not None and f"{fld}.{position}" in field_lines:
                return field_lines[f"{fld}.{position}"]
            return _line_of_path(field_lines, fld, field_lines["post"])

        for tgt in spec.targets:
            limits = ctx.limits.get(tgt.platform.value)
            if limits:
                from publisher.core.limits import check_limits

                for p in check_limits(spec, dict(limits)):
                    if p.severity == "block":
                        err(line_of(p.field, None), post_id, f"{p.field} ({tgt})", p.message)
        for check in ctx.extra_checks:
            for p in check(spec):
                line = line_of(p.field, p.position)
                if p.severity == "block":
                    err(line, post_id, p.field, p.message)
                else:
                    notes.append(ScheduleProblem(name, line, post_id, p.field, p.message, "note"))
        lines[post_id] = field_lines
        specs.append(spec)

    if problems:
        problems.sort(key=lambda p: p.line or 0)  # in the order of the file
        raise ValidationFailed(msg("sched.failed", n=len(problems)), problems + notes)
    return LoadedSchedule(name, specs, notes, lines)


def _story_lines(val: _Value, prefix: str) -> dict[str, int]:
    """Field path (``story.photos[2].file``) → line, for every value of a ``story:`` block."""
    out: dict[str, int] = {prefix: val.line} if val.line else {}
    if isinstance(val.value, dict):
        for key, (line, sub) in val.value.items():
            out[f"{prefix}.{key}"] = line
            out.update(
                {k: v for k, v in _story_lines(sub, f"{prefix}.{key}").items() if k != f"{prefix}.{key}"}
            )
    elif isinstance(val.value, list):
        for i, item in enumerate(val.value):
            out.update(_story_lines(item, f"{prefix}[{i}]"))
            if isinstance(item.value, str) and item.line:  # a photo written as its file alone
                out[f"{prefix}[{i}].file"] = item.line
    return out


def _line_of_path(lines: Mapping[str, int], fld: str, default: int) -> int:
    """The line of ``fld`` or of the nearest field holding it (``story.photos[2].x`` → ``story.photos[2]``)."""
    while fld:
        if fld in lines:
            return lines[fld]
        cut = max(fld.rfind("."), fld.rfind("["))
        fld = fld[:cut] if cut > 0 else ""
    return default


def _load_story(
    val: _Value,
    line: int,
    lines: Mapping[str, int],
    due: datetime | None,
    tz: str,
    title: str | None,
    post_id: str | None,
    media_path: Callable[..., Path | None],
    err: Callable[[int | None, str | None, str | None, Msg | str], None],
) -> Story | None:
    """A post's ``story:`` block validated (:func:`parse_story`), its files confined like ``images:``."""
    day = due.astimezone(ZoneInfo(tz)).date() if due is not None else None
    raw = _to_python(val)
    try:
        story = parse_story(
            raw, Path("."), title=title.strip() if title else None, date=day, check_files=False
        )
    except StoryInvalid as exc:
        for p in exc.problems:
            fld = getattr(p, "field", "story")
            err(_line_of_path(lines, fld, line), post_id, fld, getattr(p, "message", str(p)))
        named = {getattr(p, "field", "") for p in exc.problems}
        for fld, written in _story_files(raw):  # every problem at once: the files named are looked at too
            if fld not in named:
                media_path(_line_of_path(lines, fld, line), written, fld)
        return None
    resolved: dict[str, Path] = {}
    for fld, file in story.files():
        full = media_path(_line_of_path(lines, fld, line), str(file), fld)
        if full is not None:
            resolved[fld] = full
    if len(resolved) != len(story.files()):
        return None
    photos = tuple(
        dataclasses.replace(p, file=resolved[f"story.photos[{i}].file"]) for i, p in enumerate(story.photos)
    )
    return dataclasses.replace(
        story, photos=photos, music=resolved.get("story.music"), logo=resolved.get("story.logo")
    )


def _story_files(raw: Any) -> list[tuple[str, str]]:
    """(field path, file as written) of a ``story:`` block that did not validate."""
    if not isinstance(raw, dict):
        return []
    out = []
    photos = raw.get("photos")
    for i, item in enumerate(photos if isinstance(photos, list) else []):
        file = item.get("file") if isinstance(item, dict) else item
        if isinstance(file, str):
            out.append((f"story.photos[{i}].file", file))
    out += [(f"story.{k}", raw[k]) for k in ("music", "logo") if isinstance(raw.get(k), str)]
    return out


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
