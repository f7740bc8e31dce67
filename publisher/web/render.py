"""Pages rendered with Jinja2: the message catalogue, local times and the viewer in every template."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

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


def live_link(remote_url: str | None, outbox: Path) -> str | None:
    """Where the browser opens a published post: its https address, or ``/outbox/…`` for a
    sandbox page inside ``outbox``; None for anything else (never a local path)."""
    if not remote_url:
        return None
    if remote_url.startswith(("https://", "http://")):
        return remote_url
    if remote_url.startswith("file://"):
        path = Path(unquote(urlparse(remote_url).path)).resolve()
        root = outbox.resolve()
        if path.is_relative_to(root):
            return "/outbox/" + path.relative_to(root).as_posix()
    return None


@pass_context
def _live(ctx: Any, remote_url: str | None) -> str | None:
    return live_link(remote_url, ctx["request"].app.state.web.settings.outbox_dir)


templates.env.filters["live_link"] = _live


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
