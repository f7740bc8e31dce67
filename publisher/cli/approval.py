"""``publisher approve``, ``cancel`` and ``retry``: the officer's decisions on queued posts."""

from __future__ import annotations

from datetime import datetime

import click

from publisher.actions.accounts import reconnect_commands
from publisher.actions.approve import ApprovedPost, approve_posts
from publisher.actions.cancel import cancel_deliveries
from publisher.actions.retry import RetryResult, retry_deliveries
from publisher.cli.common import bi, handle_errors, open_store, settings
from publisher.cli.output import console, err_console, local_time
from publisher.core.models import Target
from publisher.core.states import State, label
from publisher.i18n import register, t

register(
    {
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
        "cli.retried": ("Sẽ đăng lại {ref} ({state}).", "Will retry {ref} ({state})."),
        "cli.cannot_retry": (
            "Không thể thử lại {ref}: đang “{state}”.",
            "Cannot retry {ref}: it is {state}.",
        ),
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

#: ``cancel`` asked for something not settled yet (see :func:`cancel`)
EXIT_PENDING = 3

_PLATFORM_NAMES = {"facebook": "Facebook", "youtube": "YouTube", "zalo": "Zalo"}


@click.command(
    "approve",
    help=bi(
        "Duyệt bài (mọi nơi đăng của bài) đúng như các tệp đang có trên đĩa, và cho xem những gì đã đổi từ lần "
        "duyệt trước. Người đã xếp lịch hoặc sửa nội dung bài không tự duyệt được.",
        "Approve posts (all their targets) as their files are now on disk, showing what changed since the last "
        "approval. Whoever queued or edited the content cannot approve it alone.",
    ),
)
@click.argument("refs", nargs=-1, required=True)
@click.option(
    "--by",
    "by",
    required=True,
    help=bi(
        "Người duyệt: một người dùng có vai trò approver hoặc admin.",
        "The approver: a user whose role is approver or admin.",
    ),
)
@handle_errors
def approve(refs: tuple[str, ...], by: str) -> None:
    result = approve_posts(open_store(), settings(), list(refs), by)
    for item in result.approved:
        console.print(t("cli.approved", key=item.key, targets=item.targets), markup=False)
        _print_changes(item)
    for ref, why in result.skipped:
        console.print(t("cli.skipped", ref=ref, why=why), markup=False)


def _print_changes(item: ApprovedPost) -> None:
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
                before, after = (
                    local_time(datetime.fromisoformat(v)) if v != "—" else v for v in (before, after)
                )
            line = t("cli.change.field", field=c.field, before=before, after=after)
        console.print(f"    • {line}", markup=False)


@click.command(
    "cancel",
    help=bi("Hủy bài hoặc một lượt đăng chưa đăng.", "Cancel a post or one delivery not yet published."),
)
@click.argument("refs", nargs=-1, required=True)
@handle_errors
def cancel(refs: tuple[str, ...]) -> None:
    """Exit 3 while part of the request is not settled (a cancel request on a post that may be live,
    a post being sent, or one the platform holds); 0 when everything asked is cancelled or final."""
    result = cancel_deliveries(open_store(), settings(), list(refs))
    for ref, state in result.done:
        console.print(t("cli.cancelled", ref=ref, state=label(state)), markup=False)
    for ref, _state in result.pending:
        text = t("cli.cancel_requested", ref=ref, key=ref.split(":", 1)[0])
        console.print(text, style="bold yellow", markup=False)
    for ref, state in result.skipped:
        if state == State.PUBLISHING.value:
            console.print(t("cli.cancel_sending", ref=ref), style="bold yellow", markup=False)
        elif state == State.HANDED_OFF.value:
            console.print(t("cli.cancel_held", ref=ref), style="bold yellow", markup=False)
        else:
            console.print(t("cli.cannot_cancel", ref=ref, state=label(state)), markup=False)
    if result.unsettled:
        raise SystemExit(EXIT_PENDING)


@click.command(
    "retry",
    help=bi(
        "Đăng lại lượt bị lỗi, lỡ giờ hoặc đang chờ thử lại — ngay bây giờ.",
        "Send again what failed, was missed or waits for a retry — now.",
    ),
)
@click.argument("refs", nargs=-1, required=True)
@handle_errors
def retry(refs: tuple[str, ...]) -> None:
    _show_retry(retry_deliveries(open_store(), settings(), list(refs)))


def _show_retry(result: RetryResult) -> None:
    for error in result.limiter_errors:
        err_console.print(t("cli.retry_no_limiter", error=error), style="yellow", markup=False)
    report = result.report
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
            late = t("cli.retry_held_late", ref=hold.ref, until=until, deadline=local_time(hold.deadline))
            console.print(late, style="yellow", markup=False)
    for ref, account, remote_id in report.reauth:
        *browser, update = reconnect_commands(Target.parse(account), remote_id)
        command = browser[0] if browser else update
        text = t("cli.retry_reauth", ref=ref, account=account, command=command, update=update)
        console.print(text, style="yellow", markup=False)
    for ref, account in report.disabled:
        console.print(t("cli.retry_disabled", ref=ref, account=account), markup=False)
    for ref, state in report.skipped:
        console.print(t("cli.cannot_retry", ref=ref, state=label(state)), markup=False)


COMMANDS: list[click.Command] = [approve, cancel, retry]
