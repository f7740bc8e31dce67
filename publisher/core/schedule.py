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
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from publisher.core.limits import Problem
from publisher.core.models import POST_ID_RE, PostSpec, Target, nfc
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
        "sched.no_posts": ("Tệp lịch không có bài nào trong “posts”.", "The schedule has no posts under “posts”."),
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
        "sched.bad_tz": ("Múi giờ “{value}” không tồn tại (ví dụ: Asia/Ho_Chi_Minh).",
                         "Unknown time zone “{value}” (e.g. Asia/Ho_Chi_Minh)."),
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
        "sched.media_missing": ("Không tìm thấy tệp “{value}” (đã tìm ở {path}).",
                                "File “{value}” not found (looked at {path})."),
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
    }
)

POST_FIELDS = (
    "id", "at", "title", "text", "images", "video", "banner", "targets", "campaign",
    "author", "link", "draft", "grace", "options",
)
DEFAULT_FIELDS = tuple(f for f in POST_FIELDS if f not in ("id", "at", "title", "text"))
TOP_FIELDS = ("timezone", "campaign", "defaults", "posts")
DEFAULT_TZ = "Asia/Ho_Chi_Minh"

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
        post = f"[{self.post_id}] " if self.post_id else ""
        fld = self.field or ""
        return t("sched.problem", where=where, post=post, field=fld, message=str(self.message))


@dataclass
class LoadedSchedule:
    file: str
    posts: list[PostSpec]
    notes: list[ScheduleProblem] = field(default_factory=list)


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


@dataclass
class _Value:
    value: Any
    line: int | None


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
    m = _TIME_RE.match(str(text))
    if not m:
        return None
    y, mo, d, h, mi, s = (int(x) if x else 0 for x in m.groups())
    try:
        local = datetime(y, mo, d, h, mi, s, tzinfo=ZoneInfo(tz))
    except ValueError:
        return None
    return local.astimezone(UTC)


# -- YAML with line numbers ----------------------------------------------------------------------


def _plain(node: yaml.Node) -> Any:
    """A composed node → nested python values, every scalar as a string with its line."""
    if isinstance(node, yaml.ScalarNode):
        return _Value(node.value, node.start_mark.line + 1)
    if isinstance(node, yaml.SequenceNode):
        return _Value([_plain(n) for n in node.value], node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, tuple[int, Any]] = {}
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else str(k.start_mark)
            out[str(key)] = (k.start_mark.line + 1, _plain(v))
        return _Value(out, node.start_mark.line + 1)
    return _Value(None, None)


class _Loader(yaml.SafeLoader):
    """Composes only (no implicit typing): dates, numbers and booleans are read by us."""


def load_schedule(path: Path | str, ctx: Context, text: str | None = None) -> LoadedSchedule:
    """Read and validate one schedule file. Raises only :class:`ValidationFailed`."""
    path = Path(path)
    name = str(path)
    if text is None:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            _fail([ScheduleProblem(name, None, None, None, msg("sched.cannot_read", error=exc.strerror or exc))])
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            _fail([ScheduleProblem(name, None, None, None, msg("sched.not_utf8"))])
    if path.suffix.lower() == ".csv":
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


def _records_from_yaml(
    name: str, text: str
) -> tuple[dict[str, tuple[int, Any]], list[tuple[int, dict[str, tuple[int, Any]]]], list[ScheduleProblem]]:
    try:
        node = yaml.compose(text, Loader=_Loader)
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
    for key, (line, _v) in top.items():
        if key not in TOP_FIELDS:
            problems.append(
                ScheduleProblem(name, line, None, key, msg("sched.unknown_field", name=key, allowed=", ".join(TOP_FIELDS)))
            )
    posts_entry = top.get("posts")
    if posts_entry is None:
        problems.append(ScheduleProblem(name, root.line, None, "posts", msg("sched.no_posts")))
        return top, [], problems
    pline, pval = posts_entry
    if not isinstance(pval.value, list):
        problems.append(ScheduleProblem(name, pline, None, "posts", msg("sched.expected_list")))
        return top, [], problems
    records: list[tuple[int, dict[str, tuple[int, Any]]]] = []
    for item in pval.value:
        if not isinstance(item.value, dict):
            problems.append(ScheduleProblem(name, item.line, None, "posts", msg("sched.expected_mapping")))
            continue
        records.append((item.line or pline, item.value))
    if not records and not problems:
        problems.append(ScheduleProblem(name, pline, None, "posts", msg("sched.no_posts")))
    return top, records, problems


def _records_from_csv(name: str, text: str) -> tuple[list[tuple[int, dict[str, tuple[int, Any]]]], list[ScheduleProblem]]:
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows = list(reader)
    if not rows:
        return [], [ScheduleProblem(name, 1, None, None, msg("sched.no_posts"))]
    header = [h.strip().lower() for h in rows[0]]
    unknown = [h for h in header if h and h not in POST_FIELDS]
    if unknown or not {"id", "at", "title", "text"} <= set(header):
        return [], [ScheduleProblem(name, 1, None, None, msg("sched.csv_header", unknown=", ".join(unknown) or "—"))]
    records = []
    # csv.reader does not report lines; count physical lines through the reader's line_num
    reader = csv.reader(io.StringIO(text), dialect)
    next(reader)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            return [], [ScheduleProblem(name, reader.line_num, None, None, msg("sched.yaml_syntax", error=exc))]
        if not any(cell.strip() for cell in row):
            continue
        rec: dict[str, tuple[int, Any]] = {}
        for col, cell in zip(header, row, strict=False):
            if not col or cell.strip() == "":
                continue
            if col in ("images", "targets"):
                rec[col] = (start, _Value([_Value(p.strip(), start) for p in cell.split(";") if p.strip()], start))
            else:
                rec[col] = (start, _Value(cell, start))
        records.append((start, rec))
    if not records:
        return [], [ScheduleProblem(name, 1, None, None, msg("sched.no_posts"))]
    return records, []


