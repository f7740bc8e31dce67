"""The Accounts page: each account's health, "check now", and the connect flows in the browser.

Thin over :mod:`publisher.actions.connect_web` (the CLI's connect flows with the OAuth state kept
server-side). The OAuth callbacks are public routes (``oauth_callback``): they need no page
permission, but the state they bring back must be one this app issued to the same session, unused
and unexpired. Going to the consent page is a link on a page of ours, not a redirect after the
form: the CSP's ``form-action 'self'`` would stop a form's redirect to another site.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from publisher.actions.connect_web import (
    PROVIDERS,
    Actor,
    BrowserConnect,
    Connected,
    OtherUnit,
    days_left,
    health,
    redirect_uri,
)
from publisher.errors import NotFound, PublisherError
from publisher.i18n import register
from publisher.platforms.http import TemporaryFailure
from publisher.web.deps import COOKIE, Redirect, Viewer, page, web
from publisher.web.render import render

register(
    {
        "web.accounts.title": ("Tài khoản", "Accounts"),
        "web.accounts.none": ("Chưa có tài khoản nào.", "No account yet."),
        "web.accounts.account": ("Tài khoản", "Account"),
        "web.accounts.unit": ("Đơn vị", "Unit"),
        "web.accounts.status": ("Trạng thái", "Status"),
        "web.accounts.access": ("Mã truy cập", "Access token"),
        "web.accounts.refresh": ("Refresh token", "Refresh token"),
        "web.accounts.last": ("Đăng thành công gần nhất", "Last success"),
        "web.accounts.actions": ("Thao tác", "Actions"),
        "web.accounts.status.active": ("Hoạt động", "Active"),
        "web.accounts.status.needs_reauth": ("Cần kết nối lại", "Needs re-authorisation"),
        "web.accounts.status.disabled": ("Đã gỡ", "Removed"),
        "web.accounts.not_connected": ("Chưa kết nối", "Not connected"),
        "web.accounts.renews": ("Tự gia hạn", "Renews itself"),
        "web.accounts.expired": ("Đã hết hạn", "Expired"),
        "web.accounts.days": ("Còn {days} ngày", "{days} days left"),
        "web.accounts.unknown": ("Chưa rõ hạn (bấm “Kiểm tra”)", "Expiry not known (press “Check”)"),
        "web.accounts.never_published": ("Chưa có", "None yet"),
        "web.accounts.open_post": ("xem bài", "view post"),
        "web.accounts.check": ("Kiểm tra ngay", "Check now"),
        "web.accounts.reconnect": ("Kết nối lại", "Reconnect"),
        "web.accounts.connect": ("Kết nối", "Connect"),
        "web.accounts.new": ("Kết nối tài khoản mới", "Connect a new account"),
        "web.accounts.platform": ("Nền tảng", "Platform"),
        "web.accounts.new_unit": (
            "Đơn vị (để trống: đơn vị mặc định)",
            "Unit (empty: the default unit)",
        ),
        "web.accounts.name": (
            "Tên tài khoản (chữ thường không dấu, ví dụ ubnd-hanh-dich)",
            "Account name (lower case, e.g. ubnd-hanh-dich)",
        ),
        "web.accounts.redirects": (
            "Địa chỉ chuyển hướng cần đăng ký với ứng dụng Google và Zalo:",
            "Redirect addresses to register with the Google and Zalo apps:",
        ),
        "web.accounts.go_title": ("Cho phép ứng dụng", "Allow the app"),
        "web.accounts.go_text": (
            "Mở trang cấp quyền của {provider}, đăng nhập bằng tài khoản quản trị của {target} và cho phép "
            "ứng dụng. Trình duyệt sẽ quay lại đây; liên kết dùng được một lần trong 15 phút.",
            "Open {provider}'s consent page, sign in with the admin account of {target} and allow the app. "
            "The browser comes back here; the link works once, within 15 minutes.",
        ),
        "web.accounts.go": ("Mở trang cấp quyền", "Open the consent page"),
        "web.accounts.back": ("Về trang Tài khoản", "Back to Accounts"),
        "web.accounts.fb_title": ("Kết nối Trang Facebook {target}", "Connect the Facebook Page {target}"),
        "web.accounts.fb_text": (
            "Dán user access token của một quản trị viên Trang (lấy từ Graph API Explorer với các quyền "
            "pages_show_list, pages_read_engagement, pages_manage_posts, read_insights). Token được đổi "
            "thành mã dài hạn, không hiển thị lại và không lưu; chỉ mã của Trang bạn chọn được lưu, đã mã hóa.",
            "Paste a Page admin's user access token (from the Graph API Explorer with pages_show_list, "
            "pages_read_engagement, pages_manage_posts, read_insights). It is exchanged for a long-lived "
            "one, never shown again and not kept; only the token of the Page you pick is stored, encrypted.",
        ),
        "web.accounts.fb_token": ("User access token", "User access token"),
        "web.accounts.fb_list": ("Xem các Trang", "List the Pages"),
        "web.accounts.fb_pick_title": ("Chọn Trang cho {target}", "Pick the Page for {target}"),
        "web.accounts.fb_pick": ("Lưu Trang đã chọn", "Save the chosen Page"),
        "web.accounts.connected": (
            "Đã kết nối {target}; token được lưu đã mã hóa.",
            "Connected {target}; the token is stored encrypted.",
        ),
        "web.accounts.page_name": ("Trang: {name}", "Page: {name}"),
        "web.accounts.released": (
            "Các bài đang chờ kết nối lại đã trở lại hàng đợi và sẽ tự đăng: {items}",
            "Posts that waited for the reconnection are back in the queue and go out by themselves: {items}",
        ),
        "web.accounts.released_missed": (
            "Các bài đã qua hạn chót, chuyển sang “đã lỡ giờ”: {items}",
            "Posts past their deadline, now “missed”: {items}",
        ),
        "web.accounts.failed": ("Chưa kết nối được", "Not connected"),
        "web.accounts.check.valid": ("Quyền truy cập hợp lệ", "Access is valid"),
        "web.accounts.check.invalid": (
            "Quyền truy cập KHÔNG hợp lệ: {reason}",
            "Access is NOT valid: {reason}",
        ),
        "web.accounts.check.unknown": ("Chưa kiểm tra được: {reason}", "Could not be checked: {reason}"),
        "web.accounts.check.not_checked": (
            "Không kiểm tra (tài khoản thử nghiệm hoặc chưa có token).",
            "Not checked (a test account, or no token yet).",
        ),
        "web.accounts.check.never": ("Mã truy cập không bao giờ hết hạn", "The access token never expires"),
        "web.accounts.check.renews_at": (
            "Mã truy cập hết hạn lúc {when}; tự gia hạn bằng refresh token.",
            "The access token expires at {when}; it renews itself from the refresh token.",
        ),
        "web.accounts.check.ends": (
            "Mã truy cập hết hạn lúc {when} (còn {days} ngày) và KHÔNG tự gia hạn; kết nối lại trước lúc đó.",
            "The access token expires at {when} ({days} days left) and CANNOT renew itself; reconnect before.",
        ),
        "web.accounts.check.access_unknown": (
            "Chưa rõ hạn của mã truy cập.",
            "The access token's expiry is not known.",
        ),
        "web.accounts.check.refresh_at": (
            "Refresh token hết hạn lúc {when} (còn {days} ngày).",
            "The refresh token expires at {when} ({days} days left).",
        ),
        "web.accounts.check.data_access": (
            "Quyền đọc dữ liệu hết hạn lúc {when} (còn {days} ngày), tính 90 ngày từ lần quản trị viên dùng "
            "ứng dụng gần nhất.",
            "Data access ends at {when} ({days} days left), 90 days from the admin's last use of the app.",
        ),
        "web.accounts.check.missing": ("Thiếu quyền: {items}", "Missing permissions: {items}"),
        "web.accounts.check.all_permissions": (
            "Đủ các quyền cần thiết.",
            "Every permission needed is granted.",
        ),
    }
)

router = APIRouter()

#: what the new-account form offers (the platforms with a connect flow), with their labels
PLATFORMS = (("facebook", "Facebook"), ("youtube", "YouTube"), ("zalo", "Zalo OA"))
PROVIDER_NAMES = {"google": "Google", "zalo": "Zalo"}


def _days(when: datetime | None) -> int:
    """Whole days from now until ``when`` (0 once it has passed)."""
    return max(0, days_left(when, datetime.now(UTC)) or 0)


def _actor(viewer: Viewer) -> Actor:
    return Actor(viewer.user.name, viewer.session.id, viewer.units)


def _connector(request: Request) -> BrowserConnect:
    ctx = web(request)
    return BrowserConnect(ctx.settings, ctx.store)


def _page(request: Request, viewer: Viewer, status_code: int = 200, **extra: Any) -> HTMLResponse:
    ctx = web(request)
    context: dict[str, Any] = {
        "items": health(ctx.store, _actor(viewer)),
        "platforms": PLATFORMS,
        "redirects": [redirect_uri(ctx.settings, p) for p in PROVIDERS],
        "checks": {},
        "error": None,
        "days": _days,
    }
    context.update(extra)
    return render(request, "accounts.html", viewer, status_code=status_code, **context)


def _failed(request: Request, viewer: Viewer | None, exc: PublisherError) -> HTMLResponse:
    """A connection that did not go through: what happened (never a token), nothing saved."""
    status = 502 if isinstance(exc, TemporaryFailure) else 400
    return render(request, "accounts_failed.html", viewer, status_code=status, error=str(exc))


def _connected(request: Request, viewer: Viewer | None, done: Connected) -> HTMLResponse:
    return render(
        request,
        "accounts_connected.html",
        viewer,
        target=str(done.target),
        page_name=done.page_name,
        released=", ".join(str(i["post"]) for i in done.report.released),
        missed=", ".join(str(i["post"]) for i in done.report.missed),
    )


@router.get("/accounts", name="accounts", response_class=HTMLResponse)
def accounts(request: Request, viewer: Annotated[Viewer, Depends(page("accounts"))]) -> Response:
    return _page(request, viewer)


@router.post("/accounts/{account_id}/check", name="account_check", response_class=HTMLResponse)
def account_check(
    request: Request, account_id: int, viewer: Annotated[Viewer, Depends(page("account_check"))]
) -> Response:
    """``publisher accounts check`` for one account; htmx gets the result alone, else the page."""
    try:
        row, found = _connector(request).check(account_id, _actor(viewer))
    except NotFound:
        raise HTTPException(status_code=404) from None
    if request.headers.get("hx-request"):
        return render(
            request,
            "accounts_check.html",
            viewer,
            found=found,
            target=f"{row.platform}/{row.name}",
            days=_days,
        )
    return _page(request, viewer, checks={account_id: found})


@router.post("/accounts/connect", name="account_connect", response_class=HTMLResponse)
def account_connect(
    request: Request,
    viewer: Annotated[Viewer, Depends(page("account_connect"))],
    platform: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    unit: Annotated[str, Form()] = "",
) -> Response:
    """Begin a connection: Facebook asks for a user token; Google and Zalo go to their consent page.
    A new account joins the user's unit (an admin may name another)."""
    connector = _connector(request)
    name, unit = name.strip(), unit.strip()
    try:
        if platform == "facebook":
            connector.target(platform, name, _actor(viewer), unit or None)
            query = {"name": name, "unit": unit} if unit else {"name": name}
            raise Redirect(f"/accounts/connect/facebook?{urlencode(query)}")
        begun = connector.begin(platform, name, _actor(viewer), unit or None)
    except OtherUnit:
        raise HTTPException(status_code=404) from None
    except PublisherError as exc:
        return _page(
            request,
            viewer,
            status_code=400,
            error=str(exc),
            new_platform=platform,
            new_name=name,
            new_unit=unit,
        )
    provider = "google" if platform == "youtube" else "zalo"
    return render(
        request,
        "accounts_go.html",
        viewer,
        url=begun.url,
        provider=PROVIDER_NAMES[provider],
        target=f"{platform}/{name}",
    )


