"""``/posts/{key}``: one post, its deliveries, attempts and trail, and what a user may do with it.

Every action is a form (POST, CSRF-checked) over the use case the CLI calls: approve
(``approve_posts``: the four-eyes rule), reject with a comment, cancel and retry; the signed-in
user is the actor recorded in the audit trail. A post of another unit is a 404. Photos are served
by their place in the post's own list (never by a path a request names), re-encoded as images.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from PIL import Image, ImageOps, UnidentifiedImageError

from publisher.actions.approve import approve_posts
from publisher.actions.cancel import cancel_deliveries
from publisher.actions.reject import COMMENT_MAX, reject_post
from publisher.actions.retry import retry_deliveries
from publisher.core.models import POST_ID_RE
from publisher.core.states import State, label
from publisher.errors import ApprovalRefused, UserError
from publisher.i18n import register, t
from publisher.store.deliveries import RETRYABLE
from publisher.store.webposts import PostView, WebPosts
from publisher.web.deps import Viewer, page, web
from publisher.web.render import render
from publisher.web.routes.approvals import facts_by_key, since_approval
from publisher.web.routes.pause import pause_banner

register(
    {
        "web.post.title": ("Bài {key}", "Post {key}"),
        "web.post.due": ("Giờ đăng", "Due"),
        "web.post.unit": ("Đơn vị", "Unit"),
        "web.post.queued_by": ("Người soạn", "Queued by"),
        "web.post.approved_by": ("Người duyệt", "Approved by"),
        "web.post.not_approved": ("chưa duyệt", "not approved"),
        "web.post.campaign": ("Chiến dịch", "Campaign"),
        "web.post.link": ("Liên kết", "Link"),
        "web.post.text": ("Nội dung", "Text"),
        "web.post.media": ("Ảnh và video", "Photos and video"),
        "web.post.photo": ("Ảnh {n}: {name}", "Photo {n}: {name}"),
        "web.post.video": ("Video: {name}", "Video: {name}"),
        "web.post.deliveries": ("Nơi đăng", "Targets"),
        "web.post.col.target": ("Nơi đăng", "Target"),
        "web.post.col.state": ("Trạng thái", "State"),
        "web.post.col.due": ("Giờ", "Time"),
        "web.post.col.link": ("Bài trên nền tảng", "On the platform"),
        "web.post.col.attempts": ("Các lần gửi", "Attempts"),
        "web.post.col.when": ("Lúc", "When"),
        "web.post.col.who": ("Ai", "Who"),
        "web.post.col.what": ("Việc", "What"),
        "web.post.col.detail": ("Chi tiết", "Detail"),
        "web.post.open_link": ("Mở bài đã đăng", "Open the live post"),
        "web.post.no_attempts": ("Chưa gửi lần nào.", "Not sent yet."),
        "web.post.attempt": ("{kind} {n}", "{kind} {n}"),
        "web.post.cancel_requested": (
            "Đã yêu cầu hủy ({by}); đang kiểm tra trên nền tảng.",
            "Cancel requested ({by}); being checked on the platform.",
        ),
        "web.post.audit": ("Nhật ký", "Audit trail"),
        "web.post.actions": ("Thao tác", "Actions"),
        "web.post.approve": ("Duyệt bài", "Approve"),
        "web.post.reject": ("Trả lại bài", "Send back"),
        "web.post.reject_comment": ("Lý do trả lại (bắt buộc)", "Why it is sent back (required)"),
        "web.post.cancel": ("Hủy bài (mọi nơi đăng)", "Cancel (every target)"),
        "web.post.cancel_one": ("Hủy", "Cancel"),
        "web.post.retry": ("Đăng lại", "Retry"),
        "web.post.edit": ("Sửa bài", "Edit"),
        "web.post.refused": ("Không duyệt được:", "Not approved:"),
        "web.post.rejected_note": (
            "Bài bị trả lại ngày {at} bởi {by}: “{comment}”. Sửa bài để gửi duyệt lại.",
            "Sent back on {at} by {by}: “{comment}”. Edit the post to send it for approval again.",
        ),
        "web.post.preview": ("Xem trước trên từng nền tảng", "Preview on each platform"),
        "web.post.bad_target": ("Nơi đăng này không thuộc bài.", "This target is not one of the post's."),
        "web.post.kind.publish": ("Lần gửi", "Send"),
        "web.post.kind.poll": ("Theo dõi", "Follow-up"),
        "web.post.kind.reconcile": ("Đối soát", "Look-up"),
        "web.post.act.queued": ("xếp lịch", "queued"),
        "web.post.act.edited": ("sửa bài", "edited"),
        "web.post.act.approved": ("duyệt", "approved"),
        "web.post.act.rejected": ("trả lại", "sent back"),
        "web.post.act.cancelled": ("hủy", "cancelled"),
        "web.post.act.cancel_requested": ("yêu cầu hủy", "cancel requested"),
        "web.post.act.retry": ("đăng lại", "retry"),
        "web.post.act.target_added": ("thêm nơi đăng", "target added"),
        "web.post.act.target_removed": ("bỏ nơi đăng", "target removed"),
        "web.post.act.state": ("chuyển sang “{state}”", "moved to “{state}”"),
        "web.post.done.approved": ("Đã duyệt bài.", "Approved."),
        "web.post.done.rejected": ("Đã trả lại bài cho người soạn.", "Sent back to its author."),
        "web.post.done.cancelled": ("Đã hủy.", "Cancelled."),
        "web.post.done.cancel_requested": (
            "Đã ghi yêu cầu hủy: chưa rõ bài đã lên nền tảng hay chưa, đang kiểm tra.",
            "Cancel requested: not yet known whether the post reached the platform; being checked.",
        ),
        "web.post.done.cancel_sending": (
            "Có lượt đang được gửi nên chưa hủy được; thử lại sau ít phút.",
            "A delivery is being sent and cannot be cancelled now; try again in a few minutes.",
        ),
        "web.post.done.cancel_held": (
            "Nền tảng đang giữ bài hẹn giờ; hãy xóa bài hẹn giờ trên nền tảng.",
            "The platform holds the post scheduled; delete the scheduled post there.",
        ),
        "web.post.done.cancel_none": ("Không còn gì để hủy.", "Nothing left to cancel."),
        "web.post.done.retried": ("Sẽ gửi lại ngay.", "Will be sent again now."),
        "web.post.done.retry_approval": (
            "Đã đưa lại vào hàng chờ duyệt (nội dung chưa được duyệt).",
            "Back in the approval queue (its content is not approved).",
        ),
        "web.post.done.retry_held": (
            "Nền tảng yêu cầu chờ; bài sẽ tự gửi khi hết thời gian chờ.",
            "The platform asked us to wait; the post goes out by itself after the wait.",
        ),
        "web.post.done.retry_reauth": (
            "Tài khoản cần đăng nhập lại trước (trang Tài khoản); xong, bài tự được đăng.",
            "The account must be reconnected first (Accounts page); then the post goes out by itself.",
        ),
        "web.post.done.retry_disabled": ("Tài khoản đã bị gỡ.", "The account was removed."),
        "web.post.done.retry_none": ("Không có lượt nào để đăng lại.", "Nothing to retry."),
        "web.post.done.retry_pace": (
            "Không đọc được bộ giới hạn tốc độ; bài có thể phải chờ theo nhịp gửi của tài khoản.",
            "Could not reach the rate limiter; the send may still wait for the account's pace.",
        ),
    }
)

router = APIRouter()

#: ``?done=`` codes the post page explains (anything else is ignored)
DONE = frozenset(
    {
        "approved",
        "rejected",
        "cancelled",
        "cancel_requested",
        "cancel_sending",
        "cancel_held",
        "cancel_none",
        "retried",
        "retry_approval",
        "retry_held",
        "retry_reauth",
        "retry_disabled",
        "retry_none",
        "retry_pace",
    }
)
#: a cancel of these does nothing (no button is offered)
UNCANCELLABLE = frozenset({State.CANCELLED.value, State.PUBLISHED.value, State.PUBLISHING.value})
#: a photo served as a thumbnail, or larger (``?size=large``), in pixels
SIZES = {"thumb": 480, "large": 1600}
#: audit detail shown on the page (the rest stays in ``publisher show``)
SHOWN_DETAIL = ("comment", "reason", "source", "target_state", "target", "fields", "targets", "held_until")


def _view(request: Request, viewer: Viewer, key: str) -> PostView:
    """The post ``key`` if it exists and is of the viewer's units; else 404."""
    if not POST_ID_RE.match(key):
        raise HTTPException(status_code=404)
    view = WebPosts(web(request).store.db).post(key)
    if view is None:
        raise HTTPException(status_code=404)
    viewer.require_unit(view.unit)
    return view


