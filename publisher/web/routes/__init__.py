"""The routers of the web app, one module per page or topic."""

from __future__ import annotations

from fastapi import APIRouter

from publisher.web import api
from publisher.web.routes import (
    accounts,
    approvals,
    calendar,
    compose,
    dashboard,
    imports,
    login,
    metrics,
    outbox,
    pause,
    posts,
    preview,
    uploads,
    users,
    weekly,
)

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
    compose.router,
    uploads.router,
    preview.router,
    imports.router,
    weekly.router,
    metrics.router,
    api.router,
]

__all__ = ["ROUTERS"]