@router.get("/accounts/connect/facebook", name="account_connect", response_class=HTMLResponse)
def facebook_form(
    request: Request,
    viewer: Annotated[Viewer, Depends(page("account_connect"))],
    name: str = "",
    unit: str = "",
) -> Response:
    try:
        target, _ = _connector(request).target("facebook", name.strip(), _actor(viewer), unit.strip() or None)
    except OtherUnit:
        raise HTTPException(status_code=404) from None
    except PublisherError as exc:
        return _page(request, viewer, status_code=400, error=str(exc))
    return render(
        request, "accounts_facebook.html", viewer, target=str(target), name=target.name, unit=unit, error=None
    )


@router.post("/accounts/connect/facebook", name="account_connect", response_class=HTMLResponse)
def facebook_pages(
    request: Request,
    viewer: Annotated[Viewer, Depends(page("account_connect"))],
    name: Annotated[str, Form()] = "",
    unit: Annotated[str, Form()] = "",
    user_token: Annotated[str, Form()] = "",
) -> Response:
    """The Pages the pasted user token manages, to pick one (the token is never sent back)."""
    name, unit = name.strip(), unit.strip()
    try:
        begun = _connector(request).facebook_pages(name, user_token, _actor(viewer), unit or None)
    except OtherUnit:
        raise HTTPException(status_code=404) from None
    except PublisherError as exc:
        status = 502 if isinstance(exc, TemporaryFailure) else 400
        return render(
            request,
            "accounts_facebook.html",
            viewer,
            status_code=status,
            target=f"facebook/{name}",
            name=name,
            unit=unit,
            error=str(exc),
        )
    return render(
        request,
        "accounts_facebook_pages.html",
        viewer,
        target=f"facebook/{name}",
        state=begun.state,
        pages=begun.pages,
    )


