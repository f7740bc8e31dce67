"""The sandbox platform's pages (``<data dir>/outbox/``), so that a post published to
``sandbox/demo`` opens from the web app like a live post does (a ``file://`` link would not)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse

from publisher.web.deps import Viewer, page, web

router = APIRouter()


@router.get("/outbox/{name:path}", name="outbox")
def outbox(request: Request, name: str, viewer: Annotated[Viewer, Depends(page("outbox"))]) -> FileResponse:
    root = web(request).settings.outbox_dir.resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root) or not path.is_file() or path.suffix not in (".html", ".json"):
        raise HTTPException(status_code=404)
    return FileResponse(path)
