"""Signing in and out, changing one's password, and ``/healthz`` (no session needed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from publisher.errors import UserError
from publisher.i18n import register
from publisher.web.deps import COOKIE, Viewer, page, web
from publisher.web.render import render

register(
    {
        "web.login.title": ("Đăng nhập", "Sign in"),
        "web.login.name": ("Tên người dùng", "User name"),
        "web.login.password": ("Mật khẩu", "Password"),
        "web.login.submit": ("Đăng nhập", "Sign in"),
        "web.logout": ("Đăng xuất", "Sign out"),
        "web.password.title": ("Đổi mật khẩu", "Change password"),
        "web.password.one_time": (
            "Bạn đang dùng mật khẩu một lần. Hãy đặt mật khẩu mới để tiếp tục.",
            "You signed in with a one-time password. Choose a new password to go on.",
        ),
        "web.password.current": ("Mật khẩu hiện tại", "Current password"),
        "web.password.new": ("Mật khẩu mới (ít nhất 10 ký tự)", "New password (at least 10 characters)"),
        "web.password.repeat": ("Nhập lại mật khẩu mới", "New password again"),
        "web.password.submit": ("Lưu mật khẩu", "Save password"),
    }
)

router = APIRouter()


def _safe_next(value: str | None) -> str:
    """Only a path of this site (never ``//other.site``): no open redirect after sign-in."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    ctx = web(request)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.web.secure_cookies,
        path="/",
    )


@router.get("/login", name="login", response_class=HTMLResponse)
def login(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", None, next=_safe_next(next), error=None, name="")


@router.post("/login", name="login_submit", response_class=HTMLResponse)
def login_submit(
    request: Request,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    ctx = web(request)
    addr = request.client.host if request.client else None
    try:
        token = ctx.signin.sign_in(name, password, addr)
    except UserError as exc:
        return render(
            request, "login.html", None, status_code=400, next=_safe_next(next), error=str(exc), name=name
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(request, response, token)
    return response


@router.post("/logout", name="logout")
def logout(request: Request, viewer: Annotated[Viewer, Depends(page("logout"))]) -> Response:
    web(request).signin.sign_out(viewer.session)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/password", name="password", response_class=HTMLResponse)
def password(request: Request, viewer: Annotated[Viewer, Depends(page("password"))]) -> Response:
    return render(request, "password.html", viewer, error=None)


@router.post("/password", name="password_submit", response_class=HTMLResponse)
async def password_submit(
    request: Request,
    viewer: Annotated[Viewer, Depends(page("password_submit"))],
    current: Annotated[str, Form()] = "",
    new: Annotated[str, Form()] = "",
    repeat: Annotated[str, Form()] = "",
) -> Response:
    ctx = web(request)
    try:
        token = await run_in_threadpool(ctx.signin.change_own_password, viewer.session, current, new, repeat)
    except UserError as exc:
        return render(request, "password.html", viewer, status_code=400, error=str(exc))
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(request, response, token)
    return response


@router.get("/healthz", name="healthz")
def healthz(request: Request) -> JSONResponse:
    """For the compose file and monitors: the database answers."""
    ctx = web(request)
    try:
        with ctx.store.db.read() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception:  # any failure of the database is "not healthy", with no detail leaked
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok"})
