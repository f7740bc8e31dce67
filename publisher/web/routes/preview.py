"""Previews per platform (issue 14): of the compose form, of a queued post, and their pictures.

- ``POST /compose/preview`` takes the compose form (the post :func:`publisher.web.forms.draft_spec`
  reads from it) and answers the cards as a fragment for htmx;
- ``GET /posts/{key}/preview``: the cards of a queued post, on a page (another unit's post: 404);
- ``GET /previews/file/{name}``: a picture of a card. ``name`` is the cache key of a copy made for
  a preview (:mod:`publisher.web.preview_media`) with a signature bound to the signed-in session
  (an HMAC under a secret of this process): nothing else in the cache, no path a request names,
  and no picture of another session's preview is ever served (404). After a restart of the server
  the old signatures no longer hold: the page is simply loaded again.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from publisher.core.models import POST_ID_RE, PostSpec
from publisher.errors import NotFound
from publisher.i18n import register
from publisher.store.webposts import WebPosts
from publisher.web.deps import Viewer, page, web
from publisher.web.forms import draft_spec
from publisher.web.preview_media import Picture, display_file
from publisher.web.previews import previews_for
from publisher.web.render import render
from publisher.web.routes.pause import pause_banner

register(
    {
        "web.preview.title": ("Xem trước trên từng nền tảng", "Preview on each platform"),
        "web.preview.page_title": ("Xem trước bài {key}", "Preview of post {key}"),
        "web.preview.back": ("Về trang bài", "Back to the post"),
        "web.preview.lead": (
            "Ảnh và video ở đây là bản đã chuẩn bị cho từng nền tảng, đúng bản sẽ được gửi đi.",
            "The photos and clips here are the versions prepared for each platform: the ones sent.",
        ),
        "web.preview.none": ("Chưa chọn nơi đăng nào.", "No target chosen yet."),
        "web.preview.errors": ("Chưa xem trước được:", "Cannot preview yet:"),
        "web.preview.accounts": ("Đăng lên: {names}", "Published to: {names}"),
        "web.preview.changes": ("Những gì bị cắt hoặc đổi, và vì sao", "What is cut or changed, and why"),
        "web.preview.problems": ("Chưa đăng được như thế này", "Cannot be published as it is"),
        "web.preview.warnings": ("Lưu ý", "Take note"),
        "web.preview.see_more": ("Xem thêm", "See more"),
        "web.preview.yt_more": ("...thêm", "...more"),
        "web.preview.more_photos": ("+{n}", "+{n}"),
        "web.preview.photo": ("Ảnh {n} như nền tảng nhận", "Photo {n} as the platform gets it"),
        "web.preview.poster": ("Khung hình của video đã chuẩn bị", "A frame of the prepared clip"),
        "web.preview.thumb": ("Ảnh thu nhỏ", "Thumbnail"),
        "web.preview.cover": ("Ảnh bìa", "Cover"),
        "web.preview.no_cover": ("Chưa có ảnh bìa", "No cover"),
        "web.preview.cut_title": ("Phần bị cắt:", "Cut off:"),
        "web.preview.kind.facebook-post": ("Bài đăng Facebook", "Facebook post"),
        "web.preview.kind.facebook-video": ("Video Facebook", "Facebook video"),
        "web.preview.kind.facebook-reel": ("Reel Facebook (9:16)", "Facebook Reel (9:16)"),
        "web.preview.kind.youtube-video": ("Video YouTube", "YouTube video"),
        "web.preview.kind.youtube-short": ("YouTube Short (9:16)", "YouTube Short (9:16)"),
        "web.preview.kind.zalo-article": ("Bài viết Zalo OA", "Zalo OA article"),
        "web.preview.kind.zalo-video": ("Video Zalo OA", "Zalo OA video"),
        "web.preview.kind.sandbox": ("Trang thử", "Sandbox"),
    }
)

router = APIRouter()

#: signs the picture names of this process's previews (never leaves the process)
_SECRET = secrets.token_bytes(32)
FILE_RE = re.compile(r"^([0-9a-f]{64})-([0-9a-f]{32})$")


def _signature(viewer: Viewer, key: str) -> str:
    mac = hmac.new(_SECRET, f"{viewer.session.id}\x00{key}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def file_url(viewer: Viewer) -> Callable[[Picture], str]:
    """The address of a card's picture for this viewer's session."""
    return lambda picture: f"/previews/file/{picture.key}-{_signature(viewer, picture.key)}"


def cards(
    request: Request, viewer: Viewer, spec: PostSpec | None, template: str = "preview_cards.html", **ctx: Any
) -> HTMLResponse:
    """The cards of ``spec`` (None: only ``errors``) rendered with ``template``."""
    previews = previews_for(spec, web(request).settings) if spec is not None else []
    values: dict[str, Any] = {"errors": [], **ctx}
    return render(request, template, viewer, previews=previews, file_url=file_url(viewer), **values)


def _compose(request: Request, viewer: Viewer, form: Any) -> HTMLResponse:
    spec, errors = draft_spec(form, viewer, web(request))
    return cards(request, viewer, spec, errors=errors if spec is None else [])


@router.post("/compose/preview", name="preview", response_class=HTMLResponse)
async def compose_preview(request: Request, viewer: Annotated[Viewer, Depends(page("preview"))]) -> Response:
    """The cards of the post the compose form describes (a fragment; the form's errors instead)."""
    form = await request.form()
    return await run_in_threadpool(_compose, request, viewer, form)


@router.get("/posts/{key}/preview", name="preview", response_class=HTMLResponse)
def post_preview(request: Request, key: str, viewer: Annotated[Viewer, Depends(page("preview"))]) -> Response:
    if not POST_ID_RE.match(key):
        raise HTTPException(status_code=404)
    ctx = web(request)
    found = WebPosts(ctx.store.db).media_of(key)
    if found is None:
        raise HTTPException(status_code=404)
    viewer.require_unit(found[0])
    try:
        spec = ctx.store.post_spec(key)
    except NotFound:
        raise HTTPException(status_code=404) from None
    return cards(request, viewer, spec, "preview_page.html", key=key, paused=pause_banner(request))


@router.get("/previews/file/{name}", name="preview")
def preview_file(
    request: Request, name: str, viewer: Annotated[Viewer, Depends(page("preview"))]
) -> Response:
    """A picture made for a preview of this session; 404 for any other name."""
    found = FILE_RE.match(name)
    if found is None or not hmac.compare_digest(found.group(2), _signature(viewer, found.group(1))):
        raise HTTPException(status_code=404)
    path = display_file(web(request).settings, found.group(1))
    if path is None:
        raise HTTPException(status_code=404)
    return FileResponse(path, media_type="image/jpeg")


__all__ = ["cards", "file_url", "router"]
