"""The routers of the web app, one module per page or topic."""

from __future__ import annotations

from fastapi import APIRouter

from publisher.web.routes import login

ROUTERS: list[APIRouter] = [login.router]

__all__ = ["ROUTERS"]
