"""``/uploads``: photos and clips sent in chunks by the upload widget (``upload_widget.html``).

* ``POST /uploads`` with JSON ``{name, size, kind}`` starts one (201 ``{id, offset: 0, …}``);
  too big for ``PUBLISHER_WEB__UPLOAD_MAX_MB``: 413 with the message;
* ``PUT /uploads/{id}`` with header ``Upload-Offset`` and the next bytes as the body appends them
  (streamed to disk, never held in memory); a wrong offset: 409 with the server's ``offset``;
* ``GET /uploads/{id}``: ``{offset, size, done, kind, error, …}``, what a client resumes from;
* ``GET /uploads/{id}/thumb``: a small JPEG of a finished photo.

An upload belongs to the user who started it: anyone else gets 404. Errors are JSON
``{"error": message}`` (in the office's language). The storage is :mod:`publisher.web.uploads`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from publisher.i18n import msg, register
from publisher.web.deps import Viewer, page, web
from publisher.web.uploads import UploadError, start_upload, thumbnail, upload_status, write_chunk

register(
    {
        "web.upload.hint.photo": (
            "Ảnh JPEG, PNG, WebP hoặc GIF, mỗi tệp tối đa {max} MB.",
            "JPEG, PNG, WebP or GIF photos, at most {max} MB each.",
        ),
        "web.upload.hint.video": (
            "Video MP4, MOV hoặc WebM, tối đa {max} MB.",
            "An MP4, MOV or WebM video, at most {max} MB.",
        ),
        "web.upload.js.progress": ("Đã tải {percent}% của {name}", "{percent}% of {name} uploaded"),
        "web.upload.js.checking": ("Đang kiểm tra {name}…", "Checking {name}…"),
        "web.upload.js.done": ("Đã tải xong {name}.", "{name} uploaded."),
        "web.upload.js.retry": (
            "Mạng chập chờn, đang thử lại ({n}/{max})…",
            "Connection trouble, trying again ({n}/{max})…",
        ),
        "web.upload.js.stalled": (
            "Tải lên bị gián đoạn ở {percent}%. Bấm “Tải tiếp” khi mạng ổn định.",
            "The upload stopped at {percent}%. Press “Continue” when the connection is back.",
        ),
        "web.upload.js.resume": ("Tải tiếp", "Continue"),
        "web.upload.js.remove": ("Bỏ tệp này", "Remove this file"),
        "web.upload.js.wait": (
            "Đang tải tệp lên, xin chờ xong rồi lưu bài.",
            "Files are still uploading; wait until they finish, then save.",
        ),
        "web.upload.js.failed": ("Không tải lên được {name}.", "Could not upload {name}."),
    }
)

router = APIRouter()
START_MAX_BYTES = 4096


def _error(exc: UploadError) -> JSONResponse:
    body: dict[str, Any] = {"error": str(exc.message)}
    if exc.offset is not None:
        body["offset"] = exc.offset
    return JSONResponse(body, status_code=exc.status)


@router.post("/uploads", name="upload")
async def upload_start(request: Request, viewer: Annotated[Viewer, Depends(page("upload"))]) -> Response:
    raw = bytearray()
    async for piece in request.stream():
        raw += piece
        if len(raw) > START_MAX_BYTES:
            return _error(UploadError(msg("web.upload.bad_request"), 413))
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return _error(UploadError(msg("web.upload.bad_request"), 422))
    settings = web(request).settings
    try:
        status = await run_in_threadpool(
            start_upload, settings, viewer.user.id, data.get("name"), data.get("size"), data.get("kind")
        )
    except UploadError as exc:
        return _error(exc)
    return JSONResponse(status, status_code=201)


@router.put("/uploads/{upload_id}", name="upload")
async def upload_chunk(
    request: Request, upload_id: str, viewer: Annotated[Viewer, Depends(page("upload"))]
) -> Response:
    offset, length = request.headers.get("upload-offset", ""), request.headers.get("content-length")
    if not offset.isascii() or not offset.isdigit() or (length is not None and not length.isdigit()):
        return _error(UploadError(msg("web.upload.bad_request"), 400))
    try:
        status = await write_chunk(
            web(request).settings,
            upload_id,
            viewer.user.id,
            int(offset),
            request.stream(),
            int(length) if length is not None else None,
        )
    except UploadError as exc:
        return _error(exc)
    return JSONResponse(status, status_code=422 if status["error"] else 200)


@router.get("/uploads/{upload_id}", name="upload")
def upload_get(
    request: Request, upload_id: str, viewer: Annotated[Viewer, Depends(page("upload"))]
) -> Response:
    try:
        return JSONResponse(upload_status(web(request).settings, upload_id, viewer.user.id))
    except UploadError as exc:
        return _error(exc)


@router.get("/uploads/{upload_id}/thumb", name="upload")
def upload_thumb(
    request: Request, upload_id: str, viewer: Annotated[Viewer, Depends(page("upload"))]
) -> Response:
    try:
        data = thumbnail(web(request).settings, upload_id, viewer.user.id)
    except UploadError:
        raise HTTPException(status_code=404) from None
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})
