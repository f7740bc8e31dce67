"""``/pause``: the emergency stop with a reason, and resuming; what the pause holds.

Everyone may look; only an approver or an admin may pause or resume (the permission table), through
the same use cases as ``publisher pause`` and ``publisher resume``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from publisher.actions.pause import REASON_MAX, pause_publishing, resume_publishing
from publisher.errors import UserError
from publisher.i18n import local_time, register, t
from publisher.store.webposts import WebPosts
from publisher.web.deps import Viewer, page, web
from publisher.web.render import render

register(
    {
        "web.pause.title": ("Tạm dừng đăng bài", "Pause publishing"),
        "web.pause.banner": (
            "ĐANG TẠM DỪNG mọi lượt đăng (từ {at}, bởi {by}). Lý do: {reason}",
            "PUBLISHING IS PAUSED (since {at}, by {by}). Reason: {reason}",
        ),
        "web.pause.running": ("Việc đăng bài đang chạy bình thường.", "Publishing runs normally."),
        "web.pause.scope": (
            "Tạm dừng áp dụng cho mọi đơn vị trên máy chủ này: mọi lượt đăng chưa bắt đầu bị giữ lại.",
            "A pause applies to every unit on this server: every delivery not yet started is held.",
        ),
        "web.pause.reason": ("Lý do tạm dừng", "Why publishing is paused"),
        "web.pause.reason_hint": (
            "Ví dụ: quốc tang, thiên tai. Người khác sẽ thấy lý do này.",
            "For example: national mourning, a disaster. Everyone will see this reason.",
        ),
        "web.pause.submit": ("Tạm dừng mọi lượt đăng", "Pause every delivery"),
        "web.pause.resume": ("Tiếp tục đăng", "Resume publishing"),
        "web.pause.only_approvers": (
            "Chỉ người duyệt hoặc quản trị mới tạm dừng hoặc tiếp tục được.",
            "Only an approver or an admin may pause or resume.",
        ),
        "web.pause.held": ("Đang bị giữ ({n} lượt đăng)", "Held ({n} deliveries)"),
        "web.pause.would_hold": (
            "Tạm dừng lúc này sẽ giữ {n} lượt đăng",
            "A pause now would hold {n} deliveries",
        ),
        "web.pause.nothing": ("Không có lượt đăng nào.", "No deliveries."),
        "web.pause.more": ("… và {n} lượt đăng nữa.", "… and {n} more."),
        "web.pause.col.due": ("Giờ đăng", "Due"),
        "web.pause.col.post": ("Bài", "Post"),
        "web.pause.col.target": ("Nơi đăng", "Target"),
        "web.pause.col.state": ("Trạng thái", "State"),
        "web.pause.col.deadline": ("Hạn đăng muộn", "Latest time"),
        "web.pause.before": ("trước đó: {state}", "was: {state}"),
        "web.pause.done.paused": ("Đã tạm dừng; {n} lượt đăng bị giữ.", "Paused; {n} deliveries held."),
        "web.pause.done.resumed": (
            "Đã tiếp tục; {n} lượt đăng được giải phóng.",
            "Resumed; {n} deliveries released.",
        ),
        "web.pause.late": (
            "Sẽ đăng muộn (vẫn trong thời gian cho phép):",
            "Will go out late (within the grace window):",
        ),
        "web.pause.too_late": ("Quá muộn, sẽ bị đánh dấu lỡ giờ:", "Too late, will be marked missed:"),
        "web.pause.bad_action": ("Yêu cầu không hợp lệ.", "Not a valid request."),
    }
)

router = APIRouter()

#: deliveries listed on the page (the count says how many more)
LISTED = 200


def pause_banner(request: Request) -> str | None:
    """The text of the pause banner while publishing is paused (None when it is not)."""
    info = web(request).store.pause_info()
    if not info:
        return None
    at = info.get("at")
    when = local_time(datetime.fromisoformat(at)) if isinstance(at, str) and at else ""
    return t("web.pause.banner", by=info.get("by", ""), at=when, reason=info.get("reason", ""))


def _page(request: Request, viewer: Viewer, status_code: int = 200, done: str = "", **extra: Any) -> Response:
    ctx = web(request)
    info = ctx.store.pause_info()
    repo = WebPosts(ctx.store.db)
    paused = info is not None
    rows = repo.pending(viewer.units, paused=paused, limit=LISTED)
    total = repo.count_pending(viewer.units, paused=paused)
    values: dict[str, Any] = dict(
        info=info,
        rows=rows,
        total=total,
        more=max(0, total - len(rows)),
        reason_max=REASON_MAX,
        error=None,
        reason="",
        notice=t("web.pause.done.paused", n=total) if done == "paused" and paused else None,
        report=None,
        paused=pause_banner(request),
    )
    values.update(extra)
    return render(request, "pause.html", viewer, status_code=status_code, **values)


@router.get("/pause", name="pause", response_class=HTMLResponse)
def pause(request: Request, viewer: Annotated[Viewer, Depends(page("pause"))], done: str = "") -> Response:
    return _page(request, viewer, done=done)


@router.post("/pause", name="pause_submit", response_class=HTMLResponse)
def pause_submit(
    request: Request,
    viewer: Annotated[Viewer, Depends(page("pause_submit"))],
    action: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    ctx = web(request)
    if action == "pause":
        try:
            pause_publishing(ctx.store, ctx.settings, reason, by=viewer.user.name)
        except UserError as exc:
            return _page(request, viewer, status_code=400, error=str(exc), reason=reason[:REASON_MAX])
        return RedirectResponse("/pause?done=paused", status_code=303)
    if action == "resume":
        repo = WebPosts(ctx.store.db)
        # the report lists only what this user may see (a pause covers every unit)
        visible = {int(r.id) for r in repo.pending(viewer.units, paused=True, limit=100_000)}
        report = resume_publishing(ctx.store, ctx.settings, by=viewer.user.name)
        shown = {
            "late": [h for h in report.late if int(h["id"]) in visible],
            "too_late": [h for h in report.too_late if int(h["id"]) in visible],
        }
        notice = t("web.pause.done.resumed", n=sum(int(h["id"]) in visible for h in report.held))
        return _page(request, viewer, notice=notice, report=shown)
    return _page(request, viewer, status_code=400, error=t("web.pause.bad_action"))


__all__ = ["pause_banner", "router"]