@router.post("/accounts/connect/facebook/pick", name="account_connect", response_class=HTMLResponse)
def facebook_pick(
    request: Request,
    viewer: Annotated[Viewer, Depends(page("account_connect"))],
    state: Annotated[str, Form()] = "",
    page_id: Annotated[str, Form()] = "",
) -> Response:
    try:
        done = _connector(request).facebook_pick(state, page_id, _actor(viewer))
    except OtherUnit:
        raise HTTPException(status_code=404) from None
    except PublisherError as exc:
        return _failed(request, viewer, exc)
    return _connected(request, viewer, done)


@router.get("/accounts/oauth/{provider}/callback", name="oauth_callback", response_class=HTMLResponse)
def oauth_callback(
    request: Request,
    provider: str,
    state: str = "",
    code: str = "",
    error: str = "",
    oa_id: str = "",
) -> Response:
    """Where Google and Zalo send the browser back. Public (no page permission), so the state
    decides: issued here, to this session, unused, unexpired; else refused and nothing saved."""
    if provider not in PROVIDERS:
        raise HTTPException(status_code=404)
    ctx = web(request)
    session = ctx.signin.session(request.cookies.get(COOKIE))
    viewer = Viewer(session, "oauth_callback") if session is not None else None
    if viewer is not None and not viewer.may("account_connect"):
        raise HTTPException(status_code=403)
    actor = _actor(viewer) if viewer is not None else None
    try:
        done = _connector(request).finish(
            provider, state, code or None, actor, error=error or None, oa_id=oa_id
        )
    except OtherUnit:
        raise HTTPException(status_code=404) from None
    except PublisherError as exc:
        return _failed(request, viewer, exc)
    return _connected(request, viewer, done)