def _waits(d: Any) -> bool:
    return d.state == State.AWAITING_APPROVAL.value or (
        d.state == State.PAUSED.value and d.state_before_pause == State.AWAITING_APPROVAL.value
    )


def _refs(view: PostView, target: str = "") -> list[str]:
    """Delivery references (``key:platform/name``, never a bare number) of the post, or of one target."""
    refs = [f"{view.post.key}:{d.platform}/{d.name}" for d in view.deliveries]
    if target:
        refs = [r for r in refs if r.split(":", 1)[1] == target]
        if not refs:
            raise UserError(t("web.post.bad_target"))
    return refs


def _detail(entry: Any) -> str:
    detail = entry.detail or {}
    parts = []
    for name in SHOWN_DETAIL:
        if name in detail and detail[name] not in (None, "", []):
            value = detail[name]
            parts.append(f"{name}: {', '.join(map(str, value)) if isinstance(value, list) else value}")
    return "; ".join(parts)


#: audit actions with a label of their own
ACTIONS = frozenset(
    {
        "queued",
        "edited",
        "approved",
        "rejected",
        "cancelled",
        "cancel_requested",
        "retry",
        "target_added",
        "target_removed",
    }
)
STATES = frozenset(st.value for st in State)


def _action(entry: Any) -> str:
    action = str(entry.action)
    if action in ACTIONS:
        return t(f"web.post.act.{action}")
    if action.startswith("state_") and action[6:] in STATES:
        return t("web.post.act.state", state=label(action[6:]))
    return action


