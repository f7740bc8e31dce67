"""``publisher accounts add|list|remove|connect|update``: the platform accounts and their tokens.

Tokens are read from stdin or a hidden prompt, never from the command line, and stored encrypted.
``publisher accounts check`` lives in :mod:`publisher.cli.accounts_check`.
"""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import parse_qs, urlparse

import click
import requests

from publisher.cli import accounts_check
from publisher.cli.common import bi, handle_errors, open_store, parse_target, settings
from publisher.cli.output import console, emit_json, err_console, local_time, print_rows
from publisher.core.models import Platform, Target
from publisher.core.people import validate_unit
from publisher.errors import UserError
from publisher.i18n import msg, register, t
from publisher.platforms import connect as flows
from publisher.platforms.base import Credentials

register(
    {
        "cli.account_added": ("Đã thêm tài khoản {target}.", "Account {target} added."),
        "cli.account_removed": (
            "Đã gỡ tài khoản {target} ({outcome}).",
            "Account {target} removed ({outcome}).",
        ),
        "cli.token_prompt": (
            "Dán access token rồi nhấn Enter (không hiện ra màn hình)",
            "Paste the access token and press Enter (hidden)",
        ),
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
    }
)

_TOKEN_STDIN = bi("Đọc access token từ stdin.", "Read the access token from stdin.")
_REFRESH_STDIN = bi("Đọc thêm refresh token ở dòng thứ hai.", "Also read a refresh token on the second line.")


@click.group("accounts", help=bi("Quản lý tài khoản các nền tảng.", "Manage platform accounts."))
def accounts() -> None:
    pass


@accounts.command(
    "add",
    help=bi(
        "Thêm tài khoản, ví dụ: publisher accounts add facebook/ubnd-hanh-dich --token-stdin. "
        "Token đọc từ bàn phím/stdin, không ghi vào lịch sử lệnh; lưu đã mã hóa.",
        "Add an account, e.g. publisher accounts add facebook/ubnd-hanh-dich --token-stdin. The token is "
        "read from stdin, never from the command line, and stored encrypted.",
    ),
)
@click.argument("target")
@click.option("--display-name", default=None, help=bi("Tên hiển thị.", "Display name."))
@click.option("--remote-id", default=None, help=bi("Mã trang/kênh/OA trên nền tảng.", "Page/channel/OA id."))
@click.option("--token-stdin", is_flag=True, help=_TOKEN_STDIN)
@click.option("--refresh-token-stdin", is_flag=True, help=_REFRESH_STDIN)
@click.option(
    "--unit",
    default=None,
    help=bi(
        "Đơn vị (xã) của tài khoản; mặc định: đơn vị mặc định.",
        "The unit (commune) of the account; default: the default unit.",
    ),
)
@handle_errors
def accounts_add(
    target: str,
    display_name: str | None,
    remote_id: str | None,
    token_stdin: bool,
    refresh_token_stdin: bool,
    unit: str | None,
) -> None:
    tgt = parse_target(target)
    unit = validate_unit(unit)
    creds: Credentials | None = None
    refresh: str | None = None
    if token_stdin or refresh_token_stdin:
        token, refresh = read_tokens(str(tgt), refresh_token_stdin, "add")  # empty: refused, exit 2
        creds = Credentials(access_token=token, refresh_token=refresh, remote_account_id=remote_id)
    elif remote_id:
        creds = Credentials(remote_account_id=remote_id)
    open_store().add_account(tgt, settings().actor(), display_name=display_name, credentials=creds, unit=unit)
    console.print(t("cli.account_added", target=tgt), markup=False)
    if creds is not None and creds.access_token:
        warn_no_refresh(tgt, refresh)


@accounts.command("list", help=bi("Liệt kê tài khoản.", "List accounts."))
@click.option("--json", "as_json", is_flag=True, help=bi("Xuất JSON.", "Output JSON."))
@handle_errors
def accounts_list(as_json: bool) -> None:
    rows = open_store().accounts()
    if as_json:
        keys = ("display_name", "status", "remote_id", "token_expires_at", "status_reason")
        emit_json([{"target": f"{r.platform}/{r.name}"} | {k: getattr(r, k) for k in keys} for r in rows])
        return
    cells = [
        (f"{r.platform}/{r.name}", r.display_name, r.status, local_time(r.token_expires_at)) for r in rows
    ]
    print_rows(None, ("account", "name", "state", "expires"), cells)


@accounts.command(
    "remove", help=bi("Gỡ tài khoản (giữ lịch sử đã đăng).", "Remove an account (history is kept).")
)
@click.argument("target")
@handle_errors
def accounts_remove(target: str) -> None:
    tgt = parse_target(target)
    outcome = open_store().remove_account(tgt, settings().actor())
    console.print(t("cli.account_removed", target=tgt, outcome=outcome), markup=False)


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


@accounts.command(
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
    cfg = settings()
    target = Target(Platform(platform), name)
    Target.parse(str(target))
    session = requests.Session()
    if platform == "zalo":
        start = flows.zalo_start(cfg.zalo, redirect_uri)
        code = _ask_code(start)
        creds = flows.zalo_finish(cfg.zalo, session, code, start.verifier or "", oa_id)
    elif platform == "youtube":
        start = flows.youtube_start(cfg.youtube, redirect_uri)
        creds = flows.youtube_finish(cfg.youtube, session, _ask_code(start), redirect_uri)
    else:
        if not page_id:
            raise UserError(msg("acct.fb_needs_page"))
        user_token = _read_secret(t("acct.user_token_prompt"))
        creds = flows.facebook_page_token(cfg.facebook, session, user_token, page_id)
    report = open_store().update_credentials(target, creds, cfg.actor(), via="connect", create=True)
    console.print(t("acct.connected", target=target), markup=False)
    _show_release(report)


def _ask_code(start: Any) -> str:
    """Show the consent link; the officer pastes back the code (or the whole address) it led to."""
    console.print(t("acct.open_url"), markup=False)
    console.print(start.url, markup=False, soft_wrap=True)
    return _code_from(click.prompt(t("acct.paste_code")), start.state)


@accounts.command(
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
@click.option("--token-stdin", is_flag=True, help=_TOKEN_STDIN)
@click.option("--refresh-token-stdin", is_flag=True, help=_REFRESH_STDIN)
@click.option(
    "--remote-id",
    default=None,
    help=bi(
        "Mã trang/kênh/OA (mặc định: giữ mã đã lưu).", "Page/channel/OA id (default: keep the stored one)."
    ),
)
@handle_errors
def update(target: str, token_stdin: bool, refresh_token_stdin: bool, remote_id: str | None) -> None:
    tgt = parse_target(target)
    if not (token_stdin or refresh_token_stdin):
        raise UserError(msg("acct.need_token_option"))
    token, refresh = read_tokens(str(tgt), refresh_token_stdin)
    creds = Credentials(access_token=token, refresh_token=refresh, remote_account_id=remote_id)
    report = open_store().update_credentials(tgt, creds, settings().actor(), via="update")
    console.print(t("acct.updated", target=tgt), markup=False)
    _show_release(report)
    if not report.kept_refresh_token:
        warn_no_refresh(tgt, refresh)


accounts.add_command(accounts_check.check)

COMMANDS: list[click.Command] = [accounts]
