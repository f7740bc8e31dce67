"""The officer's web app: server-rendered pages over the same use cases as the CLI.

``create_app(settings)`` builds the FastAPI application; ``publisher run`` serves it beside the
workers and ``publisher web`` alone (:mod:`publisher.web.server`). Every response carries the
security headers (a CSP without inline scripts, no framing, no referrer to other sites) and
authenticated pages are never cached.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from publisher.actions.signin import SignIn
from publisher.i18n import register, set_display_zone
from publisher.settings import Settings
from publisher.store import Store
from publisher.store.users import Users
from publisher.store.web import WebRepo
from publisher.web import routes
from publisher.web.deps import Redirect, Web
from publisher.web.render import render

register(
    {
        "web.app": ("Đăng bài", "Publisher"),
        "web.skip": ("Bỏ qua, tới nội dung", "Skip to content"),
        "web.nav": ("Các trang", "Pages"),
        "web.nav.dashboard": ("Tổng quan", "Dashboard"),
        "web.nav.calendar": ("Lịch", "Calendar"),
        "web.nav.compose": ("Soạn bài", "Compose"),
        "web.nav.import": ("Nạp kế hoạch", "Import a plan"),
        "web.nav.weekly": ("Báo cáo tuần", "Weekly review"),
        "web.nav.approvals": ("Chờ duyệt", "Approvals"),
        "web.nav.accounts": ("Tài khoản", "Accounts"),
        "web.nav.pause": ("Tạm dừng", "Pause"),
        "web.nav.users": ("Người dùng", "Users"),
        "web.nav.tokens": ("Mã API", "API tokens"),
        "web.error.403": ("Bạn không có quyền mở trang này.", "You may not open this page."),
        "web.error.404": ("Không tìm thấy trang này.", "This page was not found."),
        "web.error.other": ("Có lỗi, xin thử lại.", "Something went wrong; please try again."),
        "web.error.csrf": (
            "Biểu mẫu đã cũ (phiên đăng nhập đã đổi). Hãy tải lại trang rồi gửi lại.",
            "The form is stale (the session changed). Reload the page and send it again.",
        ),
    }
)

STATIC = Path(__file__).with_name("static")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https:; "
    "media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """The application over ``store`` (opened and checked from ``settings`` when not given)."""
    set_display_zone(settings.timezone)
    if store is None:
        store = Store(settings)
        store.init(create=False)
    app = FastAPI(title="publisher", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = Web(settings, store, SignIn(Users(store.db), WebRepo(store.db), settings))
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for router in routes.ROUTERS:
        app.include_router(router)

    @app.exception_handler(Redirect)
    async def _redirect(request: Request, exc: Redirect) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": exc.location})
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _error(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        key = "web.error.csrf" if exc.detail == "csrf" else f"web.error.{exc.status_code}"
        if exc.status_code not in (403, 404):
            key = "web.error.other"
        return render(request, "error.html", None, status_code=exc.status_code, message_key=key)

    return app


__all__ = ["create_app"]
