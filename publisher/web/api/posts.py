"""``/api/v1/posts``: list posts, read one (deliveries, attempts, trail, links), and act on it.

The actions are the post page's (and the CLI's) use cases: ``approve_posts`` (the four-eyes rule
and the blocking findings: refused with 409), ``reject_post`` (a comment is required: 422),
``cancel_deliveries`` and ``retry_deliveries``; the caller is the actor in the audit trail. A post
of another unit is a 404, as on the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Query, Request

from publisher.actions.approve import approve_posts
from publisher.actions.cancel import cancel_deliveries
from publisher.actions.reject import clean_comment, reject_post
from publisher.actions.retry import retry_deliveries
from publisher.core.models import POST_ID_RE
from publisher.errors import ApprovalRefused, UserError
from publisher.i18n import msg, register
from publisher.store.apiviews import ApiViews, Filters, PostLine
from publisher.store.webposts import PostView, WebPosts
from publisher.web.api import models as m
from publisher.web.api.auth import api_page
from publisher.web.api.errors import ApiError, ApiRoute
from publisher.web.api.paging import Paging, next_link, paging, states, time_range, units_for
from publisher.web.deps import Viewer, web
from publisher.web.render import live_link

register(
    {
        "api.post.not_approved": (
            "Không duyệt được bài {key}: {why}",
            "Post {key} was not approved: {why}",
        ),
        "api.post.bad_target": (
            "“{target}” không phải nơi đăng của bài này.",
            "“{target}” is not one of this post's targets.",
        ),
    }
)

router = APIRouter(route_class=ApiRoute, tags=["posts"], responses=m.ERRORS)

#: audit detail returned with the trail (the rest stays in ``publisher show``), as on the post page
SHOWN_DETAIL = ("comment", "reason", "source", "target_state", "target", "fields", "targets", "held_until")


def post_path(key: str) -> str:
    return "/api/v1/posts/" + quote(key, safe="")


def page_path(key: str) -> str:
    return "/posts/" + quote(key, safe="")


def action_links(key: str) -> m.PostActionLinks:
    base = post_path(key)
    return m.PostActionLinks(
        self=base,
        page=page_path(key),
        approve=f"{base}/approve",
        reject=f"{base}/reject",
        cancel=f"{base}/cancel",
        retry=f"{base}/retry",
    )


def _url(request: Request, remote_url: str | None) -> str | None:
    return live_link(remote_url, web(request).settings.outbox_dir)


def _summary(request: Request, p: PostLine) -> m.PostSummary:
    return m.PostSummary(
        key=p.key,
        title=p.title,
        unit=p.unit,
        campaign=p.campaign,
        due_at=p.due_at,
        draft=p.draft,
        queued_by=p.queued_by,
        queued_at=p.queued_at,
        updated_at=p.updated_at,
        approved_by=p.approved_by,
        approved_at=p.approved_at,
        targets=[
            m.TargetState(
                delivery=t.id,
                target=f"{t.platform}/{t.name}",
                state=t.state,
                url=_url(request, t.remote_url),
                published_at=t.published_at,
            )
            for t in p.targets
        ],
        links=m.PostLinks(self=post_path(p.key), page=page_path(p.key)),
    )


@router.get(
    "/api/v1/posts",
    name="api_post",
    operation_id="list_posts",
    response_model=m.PostPage,
    summary="List posts",
)
def list_posts(
    request: Request,
    viewer: Annotated[Viewer, Depends(api_page("api_post"))],
    page: Annotated[Paging, Depends(paging)],
    state: Annotated[list[str] | None, Query(description="Posts with a delivery in this state")] = None,
    start: Annotated[str | None, Query(alias="from", description="Due from this day or time")] = None,
    end: Annotated[str | None, Query(alias="to", description="Due until this day (included) or time")] = None,
    campaign: Annotated[str | None, Query(max_length=200)] = None,
    unit: Annotated[str | None, Query(max_length=100)] = None,
) -> m.PostPage:
    """The posts of the caller's units, soonest due first, with each delivery's state."""
    first, last = time_range(start, end)
    filters = Filters(units_for(viewer, unit), states(state), first, last, campaign or None)
    rows = ApiViews(web(request).store.db).posts(filters, page.limit + 1, page.after, page.offset)
    shown = rows[: page.limit]
    tail = (shown[-1].due_at, shown[-1].id) if shown else None
    return m.PostPage(
        items=[_summary(request, p) for p in shown],
        limit=page.limit,
        next=next_link(request, page, len(rows) > page.limit, tail),
    )


def post_view(request: Request, viewer: Viewer, key: str) -> PostView:
    """The post ``key`` if it exists and is of the caller's units; else 404."""
    if not POST_ID_RE.match(key):
        raise ApiError(404)
    view = WebPosts(web(request).store.db).post(key)
    if view is None or not viewer.sees(view.unit):
        raise ApiError(404)
    return view


