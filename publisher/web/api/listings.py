"""``/api/v1/deliveries``, ``/api/v1/accounts``, ``/api/v1/approvals`` and ``/api/v1/me``.

The deliveries are the dashboard's and the calendar's rows, filtered and paged; the accounts'
health is the Accounts page's (:func:`publisher.actions.connect_web.health`: never a token); the
approvals are the approver's queue, oldest first, with what happened since the last approval.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from publisher.actions.connect_web import Actor, health
from publisher.core.people import DEFAULT_UNIT
from publisher.store.apiviews import ApiViews, DeliveryRow, Filters
from publisher.store.webposts import Waiting, WebPosts
from publisher.web.api import models as m
from publisher.web.api.auth import TOKEN_SESSION, api_page
from publisher.web.api.errors import ApiRoute
from publisher.web.api.paging import Paging, next_link, paging, states, time_range, units_for
from publisher.web.api.posts import action_links, page_path, post_path
from publisher.web.deps import Viewer, web
from publisher.web.render import live_link

router = APIRouter(route_class=ApiRoute, responses=m.ERRORS)


def _delivery(request: Request, r: DeliveryRow) -> m.DeliveryItem:
    return m.DeliveryItem(
        id=r.id,
        post=r.post_key,
        title=r.title,
        unit=r.unit,
        campaign=r.campaign,
        target=f"{r.platform}/{r.account}",
        platform=r.platform,
        account=r.account,
        account_label=r.account_label,
        state=r.state,
        due_at=r.due_at,
        deadline=r.deadline,
        published_at=r.published_at,
        url=live_link(r.remote_url, web(request).settings.outbox_dir),
        remote_id=r.remote_id,
        attempts=r.attempts,
        last_code=r.last_code,
        last_reason=r.last_reason,
        cancel_requested_at=r.cancel_requested_at,
        updated_at=r.updated_at,
        links=m.DeliveryLinks(post=post_path(r.post_key), page=page_path(r.post_key)),
    )


@router.get(
    "/api/v1/deliveries",
    name="api_dashboard",
    operation_id="list_deliveries",
    response_model=m.DeliveryPage,
    tags=["deliveries"],
    summary="List deliveries",
)
def list_deliveries(
    request: Request,
    viewer: Annotated[Viewer, Depends(api_page("api_dashboard"))],
    page: Annotated[Paging, Depends(paging)],
    state: Annotated[list[str] | None, Query(description="Delivery state(s)")] = None,
    start: Annotated[str | None, Query(alias="from", description="Due from this day or time")] = None,
    end: Annotated[str | None, Query(alias="to", description="Due until this day (included) or time")] = None,
    campaign: Annotated[str | None, Query(max_length=200)] = None,
    unit: Annotated[str | None, Query(max_length=100)] = None,
    platform: Annotated[str | None, Query(max_length=16)] = None,
    account: Annotated[str | None, Query(max_length=64, description="The account's name")] = None,
    post: Annotated[str | None, Query(max_length=100, description="The post's key")] = None,
) -> m.DeliveryPage:
    """Each delivery (one post on one account) of the caller's units, soonest due first."""
    first, last = time_range(start, end)
    filters = Filters(
        units_for(viewer, unit),
        states(state),
        first,
        last,
        campaign or None,
        platform=platform or None,
        account=account or None,
        post=post or None,
    )
    rows = ApiViews(web(request).store.db).deliveries(filters, page.limit + 1, page.after, page.offset)
    shown = rows[: page.limit]
    tail = (shown[-1].due_at, shown[-1].id) if shown else None
    return m.DeliveryPage(
        items=[_delivery(request, r) for r in shown],
        limit=page.limit,
        next=next_link(request, page, len(rows) > page.limit, tail),
    )


