"""The users page (admins only): list the people of the office, add one, set role and unit, give a
new one-time password, disable and enable again.

Every change goes through the same use cases as ``publisher users`` (:mod:`publisher.actions.users`).
A one-time password is rendered once, in the answer to the form that made it, and never again.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from publisher.actions.signin import one_time_password
from publisher.actions.users import add_user, known_units, remove_user, reset_password, update_user, user_rows
from publisher.core.people import DEFAULT_UNIT, Role, name_key
from publisher.errors import UserError
from publisher.i18n import msg, register
from publisher.web.deps import Viewer, page, web
from publisher.web.render import render

register(
    {
        "web.users.title": ("Người dùng", "Users"),
        "web.users.col.name": ("Họ tên", "Name"),
        "web.users.col.role": ("Vai trò", "Role"),
        "web.users.col.unit": ("Đơn vị", "Unit"),
        "web.users.col.state": ("Trạng thái", "State"),
        "web.users.col.last": ("Đăng nhập gần nhất", "Last sign-in"),
        "web.users.col.actions": ("Thao tác", "Actions"),
        "web.users.active": ("đang dùng", "active"),
        "web.users.disabled": ("đã vô hiệu hóa", "disabled"),
        "web.users.no_password": ("chưa có mật khẩu", "no password yet"),
        "web.users.first_sign_in": ("chờ đăng nhập lần đầu", "waiting for the first sign-in"),
        "web.users.never": ("chưa đăng nhập", "never"),
        "web.users.you": ("(bạn)", "(you)"),
        "web.users.save": ("Lưu vai trò và đơn vị", "Save role and unit"),
        "web.users.more": ("Mật khẩu, vô hiệu hóa…", "Password, disable…"),
        "web.users.reset": ("Cấp mật khẩu dùng một lần mới", "Give a new one-time password"),
        "web.users.reset_note": (
            "Mật khẩu cũ hết hiệu lực và các phiên đăng nhập của người này kết thúc ngay.",
            "The old password stops working and this person's sessions end at once.",
        ),
        "web.users.disable": ("Vô hiệu hóa", "Disable"),
        "web.users.enable": ("Kích hoạt lại", "Enable again"),
        "web.users.add": ("Thêm người dùng", "Add a user"),
        "web.users.add_submit": ("Thêm và tạo mật khẩu dùng một lần", "Add and make a one-time password"),
        "web.users.unit_hint": (
            "Để trống: đơn vị mặc định. Cán bộ chỉ thấy bài và tài khoản của đơn vị mình; quản trị thấy tất cả.",
            "Empty: the default unit. People see only the posts and accounts of their unit; admins see all.",
        ),
        "web.users.one_time": (
            "Mật khẩu dùng một lần của {name}. Trang này chỉ hiện nó một lần: hãy chép lại và trao trực tiếp "
            "cho người đó. {name} phải đổi mật khẩu khi đăng nhập lần đầu.",
            "The one-time password of {name}. It is shown only on this page, this once: copy it and hand it "
            "over in person. {name} must change it at the first sign-in.",
        ),
        "web.users.added": ("Đã thêm {name}.", "Added {name}."),
        "web.users.updated": ("Đã lưu {name}.", "Saved {name}."),
        "web.users.unchanged": ("{name}: không có gì thay đổi.", "{name}: nothing changed."),
        "web.users.enabled": ("Đã kích hoạt lại {name}.", "{name} is enabled again."),
        "web.users.removed": (
            "Đã vô hiệu hóa {name}; các phiên đăng nhập của người này đã kết thúc.",
            "{name} is disabled; their sessions have ended.",
        ),
        "web.users.bad_action": ("Thao tác không hợp lệ.", "Unknown action."),
        "web.users.not_yourself": (
            "Không tự làm việc này cho chính mình ở đây (đổi mật khẩu của mình ở trang Đổi mật khẩu).",
            "You cannot do this to yourself here (change your own password on the Change password page).",
        ),
    }
)

router = APIRouter()

ACTIONS = ("add", "set", "reset", "disable", "enable")


def _page(request: Request, viewer: Viewer, status_code: int = 200, **context: Any) -> HTMLResponse:
    ctx = web(request)
    values = {"error": None, "error_for": None, "notice": None, "one_time": None, "form": {}} | context
    return render(
        request,
        "users.html",
        viewer,
        status_code=status_code,
        rows=user_rows(ctx.store),
        units=known_units(ctx.store),
        roles=[r.value for r in Role],
        default_unit=DEFAULT_UNIT,
        **values,
    )


@router.get("/users", name="users", response_class=HTMLResponse)
def users(request: Request, viewer: Annotated[Viewer, Depends(page("users"))]) -> Response:
    return _page(request, viewer)


@router.post("/users", name="users_submit", response_class=HTMLResponse)
def users_submit(
    request: Request,
    viewer: Annotated[Viewer, Depends(page("users_submit"))],
    action: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    unit: Annotated[str, Form()] = "",
) -> Response:
    ctx = web(request)
    store, settings, me = ctx.store, ctx.settings, viewer.user.name
    try:
        if action not in ACTIONS:
            raise UserError(msg("web.users.bad_action"))
        if action in ("reset", "disable") and name_key(name) == viewer.user.key:
            raise UserError(msg("web.users.not_yourself"))
        if action == "add":
            password = one_time_password()
            added = add_user(
                store,
                settings,
                name,
                role or None,
                unit or None,
                me,
                password=password,
                one_time=True,
                new_only=True,
            )
            return _page(
                request,
                viewer,
                notice=msg("web.users.added", name=added.user.name),
                one_time={"name": added.user.name, "password": password},
            )
        if action == "reset":
            user, password = reset_password(store, settings, name, by=me)
            return _page(request, viewer, one_time={"name": user.name, "password": password})
        if action == "disable":
            user, _ = remove_user(store, settings, name, by=me)
            return _page(request, viewer, notice=msg("web.users.removed", name=user.name))
        # set role and unit, or enable again (with the role and unit it had)
        added = update_user(store, settings, name, role or None, unit or DEFAULT_UNIT, by=me)
        return _page(request, viewer, notice=msg(f"web.users.{added.outcome}", name=added.user.name))
    except UserError as exc:
        form = {"name": name, "role": role, "unit": unit}
        where = action if action == "add" else name
        return _page(request, viewer, status_code=400, error=str(exc), error_for=where, form=form)


__all__ = ["router"]