def _detail(entry: Any) -> dict[str, Any]:
    detail = entry.detail or {}
    return {k: detail[k] for k in SHOWN_DETAIL if k in detail and detail[k] not in (None, "", [])}


@router.get(
    "/api/v1/posts/{key}",
    name="api_post",
    operation_id="get_post",
    response_model=m.PostDetail,
    summary="One post",
)
def get_post(
    request: Request, key: str, viewer: Annotated[Viewer, Depends(api_page("api_post"))]
) -> m.PostDetail:
    """The post with its deliveries, their attempts and live links, and its audit trail."""
    view = post_view(request, viewer, key)
    p = view.post
    deliveries = [
        m.DeliveryDetail(
            id=int(d.id),
            target=f"{d.platform}/{d.name}",
            platform=d.platform,
            account=d.name,
            account_label=d.display_name or d.name,
            account_status=d.account_status,
            state=d.state,
            due_at=d.due_at,
            deadline=d.deadline,
            published_at=d.published_at,
            url=_url(request, d.remote_url),
            remote_id=d.remote_id,
            last_code=d.last_code,
            last_reason=d.last_reason,
            cancel_requested_at=d.cancel_requested_at,
            cancel_requested_by=d.cancel_requested_by,
            attempts=[
                m.Attempt(
                    number=int(a.number),
                    kind=a.kind,
                    started_at=a.started_at,
                    finished_at=a.finished_at,
                    outcome=a.outcome,
                    code=a.code,
                    reason=a.reason,
                )
                for a in view.attempts.get(int(d.id), [])
            ],
        )
        for d in view.deliveries
    ]
    return m.PostDetail(
        key=p.key,
        title=p.title,
        text=p.text,
        link=p.link,
        campaign=p.campaign,
        unit=view.unit,
        due_at=p.due_at,
        timezone=p.timezone,
        grace_hours=p.grace_seconds / 3600,
        draft=bool(p.draft),
        queued_by=p.queued_by,
        queued_at=p.queued_at,
        updated_at=p.updated_at,
        approved_by=p.approved_by,
        approved_at=p.approved_at,
        photos=[Path(i).name for i in p.images or []],
        video=Path(p.video).name if p.video else None,
        deliveries=deliveries,
        trail=[m.TrailEntry(at=a.at, actor=a.actor, action=a.action, detail=_detail(a)) for a in view.audit],
        links=action_links(p.key),
    )


@router.post(
    "/api/v1/posts/{key}/approve",
    name="api_post_approve",
    operation_id="approve_post",
    response_model=m.ApproveResult,
    responses=m.REFUSED,
    summary="Approve a post",
)
def approve(
    request: Request, key: str, viewer: Annotated[Viewer, Depends(api_page("api_post_approve"))]
) -> m.ApproveResult:
    """Approve the post as it is now, as the caller (``publisher approve``). Refused (409) by the
    four-eyes rule, a blocking finding of the review, a missing file, or a draft."""
    post_view(request, viewer, key)
    ctx = web(request)
    try:
        result = approve_posts(ctx.store, ctx.settings, [key], by=viewer.user.name)
    except ApprovalRefused as exc:
        raise ApiError.from_error(409, "approval_refused", exc) from None
    except UserError as exc:
        raise ApiError.from_error(409, "refused", exc) from None
    if result.skipped or not result.approved:
        why = "; ".join(w for _ref, w in result.skipped)
        raise ApiError(409, "not_approved", msg("api.post.not_approved", key=key, why=why or "-"))
    done = result.approved[0]
    return m.ApproveResult(
        key=done.key,
        approved_by=result.approver.name,
        targets=done.targets,
        content_hash=done.content_hash,
        first=done.first,
        previous_by=done.previous_by,
        previous_at=done.previous_at,
        changes=[m.Change(field=c.field, kind=c.kind, before=c.before, after=c.after) for c in done.changes],
    )


