"""``publisher accounts connect|update|check`` and ``publisher publish ID --dry-run``."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import click
import requests

from publisher.cli.common import bi, console, emit_json, err_console, handle_errors, local_time, settings
from publisher.core.models import Platform, Target
from publisher.errors import UserError
from publisher.i18n import msg, register, t
from publisher.platforms.base import Credentials

register(
    {
        "acct.open_url": (
            "Mở đường dẫn sau trong trình duyệt, đăng nhập bằng tài khoản quản trị và cho phép ứng dụng:",
            "Open this link in a browser, sign in with an admin account and allow the app:",
        ),
        "acct.paste_code": (
            "Dán mã (code) hoặc cả đường dẫn trình duyệt chuyển tới",
            "Paste the code, or the whole address the browser was sent to",
        ),
        "acct.connected": (
            "Đã kết nối {target}; token được lưu đã mã hóa.",
            "Connected {target}; the token is stored encrypted.",
        ),
        "acct.state_mismatch": (
            "Mã trả về không khớp phiên kết nối này (state). Làm lại từ đầu.",
            "The returned state does not match this connection. Start again.",
        ),
        "acct.fb_needs_page": (
            "Facebook cần --page-id (mã Trang).",
            "Facebook needs --page-id (the Page id).",
        ),
        "acct.user_token_prompt": (
            "Dán user access token của quản trị viên Trang (không hiện ra màn hình)",
            "Paste the Page admin's user access token (hidden)",
        ),
        "acct.updated": (
            "Đã cập nhật token của {target} (lưu đã mã hóa); tài khoản hoạt động trở lại.",
            "Updated the token of {target} (stored encrypted); the account is active again.",
        ),
        "acct.released": (
            "{n} lượt đăng đang chờ kết nối lại đã trở lại hàng đợi và sẽ tự đăng ngay, không cần “publisher retry”: "
            "{items}",
            "{n} deliveries that waited for the reconnection are back in the queue and go out now by themselves "
            "(no “publisher retry” needed): {items}",
        ),
        "acct.released_missed": (
            "{n} lượt đăng đã qua hạn chót nên chuyển sang “đã lỡ giờ”; nếu vẫn cần đăng, dùng “publisher retry <mã>”: "
            "{items}",
            "{n} deliveries were past their deadline and are now “missed”; if still wanted, use "
            "“publisher retry <id>”: {items}",
        ),
        "acct.deadline_item": ("{post} (hạn chót {deadline})", "{post} (deadline {deadline})"),
        "acct.no_refresh": (
            "Lưu ý: không có refresh token nên mã truy cập {platform} không tự gia hạn (YouTube: khoảng 1 giờ, "
            "Zalo: khoảng 25 giờ); thêm --refresh-token-stdin với refresh token ở dòng thứ hai.",
            "Note: with no refresh token the {platform} access token cannot renew itself (YouTube: about 1 hour, "
            "Zalo: about 25 hours); add --refresh-token-stdin with the refresh token on the second line.",
        ),
        "acct.refresh_prompt": (
            "Dán refresh token (không hiện ra màn hình)",
            "Paste the refresh token (hidden)",
        ),
        "acct.need_token_option": (
            "Cần --token-stdin (và --refresh-token-stdin nếu có refresh token); token không bao giờ ghi trên dòng lệnh.",
            "--token-stdin is needed (and --refresh-token-stdin with a refresh token); tokens never go on the "
            "command line.",
        ),
        "acct.empty_token": (
            "Token trống: không đọc được access token nào. Dán token vào dòng đầu tiên của stdin "
            "(ví dụ: publisher accounts {command} {target} --token-stdin < token.txt).",
            "Empty token: no access token was read. Put it on the first line of stdin "
            "(e.g. publisher accounts {command} {target} --token-stdin < token.txt).",
        ),
        "acct.empty_refresh": (
            "Refresh token trống: với --refresh-token-stdin, dòng thứ hai phải là refresh token.",
            "Empty refresh token: with --refresh-token-stdin the second line must hold the refresh token.",
        ),
        "acct.token_spaces": (
            "Token có khoảng trắng ở giữa; mỗi dòng phải là đúng một token.",
            "The token contains spaces; each line must hold exactly one token.",
        ),
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
        "acct.dry_title": (
            "Lượt đăng #{id} {target} — các yêu cầu sẽ gửi (không gửi thật):",
            "Delivery #{id} {target} — the requests it would send (nothing is sent):",
        ),
        "acct.dry_result": ("Kết quả giả định: {outcome}", "Pretend result: {outcome}"),
        "acct.dry_required": (
            "Hiện chỉ hỗ trợ --dry-run; việc đăng thật do bộ hẹn giờ (publisher run) làm.",
            "Only --dry-run is supported; real publishing is done by the scheduler (publisher run).",
        ),
    }
)


def _store() -> Any:
    from publisher.store import Store

    st = Store(settings())
    st.init(create=False)  # only ``publisher init`` creates the data directory and the key
    return st


def _code_from(answer: str, expected_state: str | None) -> str:
    answer = answer.strip()
    if answer.startswith(("http://", "https://")):
        query = parse_qs(urlparse(answer).query)
        if expected_state and query.get("state", [expected_state])[0] != expected_state:
            raise UserError(msg("acct.state_mismatch"))
        return query.get("code", [""])[0]
    return answer


def _read_secret(prompt: str) -> str:
    if sys.stdin.isatty():
        return str(click.prompt(prompt, hide_input=True)).strip()
    return sys.stdin.readline().strip()


def read_tokens(target: str, with_refresh: bool, command: str = "update") -> tuple[str, str | None]:
    """The access token (first line) and, with ``with_refresh``, the refresh token (second line),
    from stdin or a hidden prompt. Never from the command line; an empty one is refused (exit 2)."""
    if sys.stdin.isatty():
        token = str(click.prompt(t("cli.token_prompt"), hide_input=True, default="", show_default=False))
        refresh = (
            str(click.prompt(t("acct.refresh_prompt"), hide_input=True, default="", show_default=False))
            if with_refresh
            else None
        )
    else:
        lines = sys.stdin.read().splitlines()
        token = lines[0] if lines else ""
        refresh = (lines[1] if len(lines) > 1 else "") if with_refresh else None
    token, refresh = token.strip(), refresh.strip() if refresh is not None else None
    if not token:
        raise UserError(msg("acct.empty_token", target=target, command=command))
    if with_refresh and not refresh:
        raise UserError(msg("acct.empty_refresh"))
    if any(ch.isspace() for ch in token + (refresh or "")):
        raise UserError(msg("acct.token_spaces"))
    return token, refresh


def _show_release(report: Any, tz: str | None = None) -> None:
    """What new credentials released: back in the queue now, or missed (see Store.update_credentials)."""
    if report.released:
        items = ", ".join(f"{i['post']}" for i in report.released)
        console.print(t("acct.released", n=len(report.released), items=items), markup=False)
    if report.missed:
        items = ", ".join(
            t("acct.deadline_item", post=i["post"], deadline=local_time(i["deadline"], tz))
            for i in report.missed
        )
        console.print(
            t("acct.released_missed", n=len(report.missed), items=items), style="yellow", markup=False
        )


def warn_no_refresh(target: Target, refresh: str | None) -> None:
    if refresh is None and target.platform in (Platform.YOUTUBE, Platform.ZALO):
        err_console.print(t("acct.no_refresh", platform=target.platform.value), style="yellow", markup=False)


@click.command(
    "connect",
    help=bi(
        "Kết nối tài khoản: Zalo OA (OAuth v4 + PKCE), YouTube (OAuth 2.0) hoặc Trang Facebook (từ user token).",
        "Connect an account: Zalo OA (OAuth v4 + PKCE), YouTube (OAuth 2.0) or a Facebook Page (from a user token).",
    ),
)
@click.argument("platform", type=click.Choice(["zalo", "youtube", "facebook"]))
@click.argument("name")
@click.option(
    "--redirect-uri",
    default="http://127.0.0.1:8765/callback",
    help=bi("Địa chỉ chuyển hướng đã đăng ký với ứng dụng.", "Redirect URI registered for the app."),
)
@click.option("--oa-id", default=None, help=bi("Mã OA (Zalo).", "OA id (Zalo)."))
@click.option("--page-id", default=None, help=bi("Mã Trang (Facebook).", "Page id (Facebook)."))
@handle_errors
def connect(platform: str, name: str, redirect_uri: str, oa_id: str | None, page_id: str | None) -> None:
    from publisher.platforms import connect as flows

    cfg = settings()
    target = Target(Platform(platform), name)
    Target.parse(str(target))
    session = requests.Session()
    if platform == "zalo":
        start = flows.zalo_start(cfg.zalo, redirect_uri)
        console.print(t("acct.open_url"), markup=False)
        console.print(start.url, markup=False, soft_wrap=True)
        code = _code_from(click.prompt(t("acct.paste_code")), start.state)
        creds = flows.zalo_finish(cfg.zalo, session, code, start.verifier or "", oa_id)
    elif platform == "youtube":
        start = flows.youtube_start(cfg.youtube, redirect_uri)
        console.print(t("acct.open_url"), markup=False)
        console.print(start.url, markup=False, soft_wrap=True)
        code = _code_from(click.prompt(t("acct.paste_code")), start.state)
        creds = flows.youtube_finish(cfg.youtube, session, code, redirect_uri)
    else:
        if not page_id:
            raise UserError(msg("acct.fb_needs_page"))
        creds = flows.facebook_page_token(
            cfg.facebook, session, _read_secret(t("acct.user_token_prompt")), page_id
        )
    report = _store().update_credentials(target, creds, cfg.actor(), via="connect", create=True)
    console.print(t("acct.connected", target=target), markup=False)
    _show_release(report)


@click.command(
    "update",
    help=bi(
        "Thay token của tài khoản đã có (máy chủ không có trình duyệt), ví dụ: "
        "publisher accounts update youtube/xa-tv --token-stdin --refresh-token-stdin < tokens.txt. "
        "Token đọc từ stdin (dòng 1: access token, dòng 2: refresh token), lưu đã mã hóa; các lượt đăng đang chờ "
        "đăng nhập lại sẽ tự đăng nếu còn trong thời gian cho phép.",
        "Replace the tokens of an existing account (for a server with no browser), e.g. "
        "publisher accounts update youtube/xa-tv --token-stdin --refresh-token-stdin < tokens.txt. Tokens are "
        "read from stdin (line 1: access token, line 2: refresh token) and stored encrypted; deliveries waiting "
        "for re-authorisation go out by themselves while within their grace window.",
    ),
)
@click.argument("target")
@click.option(
    "--token-stdin", is_flag=True, help=bi("Đọc access token từ stdin.", "Read the access token from stdin.")
)
@click.option(
    "--refresh-token-stdin",
    is_flag=True,
    help=bi("Đọc thêm refresh token ở dòng thứ hai.", "Also read a refresh token on the second line."),
)
@click.option(
    "--remote-id",
    default=None,
    help=bi(
        "Mã trang/kênh/OA (mặc định: giữ mã đã lưu).", "Page/channel/OA id (default: keep the stored one)."
    ),
)
@handle_errors
def update(target: str, token_stdin: bool, refresh_token_stdin: bool, remote_id: str | None) -> None:
    try:
        tgt = Target.parse(target)
    except ValueError:
        raise UserError(msg("cli.bad_target", value=target)) from None
    if not (token_stdin or refresh_token_stdin):
        raise UserError(msg("acct.need_token_option"))
    token, refresh = read_tokens(str(tgt), refresh_token_stdin)
    creds = Credentials(access_token=token, refresh_token=refresh, remote_account_id=remote_id)
    report = _store().update_credentials(tgt, creds, settings().actor(), via="update")
    console.print(t("acct.updated", target=tgt), markup=False)
    _show_release(report)
    warn_no_refresh(tgt, refresh)


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
    from publisher.accounts import check_access, reconnect_commands

    cfg = settings()
    st = _store()
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


@click.command(
    "publish",
    help=bi(
        "Xem trước chính xác các yêu cầu sẽ gửi tới nền tảng (phương thức, URL, header đã che bí mật, nội dung).",
        "Show the exact requests an adapter would send (method, URL, headers with secrets masked, body).",
    ),
)
@click.argument("ref")
@click.option("--dry-run", is_flag=True, help=bi("Không gửi gì.", "Send nothing."))
@click.option("--json", "as_json", is_flag=True, help=bi("Xuất JSON.", "Output JSON."))
@handle_errors
def publish(ref: str, dry_run: bool, as_json: bool) -> None:
    from publisher.platforms.dryrun import dry_run as capture

    if not dry_run:
        raise UserError(msg("acct.dry_required"))
    st = _store()
    with st.db.read() as conn:
        ids = [r.id for r in st.resolve(conn, ref)]
    dump: list[dict[str, Any]] = []
    for delivery_id in ids:
        d = st.delivery(delivery_id)
        account = st.account(d.target)
        creds = st.credentials(account.id) if account.credentials else None
        result, requests_ = capture(settings(), d, creds)
        if as_json:
            dump.append(
                {
                    "delivery": d.id,
                    "target": str(d.target),
                    "outcome": result.outcome.value,
                    "requests": [r.to_dict() for r in requests_],
                }
            )
            continue
        console.print(t("acct.dry_title", id=d.id, target=d.target), style="bold", markup=False)
        for r in requests_:
            console.print(r.render(), markup=False)
            console.print("")
        console.print(t("acct.dry_result", outcome=result.outcome.value), markup=False)
    if as_json:
        emit_json(dump)


connect._publisher_group = "accounts"  # type: ignore[attr-defined]
update._publisher_group = "accounts"  # type: ignore[attr-defined]
check._publisher_group = "accounts"  # type: ignore[attr-defined]
COMMANDS: list[click.Command] = [connect, update, check, publish]
