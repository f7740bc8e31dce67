"""``publisher accounts connect|check`` and ``publisher publish ID --dry-run``."""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import parse_qs, urlparse

import click
import requests

from publisher.cli.common import bi, console, emit_json, handle_errors, local_time, settings, table
from publisher.core.models import Platform, Target
from publisher.errors import UserError
from publisher.i18n import msg, register, t

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
        "acct.connected": ("Đã kết nối {target}; token được lưu đã mã hóa.",
                           "Connected {target}; the token is stored encrypted."),
        "acct.state_mismatch": ("Mã trả về không khớp phiên kết nối này (state). Làm lại từ đầu.",
                                "The returned state does not match this connection. Start again."),
        "acct.fb_needs_page": ("Facebook cần --page-id (mã Trang).", "Facebook needs --page-id (the Page id)."),
        "acct.user_token_prompt": ("Dán user access token của quản trị viên Trang (không hiện ra màn hình)",
                                   "Paste the Page admin's user access token (hidden)"),
        "acct.check_fb": (
            "{target}: token {valid}, còn {days} ngày; thiếu quyền: {missing}",
            "{target}: token {valid}, {days} days left; missing permissions: {missing}",
        ),
        "acct.valid": ("hợp lệ", "valid"),
        "acct.invalid": ("KHÔNG hợp lệ", "NOT valid"),
        "acct.never": ("không hết hạn", "never expires"),
        "acct.dry_title": ("Lượt đăng #{id} {target} — các yêu cầu sẽ gửi (không gửi thật):",
                           "Delivery #{id} {target} — the requests it would send (nothing is sent):"),
        "acct.dry_result": ("Kết quả giả định: {outcome}", "Pretend result: {outcome}"),
        "acct.dry_required": ("Hiện chỉ hỗ trợ --dry-run; việc đăng thật do bộ hẹn giờ (publisher run) làm.",
                              "Only --dry-run is supported; real publishing is done by the scheduler (publisher run)."),
    }
)


def _store() -> Any:
    from publisher.store import Store

    st = Store(settings())
    st.init()
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


@click.command("connect", help=bi(
    "Kết nối tài khoản: Zalo OA (OAuth v4 + PKCE), YouTube (OAuth 2.0) hoặc Trang Facebook (từ user token).",
    "Connect an account: Zalo OA (OAuth v4 + PKCE), YouTube (OAuth 2.0) or a Facebook Page (from a user token).",
))
@click.argument("platform", type=click.Choice(["zalo", "youtube", "facebook"]))
@click.argument("name")
@click.option("--redirect-uri", default="http://127.0.0.1:8765/callback",
              help=bi("Địa chỉ chuyển hướng đã đăng ký với ứng dụng.", "Redirect URI registered for the app."))
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
        creds = flows.facebook_page_token(cfg.facebook, session, _read_secret(t("acct.user_token_prompt")), page_id)
    st = _store()
    account_id = st.add_account(target, cfg.actor(), exist_ok=True)
    st.save_credentials(account_id, creds, actor=cfg.actor())
    console.print(t("acct.connected", target=target), markup=False)


@click.command("check", help=bi(
    "Kiểm tra token các tài khoản: số ngày còn lại, quyền còn thiếu (Facebook qua /debug_token).",
    "Check account tokens: days left, missing permissions (Facebook through /debug_token).",
))
@click.argument("target", required=False)
@click.option("--json", "as_json", is_flag=True, help=bi("Xuất JSON.", "Output JSON."))
@handle_errors
def check(target: str | None, as_json: bool) -> None:
    from publisher.platforms import connect as flows

    cfg = settings()
    st = _store()
    rows = [st.account(target)] if target else st.accounts()
    out: list[dict[str, Any]] = []
    for r in rows:
        item: dict[str, Any] = {"target": f"{r.platform}/{r.name}", "status": r.status,
                                "token_expires_at": r.token_expires_at, "refresh_expires_at": r.refresh_expires_at}
        if r.platform == Platform.FACEBOOK.value and r.credentials:
            report = flows.check_facebook_token(cfg.facebook, requests.Session(), st.credentials(r.id).access_token)
            item.update(valid=report.is_valid, days_left=report.days_left, missing=report.missing_permissions)
            if not as_json:
                console.print(t("acct.check_fb", target=item["target"],
                                valid=t("acct.valid") if report.is_valid else t("acct.invalid"),
                                days=t("acct.never") if report.days_left is None else f"{report.days_left:.0f}",
                                missing=", ".join(report.missing_permissions) or "—"), markup=False)
        out.append(item)
    if as_json:
        emit_json(out)
        return
    console.print(table(None, [t("cli.col.account"), t("cli.col.state"), t("cli.col.expires"), "refresh"],
                        [(i["target"], i["status"], local_time(i["token_expires_at"]),
                          local_time(i["refresh_expires_at"])) for i in out]))


@click.command("publish", help=bi(
    "Xem trước chính xác các yêu cầu sẽ gửi tới nền tảng (phương thức, URL, header đã che bí mật, nội dung).",
    "Show the exact requests an adapter would send (method, URL, headers with secrets masked, body).",
))
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
            dump.append({"delivery": d.id, "target": str(d.target), "outcome": result.outcome.value,
                         "requests": [r.to_dict() for r in requests_]})
            continue
        console.print(t("acct.dry_title", id=d.id, target=d.target), style="bold", markup=False)
        for r in requests_:
            console.print(r.render(), markup=False)
            console.print("")
        console.print(t("acct.dry_result", outcome=result.outcome.value), markup=False)
    if as_json:
        emit_json(dump)


connect._publisher_group = "accounts"  # type: ignore[attr-defined]
check._publisher_group = "accounts"  # type: ignore[attr-defined]
COMMANDS: list[click.Command] = [connect, check, publish]
