"""``publisher queue``: load schedule files, say what happens to each post, and what the review found."""

from __future__ import annotations

import click

from publisher.actions.queue import QueueResult, Schedules, queue_schedules, read_schedules
from publisher.cli.common import bi, handle_errors, open_store, settings
from publisher.cli.output import console, emit_json, err_console
from publisher.core.states import label
from publisher.i18n import register, t

register(
    {
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
        "cli.review_blocks": (
            "Bài “{key}” chưa thể được duyệt cho đến khi sửa các mục CHẶN ở trên.",
            "“{key}” cannot be approved until the BLOCK findings above are fixed.",
        ),
    }
)


@click.command(
    "queue",
    help=bi(
        "Nạp tệp lịch (YAML hoặc CSV). Nạp lại cùng tệp không thay đổi gì; bài sửa thì cập nhật lượt đăng chưa "
        "bắt đầu. --check chỉ kiểm tra, không ghi.",
        "Load schedule files (YAML or CSV). Loading the same file again changes nothing; an edited post updates "
        "its deliveries that have not started. --check validates without writing.",
    ),
)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--check", is_flag=True, help=bi("Chỉ kiểm tra, không ghi.", "Validate only, write nothing."))
@click.option(
    "--by",
    "by",
    default=None,
    help=bi(
        "Người xếp lịch: một người dùng của đơn vị (publisher users list); mặc định PUBLISHER_USER.",
        "Who queues: a user of the office (publisher users list); default PUBLISHER_USER.",
    ),
)
@click.option(
    "--unit",
    default=None,
    help=bi(
        "Đơn vị (xã) của các bài mới; mặc định: đơn vị mặc định. Mọi nơi đăng phải là tài khoản của đơn vị "
        "này; bài đã có giữ đơn vị của nó.",
        "The unit (commune) of the new posts; default: the default unit. Every target must be an account "
        "of that unit; a post already queued keeps its unit.",
    ),
)
@click.option("--json", "as_json", is_flag=True, help=bi("Xuất JSON.", "Output JSON."))
@handle_errors
def queue(files: tuple[str, ...], check: bool, by: str | None, unit: str | None, as_json: bool) -> None:
    st = open_store()
    schedules = read_schedules(st, settings(), files)
    _show_notes_and_review(schedules)
    if check:
        blocked = schedules.blocked
        for ls in schedules.loaded:
            if ls.file not in blocked:
                console.print(t("cli.check_ok", file=ls.file, n=len(ls.posts)), markup=False)
        schedules.refuse_blocked()  # exit 2 while a post cannot be approved as it stands
        return
    result = queue_schedules(st, settings(), schedules, by, unit=unit)
    if as_json:
        emit_json(result.report.__dict__)
        return
    _show_report(result)


def _show_notes_and_review(schedules: Schedules) -> None:
    for note in schedules.notes:  # "will go out late" only where it will
        err_console.print(f"{t('cli.note')} {note}", markup=False)
    for review in schedules.reviews:
        for line, f in review.findings:
            style = "bold red" if f.blocks else "yellow"
            err_console.print(f"{review.file}:{line}: {f}", style=style, markup=False)
        if review.blocks:
            err_console.print(t("cli.review_blocks", key=review.key), style="bold red", markup=False)


def _show_report(result: QueueResult) -> None:
    report = result.report
    if report.created:
        console.print(t("cli.queue_created", items=", ".join(report.created)), markup=False)
    if report.updated:
        items = ", ".join(
            f"{k} ({', '.join(report.changes[k])})" if report.changes.get(k) else k for k in report.updated
        )
        console.print(t("cli.queue_updated", items=items), markup=False)
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
    if result.awaiting_approval:
        console.print(t("cli.queue_waiting", n=result.awaiting_approval), markup=False)


COMMANDS: list[click.Command] = [queue]
