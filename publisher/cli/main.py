"""``publisher``: the command line an officer uses. Vietnamese first; PUBLISHER_LANGUAGE=en for English."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from publisher.accounts import reconnect_commands
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
from publisher.i18n import msg, register, set_display_zone, set_language, t
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
        "cli.cancel_requested": (
            "Đã ghi yêu cầu hủy {ref}: chưa rõ bài đã lên nền tảng hay chưa, đang kiểm tra. Nếu chưa lên, "
            "lượt đăng sẽ bị hủy và không gửi lại; nếu đã lên, “publisher show {key}” cho đường dẫn để gỡ "
            "bài trên nền tảng.",
            "Cancel requested for {ref}: not yet known whether the post reached the platform; being "
            "checked. If it did not, the delivery is cancelled and never sent again; if it did, "
            "“publisher show {key}” gives its link so you can remove it there.",
        ),
        "cli.cancel_sending": (
            "Không hủy được {ref} lúc này: bài đang được gửi. Chạy lại lệnh sau ít phút.",
            "Cannot cancel {ref} now: it is being sent. Run the command again in a few minutes.",
        ),
        "cli.cancel_held": (
            "Không hủy được {ref}: nền tảng đang giữ bài hẹn giờ; hãy xóa bài hẹn giờ trên nền tảng.",
            "Cannot cancel {ref}: the platform holds it scheduled; delete the scheduled post there.",
        ),
        "cli.show_cancel_pending": (
            "Lượt {id} ({target}): {by} đã yêu cầu hủy lúc {at}; đang kiểm tra bài đã lên nền tảng hay chưa.",
            "Delivery {id} ({target}): {by} asked to cancel it at {at}; checking whether it reached the platform.",
        ),
        "cli.show_cancel_too_late": (
            "Lượt {id} ({target}) ĐÃ LÊN nền tảng dù {by} đã yêu cầu hủy lúc {at}: {link} — gỡ bài trên "
            "nền tảng nếu không muốn giữ.",
            "Delivery {id} ({target}) is LIVE on the platform although {by} asked to cancel it at {at}: "
            "{link} — remove it there if it must go.",
        ),
        "cli.attempt.publish": ("gửi lần {n}", "send {n}"),
        "cli.attempt.poll": ("theo dõi lần gửi {n} ({i})", "follow-up {i} of send {n}"),
        "cli.attempt.reconcile": ("đối soát lần gửi {n} ({i})", "look-up {i} of send {n}"),
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
    st.init(create=False)  # only ``publisher init`` creates the data directory and the key
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
    set_display_zone(settings().timezone)


# -- init -------------------------------------------------------------------------------------


@cli.command(help=bi(
    "Tạo hoặc nâng cấp thư mục dữ liệu (quyền 0700), khóa mã hóa (0600; chỉ lệnh này tạo khóa) và cơ sở dữ liệu "
    "(chạy lại nhiều lần không sao; sửa quyền quá rộng); tạo tài khoản sandbox/demo.",
    "Create or migrate the data directory (mode 0700), the encryption key (0600; only this command makes one) "
    "and the database (idempotent; tightens modes that are too wide); create the account sandbox/demo.",
))
@click.option("--forget-credentials", is_flag=True, help=bi(
    "Chỉ khi khóa mã hóa cũ đã mất hẳn: tạo khóa mới, xóa các token cũ (phải kết nối lại mọi tài khoản).",
    "Only when the old encryption key is lost for good: make a new key, erase the old tokens (reconnect "
    "every account).",
))
@handle_errors
def init(forget_credentials: bool) -> None:
    from publisher.store import Store

    st = Store(settings())
    for note in st.init(create=True, forget_credentials=forget_credentials):
        console.print(str(note), markup=False)
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
    from publisher.cli.accounts_extra import read_tokens, warn_no_refresh

    tgt = _target(target)
    creds: Credentials | None = None
    refresh: str | None = None
    if token_stdin or refresh_token_stdin:
        token, refresh = read_tokens(str(tgt), refresh_token_stdin, "add")  # empty: refused, exit 2
        creds = Credentials(access_token=token, refresh_token=refresh, remote_account_id=remote_id)
    elif remote_id:
        creds = Credentials(remote_account_id=remote_id)
    _store().add_account(tgt, settings().actor(), display_name=display_name, credentials=creds)
    console.print(t("cli.account_added", target=tgt), markup=False)
    if creds is not None and creds.access_token:
        warn_no_refresh(tgt, refresh)


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
    from publisher.review import media_check

    cfg = settings()
    return Context(
        now=datetime.now(UTC),
        known_targets=st.known_targets() if check_accounts else None,
        media_roots=tuple(cfg.media_roots),
        grace_hours=cfg.grace_hours,
        limits={p.value: cls.limits() for p, cls in ADAPTERS.items()},
        extra_checks=(media_check(cfg),),  # every photo opened, every clip probed
        max_bytes=cfg.schedule_max_bytes,
        known_due=st.post_due_times(),
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
@click.option("--by", "by", default=None, help=bi(
    "Người xếp lịch: một người dùng của đơn vị (publisher users list); mặc định PUBLISHER_USER.",
    "Who queues: a user of the office (publisher users list); default PUBLISHER_USER."))
@click.option("--json", "as_json", is_flag=True, help=bi("Xuất JSON.", "Output JSON."))
@handle_errors
def queue(files: tuple[str, ...], check: bool, by: str | None, as_json: bool) -> None:
    from publisher.actions.queue import queue_notes, queue_posts

    st = _store()
    loaded = load_files(files, _context(st))
    for note in queue_notes(st, settings(), loaded):  # "will go out late" only where it will
        err_console.print(f"{t('cli.note')} {note}", markup=False)
    blocked = _show_review(loaded)
    if check:
        for ls in loaded:
            if ls.file not in blocked:
                console.print(t("cli.check_ok", file=ls.file, n=len(ls.posts)), markup=False)
        if blocked:  # a post the review blocks cannot be approved: the check fails (exit 2)
            raise UserError(msg("review.check_blocked", file=", ".join(blocked), n=sum(blocked.values())))
        return
    specs = [spec for ls in loaded for spec in ls.posts]
    report = queue_posts(st, settings(), specs, by, source_files=[str(Path(ls.file).resolve()) for ls in loaded])
    if as_json:
        emit_json(report.__dict__)
        return
    if report.created:
        console.print(t("cli.queue_created", items=", ".join(report.created)), markup=False)
    if report.updated:
        console.print(t("cli.queue_updated", items=", ".join(
            f"{k} ({', '.join(report.changes[k])})" if report.changes.get(k) else k for k in report.updated)),
            markup=False)
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
            "deliveries": [_delivery_json(r) | {"timezone": p.timezone, "title": p.title,
                                                "cancel_requested_at": r.cancel_requested_at,
                                                "cancel_requested_by": r.cancel_requested_by} for r in
                           [_with(r, title=p.title, timezone=p.timezone) for r in d["deliveries"]]],
            "attempts": [dict(a._mapping) | {"label": lab} for a, lab in
                         zip(d["attempts"], _attempt_labels(d["attempts"]), strict=True)],
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
    _show_cancel_requests(d["deliveries"], p.timezone)
    if d["attempts"]:
        console.print(table(None, [t("cli.col.id"), t("cli.col.attempt"), t("cli.col.when"), t("cli.col.state"),
                                   t("cli.col.code"), t("cli.col.result")],
                            [(a.delivery_id, lab, local_time(a.started_at, p.timezone), a.outcome or "…",
                              a.code, a.reason or a.remote_id)
                             for a, lab in zip(d["attempts"], _attempt_labels(d["attempts"]), strict=True)]))
    console.print(table(None, [t("cli.col.when"), t("cli.col.who"), t("cli.col.what"), t("cli.col.detail")],
                        [(local_time(a.at, p.timezone), a.actor, a.action,
                          ", ".join(f"{k}={v}" for k, v in (a.detail or {}).items())) for a in d["audit"]]))


def _attempt_labels(attempts: Sequence[Any]) -> list[str]:
    """"send 2", "follow-up 1 of send 2", "look-up 3 of send 2": a poll or a look-up carries the
    number of the send it follows, so it must not read as another try."""
    seen: dict[tuple[Any, int, str], int] = {}
    out = []
    for a in attempts:
        key = (a.delivery_id, int(a.number), str(a.kind))
        seen[key] = seen.get(key, 0) + 1
        kind = a.kind if a.kind in ("publish", "poll", "reconcile") else "poll"
        out.append(t(f"cli.attempt.{kind}", n=a.number, i=seen[key]))
    return out


def _show_cancel_requests(deliveries: Sequence[Any], tz: str) -> None:
    """A cancel request still open, or one that came too late (the post is live)."""
    for r in deliveries:
        if r.cancel_requested_at is None:
            continue
        at = local_time(r.cancel_requested_at, tz)
        who = r.cancel_requested_by or "?"
        if r.state == State.PUBLISHED.value:
            console.print(t("cli.show_cancel_too_late", id=r.id, target=f"{r.platform}/{r.name}", by=who, at=at,
                            link=r.remote_url or r.remote_id or "—"), style="bold red", markup=False)
        else:
            console.print(t("cli.show_cancel_pending", id=r.id, target=f"{r.platform}/{r.name}", by=who, at=at),
                          style="bold yellow", markup=False)


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


register(
    {
        "cli.approve_first": ("  Duyệt lần đầu.", "  First approval."),
        "cli.approve_same": (
            "  Không có gì thay đổi so với lần duyệt trước ({by}, {at}).",
            "  Nothing changed since the last approval ({by}, {at}).",
        ),
        "cli.approve_unrecorded": (
            "  Lần duyệt trước ({by}, {at}) không lưu lại nội dung (phiên bản cũ): không so sánh được.",
            "  The last approval ({by}, {at}) kept no record of the content (older version): nothing to compare.",
        ),
        "cli.approve_changed": (
            "  Đã thay đổi từ lần duyệt trước ({by}, {at}):",
            "  Changed since the last approval ({by}, {at}):",
        ),
        "cli.approve_rehashed": (
            "  Tệp ảnh/video đã thay đổi từ khi xếp lịch: duyệt theo tệp hiện có trên đĩa.",
            "  A photo or video file changed since the post was queued: approved as the files are now.",
        ),
        "cli.change.file.changed": ("tệp đã thay đổi: {path}", "file changed: {path}"),
        "cli.change.file.added": ("tệp mới: {path}", "new file: {path}"),
        "cli.change.file.removed": ("bỏ tệp: {path}", "file removed: {path}"),
        "cli.change.file.missing": ("thiếu tệp: {path}", "file missing: {path}"),
        "cli.change.targets.added": ("thêm nơi đăng: {after}", "target added: {after}"),
        "cli.change.targets.removed": ("bỏ nơi đăng: {before}", "target removed: {before}"),
        "cli.change.text": ("nội dung (text):", "text:"),
        "cli.change.field": ("{field}: “{before}” → “{after}”", "{field}: “{before}” → “{after}”"),
    }
)


@cli.command(help=bi(
    "Duyệt bài (mọi nơi đăng của bài) đúng như các tệp đang có trên đĩa, và cho xem những gì đã đổi từ lần "
    "duyệt trước. Người đã xếp lịch hoặc sửa nội dung bài không tự duyệt được.",
    "Approve posts (all their targets) as their files are now on disk, showing what changed since the last "
    "approval. Whoever queued or edited the content cannot approve it alone.",
))
@click.argument("refs", nargs=-1, required=True)
@click.option("--by", "by", required=True, help=bi(
    "Người duyệt: một người dùng có vai trò approver hoặc admin.", "The approver: a user whose role is approver or admin."))
@handle_errors
def approve(refs: tuple[str, ...], by: str) -> None:
    from publisher.actions.approve import approve_posts

    result = approve_posts(_store(), settings(), list(refs), by)
    for item in result.approved:
        console.print(t("cli.approved", key=item.key, targets=item.targets), markup=False)
        _print_changes(item)
    for ref, why in result.skipped:
        console.print(t("cli.skipped", ref=ref, why=why), markup=False)


def _print_changes(item: Any) -> None:
    """What the approver just approved that differs from the last approval."""
    if item.rehashed:
        console.print(t("cli.approve_rehashed"), style="yellow", markup=False)
    if item.first:
        console.print(t("cli.approve_first"), markup=False)
        return
    when = dict(by=item.previous_by, at=local_time(item.previous_at))
    if not item.recorded:
        console.print(t("cli.approve_unrecorded", **when), markup=False)
        return
    if not item.changes:
        console.print(t("cli.approve_same", **when), markup=False)
        return
    console.print(t("cli.approve_changed", **when), markup=False)
    for c in item.changes:
        if c.field == "file":
            line = t(f"cli.change.file.{c.kind}", path=c.after or c.before)
        elif c.field == "targets":
            line = t(f"cli.change.targets.{c.kind}", before=c.before, after=c.after)
        elif c.field == "text":
            console.print(f"    • {t('cli.change.text')}", markup=False)
            for diff_line in c.lines:
                style = "green" if diff_line.startswith("+") else "red" if diff_line.startswith("-") else None
                console.print(f"        {diff_line}", style=style, markup=False)
            continue
        else:
            before, after = c.before or "—", c.after or "—"
            if c.field == "at":
                before, after = (local_time(datetime.fromisoformat(v)) if v != "—" else v for v in (before, after))
            line = t("cli.change.field", field=c.field, before=before, after=after)
        console.print(f"    • {line}", markup=False)


def _show_review(loaded: Sequence[LoadedSchedule]) -> dict[str, int]:
    """The pre-publish review, shown on queue: block findings must be fixed before approval.

    Each finding names the line of its field. Returns, per file, how many posts a finding blocks.
    """
    from publisher.review import findings_for

    blocked: dict[str, int] = {}
    for ls in loaded:
        for spec in ls.posts:
            found = findings_for(spec, settings())
            lines = ls.lines.get(spec.key, {})
            for f in found:
                style = "bold red" if f.blocks else "yellow"
                line = lines.get(f"{f.field}.{f.position}", lines.get(f.field, spec.source_line))
                err_console.print(f"{ls.file}:{line}: {f}", style=style, markup=False)
            if any(f.blocks for f in found):
                err_console.print(t("cli.review_blocks", key=spec.key), style="bold red", markup=False)
                blocked[ls.file] = blocked.get(ls.file, 0) + 1
    return blocked


@cli.command(help=bi("Hủy bài hoặc một lượt đăng chưa đăng.", "Cancel a post or one delivery not yet published."))
@click.argument("refs", nargs=-1, required=True)
@handle_errors
def cancel(refs: tuple[str, ...]) -> None:
    """Exit 3 while part of the request is not settled (a cancel request on a post that may be live,
    a post being sent, or one the platform holds); 0 when everything asked is cancelled or final."""
    report = _store().cancel(list(refs), settings().actor())
    for ref, state in report.done:
        console.print(t("cli.cancelled", ref=ref, state=label(state)), markup=False)
    for ref, _state in report.pending:
        console.print(t("cli.cancel_requested", ref=ref, key=ref.split(":", 1)[0]), style="bold yellow",
                      markup=False)
    unsettled = bool(report.pending)
    for ref, state in report.skipped:
        if state == State.PUBLISHING.value:
            console.print(t("cli.cancel_sending", ref=ref), style="bold yellow", markup=False)
        elif state == State.HANDED_OFF.value:
            console.print(t("cli.cancel_held", ref=ref), style="bold yellow", markup=False)
        else:
            console.print(t("cli.cannot_cancel", ref=ref, state=label(state)), markup=False)
        unsettled = unsettled or state in (State.PUBLISHING.value, State.HANDED_OFF.value)
    if unsettled:
        raise SystemExit(EXIT_PENDING)


#: ``cancel`` asked for something not settled yet (see :func:`cancel`)
EXIT_PENDING = 3


register(
    {
        "cli.retry_now": (
            "Sẽ gửi lại {ref} ngay (trong vài giây, khi “publisher run” đang chạy).",
            "{ref} will be sent again now (within seconds, while “publisher run” is running).",
        ),
        "cli.retry_held": (
            "Chưa gửi được {ref} ngay: {platform} yêu cầu chờ đến {until}{why}. Bài sẽ tự gửi lúc đó.",
            "Cannot send {ref} now: {platform} asked us to wait until {until}{why}. It goes out by itself then.",
        ),
        "cli.retry_held_late": (
            "Nhưng thời gian cho phép đăng muộn của bài hết lúc {deadline}, nên bài sẽ bị đánh dấu lỡ giờ; "
            "sau {until}, “publisher retry {ref}” sẽ đăng muộn.",
            "But its grace window ends at {deadline}, so it will be marked missed; after {until}, "
            "“publisher retry {ref}” sends it late.",
        ),
        "cli.retry_reauth": (
            "Chưa gửi lại được {ref}: tài khoản {account} cần đăng nhập lại trước. "
            "Chạy “{command}” (máy chủ không có trình duyệt: “{update}”); kết nối lại xong, bài tự được "
            "đăng nếu còn trong thời gian cho phép đăng muộn.",
            "Cannot send {ref} yet: the account {account} must be re-authorised first: run “{command}” "
            "(on a server without a browser: “{update}”); once reconnected, the post goes out by itself if "
            "still within its grace window.",
        ),
        "cli.retry_disabled": (
            "Không gửi lại được {ref}: tài khoản {account} đã bị gỡ.",
            "Cannot send {ref}: the account {account} was removed.",
        ),
        "cli.retry_no_limiter": (
            "Không đọc được bộ giới hạn tốc độ ({error}); bài có thể phải chờ theo nhịp gửi của tài khoản.",
            "Could not reach the rate limiter ({error}); the send may still wait for the account's pace.",
        ),
    }
)

_PLATFORM_NAMES = {"facebook": "Facebook", "youtube": "YouTube", "zalo": "Zalo"}


def _limiter_release(st: Any) -> Any:
    """The shared limiter's ``release`` (our own pacing is lifted for what the officer retries)."""
    from publisher.ratelimit import limiter_for

    limiter = limiter_for(settings(), st.db)

    def release(target: Target, sends: int) -> float:
        try:
            return float(limiter.release(target, sends))
        except Exception as exc:  # Redis down: retry as before, and say the pace may still apply
            err_console.print(
                t("cli.retry_no_limiter", error=type(exc).__name__), style="yellow", markup=False
            )
            return 0.0

    return release