@router.get(
    "/api/v1/accounts",
    name="api_accounts",
    operation_id="list_accounts",
    response_model=m.AccountList,
    tags=["accounts"],
    summary="Accounts' health",
)
def list_accounts(
    request: Request, viewer: Annotated[Viewer, Depends(api_page("api_accounts"))]
) -> m.AccountList:
    """The accounts of the caller's units: status, days left on the tokens, the last success."""
    actor = Actor(viewer.user.name, viewer.session.id, viewer.units)
    items = health(web(request).store, actor)
    return m.AccountList(
        items=[
            m.AccountHealth(
                id=a.id,
                target=a.target,
                platform=a.platform,
                name=a.name,
                display_name=a.display_name,
                unit=a.unit,
                status=a.status,
                status_reason=a.status_reason,
                connected=a.connected,
                token_expires_at=a.token_expires_at,
                token_days=a.token_days,
                renews_itself=a.renews_itself,
                refresh_expires_at=a.refresh_expires_at,
                refresh_days=a.refresh_days,
                last_success_at=a.last_success_at,
                last_success_url=live_link(a.last_success_url, web(request).settings.outbox_dir),
                last_success_post=a.last_success_post,
            )
            for a in items
        ]
    )


def _approval(w: Waiting) -> m.ApprovalItem:
    p = w.post
    approvals = [i for i, e in enumerate(w.story) if e.action == "approved"]
    after = approvals[-1] + 1 if approvals else 0
    last = w.story[approvals[-1]] if approvals else None
    rejected = [e for e in w.story if e.action == "rejected"]

    def fields(e: Any) -> list[str]:
        value = (e.detail or {}).get("fields") or []
        return [str(f) for f in value] if isinstance(value, list) else [str(value)]

    return m.ApprovalItem(
        key=p.key,
        title=p.title,
        unit=p.unit or DEFAULT_UNIT,
        due_at=p.due_at,
        queued_by=p.queued_by,
        waiting_since=p.updated_at,
        targets=list(w.targets),
        previous_approval=m.Approval(by=last.actor, at=last.at) if last is not None else None,
        edits_since=[
            m.Edit(by=e.actor, at=e.at, fields=fields(e)) for e in w.story[after:] if e.action == "edited"
        ],
        last_rejection=(
            m.Rejection(
                by=rejected[-1].actor, at=rejected[-1].at, comment=(rejected[-1].detail or {}).get("comment")
            )
            if rejected
            else None
        ),
        links=action_links(p.key),
    )


@router.get(
    "/api/v1/approvals",
    name="api_approvals",
    operation_id="list_approvals",
    response_model=m.ApprovalPage,
    tags=["approvals"],
    summary="Posts awaiting approval",
)
def list_approvals(
    request: Request,
    viewer: Annotated[Viewer, Depends(api_page("api_approvals"))],
    page: Annotated[Paging, Depends(paging)],
    unit: Annotated[str | None, Query(max_length=100)] = None,
) -> m.ApprovalPage:
    """The approver's queue, waiting longest first. Approve or reject with the post's links."""
    queue = WebPosts(web(request).store.db).awaiting_approval(units_for(viewer, unit))
    if page.after is not None:
        after = page.after
        queue = [w for w in queue if (w.post.updated_at, int(w.post.id)) > after]
    else:
        queue = queue[page.offset :]
    shown = queue[: page.limit]
    tail = (shown[-1].post.updated_at, int(shown[-1].post.id)) if shown else None
    return m.ApprovalPage(
        items=[_approval(w) for w in shown],
        limit=page.limit,
        next=next_link(request, page, len(queue) > page.limit, tail),
    )


@router.get(
    "/api/v1/me",
    name="api_tokens",
    operation_id="me",
    response_model=m.Me,
    tags=["tokens"],
    summary="Who the credentials act as",
)
def me(viewer: Annotated[Viewer, Depends(api_page("api_tokens"))]) -> m.Me:
    """The user a token (or the session) acts as: name, role, unit and the units it sees."""
    units = viewer.units
    return m.Me(
        name=viewer.user.name,
        role=viewer.role.value,
        unit=viewer.user.unit or DEFAULT_UNIT,
        units=sorted(units) if units is not None else None,
        via="token" if viewer.session.id.startswith(TOKEN_SESSION) else "session",
    )


__all__ = ["router"]
