"""The routers of the web app, one module per page or topic."""

from __future__ import annotations

from fastapi import APIRouter

from publisher.web.routes import accounts, approvals, calendar, dashboard, login, outbox, pause, posts, users

ROUTERS: list[APIRouter] = [
    login.router,
    dashboard.router,
    calendar.router,
    posts.router,
    approvals.router,
    pause.router,
    accounts.router,
    users.router,
    outbox.router,
]

__all__ = ["ROUTERS"]
