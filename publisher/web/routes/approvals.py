"""``/approvals``: the approver's queue, oldest first, with what changed since a previous approval.

Approving and rejecting are the post page's forms (:mod:`publisher.web.routes.posts`): the same
use cases as ``publisher approve``, so the four-eyes rule is enforced on the server in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from publisher.actions.reject import COMMENT_MAX
from publisher.core.approval import TrailEntry, changes, snapshot
from publisher.core.models import POST_ID_RE
from publisher.i18n import local_time, register, t
from publisher.store.approval import ApprovalFacts
from publisher.store.webposts import WebPosts
from publisher.web.deps import Viewer, page, web
from publisher.web.render import render
from publisher.web.routes.pause import pause_banner

register(
    {
        "web.approvals.title": ("Bài chờ duyệt", "Awaiting approval"),
        "web.approvals.intro": (
            "Bài chờ lâu nhất ở trên cùng. Người đã xếp lịch hoặc sửa nội dung bài không tự duyệt được.",
            "The post waiting longest is first. Whoever queued or edited a post cannot approve it alone.",
        ),
        "web.approvals.empty": ("Không có bài nào chờ duyệt.", "Nothing awaits approval."),
        "web.approvals.waiting_since": ("Chờ từ", "Waiting since"),
        "web.approvals.due": ("Giờ đăng", "Due"),
        "web.approvals.queued_by": ("Người soạn", "Queued by"),
        "web.approvals.targets": ("Nơi đăng", "Targets"),
        "web.approvals.unit": ("Đơn vị", "Unit"),
        "web.approvals.open": ("Xem bài", "Open the post"),
        "web.approvals.first": ("Duyệt lần đầu.", "First approval."),
        "web.approvals.changed": (
            "Đã thay đổi từ lần duyệt ngày {at} của {by}:",
            "Changed since the approval on {at} by {by}:",
        ),
        "web.approvals.same": (
            "Nội dung chữ không đổi từ lần duyệt ngày {at} của {by}.",
            "The words did not change since the approval on {at} by {by}.",
        ),
        "web.approvals.unrecorded": (
            "Lần duyệt ngày {at} của {by} không lưu nội dung (phiên bản cũ): không so sánh được.",
            "The approval on {at} by {by} kept no record of the content (older version): nothing to compare.",
        ),
        "web.approvals.edit": ("{at}: {by} sửa {fields}", "{at}: {by} edited {fields}"),
        "web.approvals.rejected_before": (
            "Đã bị trả lại ngày {at} bởi {by}: “{comment}”",
            "Sent back on {at} by {by}: “{comment}”",
        ),
        "web.approvals.field": ("{field}: “{before}” → “{after}”", "{field}: “{before}” → “{after}”"),
        "web.approvals.text": ("Nội dung (text):", "Text:"),
        "web.approvals.targets_added": ("thêm nơi đăng: {value}", "target added: {value}"),
        "web.approvals.targets_removed": ("bỏ nơi đăng: {value}", "target removed: {value}"),
        "web.approvals.done.approved": ("Đã duyệt bài {key}.", "Approved {key}."),
        "web.approvals.done.rejected": ("Đã trả lại bài {key}.", "Sent {key} back."),
    }
)

router = APIRouter()


@dataclass(frozen=True)
class SinceApproval:
    """What changed in a post since its previous approval (None when it was never approved)."""

    by: str
    at: datetime | None
    recorded: bool  # False: the approval kept no copy of the content (an older version made it)
    lines: list[dict[str, Any]] = field(default_factory=list)  # title/text/… differences, for display
    edits: list[TrailEntry] = field(default_factory=list)  # who edited what since, oldest first


def since_approval(facts: ApprovalFacts) -> SinceApproval | None:
    """The differences an approver is shown before approving again (as ``publisher approve`` prints).

    The bytes of photos and clips are not hashed here (a page must stay fast): the edits recorded
    since the approval say which fields changed, ``media`` included.
    """
    last = facts.last_approval or {}
    approvals = [i for i, e in enumerate(facts.trail) if e.action == "approved"]
    by = last.get("by") or (facts.trail[approvals[-1]].actor if approvals else None)
    if by is None:
        return None
    at_text = last.get("at")
    at = datetime.fromisoformat(at_text) if at_text else facts.trail[approvals[-1]].at if approvals else None
    after = approvals[-1] + 1 if approvals else 0
    edits = [e for e in facts.trail[after:] if e.action == "edited"]
    snap = last.get("snapshot")
    if not isinstance(snap, dict):
        return SinceApproval(by, at, recorded=False, edits=edits)
    digests = {Path(p): d for p, d in (snap.get("media") or {}).items()}
    lines: list[dict[str, Any]] = []
    for c in changes(snap, snapshot(facts.spec, digests)):
        if c.field == "file":  # not hashed here; see the edits
            continue
        if c.field == "text":
            lines.append({"text": True, "lines": list(c.lines)})
        elif c.field == "targets":
            key = "web.approvals.targets_added" if c.kind == "added" else "web.approvals.targets_removed"
            lines.append({"line": t(key, value=c.after or c.before)})
        else:
            before, after_value = c.before or "—", c.after or "—"
            if c.field == "at":
                before, after_value = (
                    local_time(datetime.fromisoformat(v)) if v != "—" else v for v in (before, after_value)
                )
            lines.append({"line": t("web.approvals.field", field=c.field, before=before, after=after_value)})
    return SinceApproval(by, at, recorded=True, lines=lines, edits=edits)


def facts_by_key(request: Request, refs: list[str]) -> dict[str, ApprovalFacts]:
    """The approval facts of the posts ``refs`` name (``key:platform/name``: never ambiguous)."""
    if not refs:
        return {}
    return {f.key: f for f in web(request).store.approval_facts(refs)}


@router.get("/approvals", name="approvals", response_class=HTMLResponse)
def approvals(
    request: Request, viewer: Annotated[Viewer, Depends(page("approvals"))], done: str = "", key: str = ""
) -> Response:
    queue = WebPosts(web(request).store.db).awaiting_approval(viewer.units)
    refs = [f"{w.post.key}:{w.targets[0]}" for w in queue if w.targets]
    facts = facts_by_key(request, refs)
    items = []
    for w in queue:
        f = facts.get(w.post.key)
        rejected = [e for e in w.story if e.action == "rejected"]
        items.append(
            {
                "post": w.post,
                "targets": w.targets,
                "since": since_approval(f) if f else None,
                "rejected": rejected[-1] if rejected else None,
            }
        )
    notice = None
    if done in ("approved", "rejected") and POST_ID_RE.match(key):
        notice = t(f"web.approvals.done.{done}", key=key)
    return render(
        request,
        "approvals.html",
        viewer,
        items=items,
        notice=notice,
        comment_max=COMMENT_MAX,
        paused=pause_banner(request),
    )


__all__ = ["SinceApproval", "facts_by_key", "router", "since_approval"]