def _rejection(view: PostView) -> Any:
    """The last rejection, while it is the latest turn of the post's approval story."""
    story = [a for a in view.audit if a.action in ("queued", "edited", "approved", "rejected")]
    return story[-1] if story and story[-1].action == "rejected" else None


def _page(request: Request, viewer: Viewer, view: PostView, status_code: int = 200, **extra: Any) -> Response:
    post = view.post
    waiting = [d for d in view.deliveries if _waits(d)]
    since = None
    if waiting:
        facts = facts_by_key(request, [f"{post.key}:{waiting[0].platform}/{waiting[0].name}"])
        since = since_approval(facts[post.key]) if post.key in facts else None
    values: dict[str, Any] = dict(
        post=post,
        deliveries=view.deliveries,
        attempts=view.attempts,
        audit=[(a, _action(a), _detail(a)) for a in view.audit],
        photos=[(i, Path(p).name) for i, p in enumerate(post.images or [])],
        video=Path(post.video).name if post.video else None,
        waiting=bool(waiting),
        since=since,
        rejection=_rejection(view),
        cancellable=[d.state not in UNCANCELLABLE for d in view.deliveries],
        retryable=[State(d.state) in RETRYABLE for d in view.deliveries],
        comment_max=COMMENT_MAX,
        done=[c for c in request.query_params.get("done", "").split(",") if c in DONE],
        error=None,
        problems=[],
        comment="",
        paused=pause_banner(request),
    )
    values.update(extra)
    return render(request, "post.html", viewer, status_code=status_code, **values)


def _back(key: str, codes: list[str], back: str = "") -> RedirectResponse:
    if back == "approvals" and codes and codes[0] in ("approved", "rejected"):
        return RedirectResponse(f"/approvals?done={codes[0]}&key={quote(key)}", status_code=303)
    return RedirectResponse(f"/posts/{quote(key)}?done={','.join(codes)}", status_code=303)


@router.get("/posts/{key}", name="post", response_class=HTMLResponse)
def post(request: Request, key: str, viewer: Annotated[Viewer, Depends(page("post"))]) -> Response:
    return _page(request, viewer, _view(request, viewer, key))