@cli.command(
    help=bi(
        "Đăng lại lượt bị lỗi, lỡ giờ hoặc đang chờ thử lại — ngay bây giờ.",
        "Send again what failed, was missed or waits for a retry — now.",
    )
)
@click.argument("refs", nargs=-1, required=True)
@handle_errors
def retry(refs: tuple[str, ...]) -> None:
    st = _store()
    report = st.retry(list(refs), settings().actor(), release=_limiter_release(st))
    for ref, state in report.done:
        if state == State.AWAITING_APPROVAL.value:
            console.print(t("cli.retried", ref=ref, state=label(state)), markup=False)
        else:
            console.print(t("cli.retry_now", ref=ref), markup=False)
    for hold in report.held:
        until = local_time(hold.until)
        why = f" ({hold.reason})" if hold.reason else ""
        platform = _PLATFORM_NAMES.get(hold.platform, hold.platform)
        console.print(
            t("cli.retry_held", ref=hold.ref, platform=platform, until=until, why=why), markup=False
        )
        if hold.until > hold.deadline:
            console.print(
                t("cli.retry_held_late", ref=hold.ref, until=until, deadline=local_time(hold.deadline)),
                style="yellow",
                markup=False,
            )
    for ref, account, remote_id in report.reauth:
        *browser, update = reconnect_commands(Target.parse(account), remote_id)
        command = browser[0] if browser else update
        console.print(
            t("cli.retry_reauth", ref=ref, account=account, command=command, update=update),
            style="yellow",
            markup=False,
        )
    for ref, account in report.disabled:
        console.print(t("cli.retry_disabled", ref=ref, account=account), markup=False)
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

    for name in ("run", "calendar", "media", "accounts_extra", "publish", "report", "collect", "users", "backup"):
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


def main(args: Sequence[str] | None = None) -> None:
    """The ``publisher`` program: no traceback for anything, a log entry for what was not expected."""
    from publisher.cli.common import run_main

    run_main(cli, args)


if __name__ == "__main__":  # pragma: no cover
    main()