@router.post(
    "/api/v1/posts/{key}/reject",
    name="api_post_reject",
    operation_id="reject_post",
    response_model=m.RejectResult,
    responses=m.REFUSED,
    summary="Send a post back to its author",
)
def reject(
    request: Request,
    key: str,
    body: m.RejectRequest,
    viewer: Annotated[Viewer, Depends(api_page("api_post_reject"))],
) -> m.RejectResult:
    """Send the post back to draft with a comment (required) saying what to change."""
    post_view(request, viewer, key)
    try:
        comment = clean_comment(body.comment)
    except UserError as exc:
        raise ApiError.from_error(422, "validation", exc) from None
    ctx = web(request)
    try:
        reject_post(ctx.store, ctx.settings, key, comment, by=viewer.user.name)
    except UserError as exc:
        raise ApiError.from_error(409, "refused", exc) from None
    return m.RejectResult(key=key, rejected_by=viewer.user.name, comment=comment)


def _refs(view: PostView, target: str | None) -> list[str]:
    """Delivery references (``key:platform/name``) of the post, or of its one ``target``."""
    refs = [f"{view.post.key}:{d.platform}/{d.name}" for d in view.deliveries]
    if target:
        refs = [r for r in refs if r.split(":", 1)[1] == target.strip()]
        if not refs:
            raise ApiError(422, "validation", msg("api.post.bad_target", target=target[:100]))
    return refs


def _pairs(items: list[tuple[str, str]]) -> list[m.RefState]:
    return [m.RefState(ref=ref, state=state) for ref, state in items]


Target = Annotated[m.TargetRequest | None, Body()]


@router.post(
    "/api/v1/posts/{key}/cancel",
    name="api_post_cancel",
    operation_id="cancel_post",
    response_model=m.ActionResult,
    summary="Cancel a post (or one delivery)",
)
def cancel(
    request: Request,
    key: str,
    viewer: Annotated[Viewer, Depends(api_page("api_post_cancel"))],
    body: Target = None,
) -> m.ActionResult:
    """``publisher cancel``: what has not started is cancelled; what may be on the platform gets a
    cancel request, checked by the next look-up."""
    view = post_view(request, viewer, key)
    ctx = web(request)
    try:
        result = cancel_deliveries(
            ctx.store, ctx.settings, _refs(view, body.target if body else None), by=viewer.user.name
        )
    except UserError as exc:
        raise ApiError.from_error(409, "refused", exc) from None
    return m.ActionResult(
        key=key,
        codes=result.codes(),
        done=_pairs(result.done),
        pending=_pairs(result.pending),
        skipped=_pairs(result.skipped),
    )


@router.post(
    "/api/v1/posts/{key}/retry",
    name="api_post_retry",
    operation_id="retry_post",
    response_model=m.ActionResult,
    summary="Send a post (or one delivery) again now",
)
def retry(
    request: Request,
    key: str,
    viewer: Annotated[Viewer, Depends(api_page("api_post_retry"))],
    body: Target = None,
) -> m.ActionResult:
    """``publisher retry``: what failed, was missed, cancelled or waits for a retry goes again now."""
    view = post_view(request, viewer, key)
    ctx = web(request)
    refs = _refs(view, body.target if body else None)
    try:
        result = retry_deliveries(ctx.store, ctx.settings, refs, by=viewer.user.name)
    except UserError as exc:
        raise ApiError.from_error(409, "refused", exc) from None
    report = result.report
    return m.ActionResult(
        key=key,
        codes=result.codes(),
        done=_pairs(report.done),
        pending=_pairs(report.pending),
        skipped=_pairs(report.skipped),
    )


__all__ = ["action_links", "page_path", "post_path", "post_view", "router"]