@router.get("/posts/{key}/media/{index}", name="post_media")
def post_media(
    request: Request,
    key: str,
    index: str,
    viewer: Annotated[Viewer, Depends(page("post_media"))],
    size: str = "thumb",
) -> Response:
    """Photo ``index`` of the post's own list, re-encoded (only an image ever leaves); else 404."""
    if not POST_ID_RE.match(key) or size not in SIZES or not (index.isascii() and index.isdigit()):
        raise HTTPException(status_code=404)
    found = WebPosts(web(request).store.db).media_of(key)
    if found is None:
        raise HTTPException(status_code=404)
    unit, images = found
    viewer.require_unit(unit)
    number = int(index) if len(index) <= 6 else len(images)
    if number >= len(images):
        raise HTTPException(status_code=404)
    path = Path(images[number])
    if not path.is_file():  # gone, or not a regular file (a device or a pipe is never opened)
        raise HTTPException(status_code=404)
    try:
        with Image.open(path) as img:
            img.draft("RGB", (SIZES[size], SIZES[size]))
            shown = ImageOps.exif_transpose(img).convert("RGB")
            shown.thumbnail((SIZES[size], SIZES[size]))
            out = io.BytesIO()
            shown.save(out, "JPEG", quality=82)
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
        raise HTTPException(status_code=404) from None
    return Response(out.getvalue(), media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})


@router.post("/posts/{key}/approve", name="post_approve", response_class=HTMLResponse)
def post_approve(
    request: Request,
    key: str,
    viewer: Annotated[Viewer, Depends(page("post_approve"))],
    back: Annotated[str, Form()] = "",
) -> Response:
    view = _view(request, viewer, key)
    ctx = web(request)
    try:
        result = approve_posts(ctx.store, ctx.settings, [key], by=viewer.user.name)
    except ApprovalRefused as exc:
        problems = [str(p) for p in exc.details.get("problems") or []]
        return _page(request, viewer, view, status_code=409, error=str(exc), problems=problems)
    except UserError as exc:
        return _page(request, viewer, view, status_code=400, error=str(exc))
    if result.skipped:  # edited meanwhile, or nothing waits any more: shown as it is now
        why = [w for _ref, w in result.skipped]
        fresh = _view(request, viewer, key)
        return _page(request, viewer, fresh, status_code=409, error=t("web.post.refused"), problems=why)
    return _back(key, ["approved"], back)


@router.post("/posts/{key}/reject", name="post_reject", response_class=HTMLResponse)
def post_reject(
    request: Request,
    key: str,
    viewer: Annotated[Viewer, Depends(page("post_reject"))],
    comment: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
) -> Response:
    view = _view(request, viewer, key)
    ctx = web(request)
    try:
        reject_post(ctx.store, ctx.settings, key, comment, by=viewer.user.name)
    except UserError as exc:
        return _page(request, viewer, view, status_code=400, error=str(exc), comment=comment[:COMMENT_MAX])
    return _back(key, ["rejected"], back)


@router.post("/posts/{key}/cancel", name="post_cancel", response_class=HTMLResponse)
def post_cancel(
    request: Request,
    key: str,
    viewer: Annotated[Viewer, Depends(page("post_cancel"))],
    target: Annotated[str, Form()] = "",
) -> Response:
    view = _view(request, viewer, key)
    ctx = web(request)
    try:
        result = cancel_deliveries(ctx.store, ctx.settings, _refs(view, target), by=viewer.user.name)
    except UserError as exc:
        return _page(request, viewer, view, status_code=400, error=str(exc))
    return _back(key, result.codes())


@router.post("/posts/{key}/retry", name="post_retry", response_class=HTMLResponse)
def post_retry(
    request: Request,
    key: str,
    viewer: Annotated[Viewer, Depends(page("post_retry"))],
    target: Annotated[str, Form()] = "",
) -> Response:
    view = _view(request, viewer, key)
    ctx = web(request)
    try:
        result = retry_deliveries(ctx.store, ctx.settings, _refs(view, target), by=viewer.user.name)
    except UserError as exc:
        return _page(request, viewer, view, status_code=400, error=str(exc))
    return _back(key, result.codes())


__all__ = ["router"]
