"""Pages rendered with Jinja2: the message catalogue, local times and the viewer in every template."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from publisher.i18n import display_zone, language, local_time, t
from publisher.web.deps import Viewer

TEMPLATES = Path(__file__).with_name("templates")
templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.globals.update(t=t, language=language)


def _local(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    if value is None:
        return ""

    return value.astimezone(display_zone()).strftime(fmt)


templates.env.filters["local"] = _local
templates.env.filters["local_time"] = lambda v: local_time(v) if v else ""


def render(
    request: Request, template: str, viewer: Viewer | None = None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """The template ``template`` with ``viewer`` (None on the sign-in page) and ``context``."""
    return templates.TemplateResponse(
        request,
        template,
        {"viewer": viewer, "csrf": viewer.csrf if viewer else "", **context},
        status_code=status_code,
    )


__all__ = ["render", "templates"]
