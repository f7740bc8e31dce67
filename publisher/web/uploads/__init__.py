"""Photos and clips sent from the browser in chunks, streamed to disk, resumable, checked by opening them.

One upload is a folder ``<data dir>/uploads/<id>/`` holding the file's bytes so far (under a safe
ASCII version of its name; its length on disk *is* the offset a client resumes from) and the
sidecar ``.upload.json``: the owner's user id, the declared size and kind ("photo" or "video"),
and once every byte is in, the verdict. The verdict comes from opening the file, never from its
name: Pillow (JPEG, PNG, WebP, GIF only, within ``PUBLISHER_MEDIA__MAX_PIXELS``, the data whole:
:func:`assets.checks.look_at_photo`) for a photo, ffprobe (:func:`assets.probe.probe_video`) for a
clip. A file that cannot be used keeps only its sidecar with the reason; its bytes are deleted.

A chunk is written under an exclusive lock on the folder (a second writer gets "busy"), in pieces
of at most :data:`FLUSH` bytes handed to a thread, so a request never holds the file in memory. An
interrupted chunk keeps what arrived; the client asks for the offset and goes on from there.

The compose page turns a finished upload into a post's media with :func:`adopt_upload` (moved to
``<data dir>/media/<post key>/``); :func:`clean_uploads` removes uploads nobody touched for a while.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import re
import secrets
import shutil
import unicodedata
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from publisher.core.models import POST_ID_RE
from publisher.errors import UserError
from publisher.i18n import Msg, msg, register
from publisher.settings import Settings
from publisher.web.uploads.checks import check_file, safe_name, thumbnail_of

register(
    {
        "web.upload.too_big": (
            "Tệp {name} nặng {mb} MB, quá giới hạn {max} MB của một lần tải lên (PUBLISHER_WEB__UPLOAD_MAX_MB).",
            "{name} is {mb} MB, over the {max} MB allowed for one upload (PUBLISHER_WEB__UPLOAD_MAX_MB).",
        ),
        "web.upload.empty": ("Tệp {name} trống (0 byte).", "{name} is empty (0 bytes)."),
        "web.upload.bad_request": (
            "Yêu cầu tải lên không hợp lệ: cần tên tệp, kích thước và loại (ảnh hoặc video).",
            "Invalid upload request: a file name, a size and a kind (photo or video) are needed.",
        ),
        "web.upload.unknown": (
            "Không tìm thấy tệp tải lên này (đã bị dọn vì để quá lâu): hãy tải lên lại.",
            "This upload was not found (cleaned up after a long time): please upload the file again.",
        ),
        "web.upload.incomplete": (
            "Tệp {name} chưa tải lên xong ({offset}/{size} byte): hãy bấm “Tải tiếp”.",
            "{name} is not fully uploaded ({offset}/{size} bytes): press “Continue”.",
        ),
        "web.upload.offset": (
            "Máy chủ đã nhận {offset} byte của tệp; tiếp tục tải từ đó.",
            "The server has {offset} bytes of the file; continue from there.",
        ),
        "web.upload.overrun": (
            "Dữ liệu gửi lên vượt kích thước đã khai của tệp {name} ({size} byte).",
            "More data than the declared size of {name} ({size} bytes) was sent.",
        ),
        "web.upload.busy": (
            "Tệp {name} đang được tải lên từ một cửa sổ khác; thử lại sau giây lát.",
            "{name} is being uploaded from another window; try again in a moment.",
        ),
        "web.upload.disk_full": (
            "Máy chủ hết chỗ trống để nhận tệp {name}: hãy báo quản trị viên.",
            "The server has no room left for {name}: please tell the administrator.",
        ),
    }
)

log = logging.getLogger(__name__)

Kind = Literal["photo", "video"]
KINDS: tuple[Kind, ...] = ("photo", "video")
SIDECAR = ".upload.json"
ID_RE = re.compile(r"^[0-9a-f]{32}$")
#: the most a request keeps in memory before it is written (the client's chunks are ~1 MB)
FLUSH = 1 << 20
#: free space kept beyond a new upload's size before it is accepted
DISK_MARGIN = 64 << 20


class UploadError(UserError):
    """An upload request that cannot be honoured; ``status`` is the HTTP answer, ``offset`` the
    bytes the server holds (for a client to resume from)."""

    def __init__(self, message: Msg, status: int, offset: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.offset = offset


@dataclass(frozen=True)
class Upload:
    """A finished, usable upload (:func:`resolve_upload`)."""

    id: str
    path: Path
    kind: Kind
    name: str


def uploads_root(settings: Settings) -> Path:
    return settings.data_dir / "uploads"


# --- the sidecar ------------------------------------------------------------------------------


def _folder(settings: Settings, upload_id: str) -> Path:
    if not ID_RE.match(upload_id or ""):
        raise UploadError(msg("web.upload.unknown"), 404)
    return uploads_root(settings) / upload_id


def _read(settings: Settings, upload_id: str, owner: int | None) -> dict[str, Any]:
    """The sidecar of ``upload_id``; unknown, unreadable or another user's: 404 (existence not confirmed)."""
    folder = _folder(settings, upload_id)
    try:
        meta: dict[str, Any] = json.loads((folder / SIDECAR).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UploadError(msg("web.upload.unknown"), 404) from None
    if owner is not None and meta.get("owner") != owner:
        raise UploadError(msg("web.upload.unknown"), 404)
    meta["id"] = upload_id
    return meta


def _write(settings: Settings, meta: dict[str, Any]) -> None:
    folder = _folder(settings, meta["id"])
    tmp = folder / (SIDECAR + ".tmp")
    tmp.write_text(json.dumps({k: v for k, v in meta.items() if k != "id"}), encoding="utf-8")
    os.replace(tmp, folder / SIDECAR)


@contextmanager
def _locked(folder: Path, *, wait: bool, name: str = "") -> Iterator[None]:
    """An exclusive lock on the upload's folder (across processes); ``wait=False``: busy -> 409."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise UploadError(msg("web.upload.busy", name=name), 409) from None
        yield
    finally:
        os.close(fd)  # releases the lock


def _data(settings: Settings, meta: dict[str, Any]) -> Path:
    return _folder(settings, meta["id"]) / meta["file"]


def _offset(settings: Settings, meta: dict[str, Any]) -> int:
    if meta.get("done"):
        return int(meta["size"])
    try:
        return _data(settings, meta).stat().st_size
    except OSError:
        return 0


def _message(meta: dict[str, Any]) -> Msg | None:
    error = meta.get("error")
    return msg(error["key"], **error.get("params", {})) if error else None


def describe(settings: Settings, meta: dict[str, Any]) -> dict[str, Any]:
    """The JSON a client reads: ``{id, name, kind, size, offset, done, error, thumb}``."""
    problem = _message(meta)
    usable = bool(meta.get("done")) and problem is None
    return {
        "id": meta["id"],
        "name": meta["name"],
        "kind": meta["kind"],
        "size": meta["size"],
        "offset": _offset(settings, meta),
        "done": bool(meta.get("done")),
        "error": str(problem) if problem else None,
        "thumb": f"/uploads/{meta['id']}/thumb" if usable and meta["kind"] == "photo" else None,
    }


# --- the upload's life ------------------------------------------------------------------------


def start_upload(settings: Settings, owner: int, name: Any, size: Any, kind: Any) -> dict[str, Any]:
    """A new upload of ``size`` bytes for user ``owner``: its folder and an empty file (offset 0)."""
    if not isinstance(name, str) or not name.strip() or kind not in KINDS:
        raise UploadError(msg("web.upload.bad_request"), 422)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise UploadError(msg("web.upload.bad_request"), 422)
    shown = unicodedata.normalize("NFC", name.strip()).replace("\\", "/").rsplit("/", 1)[-1][:200]
    cap = settings.web.upload_max_mb
    if size > cap * 2**20:
        raise UploadError(msg("web.upload.too_big", name=shown, mb=f"{size / 2**20:.0f}", max=cap), 413)
    if size == 0:
        raise UploadError(msg("web.upload.empty", name=shown), 422)
    root = uploads_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    if shutil.disk_usage(root).free < size + DISK_MARGIN:
        raise UploadError(msg("web.upload.disk_full", name=shown), 507)
    upload_id = secrets.token_hex(16)
    folder = root / upload_id
    folder.mkdir()
    meta = {
        "id": upload_id,
        "owner": owner,
        "name": shown,
        "file": safe_name(shown),
        "size": size,
        "kind": kind,
        "created": datetime.now(UTC).isoformat(),
        "done": False,
        "error": None,
        "adopted": {},
    }
    (folder / meta["file"]).touch()
    _write(settings, meta)
    return describe(settings, meta)


def upload_status(settings: Settings, upload_id: str, owner: int) -> dict[str, Any]:
    return describe(settings, _read(settings, upload_id, owner))


def _write_all(fd: int, data: bytes | bytearray) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


async def write_chunk(
    settings: Settings,
    upload_id: str,
    owner: int,
    offset: int,
    body: AsyncIterator[bytes],
    length: int | None = None,
) -> dict[str, Any]:
    """Append the request ``body`` at ``offset`` (which must be the bytes the server holds, else 409
    with the right offset); the last byte in, the file is checked. Returns :func:`describe`."""
    meta = await run_in_threadpool(_read, settings, upload_id, owner)
    folder, size, name = _folder(settings, upload_id), int(meta["size"]), meta["name"]
    with _locked(folder, wait=False, name=name):
        meta = await run_in_threadpool(_read, settings, upload_id, owner)
        if meta.get("done"):
            if offset == size and not length:
                return describe(settings, meta)
            raise UploadError(msg("web.upload.offset", offset=size), 409, size)
        fd = os.open(_data(settings, meta), os.O_WRONLY | os.O_APPEND)
        try:
            held = os.fstat(fd).st_size
            if offset != held:
                raise UploadError(msg("web.upload.offset", offset=held), 409, held)
            if length is not None and held + length > size:
                raise UploadError(msg("web.upload.overrun", name=name, size=size), 413, held)
            await _receive(fd, body, held, size, name)
            held = os.fstat(fd).st_size
        finally:
            os.close(fd)
        if held == size:
            meta = await run_in_threadpool(_finish, settings, meta)
    return describe(settings, meta)


async def _receive(fd: int, body: AsyncIterator[bytes], held: int, size: int, name: str) -> None:
    """Stream ``body`` to ``fd`` in pieces of at most :data:`FLUSH` bytes; past ``size``: cut back, 413.
    A client that goes away leaves what arrived (written before returning)."""
    buffer = bytearray()
    written = held
    try:
        async for piece in body:
            if written + len(buffer) + len(piece) > size:
                os.ftruncate(fd, held)
                buffer = bytearray()
                raise UploadError(msg("web.upload.overrun", name=name, size=size), 413, held)
            buffer += piece
            if len(buffer) >= FLUSH:
                full, buffer = buffer, bytearray()
                await run_in_threadpool(_write_all, fd, full)
                written += len(full)
    except ClientDisconnect:
        log.info("upload of %s interrupted at %d bytes", name, written + len(buffer))
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise UploadError(msg("web.upload.disk_full", name=name), 507, written) from None
        raise
    finally:
        if buffer:
            try:
                _write_all(fd, buffer)  # at most FLUSH bytes, also on the way out of an error
            except OSError as exc:
                log.warning("upload of %s: %s", name, exc)


def _finish(settings: Settings, meta: dict[str, Any]) -> dict[str, Any]:
    """Every byte is in: open the file, record the verdict, name it by what it is."""
    path = _data(settings, meta)
    problem, ending = check_file(path, meta["kind"], settings)
    meta = {**meta, "done": True}
    if problem is not None:
        meta["error"] = {"key": problem.key, "params": {k: str(v) for k, v in problem.params.items()}}
        path.unlink(missing_ok=True)  # an unusable file keeps no disk space
    elif ending and not path.name.lower().endswith(ending):
        stem = path.name.rsplit(".", 1)[0] if "." in path.name else path.name
        target = path.with_name(stem + ending)
        os.replace(path, target)
        meta["file"] = target.name
    _write(settings, meta)
    return meta


def thumbnail(settings: Settings, upload_id: str, owner: int, box: int = 320) -> bytes:
    """A small JPEG of a finished photo of ``owner`` (EXIF orientation applied); else 404."""
    upload = resolve_upload(settings, upload_id, owner=owner)
    if upload.kind != "photo":
        raise UploadError(msg("web.upload.unknown"), 404)
    try:
        return thumbnail_of(upload.path, box)
    except OSError:
        raise UploadError(msg("web.upload.unknown"), 404) from None


# --- what other pages use ---------------------------------------------------------------------


def resolve_upload(settings: Settings, upload_id: str, *, owner: int | None = None) -> Upload:
    """The finished, usable upload ``upload_id`` (with ``owner``: only that user's); else a
    :class:`UserError` saying why (unknown, not fully uploaded, or what is wrong with the file)."""
    meta = _read(settings, upload_id, owner)
    problem = _message(meta)
    if problem is not None:
        raise UploadError(problem, 422)
    if not meta.get("done"):
        offset = _offset(settings, meta)
        raise UploadError(
            msg("web.upload.incomplete", name=meta["name"], offset=offset, size=meta["size"]), 409
        )
    adopted = meta.get("adopted") or {}
    path = next((Path(p) for p in adopted.values() if Path(p).is_file()), _data(settings, meta))
    if not path.is_file():
        raise UploadError(msg("web.upload.unknown"), 404)
    return Upload(id=upload_id, path=path, kind=meta["kind"], name=meta["name"])


def adopt_upload(settings: Settings, upload_id: str, post_key: str, *, owner: int | None = None) -> Path:
    """Move the finished upload to ``<data dir>/media/<post key>/<safe name>`` (a free name: ``-2``,
    ``-3``… when another file has it) and return that path. Again for the same post: the same path;
    for another post: a copy of its own."""
    if not POST_ID_RE.match(post_key):
        raise UserError(msg("web.upload.bad_request"))
    folder = _folder(settings, upload_id)
    upload = resolve_upload(settings, upload_id, owner=owner)
    with _locked(folder, wait=True):
        meta = _read(settings, upload_id, owner)
        adopted: dict[str, str] = dict(meta.get("adopted") or {})
        target = Path(adopted[post_key]) if post_key in adopted else None
        if target is not None and target.is_file():
            return target
        if target is None:
            target = _free(settings.data_dir / "media" / post_key, _data(settings, meta).name)
            adopted[post_key] = str(target)
            _write(settings, {**meta, "adopted": adopted})  # first the record, then the move
        target.parent.mkdir(parents=True, exist_ok=True)
        source = _data(settings, meta)
        if source.is_file():
            shutil.move(source, target)
        else:  # moved for another post already: this one gets a copy
            shutil.copy2(upload.path, target)
    return target


def _free(folder: Path, name: str) -> Path:
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, n = folder / name, 1
    while candidate.exists():
        n += 1
        candidate = folder / (f"{stem}-{n}.{ext}" if ext else f"{stem}-{n}")
    return candidate


def clean_uploads(settings: Settings, older_than: timedelta, *, now: datetime | None = None) -> int:
    """Remove the uploads nobody touched for ``older_than`` (unfinished, refused, or never used in
    a post; a used one keeps only its sidecar there). One being written is left. Returns how many."""
    root = uploads_root(settings)
    if not root.is_dir():
        return 0
    limit = (now or datetime.now(UTC)).timestamp() - older_than.total_seconds()
    removed = 0
    for folder in sorted(root.iterdir()):
        if not folder.is_dir() or not ID_RE.match(folder.name):
            continue
        with suppress(OSError):
            last = max([folder.stat().st_mtime, *(p.stat().st_mtime for p in folder.iterdir())])
            if last >= limit:
                continue
            try:
                with _locked(folder, wait=False):
                    shutil.rmtree(folder)
            except UploadError:  # being written right now
                continue
            removed += 1
    return removed


__all__ = [
    "FLUSH",
    "KINDS",
    "Upload",
    "UploadError",
    "adopt_upload",
    "check_file",
    "clean_uploads",
    "describe",
    "resolve_upload",
    "safe_name",
    "start_upload",
    "thumbnail",
    "upload_status",
    "write_chunk",
]
