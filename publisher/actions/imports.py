"""Importing a schedule file in two steps, as the web app does it: check, then confirm.

An uploaded file is kept in ``<data dir>/imports/<random id>/`` for its uploader only and for
:data:`PENDING_TTL`; the check is exactly what ``publisher queue --check`` does (the loader, the
notes of :func:`~publisher.actions.queue.queue_notes` and the review of
:func:`~publisher.actions.queue.review_posts`), plus what the store would refuse when queueing (a
post of another unit, a target of another unit, a post id of another file), and says what the
import will do to each post. The confirmation checks the kept file again and queues it through
:func:`~publisher.actions.queue.queue_schedules`, as ``publisher queue`` does.

The file is read as if it lay in ``<data dir>/media/``: relative media paths are found in that
folder (where the upload page puts photos and clips), and ``<data dir>/media/<name>`` is the
file's identity in the store, so loading the same file (by name, in the same unit) again changes
nothing and an edited one updates its posts.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import shutil
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Literal
from zoneinfo import ZoneInfo

from publisher.actions.queue import (
    QueueResult,
    Schedules,
    queue_notes,
    queue_schedules,
    review_posts,
    schedule_context,
)
from publisher.core.models import PostSpec
from publisher.core.people import DEFAULT_UNIT, User
from publisher.core.schedule import DEFAULT_TZ, ScheduleProblem, load_schedule
from publisher.core.states import State
from publisher.errors import NotFound, UserError, ValidationFailed
from publisher.i18n import msg, register
from publisher.settings import Settings
from publisher.store.digest import spec_hash

register(
    {
        "imports.kind": (
            "Chỉ nhận tệp lịch .csv, .yaml hoặc .yml (tệp “{name}”).",
            "Only .csv, .yaml or .yml schedule files are accepted (file “{name}”).",
        ),
        "imports.unknown": (
            "Không thấy tệp đã tải lên này (có thể đã được nạp hoặc đã bị xóa).",
            "This upload is not there (it may have been imported or removed already).",
        ),
        "imports.post_other_unit": (
            "Mã bài “{key}” đã được dùng cho một bài của đơn vị khác: đặt mã bài khác.",
            "Post id “{key}” is already used by a post of another unit: choose a different id.",
        ),
        "imports.target_other_unit": (
            "Nơi đăng {target} không phải tài khoản của đơn vị “{unit}”: mỗi bài chỉ đăng lên tài khoản "
            "của đơn vị mình.",
            "Target {target} is not an account of unit “{unit}”: a post goes out only on its own unit's "
            "accounts.",
        ),
        "imports.expired": (
            "Tệp đã tải lên quá lâu (hơn {hours} giờ) nên đã bị xóa. Hãy tải tệp lên và kiểm tra lại.",
            "The uploaded file is older than {hours} hours and was removed. Upload and check it again.",
        ),
    }
)

#: how long an uploaded file waits for its confirmation
PENDING_TTL = timedelta(hours=24)
SUFFIXES = (".csv", ".yaml", ".yml")
_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_META = "import.json"
_UNSAFE = re.compile(r"[^\w.() -]+")

Outcome = Literal["new", "changed", "unchanged", "cancelled"]


def media_dir(settings: Settings) -> Path:
    """Where relative media paths of an imported file are found (and uploads are kept)."""
    return settings.data_dir / "media"


def imports_dir(settings: Settings) -> Path:
    return settings.data_dir / "imports"


def safe_name(name: str) -> str:
    """A file name as uploaded, made harmless: no folders, no leading dot, no odd characters."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    base = _UNSAFE.sub("_", base).lstrip(".")[-120:]
    return base or "lich"


@dataclass(frozen=True)
class Pending:
    """An uploaded schedule file waiting for its confirmation."""

    id: str
    user_id: int
    unit: str
    name: str  # the file name as uploaded (made safe)
    created_at: datetime
    path: Path  # the bytes as uploaded

    def source(self, settings: Settings) -> Path:
        """The file's identity in the store: its name in the media folder (the unit's, past the default)."""
        prefix = "" if self.unit == DEFAULT_UNIT else f"{safe_name(self.unit)}--"
        return media_dir(settings) / f"{prefix}{self.name}"


