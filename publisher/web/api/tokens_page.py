"""``/tokens``: the signed-in user's personal API tokens: list, make one, revoke one.

A new token is shown once, in the answer to the form that made it; the database keeps only its
SHA-256 (:mod:`publisher.web.api.auth`). The list shows each token's name, when it was made and
last used, never the token. A user sees and revokes only their own tokens.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from publisher.errors import UserError
from publisher.i18n import msg, register
from publisher.store.api_tokens import ApiTokens
from publisher.web.api.auth import NAME_MAX, issue_token
from publisher.web.deps import Viewer, page, web
from publisher.web.render import render

register(
    {
        "web.tokens.title": ("Mã API", "API tokens"),
        "web.tokens.intro": (
            "Mã API cho phép một chương trình khác (của tỉnh, huyện…) dùng API JSON thay bạn, với đúng vai trò "
            "và đơn vị của bạn. Gửi mã trong tiêu đề “Authorization: Bearer <mã>”. Giữ mã như mật khẩu; "
            "thu hồi ngay mã không còn dùng hoặc có thể đã lộ.",
            "An API token lets another program (the province's, the district's…) use the JSON API for you, "
            "with your role and unit. Send it in the header “Authorization: Bearer <token>”. Keep it like a "
            "password; revoke at once a token no longer used or that may have leaked.",
        ),
        "web.tokens.docs": ("Tài liệu API", "API documentation"),
        "web.tokens.none": ("Bạn chưa có mã API nào.", "You have no API token."),
        "web.tokens.col.name": ("Tên", "Name"),
        "web.tokens.col.created": ("Tạo lúc", "Made"),
        "web.tokens.col.used": ("Dùng lần cuối", "Last used"),
        "web.tokens.col.actions": ("Thao tác", "Actions"),
        "web.tokens.never": ("chưa dùng", "never"),
        "web.tokens.revoke": ("Thu hồi", "Revoke"),
        "web.tokens.revoke_label": ("Thu hồi mã “{name}”", "Revoke the token “{name}”"),
        "web.tokens.new": ("Tạo mã mới", "Make a token"),
        "web.tokens.name": (
            "Tên (để nhớ mã dùng cho việc gì, ví dụ “Cổng thông tin tỉnh”)",
            "Name (what the token is for, e.g. “Province portal”)",
        ),
        "web.tokens.create": ("Tạo mã", "Make the token"),
        "web.tokens.shown_once": (
            "Mã API “{name}”. Trang này chỉ hiện mã một lần: hãy chép ngay vào chương trình sẽ dùng nó. "
            "Máy chủ không lưu mã này và không thể cho xem lại.",
            "The API token “{name}”. It is shown on this page only, this once: copy it now into the program "
            "that will use it. The server does not keep it and cannot show it again.",
        ),
        "web.tokens.revoked": (
            "Đã thu hồi mã “{name}”; mã này không dùng được nữa.",
            "The token “{name}” is revoked; it no longer works.",
        ),
        "web.tokens.unknown": (
            "Không tìm thấy mã này trong các mã đang dùng của bạn.",
            "This token is not one of your live tokens.",
        ),
        "web.tokens.bad_action": ("Thao tác không hợp lệ.", "Unknown action."),
    }
)

router = APIRouter()


def _page(request: Request, viewer: Viewer, status_code: int = 200, **context: Any) -> HTMLResponse:
    values: dict[str, Any] = {
        "error": None,
        "notice": None,
        "new_token": None,
        "name": "",
        "name_max": NAME_MAX,
    }
    values.update(context)
    tokens = ApiTokens(web(request).store.db).of_user(viewer.user.id)
    return render(request, "tokens.html", viewer, status_code=status_code, tokens=tokens, **values)


@router.get("/tokens", name="tokens", response_class=HTMLResponse)
def tokens(request: Request, viewer: Annotated[Viewer, Depends(page("tokens"))]) -> Response:
    return _page(request, viewer)


@router.post("/tokens", name="tokens_submit", response_class=HTMLResponse)
def tokens_submit(
    request: Request,
    viewer: Annotated[Viewer, Depends(page("tokens_submit"))],
    action: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    token_id: Annotated[str, Form()] = "",
) -> Response:
    """``action=create`` with a ``name`` (the token is in this answer only), or ``action=revoke``
    with the ``token_id`` of one of the user's own tokens."""
    ctx = web(request)
    try:
        if action == "create":
            token, row = issue_token(ctx.store, viewer.user, name)
            return _page(request, viewer, new_token={"name": row.name, "token": token})
        if action == "revoke":
            number = int(token_id) if token_id.isascii() and token_id.isdigit() and len(token_id) < 10 else 0
            revoked = ApiTokens(ctx.store.db).revoke(viewer.user, number)
            if revoked is None:
                return _page(request, viewer, status_code=404, error=str(msg("web.tokens.unknown")))
            return _page(request, viewer, notice=str(msg("web.tokens.revoked", name=revoked.name)))
        raise UserError(msg("web.tokens.bad_action"))
    except UserError as exc:
        return _page(request, viewer, status_code=400, error=str(exc), name=name[: NAME_MAX * 2])


__all__ = ["router"]
