"""The dashboard (``/``): what goes out in the next days, recent results, what needs action.

Everything is limited to the viewer's units (an admin sees all). The lists come from one query
(:meth:`publisher.store.webviews.WebViews.dashboard`) with the states the CLI's ``status`` uses
(:mod:`publisher.actions.status`); accounts needing re-authorisation from a second, small one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from publisher.actions.alive import liveness
from publisher.actions.status import RECENT, UPCOMING
from publisher.core.models import Platform
from publisher.core.states import State, label
from publisher.i18n import display_zone, register, t
from publisher.store import Store
from publisher.store.heartbeats import Heartbeats
from publisher.store.webviews import DeliveryLine, WebViews
from publisher.web.deps import Viewer, page, web
from publisher.web.render import render

register(
    {
        "web.dashboard.title": ("Tổng quan", "Dashboard"),
        "web.dashboard.paused": (
            "Đang tạm dừng đăng bài từ {at} ({by}): {reason}",
            "Publishing is paused since {at} ({by}): {reason}",
        ),
        "web.dashboard.action": ("Cần xử lý", "Needs action"),
        "web.dashboard.action_none": ("Không có việc gì cần xử lý.", "Nothing needs your action."),
        "web.dashboard.more": ("… và {n} mục nữa.", "… and {n} more."),
        "web.dashboard.reauth": ("Tài khoản cần kết nối lại", "Accounts to connect again"),
        "web.dashboard.reconnect": ("Kết nối lại", "Connect again"),
        "web.dashboard.upcoming": ("{days} ngày tới", "Next {days} days"),
        "web.dashboard.upcoming_none": (
            "Không có bài nào sắp đăng trong {days} ngày tới.",
            "Nothing goes out in the next {days} days.",
        ),
        "web.dashboard.upcoming_more": (
            "Đang hiện {shown} trong {total} lượt đăng; xem đủ trong lịch tuần.",
            "Showing {shown} of {total} deliveries; see them all in the week calendar.",
        ),
        "web.dashboard.recent": ("Kết quả gần đây", "Recent results"),
        "web.dashboard.alive": ("Hệ thống", "System"),
        "web.dashboard.recent_none": (
            "Chưa có kết quả nào trong {days} ngày qua.",
            "No results in the last {days} days.",
        ),
        "web.dashboard.view_live": ("Xem bài đã đăng", "View the live post"),
        "web.dashboard.col.time": ("Giờ đăng", "Time"),
        "web.dashboard.col.post": ("Bài", "Post"),
        "web.dashboard.col.account": ("Tài khoản", "Account"),
        "web.dashboard.col.state": ("Trạng thái", "State"),
        "web.dashboard.col.unit": ("Đơn vị", "Unit"),
        "web.dashboard.col.link": ("Trên mạng", "Live"),
        "web.dashboard.platform.facebook": ("Facebook", "Facebook"),
        "web.dashboard.platform.youtube": ("YouTube", "YouTube"),
        "web.dashboard.platform.zalo": ("Zalo", "Zalo"),
        "web.dashboard.platform.sandbox": ("Thử nghiệm", "Sandbox"),
    }
)

router = APIRouter()

DAYS = 7
#: what the officer (or an approver) must look at, in the order the dashboard lists them
NEEDS_ACTION = (
    State.FAILED,
    State.MISSED,
    State.NEEDS_REAUTH,
    State.UNCONFIRMED,
    State.AWAITING_APPROVAL,
)


def pause_banner(store: Store) -> str | None:
    """The banner's text while publishing is paused (who, since when, why), else None."""
    info = store.pause_info()
    if not info:
        return None
    try:
        at: Any = datetime.fromisoformat(str(info.get("at")))
    except ValueError:
        at = info.get("at") or ""
    return t("web.dashboard.paused", at=at, by=info.get("by") or "", reason=info.get("reason") or "")


def live_url(line: DeliveryLine) -> str | None:
    """The platform's link to the post, only when it is a web address (never ``javascript:``)."""
    url = line.remote_url or ""
    return url if url.startswith(("https://", "http://")) else None


def platform_names() -> dict[str, str]:
    return {p.value: t(f"web.dashboard.platform.{p.value}") for p in Platform}


def state_labels() -> dict[str, str]:
    return {st.value: label(st) for st in State}


@router.get("/", name="dashboard", response_class=HTMLResponse)
def dashboard(request: Request, viewer: Annotated[Viewer, Depends(page("dashboard"))]) -> Response:
    store = web(request).store
    views = WebViews(store.db)
    now = datetime.now(UTC)
    rows = views.dashboard(
        now,
        viewer.units,
        upcoming=[st.value for st in UPCOMING],
        results=[st.value for st in RECENT],
        action=[st.value for st in NEEDS_ACTION],
        days=DAYS,
    )
    reauth = views.reauth_accounts(viewer.units)
    lines = rows.upcoming + rows.recent + [x for group in rows.action.values() for x in group]
    show_unit = viewer.units is None and len({x.unit for x in lines} | {a.unit for a in reauth}) > 1
    action = [
        (st.value, rows.action[st.value], rows.action_counts[st.value])
        for st in NEEDS_ACTION
        if st.value in rows.action
    ]
    iso = now.astimezone(display_zone()).isocalendar()
    return render(
        request,
        "dashboard.html",
        viewer,
        paused=pause_banner(store),
        days=DAYS,
        rows=rows,
        action=action,
        reauth=reauth,
        links={x.id: live_url(x) for x in rows.recent},
        week=f"{iso.year}-W{iso.week:02d}",
        show_unit=show_unit,
        platforms=platform_names(),
        states=state_labels(),
        alive=liveness(Heartbeats(store.db), now),
    )


__all__ = ["NEEDS_ACTION", "live_url", "pause_banner", "platform_names", "router", "state_labels"]
