"""The version 1 routes of the API, in one place (the router and the OpenAPI document use it)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.routing import BaseRoute

from publisher.web.api import listings, periods, posts

ROUTERS: tuple[APIRouter, ...] = (posts.router, listings.router, periods.router)
#: every route of ``/api/v1``
ROUTES: list[BaseRoute] = [route for router in ROUTERS for route in router.routes]

__all__ = ["ROUTERS", "ROUTES"]