# -- validation ---------------------------------------------------------------------------------


def _validate(
    path: Path, top: dict[str, tuple[int, Any]], records: list[tuple[int, dict[str, tuple[int, Any]]]], ctx: Context
) -> LoadedSchedule:
    name = str(path)
    problems: list[ScheduleProblem] = []
    notes: list[ScheduleProblem] = []

    def err(line: int | None, post: str | None, fld: str | None, message: Msg | str) -> None:
        problems.append(ScheduleProblem(name, line, post, fld, message))

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
        return norm

    tz = DEFAULT_TZ
    if "timezone" in top:
        tzv = text_of(top["timezone"], None, "timezone")
        if tzv:
            try:
                ZoneInfo(tzv.strip())
                tz = tzv.strip()
            except (ZoneInfoNotFoundError, ValueError):
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
                    err(entry[0], None, f"defaults.{key}",
                        msg("sched.unknown_field", name=key, allowed=", ".join(DEFAULT_FIELDS)))
                else:
                    defaults[key] = entry

    roots = [path.parent.resolve(), *(Path(r).resolve() for r in ctx.media_roots)]
    seen_ids: dict[str, int] = {}
    specs: list[PostSpec] = []

    for rec_line, rec in records:
        post_id: str | None = None
        id_entry = rec.get("id")
        if id_entry is not None and isinstance(id_entry[1].value, str):
            post_id = id_entry[1].value.strip()
        for key, (line, _v) in rec.items():
            if key not in POST_FIELDS:
                err(line, post_id, key, msg("sched.unknown_field", name=key, allowed=", ".join(POST_FIELDS)))
        ok = True
        if id_entry is None:
            err(rec_line, None, "id", msg("sched.missing", name="id"))
            ok = False
        elif post_id is None or not POST_ID_RE.match(post_id):
            err(id_entry[0], None, "id", msg("sched.bad_id", value=id_entry[1].value))
            ok = False
        elif post_id in seen_ids:
            err(id_entry[0], post_id, "id", msg("sched.duplicate_id", value=post_id, line=seen_ids[post_id]))
            ok = False
        else:
            seen_ids[post_id] = id_entry[0]

        merged = {**defaults, **rec}

        for req in ("at", "title", "text"):
            if req not in rec:
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
            else:
                grace_hours = grace_given = hours

        due: datetime | None = None
        if "at" in rec:
            aline, aval = rec["at"]
            due = parse_local_time(aval.value, tz) if isinstance(aval.value, str) else None
            if due is None:
                err(aline, post_id, "at", msg("sched.bad_time", value=aval.value))
                ok = False
            elif due + timedelta(hours=grace_hours) < ctx.now:
                local = due.astimezone(ZoneInfo(tz)).strftime("%d/%m/%Y %H:%M")
                err(aline, post_id, "at", msg("sched.past", when=local, grace=format_hours(grace_hours)))
                ok = False
            elif due < ctx.now:
                local = due.astimezone(ZoneInfo(tz)).strftime("%d/%m/%Y %H:%M")
                notes.append(ScheduleProblem(name, aline, post_id, "at",
                                             msg("sched.late", when=local, grace=format_hours(grace_hours)), "note"))

        targets: list[Target] = []
        if "targets" not in merged:
            err(rec_line, post_id, "targets", msg("sched.no_targets"))
            ok = False
        else:
            tline, tval = merged["targets"]
            items = tval.value if isinstance(tval.value, list) else [tval] if isinstance(tval.value, str) else None
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
                        err(item.line or tline, post_id, "targets", msg("sched.unknown_account", value=str(tgt)))
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
            p = Path(unicodedata.normalize("NFC", value.strip())).expanduser()
            full = (path.parent / p) if not p.is_absolute() else p
            try:
                resolved = full.resolve()
            except (OSError, RuntimeError):
                err(entry_line, post_id, fld, msg("sched.media_missing", value=value, path=full))
                return None
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
            return resolved

        images: list[Path] = []
        if "images" in merged:
            iline, ival = merged["images"]
            items = ival.value if isinstance(ival.value, list) else [ival] if isinstance(ival.value, str) else None
            if items is None:
                err(iline, post_id, "images", msg("sched.expected_list"))
                ok = False
            else:
                for item in items:
                    mp = media_path(item.line or iline, item.value, "images")
                    if mp is None:
                        ok = False
                    else:
                        images.append(mp)
        video: Path | None = None
        if "video" in merged:
            vline, vval = merged["video"]
            video = media_path(vline, vval.value, "video")
            if video is None:
                ok = False

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
        for tgt in spec.targets:
            limits = ctx.limits.get(tgt.platform.value)
            if limits:
                from publisher.core.limits import check_limits

                for p in check_limits(spec, dict(limits)):
                    if p.severity == "block":
                        line = rec[p.field][0] if p.field in rec else rec_line
                        err(line, post_id, f"{p.field} ({tgt})", p.message)
        for check in ctx.extra_checks:
            for p in check(spec):
                line = rec[p.field][0] if p.field in rec else rec_line
                if p.severity == "block":
                    err(line, post_id, p.field, p.message)
                else:
                    notes.append(ScheduleProblem(name, line, post_id, p.field, p.message, "note"))
        specs.append(spec)

    if problems:
        raise ValidationFailed(msg("sched.failed", n=len(problems)), problems + notes)
    return LoadedSchedule(name, specs, notes)


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
        if re.fullmatch(r"-?\d+", s.strip()):
            return int(s)
    return s