def save_upload(settings: Settings, data: IO[bytes], filename: str, user: User, unit: str) -> Pending:
    """Keep an uploaded file (at most ``schedule_max_bytes``) for ``user``; refuse another kind of file."""
    name = safe_name(filename)
    if not name.lower().endswith(SUFFIXES):
        raise UserError(msg("imports.kind", name=name))
    raw = data.read(settings.schedule_max_bytes + 1)  # never more than the cap
    if len(raw) > settings.schedule_max_bytes:
        raise UserError(msg("sched.too_big", max=settings.schedule_max_bytes))
    forget_expired(settings)
    root = imports_dir(settings)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    import_id = secrets.token_urlsafe(24)
    folder = root / import_id
    folder.mkdir(mode=0o700)
    path = folder / name
    path.write_bytes(raw)
    now = datetime.now(UTC)
    meta = {"user": user.id, "unit": unit, "name": name, "created": now.isoformat()}
    (folder / _META).write_text(json.dumps(meta), encoding="utf-8")
    return Pending(import_id, user.id, unit, name, now, path)


def pending_import(settings: Settings, import_id: str, user: User) -> Pending:
    """The upload ``import_id`` of ``user``: NotFound for anyone else's or an unknown one."""
    folder = imports_dir(settings) / import_id
    try:
        if not _ID.match(import_id):
            raise ValueError(import_id)
        meta = json.loads((folder / _META).read_text(encoding="utf-8"))
        pending = Pending(
            import_id,
            int(meta["user"]),
            str(meta["unit"]),
            str(meta["name"]),
            datetime.fromisoformat(meta["created"]),
            folder / safe_name(str(meta["name"])),
        )
    except (OSError, ValueError, KeyError, TypeError):
        raise NotFound(msg("imports.unknown")) from None
    if pending.user_id != user.id:
        raise NotFound(msg("imports.unknown"))
    if datetime.now(UTC) - pending.created_at > PENDING_TTL:
        discard(pending)
        raise UserError(msg("imports.expired", hours=int(PENDING_TTL.total_seconds() // 3600)))
    return pending


def discard(pending: Pending) -> None:
    shutil.rmtree(pending.path.parent, ignore_errors=True)


def forget_expired(settings: Settings) -> int:
    """Remove uploads older than :data:`PENDING_TTL`; returns how many."""
    root = imports_dir(settings)
    if not root.is_dir():
        return 0
    cutoff = (datetime.now(UTC) - PENDING_TTL).timestamp()
    gone = 0
    for folder in root.iterdir():
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                gone += 1
        except OSError:
            continue
    return gone


@dataclass(frozen=True)
class Issue:
    """One line of the check: where (line, post, field), what, and how bad."""

    line: int | None
    post: str | None
    field: str | None
    message: str
    kind: Literal["error", "block", "warn", "note"] = "error"


@dataclass(frozen=True)
class Planned:
    """What importing does to one post of the file."""

    key: str
    title: str
    due_at: datetime
    targets: tuple[str, ...]
    outcome: Outcome
    fields: tuple[str, ...] = ()  # the schedule fields that change


@dataclass
class ImportCheck:
    pending: Pending
    errors: list[Issue] = field(default_factory=list)  # the file cannot be imported as it is
    warnings: list[Issue] = field(default_factory=list)  # review findings that do not block, notes
    plan: list[Planned] = field(default_factory=list)
    schedules: Schedules | None = None

    @property
    def clean(self) -> bool:
        return self.schedules is not None and not self.errors


def _problem(p: ScheduleProblem) -> Issue:
    return Issue(p.line, p.post_id, p.field, str(p.message), "note" if p.severity == "note" else "error")


def _decoded(raw: bytes, source: Path) -> str:
    """The text of the file, or the loader's own message for one that is not UTF-8 (Excel's cp1258)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        key = "sched.not_utf8_csv" if source.suffix.lower() == ".csv" else "sched.not_utf8"
        problem = ScheduleProblem(str(source), line, None, None, msg(key))
        raise ValidationFailed(msg("sched.failed", n=1), [problem]) from None


def check_import(store: Any, settings: Settings, pending: Pending) -> ImportCheck:
    """Everything ``publisher queue --check`` says of the file, and what importing it would do."""
    out = ImportCheck(pending)
    source = pending.source(settings)
    try:
        text = _decoded(pending.path.read_bytes(), source)
        loaded = [load_schedule(source, schedule_context(store, settings), text=text)]
    except ValidationFailed as exc:
        out.errors = [_problem(p) for p in exc.problems]
        return out
    schedules = Schedules(loaded, queue_notes(store, settings, loaded), review_posts(settings, loaded))
    for review in schedules.reviews:
        for line, f in review.findings:
            issue = Issue(line, review.key, f.field, str(f.message), "block" if f.blocks else "warn")
            (out.errors if f.blocks else out.warnings).append(issue)
    out.warnings += [_problem(n) for n in schedules.notes]
    owners = {f"{a.platform}/{a.name}": a.unit or DEFAULT_UNIT for a in store.accounts(include_disabled=True)}
    for ls in loaded:
        for spec in ls.posts:
            planned, refused = _planned(
                store, settings, spec, pending.unit, owners, ls.lines.get(spec.key, {})
            )
            out.plan.append(planned)
            out.errors += refused
    out.schedules = schedules
    return out


def confirm_import(
    store: Any, settings: Settings, pending: Pending, by: str
) -> tuple[ImportCheck, QueueResult | None]:
    """Check the kept file again and, if it is clean, queue it as ``by`` into the upload's unit."""
    check = check_import(store, settings, pending)
    if not check.clean or check.schedules is None:
        return check, None
    try:
        result = queue_schedules(store, settings, check.schedules, by, unit=pending.unit)
    except UserError as exc:  # changed between the check and now (another import, another unit)
        check.errors.append(Issue(None, None, None, str(exc)))
        return check, None
    discard(pending)
    return check, result


def _planned(
    store: Any,
    settings: Settings,
    spec: PostSpec,
    unit: str,
    owners: dict[str, str],
    lines: dict[str, int],
) -> tuple[Planned, list[Issue]]:
    """What queueing ``spec`` into ``unit`` does, and what the store would refuse about it."""
    targets = tuple(str(t) for t in spec.targets)
    try:
        detail: dict[str, Any] | None = store.post_detail(spec.key)
    except NotFound:
        detail = None
    if detail is not None and detail["post"].key != spec.key:
        detail = None  # an all-digit id names a delivery when no post has it
    refused: list[Issue] = []
    post_unit = unit
    if detail is not None:
        post = detail["post"]
        post_unit = post.unit or DEFAULT_UNIT
        if post_unit != unit:
            text = msg("imports.post_other_unit", key=spec.key)
            refused.append(Issue(spec.source_line, spec.key, "id", str(text)))
        active = any(d.state != State.CANCELLED.value for d in detail["deliveries"])
        if post.source_file and spec.source_file and post.source_file != spec.source_file and active:
            text = msg("store.key_in_other_file", key=spec.key, other=Path(post.source_file).name)
            refused.append(Issue(spec.source_line, spec.key, "id", str(text)))
    for tgt in targets:
        if owners.get(tgt, DEFAULT_UNIT) != post_unit:
            text = msg("imports.target_other_unit", target=tgt, unit=post_unit)
            refused.append(Issue(lines.get("targets", spec.source_line), spec.key, "targets", str(text)))
    if detail is None:
        return Planned(spec.key, spec.title, spec.due_at, targets, "new"), refused
    fields = _changes(store, settings, spec, detail)
    outcome: Outcome = "changed" if fields else "unchanged"
    if not fields and all(d.state == State.CANCELLED.value for d in detail["deliveries"]):
        outcome = "cancelled"
    return Planned(spec.key, spec.title, spec.due_at, targets, outcome, tuple(fields)), refused


def _changes(store: Any, settings: Settings, spec: PostSpec, detail: dict[str, Any]) -> list[str]:
    """The schedule fields of a stored post that ``spec`` changes, named as the queue report names them."""
    post, old = detail["post"], store.post_spec(spec.key)
    grace = spec.grace_hours if spec.grace_hours is not None else settings.grace_hours

    def media(p: PostSpec) -> tuple[list[str], str | None]:
        return [str(i) for i in p.images], str(p.video) if p.video else None

    def options(value: dict[str, Any]) -> str:
        return json.dumps(value or {}, sort_keys=True, ensure_ascii=False, default=str)

    pairs: dict[str, tuple[Any, Any]] = {
        "title": (old.title, spec.title),
        "text": (old.text, spec.text),
        "link": (old.link, spec.link),
        "images": (media(old)[0], media(spec)[0]),
        "video": (media(old)[1], media(spec)[1]),
        "options": (options(old.options), options(spec.options)),
        "at": (old.due_at, spec.due_at),
        "timezone": (old.timezone, spec.timezone),
        "grace": (int(post.grace_seconds), int(grace * 3600)),
        "campaign": (old.campaign, spec.campaign),
        "author": (old.author, spec.author),
        "draft": (bool(old.draft), bool(spec.draft)),
    }
    fields = [name for name, (was, now) in pairs.items() if was != now]
    if {f"{d.platform}/{d.name}" for d in detail["deliveries"]} != {str(t) for t in spec.targets}:
        fields.append("targets")
    if not fields and post.content_hash != spec_hash(spec):
        fields.append("media")  # the same paths, other bytes
    return fields


# -- the template CSV ------------------------------------------------------------------------------

TEMPLATE_COLUMNS = (
    "id",
    "at",
    "title",
    "text",
    "targets",
    "images",
    "video",
    "link",
    "campaign",
    "grace",
    "draft",
)


def template_csv(now: datetime | None = None) -> bytes:
    """The header of the CSV schedule format and one example row, UTF-8 with a BOM (for Excel).

    The example is the next National Day (2 September) far enough ahead to pass the check once
    its target names an account of the office.
    """
    today = (now or datetime.now(UTC)).astimezone(ZoneInfo(DEFAULT_TZ))
    year = today.year if (today.month, today.day) < (8, 25) else today.year + 1
    n = year - 1945
    row = {
        "id": f"quoc-khanh-{year}",
        "at": f"{year}-09-02 07:00",
        "title": f"Kỷ niệm {n} năm Ngày Quốc khánh nước Cộng hòa xã hội chủ nghĩa Việt Nam (2/9/1945 – 2/9/{year})",
        "text": (
            f"Chào mừng kỷ niệm {n} năm Ngày Quốc khánh 2/9. Ủy ban nhân dân xã đề nghị các hộ gia đình "
            "treo cờ Tổ quốc từ ngày 1/9 đến hết ngày 2/9."
        ),
        "targets": "facebook/ten-trang-cua-xa;zalo/ten-oa-cua-xa",
        "images": "",
        "video": "",
        "link": "",
        "campaign": f"Thông tin đối ngoại {year}",
        "grace": "6h",
        "draft": "false",
    }
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=TEMPLATE_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerow(row)
    return buf.getvalue().encode("utf-8-sig")


__all__ = [
    "PENDING_TTL",
    "TEMPLATE_COLUMNS",
    "ImportCheck",
    "Issue",
    "Pending",
    "Planned",
    "check_import",
    "confirm_import",
    "discard",
    "forget_expired",
    "imports_dir",
    "media_dir",
    "pending_import",
    "safe_name",
    "save_upload",
    "template_csv",
]
