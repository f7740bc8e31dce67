"""``publisher accounts check``: one cheap call per account to its platform, and what expires when."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

import click

from publisher.actions.accounts import check_access, reconnect_commands
from publisher.cli.common import bi, handle_errors, open_store, settings
from publisher.cli.output import console, emit_json, local_time
from publisher.core.models import Target
from publisher.i18n import register, t

register(
    {
        "acct.check_valid": ("{target}: quyền truy cập hợp lệ{name}.", "{target}: access is valid{name}."),
        "acct.check_name": (" (“{name}”)", " (“{name}”)"),
        "acct.check_invalid": (
            "{target}: quyền truy cập KHÔNG hợp lệ: {reason}. Kết nối lại bằng “{command}”.",
            "{target}: access is NOT valid: {reason}. Reconnect with “{command}”.",
        ),
        "acct.check_unknown": (
            "{target}: chưa kiểm tra được: {reason}",
            "{target}: could not be checked: {reason}",
        ),
        "acct.check_skipped": (
            "{target}: không kiểm tra (tài khoản thử nghiệm hoặc chưa có token).",
            "{target}: not checked (a test account, or no token yet).",
        ),
        "acct.access_never": (
            "  Mã truy cập (access token): không bao giờ hết hạn{note}.",
            "  Access token: never expires{note}.",
        ),
        "acct.access_renews": (
            "  Mã truy cập (access token): hết hạn lúc {when}; tự gia hạn bằng refresh token.",
            "  Access token: expires at {when}; renews itself from the refresh token.",
        ),
        "acct.access_renews_unknown": (
            "  Mã truy cập (access token): chưa rõ hạn; tự gia hạn bằng refresh token.",
            "  Access token: expiry not known yet; renews itself from the refresh token.",
        ),
        "acct.access_ends": (
            "  Mã truy cập (access token): hết hạn lúc {when} (còn {days} ngày) và KHÔNG tự gia hạn; "
            "kết nối lại trước lúc đó.",
            "  Access token: expires at {when} ({days} days left) and CANNOT renew itself; reconnect before then.",
        ),
        "acct.access_unknown": (
            "  Mã truy cập (access token): chưa rõ hạn.",
            "  Access token: expiry not known.",
        ),
        "acct.refresh_at": (
            "  Refresh token: hết hạn lúc {when} (còn {days} ngày){note}.",
            "  Refresh token: expires at {when} ({days} days left){note}.",
        ),
        "acct.refresh_note": ("  Refresh token: {note}.", "  Refresh token: {note}."),
        "acct.data_access": (
            "  Quyền đọc dữ liệu (data access): hết hạn lúc {when} (còn {days} ngày), tính 90 ngày từ lần quản trị "
            "viên dùng ứng dụng gần nhất; sau đó phải kết nối lại.",
            "  Data access: ends at {when} ({days} days left), 90 days from the admin's last use of the app; "
            "reconnect after that.",
        ),
        "acct.missing": ("  Thiếu quyền: {items}.", "  Missing permissions: {items}."),
        "acct.all_permissions": ("  Đủ các quyền cần thiết.", "  Every permission needed is granted."),
    }
)


@click.command(
    "check",
    help=bi(
        "Kiểm tra quyền truy cập của các tài khoản bằng một lệnh gọi nhẹ tới từng nền tảng (Facebook /debug_token, "
        "YouTube channels.list, Zalo getoa) và cho biết mã truy cập, refresh token hết hạn khi nào. "
        "Mã thoát 1 nếu có tài khoản bị từ chối.",
        "Check each account's access with one cheap call to its platform (Facebook /debug_token, YouTube "
        "channels.list, Zalo getoa) and say when the access token and the refresh token expire. "
        "Exit code 1 when an account is refused.",
    ),
)
@click.argument("target", required=False)
@click.option("--json", "as_json", is_flag=True, help=bi("Xuất JSON.", "Output JSON."))
@handle_errors
def check(target: str | None, as_json: bool) -> None:
    cfg = settings()
    st = open_store()
    rows = [st.account(target)] if target else st.accounts()
    out: list[dict[str, Any]] = []
    refused = False
    for r in rows:
        tgt = Target.parse(f"{r.platform}/{r.name}")
        found = check_access(st, cfg, r)
        refused = refused or found.access == "invalid"
        out.append({"target": str(tgt), "status": r.status, **found.to_dict()})
        if not as_json:
            _show_check(tgt, found, reconnect_commands(tgt, r.remote_id)[0])
    if as_json:
        emit_json(out)
    if refused:
        sys.exit(1)


def _days(when: datetime) -> int:
    return max(0, (when - datetime.now(UTC)).days)


def _show_check(target: Target, found: Any, command: str) -> None:
    lines: list[str] = []
    if found.access == "not_checked":
        console.print(t("acct.check_skipped", target=target), markup=False)
        return
    if found.access == "valid":
        name = t("acct.check_name", name=found.name) if found.name else ""
        lines.append(t("acct.check_valid", target=target, name=name))
    elif found.access == "invalid":
        lines.append(t("acct.check_invalid", target=target, reason=found.reason, command=command))
    else:
        lines.append(t("acct.check_unknown", target=target, reason=found.reason))
    if found.access_never_expires:
        lines.append(t("acct.access_never", note=f" ({found.access_note})" if found.access_note else ""))
    elif found.access_expires_at and found.renews_itself:
        lines.append(t("acct.access_renews", when=local_time(found.access_expires_at)))
    elif found.access_expires_at:
        lines.append(
            t(
                "acct.access_ends",
                when=local_time(found.access_expires_at),
                days=_days(found.access_expires_at),
            )
        )
    else:
        lines.append(t("acct.access_renews_unknown") if found.renews_itself else t("acct.access_unknown"))
    if found.refresh_expires_at:
        note = f"; {found.refresh_note}" if found.refresh_note else ""
        lines.append(
            t(
                "acct.refresh_at",
                when=local_time(found.refresh_expires_at),
                days=_days(found.refresh_expires_at),
                note=note,
            )
        )
    elif found.refresh_note:
        lines.append(t("acct.refresh_note", note=found.refresh_note))
    if found.data_access_expires_at:
        lines.append(
            t(
                "acct.data_access",
                when=local_time(found.data_access_expires_at),
                days=_days(found.data_access_expires_at),
            )
        )
    if found.missing_permissions:
        lines.append(t("acct.missing", items=", ".join(found.missing_permissions)))
    elif found.missing_permissions is not None:
        lines.append(t("acct.all_permissions"))
    style = "bold red" if found.access == "invalid" else "yellow" if found.access == "unknown" else None
    for i, line in enumerate(lines):
        console.print(line, markup=False, style=style if i == 0 else None)
