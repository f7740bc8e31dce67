"""``publisher``: the command line an officer uses. Vietnamese first; PUBLISHER_LANGUAGE=en for English."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from publisher.cli.common import (
    bi,
    console,
    emit_json,
    err_console,
    handle_errors,
    local_time,
    settings,
    table,
)
from publisher.core.models import Platform, Target
from publisher.core.schedule import Context, LoadedSchedule, ScheduleProblem, load_schedule
from publisher.core.states import State, label
from publisher.errors import UserError, ValidationFailed
from publisher.i18n import msg, register, set_language, t
from publisher.platforms.base import Credentials

register(
    {
        "cli.error": ("Lỗi:", "Error:"),
        "cli.note": ("Lưu ý:", "Note:"),
        "cli.init_done": (
            "Đã khởi tạo thư mục dữ liệu {dir} (cơ sở dữ liệu: {db}). Tài khoản thử nghiệm: sandbox/demo.",
            "Data directory {dir} is ready (database: {db}). Test account: sandbox/demo.",
        ),
        "cli.account_added": ("Đã thêm tài khoản {target}.", "Account {target} added."),
        "cli.account_removed": ("Đã gỡ tài khoản {target} ({outcome}).", "Account {target} removed ({outcome})."),
        "cli.check_ok": (
            "{file}: hợp lệ, {n} bài. Chưa ghi gì (chỉ kiểm tra).",
            "{file}: valid, {n} posts. Nothing written (check only).",
        ),
        "cli.queue_created": ("Thêm mới: {items}", "Created: {items}"),
        "cli.queue_updated": ("Cập nhật: {items}", "Updated: {items}"),
        "cli.queue_unchanged": ("Không đổi: {n} bài", "Unchanged: {n} posts"),
        "cli.queue_voided": (
            "Nội dung đã sửa nên phải duyệt lại: {items}",
            "Edited after approval, approval voided: {items}",
        ),
        "cli.queue_not_changed": (
            "Không sửa được {item} vì đang ở trạng thái “{state}”.",
            "Could not change {item}: it is {state}.",
        ),
        "cli.queue_target_removed": ("Đã bỏ nơi đăng {item}.", "Removed target {item}."),
        "cli.queue_removed": (
            "Bài “{key}” không còn trong {file} nhưng vẫn còn trong lịch. Dùng “publisher cancel {key}” để hủy.",
            "Post “{key}” is no longer in {file} but is still scheduled. Use “publisher cancel {key}” to remove it.",
        ),
        "cli.queue_cancelled": (
            "Bài “{key}” đã bị hủy trước đây; dùng “publisher retry {key}” nếu muốn đăng lại.",
            "Post “{key}” was cancelled earlier; use “publisher retry {key}” to bring it back.",
        ),
        "cli.queue_waiting": (
            "{n} lượt đăng đang chờ duyệt: publisher approve <mã bài> --by <người duyệt>",
            "{n} deliveries await approval: publisher approve <post id> --by <approver>",
        ),
        "cli.approved": ("Đã duyệt {key}: {targets}", "Approved {key}: {targets}"),
        "cli.skipped": ("Bỏ qua {ref}: {why}", "Skipped {ref}: {why}"),
        "cli.cancelled": ("Đã hủy {ref} (trước đó: {state}).", "Cancelled {ref} (was {state})."),
        "cli.cannot_cancel": (
            "Không hủy được {ref}: đang ở trạng thái “{state}”.",
            "Cannot cancel {ref}: it is {state}.",
        ),
        "cli.retried": ("Sẽ đăng lại {ref} ({state}).", "Will retry {ref} ({state})."),
        "cli.cannot_retry": ("Không thể thử lại {ref}: đang “{state}”.", "Cannot retry {ref}: it is {state}."),
        "cli.paused": (
            "ĐÃ TẠM DỪNG mọi lượt đăng chờ ({n} lượt). Lý do: {reason}. Tiếp tục bằng “publisher resume”.",
            "PAUSED every pending delivery ({n}). Reason: {reason}. Continue with “publisher resume”.",
        ),
        "cli.resumed": ("Đã tiếp tục; {n} lượt đăng được giải phóng.", "Resumed; {n} deliveries released."),
        "cli.resume_late": (
            "Sẽ đăng muộn (vẫn trong thời gian cho phép): {item}, hẹn {due}",
            "Will go out late (within the grace window): {item}, due {due}",
        ),
        "cli.resume_too_late": (
            "Quá muộn, sẽ bị đánh dấu lỡ giờ: {item}, hẹn {due}",
            "Too late, will be marked missed: {item}, due {due}",
        ),
        "cli.status_paused": ("ĐANG TẠM DỪNG từ {at} bởi {by}: {reason}", "PAUSED since {at} by {by}: {reason}"),
        "cli.status_running": ("Đang hoạt động (không tạm dừng).", "Running (not paused)."),
        "cli.status_upcoming": ("Sắp đăng", "Upcoming"),
        "cli.status_recent": ("Kết quả gần đây", "Recent results"),
        "cli.status_attention": ("Cần chú ý", "Needs attention"),
        "cli.status_accounts": ("Tài khoản cần đăng nhập lại: {items}", "Accounts needing re-authorisation: {items}"),
        "cli.status_counts": ("Tổng số theo trạng thái: {items}", "Totals by state: {items}"),
        "cli.col.id": ("Số", "No."),
        "cli.col.post": ("Mã bài", "Post"),
        "cli.col.target": ("Nơi đăng", "Target"),
        "cli.col.time": ("Giờ đăng", "Time"),
        "cli.col.state": ("Trạng thái", "State"),
        "cli.col.title": ("Tiêu đề", "Title"),
        "cli.col.result": ("Kết quả / lý do", "Result / reason"),
        "cli.col.account": ("Tài khoản", "Account"),
        "cli.col.name": ("Tên hiển thị", "Display name"),
        "cli.col.expires": ("Hết hạn token", "Token expires"),
        "cli.col.when": ("Lúc", "When"),
        "cli.col.who": ("Ai", "Who"),
        "cli.col.what": ("Việc", "What"),
        "cli.col.detail": ("Chi tiết", "Detail"),
        "cli.col.attempt": ("Lần", "Attempt"),
        "cli.col.code": ("Mã lỗi", "Code"),
        "cli.show_post": (
            "Bài {key}: {title}\nHẹn giờ: {due} ({tz}) · cho phép muộn {grace} · chiến dịch: {campaign}\n"
            "Người xếp lịch: {queued_by} · Người duyệt: {approved_by}\nTệp: {file}:{line}",
            "Post {key}: {title}\nDue: {due} ({tz}) · grace {grace} · campaign: {campaign}\n"
            "Queued by: {queued_by} · Approved by: {approved_by}\nFile: {file}:{line}",
        ),
        "cli.bad_time": (
            "Thời điểm “{value}” không hợp lệ (dạng 2025-04-30 hoặc 2025-04-30 07:00).",
            "Invalid time “{value}” (use 2025-04-30 or 2025-04-30 07:00).",
        ),
        "cli.bad_target": ("Tài khoản “{value}” không hợp lệ (dạng nền-tảng/tên).",
                           "Invalid account “{value}” (use platform/name)."),
        "cli.token_prompt": ("Dán access token rồi nhấn Enter (không hiện ra màn hình)",
                             "Paste the access token and press Enter (hidden)"),
        "cli.none": ("(không có)", "(none)"),
        "cli.review_blocks": (
            "Bài “{key}” chưa thể được duyệt cho đến khi sửa các mục CHẶN ở trên.",
            "“{key}” cannot be approved until the BLOCK findings above are fixed.",
        ),
    }
)


def _store() -> Any:
    from publisher.store import Store

    st = Store(settings())
    st.init()
    return st


def _target(value: str) -> Target:
    try:
        return Target.parse(value)
    except ValueError:
        raise UserError(msg("cli.bad_target", value=value)) from None


def _parse_time(value: str | None, end: bool = False) -> datetime | None:
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


@click.group(help=bi(
    "publisher: hẹn giờ đăng bài lên Zalo OA, Facebook Page và YouTube — đúng giờ, đúng một lần.",
    "publisher: scheduled publishing to Zalo OA, Facebook Pages and YouTube — on time, exactly once.",
))
@click.version_option(package_name="publisher")
def cli() -> None:
    set_language(settings().language)


# -- init -------------------------------------------------------------------------------------


@cli.command(help=bi(
    "Tạo hoặc nâng cấp thư mục dữ liệu và cơ sở dữ liệu (chạy lại nhiều lần không sao); tạo tài khoản sandbox/demo.",
    "Create or migrate the data directory and database (idempotent); create the account sandbox/demo.",
))
@handle_errors
def init() -> None:
    st = _store()
    st.add_account(Target(Platform.SANDBOX, "demo"), actor=settings().actor(), display_name="Demo", exist_ok=True)
    shown = st.db.engine.url.render_as_string(hide_password=True)
    console.print(t("cli.init_done", dir=settings().data_dir.resolve(), db=shown), markup=False)


# -- accounts ---------------------------------------------------------------------------------


@cli.group(help=bi("Quản lý tài khoản các nền tảng.", "Manage platform accounts."))
def accounts() -> None:
    pass


@accounts.command("add", help=bi(
    "Thêm tài khoản, ví dụ: publisher accounts add facebook/ubnd-hanh-dich --token-stdin. "
    "Token đọc từ bàn phím/stdin, không ghi vào lịch sử lệnh; lưu đã mã hóa.",
    "Add an account, e.g. publisher accounts add facebook/ubnd-hanh-dich --token-stdin. The token is "
    "read from stdin, never from the command line, and stored encrypted.",
))
@click.argument("target")
@click.option("--display-name", default=None, help=bi("Tên hiển thị.", "Display name."))
@click.option("--remote-id", default=None, help=bi("Mã trang/kênh/OA trên nền tảng.", "Page/channel/OA id."))
@click.option("--token-stdin", is_flag=True, help=bi("Đọc access token từ stdin.", "Read the access token from stdin."))
@click.option("--refresh-token-stdin", is_flag=True,
              help=bi("Đọc thêm refresh token ở dòng thứ hai.", "Also read a refresh token on the second line."))
@handle_errors
def accounts_add(target: str, display_name: str | None, remote_id: str | None, token_stdin: bool,
                 refresh_token_stdin: bool) -> None:
    tgt = _target(target)
    creds: Credentials | None = None
    if token_stdin or refresh_token_stdin:
        if sys.stdin.isatty():
            token = click.prompt(t("cli.token_prompt"), hide_input=True)
            refresh = click.prompt("refresh token", hide_input=True) if refresh_token_stdin else None
        else:
            lines = sys.stdin.read().splitlines()
            token = lines[0].strip() if lines else ""
            refresh = lines[1].strip() if refresh_token_stdin and len(lines) > 1 else None
        creds = Credentials(access_token=token, refresh_token=refresh, remote_account_id=remote_id)
    elif remote_id:
        creds = Credentials(remote_account_id=remote_id)
    _store().add_account(tgt, settings().actor(), display_name=display_name, credentials=creds)
    console.print(t("cli.account_added", target=tgt), markup=False)


@accounts.command("list", help=bi("Liệt kê tài khoản.", "List accounts."))
@click.option("--json", "as_json", is_flag=True, help=bi("Xuất JSON.", "Output JSON."))
@handle_errors
def accounts_list(as_json: bool) -> None:
    rows = _store().accounts()
    if as_json:
        emit_json([{"target": f"{r.platform}/{r.name}", "display_name": r.display_name, "status": r.status,
                    "remote_id": r.remote_id, "token_expires_at": r.token_expires_at,
                    "status_reason": r.status_reason} for r in rows])
        return
    console.print(table(None, [t("cli.col.account"), t("cli.col.name"), t("cli.col.state"), t("cli.col.expires")],
                        [(f"{r.platform}/{r.name}", r.display_name, r.status, local_time(r.token_expires_at))
                         for r in rows]))


@accounts.command("remove", help=bi("Gỡ tài khoản (giữ lịch sử đã đăng).", "Remove an account (history is kept)."))
@click.argument("target")
@handle_errors
def accounts_remove(target: str) -> None:
    tgt = _target(target)
    outcome = _store().remove_account(tgt, settings().actor())
    console.print(t("cli.account_removed", target=tgt, outcome=outcome), markup=False)


# -- queue ------------------------------------------------------------------------------------


def _context(st: Any, check_accounts: bool = True) -> Context:
    from publisher.platforms.registry import ADAPTERS

    cfg = settings()
    return Context(
        now=datetime.now(UTC),
        known_targets=st.known_targets() if check_accounts else None,
        media_roots=tuple(cfg.media_roots),
        grace_hours=cfg.grace_hours,
        limits={p.value: cls.limits() for p, cls in ADAPTERS.items()},
    )


def load_files(files: Sequence[str], ctx: Context) -> list[LoadedSchedule]:
    """Load every file; collect every problem of every file before failing."""
    loaded: list[LoadedSchedule] = []
    problems: list[ScheduleProblem] = []
    for f in files:
        try:
            loaded.append(load_schedule(Path(f), ctx))
        except ValidationFailed as exc:
            problems.extend(exc.problems)
    if problems:
        n = sum(1 for p in problems if getattr(p, "severity", "error") == "error")
        raise ValidationFailed(msg("sched.failed", n=n), problems)
    keys: dict[str, str] = {}
    dupes: list[ScheduleProblem] = []
    for ls in loaded:
        for spec in ls.posts:
            if spec.key in keys and keys[spec.key] != ls.file:
                dupes.append(ScheduleProblem(ls.file, spec.source_line, spec.key, "id",
                                             msg("sched.duplicate_id", value=spec.key, line=keys[spec.key])))
            keys[spec.key] = ls.file
    if dupes:
        raise ValidationFailed(msg("sched.failed", n=len(dupes)), dupes)
    return loaded


@cli.command(help=bi(
    "Nạp tệp lịch (YAML hoặc CSV). Nạp lại cùng tệp không thay đổi gì; bài sửa thì cập nhật lượt đăng chưa bắt "
    "đầu. --check chỉ kiểm tra, không ghi.",
    "Load schedule files (YAML or CSV). Loading the same file again changes nothing; an edited post updates "
    "its deliveries that have not started. --check validates without writing.",
))
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--check", is_flag=True, help=bi("Chỉ kiểm tra, không ghi.", "Validate only, write nothing."))
@click.option("--by", "by", default=None, help=bi("Tên người xếp lịch (mặc định: người dùng máy).",
                                                  "Who queues (default: the machine user)."))
@click.option("--json", "as_json", is_flag=True, help=bi("Xuất JSON.", "Output JSON."))
@handle_errors
def queue(files: tuple[str, ...], check: bool, by: str | None, as_json: bool) -> None:
    st = _store()
    loaded = load_files(files, _context(st))
    for ls in loaded:
        for note in ls.notes:
            err_console.print(f"{t('cli.note')} {note}", markup=False)
    _show_review(loaded)
    if check:
        for ls in loaded:
            console.print(t("cli.check_ok", file=ls.file, n=len(ls.posts)), markup=False)
        return
    specs = [spec for ls in loaded for spec in ls.posts]
    report = st.queue(specs, by or settings().actor(), source_files=[str(Path(ls.file).resolve()) for ls in loaded])
    if as_json:
        emit_json(report.__dict__)
        return
    if report.created:
        console.print(t("cli.queue_created", items=", ".join(report.created)), markup=False)
    if report.updated:
        console.print(t("cli.queue_updated", items=", ".join(report.updated)), markup=False)
    if report.unchanged:
        console.print(t("cli.queue_unchanged", n=len(report.unchanged)), markup=False)
    if report.approval_voided:
        console.print(t("cli.queue_voided", items=", ".join(report.approval_voided)), markup=False)
    for key, tgt, state in report.not_changed:
        console.print(t("cli.queue_not_changed", item=f"{key}:{tgt}", state=label(state)), markup=False)
    for key, tgt, _ in report.target_removed:
        console.print(t("cli.queue_target_removed", item=f"{key}:{tgt}"), markup=False)
    for key, file in report.removed_from_file:
        console.print(t("cli.queue_removed", key=key, file=file), markup=False)
    for key in report.cancelled_in_db:
        console.print(t("cli.queue_cancelled", key=key), markup=False)
    waiting = len(st.deliveries(states=[State.AWAITING_APPROVAL.value]))
    if waiting:
        console.print(t("cli.queue_waiting", n=waiting), markup=False)


# -- list / show / status -----------------------------------------------------------------------


def _delivery_json(r: Any) -> dict[str, Any]:
    return {
        "id": r.id, "post": r.key, "target": f"{r.platform}/{r.name}", "state": r.state,
        "due_at": r.due_at, "due_local": local_time(r.due_at, r.timezone), "timezone": r.timezone,
        "title": r.title, "attempts": r.attempts, "remote_id": r.remote_id, "remote_url": r.remote_url,
        "last_code": r.last_code, "last_reason": r.last_reason, "published_at": r.published_at,
        "progress": r.progress,
    }


@cli.command("list", help=bi("Liệt kê các lượt đăng.", "List deliveries."))
@click.option("--status", "status", multiple=True, type=click.Choice([s.value for s in State]),
              help=bi("Lọc theo trạng thái (dùng nhiều lần được).", "Filter by state (repeatable)."))
@click.option("--from", "since", default=None, help=bi("Từ ngày (2025-04-01).", "From date (2025-04-01)."))
@click.option("--to", "until", default=None, help=bi("Đến ngày.", "To date."))
@click.option("--account", default=None, help=bi("Chỉ một tài khoản.", "One account only."))
@click.option("--json", "as_json", is_flag=True, help=bi("Xuất JSON.", "Output JSON."))
@handle_errors
def list_(status: tuple[str, ...], since: str | None, until: str | None, account: str | None, as_json: bool) -> None:
    rows = _store().deliveries(states=list(status) or None, since=_parse_time(since),
                               until=_parse_time(until, end=True), account=_target(account) if account else None)
    if as_json:
        emit_json([_delivery_json(r) for r in rows])
        return
    console.print(table(None, [t("cli.col.id"), t("cli.col.time"), t("cli.col.post"), t("cli.col.target"),
                               t("cli.col.state"), t("cli.col.title")],
                        [(r.id, local_time(r.due_at, r.timezone), r.key, f"{r.platform}/{r.name}", label(r.state),
                          _short(r.title)) for r in rows]))


def _short(text: str | None, n: int = 48) -> str:
    if not text:
        return ""
    return text if len(text) <= n else text[: n - 1] + "…"


@cli.command(help=bi("Xem chi tiết một bài: lượt đăng, các lần thử, nhật ký.", "Show a post: deliveries, attempts, audit trail."))
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help=bi("Xuất JSON.", "Output JSON."))
@handle_errors
def show(ref: str, as_json: bool) -> None:
    d = _store().post_detail(ref)
    p = d["post"]
    if as_json:
        emit_json({
            "post": {k: v for k, v in p._mapping.items()},
            "deliveries": [_delivery_json(r) | {"timezone": p.timezone, "title": p.title} for r in
                           [_with(r, title=p.title, timezone=p.timezone) for r in d["deliveries"]]],
            "attempts": [dict(a._mapping) for a in d["attempts"]],
            "audit": [dict(a._mapping) for a in d["audit"]],
        })
        return
    from publisher.core.schedule import format_hours

    console.print(t("cli.show_post", key=p.key, title=p.title, due=local_time(p.due_at, p.timezone), tz=p.timezone,
                    grace=format_hours(p.grace_seconds / 3600), campaign=p.campaign or "—", queued_by=p.queued_by,
                    approved_by=p.approved_by or "—", file=p.source_file or "—", line=p.source_line or ""),
                  markup=False)
    console.print(table(None, [t("cli.col.id"), t("cli.col.target"), t("cli.col.state"), t("cli.col.result")],
                        [(r.id, f"{r.platform}/{r.name}", label(r.state),
                          r.remote_url or r.last_reason or "") for r in d["deliveries"]]))
    if d["attempts"]:
        console.print(table(None, [t("cli.col.id"), t("cli.col.attempt"), t("cli.col.when"), t("cli.col.state"),
                                   t("cli.col.code"), t("cli.col.result")],
                            [(a.delivery_id, a.number, local_time(a.started_at, p.timezone), a.outcome or "…",
                              a.code, a.reason or a.remote_id) for a in d["attempts"]]))
    console.print(table(None, [t("cli.col.when"), t("cli.col.who"), t("cli.col.what"), t("cli.col.detail")],
                        [(local_time(a.at, p.timezone), a.actor, a.action,
                          ", ".join(f"{k}={v}" for k, v in (a.detail or {}).items())) for a in d["audit"]]))


class _with:
    """A row with a few extra attributes (for JSON output of joined data)."""

    def __init__(self, row: Any, **extra: Any) -> None:
        self._row = row
        self._extra = extra

    def __getattr__(self, name: str) -> Any:
        if name in self._extra:
            return self._extra[name]
        return getattr(self._row, name)


@cli.command(help=bi("Tình hình: sắp đăng, kết quả gần đây, tạm dừng hay không, tài khoản cần chú ý.",
                     "Status: upcoming, recent results, paused or not, accounts needing attention."))
@click.option("--json", "as_json", is_flag=True, help=bi("Xuất JSON.", "Output JSON."))
@handle_errors
def status(as_json: bool) -> None:
    st = _store()
    pause = st.pause_info()
    upcoming = st.deliveries(states=[s.value for s in (State.SCHEDULED, State.AWAITING_APPROVAL, State.RETRY_WAIT,
                                                        State.CLAIMED, State.PUBLISHING, State.PAUSED,
                                                        State.HANDED_OFF)], limit=20)
    recent = sorted(st.deliveries(states=[s.value for s in (State.PUBLISHED, State.FAILED, State.MISSED,
                                                             State.NEEDS_REAUTH, State.UNCONFIRMED)]),
                    key=lambda r: r.updated_at, reverse=True)[:10]
    reauth = [a for a in st.accounts() if a.status == "needs_reauth"]
    counts = st.counts()
    if as_json:
        emit_json({"paused": pause, "upcoming": [_delivery_json(r) for r in upcoming],
                   "recent": [_delivery_json(r) for r in recent],
                   "accounts_needing_reauth": [f"{a.platform}/{a.name}" for a in reauth], "counts": counts})
        return
    if pause:
        console.print(t("cli.status_paused", at=local_time(datetime.fromisoformat(pause["at"])), by=pause["by"],
                        reason=pause["reason"]), style="bold red", markup=False)
    else:
        console.print(t("cli.status_running"), markup=False)
    console.print(table(t("cli.status_upcoming"), [t("cli.col.time"), t("cli.col.post"), t("cli.col.target"),
                                                  t("cli.col.state")],
                        [(local_time(r.due_at, r.timezone), r.key, f"{r.platform}/{r.name}",
                          label(r.state) + (f" {r.progress}%" if r.progress is not None else ""))
                         for r in upcoming]))
    console.print(table(t("cli.status_recent"), [t("cli.col.time"), t("cli.col.post"), t("cli.col.target"),
                                                t("cli.col.state"), t("cli.col.result")],
                        [(local_time(r.due_at, r.timezone), r.key, f"{r.platform}/{r.name}", label(r.state),
                          r.remote_url or r.last_reason or "") for r in recent]))
    if reauth:
        console.print(t("cli.status_accounts", items=", ".join(f"{a.platform}/{a.name}" for a in reauth)),
                      style="bold yellow", markup=False)
    console.print(t("cli.status_counts", items=", ".join(f"{label(k)}: {v}" for k, v in sorted(counts.items()))),
                  markup=False)


# -- approve / cancel / retry / pause / resume -------------------------------------------------


@cli.command(help=bi("Duyệt bài (mọi nơi đăng của bài). Người xếp lịch không tự duyệt được.",
                     "Approve posts (all their targets). Whoever queued a post cannot approve it alone."))
@click.argument("refs", nargs=-1, required=True)
@click.option("--by", "by", required=True, help=bi("Tên người duyệt.", "Approver's name."))
@handle_errors
def approve(refs: tuple[str, ...], by: str) -> None:
    st = _store()
    report = st.approve(list(refs), by, blocking=_blocking_findings(st, refs))
    for key, targets in report.done:
        console.print(t("cli.approved", key=key, targets=targets), markup=False)
    for ref, why in report.skipped:
        console.print(t("cli.skipped", ref=ref, why=why), markup=False)


def _blocking_findings(st: Any, refs: Sequence[str]) -> dict[str, list[Any]]:
    from publisher.review import blocking_findings

    return dict(blocking_findings(st, refs, settings()))


def _show_review(loaded: Sequence[LoadedSchedule]) -> None:
    """The pre-publish review, shown on queue: block findings must be fixed before approval."""
    from publisher.review import findings_for

    for ls in loaded:
        for spec in ls.posts:
            found = findings_for(spec, settings())
            for f in found:
                style = "bold red" if f.blocks else "yellow"
                err_console.print(f"{ls.file}:{spec.source_line}: {f}", style=style, markup=False)
            if any(f.blocks for f in found):
                err_console.print(t("cli.review_blocks", key=spec.key), style="bold red", markup=False)


@cli.command(help=bi("Hủy bài hoặc một lượt đăng chưa đăng.", "Cancel a post or one delivery not yet published."))
@click.argument("refs", nargs=-1, required=True)
@handle_errors
def cancel(refs: tuple[str, ...]) -> None:
    report = _store().cancel(list(refs), settings().actor())
    for ref, state in report.done:
        console.print(t("cli.cancelled", ref=ref, state=label(state)), markup=False)
    for ref, state in report.skipped:
        console.print(t("cli.cannot_cancel", ref=ref, state=label(state)), markup=False)


@cli.command(help=bi("Đăng lại lượt bị lỗi, lỡ giờ hoặc đang chờ thử lại — ngay bây giờ.",
                     "Send again what failed, was missed or waits for a retry — now."))
@click.argument("refs", nargs=-1, required=True)
@handle_errors
def retry(refs: tuple[str, ...]) -> None:
    report = _store().retry(list(refs), settings().actor())
    for ref, state in report.done:
        console.print(t("cli.retried", ref=ref, state=label(state)), markup=False)
    for ref, state in report.skipped:
        console.print(t("cli.cannot_retry", ref=ref, state=label(state)), markup=False)


@cli.command(help=bi("TẠM DỪNG KHẨN CẤP mọi lượt đăng chờ (ngày quốc tang, thiên tai…).",
                     "EMERGENCY PAUSE of every pending delivery (national mourning, disaster…)."))
@click.option("--reason", required=True, help=bi("Lý do.", "Reason."))
@handle_errors
def pause(reason: str) -> None:
    n = _store().pause(reason, settings().actor())
    console.print(t("cli.paused", n=n, reason=reason), style="bold red", markup=False)


@cli.command(help=bi("Tiếp tục sau khi tạm dừng; liệt kê những gì đã bị giữ và những gì nay đã muộn.",
                     "Resume after a pause; list what was held and what is now late."))
@click.option("--json", "as_json", is_flag=True, help=bi("Xuất JSON.", "Output JSON."))
@handle_errors
def resume(as_json: bool) -> None:
    report = _store().resume(settings().actor())
    if as_json:
        emit_json(report.__dict__)
        return
    console.print(t("cli.resumed", n=len(report.held)), markup=False)
    if report.held:
        console.print(table(None, [t("cli.col.id"), t("cli.col.post"), t("cli.col.target"), t("cli.col.time"),
                                   t("cli.col.state")],
                            [(h["id"], h["post"], h["target"], local_time(h["due_at"]), label(h["state"]))
                             for h in report.held]))
    for h in report.late:
        console.print(t("cli.resume_late", item=f"{h['post']}:{h['target']}", due=local_time(h["due_at"])),
                      style="yellow", markup=False)
    for h in report.too_late:
        console.print(t("cli.resume_too_late", item=f"{h['post']}:{h['target']}", due=local_time(h["due_at"])),
                      style="red", markup=False)


def _register_optional() -> None:
    """Commands that live in their own modules."""
    import importlib

    for name in ("run", "calendar", "media", "accounts_extra", "publish", "report"):
        try:
            mod = importlib.import_module(f"publisher.cli.{name}")
        except ImportError as exc:
            if exc.name and exc.name.startswith("publisher.cli"):
                continue
            raise
        for command in getattr(mod, "COMMANDS", []):
            target = accounts if getattr(command, "_publisher_group", None) == "accounts" else cli
            target.add_command(command)


_register_optional()


def main() -> None:
    cli(prog_name="publisher")


if __name__ == "__main__":  # pragma: no cover
    main()
