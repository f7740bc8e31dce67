"""Chunked uploads: photos and clips in pieces, resumed after a cut, checked by opening them, per user."""

from __future__ import annotations

import asyncio
import fcntl
import io
import os
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from publisher.core.people import Role
from publisher.errors import UserError
from publisher.i18n import set_language
from publisher.settings import Settings
from publisher.store import Store
from publisher.web.deps import COOKIE
from publisher.web.render import templates
from publisher.web.uploads import (
    FLUSH,
    adopt_upload,
    clean_uploads,
    resolve_upload,
    start_upload,
    write_chunk,
)
from tests.assets.media_factory import clip, noise_photo
from tests.conftest import need_ffmpeg
from tests.web.conftest import add_user, sign_in

CHUNK = 64 * 1024


def start(client: TestClient, csrf: str, name: str, size: int, kind: str = "photo") -> Any:
    return client.post(
        "/uploads", json={"name": name, "size": size, "kind": kind}, headers={"X-CSRF-Token": csrf}
    )


def put(client: TestClient, csrf: str, upload_id: str, offset: int, data: bytes) -> Any:
    return client.put(
        f"/uploads/{upload_id}",
        content=data,
        headers={
            "X-CSRF-Token": csrf,
            "Upload-Offset": str(offset),
            "Content-Type": "application/octet-stream",
        },
    )


def upload(
    client: TestClient, csrf: str, data: bytes, name: str, kind: str = "photo", chunk: int = CHUNK
) -> Any:
    """The whole file in ``chunk`` pieces; returns the last answer."""
    r = start(client, csrf, name, len(data), kind)
    assert r.status_code == 201, r.text
    upload_id, offset = r.json()["id"], 0
    while True:
        r = put(client, csrf, upload_id, offset, data[offset : offset + chunk])
        if r.status_code != 200 or r.json()["done"]:
            return r
        assert r.json()["offset"] == offset + len(data[offset : offset + chunk])
        offset = r.json()["offset"]


@pytest.fixture
def an(client: TestClient, web_store: Store) -> tuple[Any, str]:
    user = add_user(web_store, "an", Role.OFFICER)
    return user, sign_in(client, "an")


def jpeg(tmp_path: Path, size: tuple[int, int] = (900, 700)) -> bytes:
    """A real JPEG of a few hundred KB (noise compresses badly: several chunks)."""
    return noise_photo(tmp_path / "src.jpg", size).read_bytes()


def test_a_photo_arrives_in_chunks_and_has_a_thumbnail(
    client: TestClient, web_settings: Settings, an: tuple[Any, str], tmp_path: Path
) -> None:
    user, csrf = an
    data = Image.effect_noise((600, 400), 60).convert("RGB")
    buf = io.BytesIO()
    data.save(buf, "JPEG", quality=95)
    raw = buf.getvalue()
    assert len(raw) > 2 * CHUNK  # several chunks
    r = upload(client, csrf, raw, "Ảnh lễ 30-4.jpeg")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["done"] and body["error"] is None and body["offset"] == len(raw) and body["kind"] == "photo"
    assert body["name"] == "Ảnh lễ 30-4.jpeg"
    status = client.get(f"/uploads/{body['id']}").json()
    assert status == body
    thumb = client.get(body["thumb"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(thumb.content)) as im:
        assert im.format == "JPEG" and max(im.size) <= 320
    found = resolve_upload(web_settings, body["id"], owner=user.id)
    assert found.kind == "photo" and found.name == "Ảnh lễ 30-4.jpeg"
    assert found.path.name == "Anh-le-30-4.jpg" and found.path.read_bytes() == raw


def test_a_png_named_jpg_is_named_by_what_it_is(
    client: TestClient, web_settings: Settings, an: tuple[Any, str]
) -> None:
    _, csrf = an
    buf = io.BytesIO()
    Image.new("RGB", (50, 40), (10, 200, 30)).save(buf, "PNG")
    r = upload(client, csrf, buf.getvalue(), "anh.jpg")
    assert r.status_code == 200 and r.json()["error"] is None
    assert resolve_upload(web_settings, r.json()["id"]).path.name == "anh.png"


def test_a_short_clip_arrives_in_chunks(
    client: TestClient, web_settings: Settings, an: tuple[Any, str], tmp_path: Path
) -> None:
    need_ffmpeg()
    _, csrf = an
    raw = clip(tmp_path / "src.mp4", seconds=2).read_bytes()
    assert len(raw) > 3 * 16384
    r = upload(client, csrf, raw, "Clip 30-4.MP4", kind="video", chunk=16384)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["done"] and body["error"] is None and body["thumb"] is None
    found = resolve_upload(web_settings, body["id"])
    assert found.kind == "video" and found.path.name == "Clip-30-4.mp4"
    assert found.path.read_bytes() == raw
    assert client.get(f"/uploads/{body['id']}/thumb").status_code == 404  # thumbnails are for photos


async def _cut_put(app: Any, path: str, headers: dict[str, str], sent: bytes, declared: int) -> None:
    """A PUT whose client goes away after ``sent`` of the ``declared`` bytes (a dropped connection)."""
    pieces = [sent[i : i + 16384] for i in range(0, len(sent), 16384)]
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if pieces:
            return {"type": "http.request", "body": pieces.pop(0), "more_body": True}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "PUT",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "scheme": "http",
        "query_string": b"",
        "headers": [
            (k.lower().encode(), v.encode()) for k, v in {**headers, "content-length": str(declared)}.items()
        ]
        + [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    await app(scope, receive, send)


def test_an_interrupted_chunk_keeps_what_arrived_and_resumes_from_the_offset(
    client: TestClient, web_settings: Settings, an: tuple[Any, str], tmp_path: Path
) -> None:
    _, csrf = an
    raw = jpeg(tmp_path, (1600, 1200))
    upload_id = start(client, csrf, "a.jpg", len(raw)).json()["id"]
    assert put(client, csrf, upload_id, 0, raw[:CHUNK]).json()["offset"] == CHUNK
    cookie = client.cookies.get(COOKIE)
    headers = {"cookie": f"{COOKIE}={cookie}", "x-csrf-token": csrf, "upload-offset": str(CHUNK)}
    asyncio.run(_cut_put(client.app, f"/uploads/{upload_id}", headers, raw[CHUNK : CHUNK + 40_000], CHUNK))
    status = client.get(f"/uploads/{upload_id}").json()
    assert status["offset"] == CHUNK + 40_000 and not status["done"]  # what arrived is kept
    wrong = put(client, csrf, upload_id, CHUNK, raw[CHUNK : 2 * CHUNK])  # the client's old idea
    assert wrong.status_code == 409 and wrong.json()["offset"] == CHUNK + 40_000
    assert str(CHUNK + 40_000) in wrong.json()["error"]
    with pytest.raises(UserError, match="chưa tải lên xong"):
        resolve_upload(web_settings, upload_id)
    offset = status["offset"]
    while offset < len(raw):
        r = put(client, csrf, upload_id, offset, raw[offset : offset + CHUNK])
        assert r.status_code == 200, r.text
        offset = r.json()["offset"]
    assert r.json()["done"] and r.json()["error"] is None
    assert resolve_upload(web_settings, upload_id).path.read_bytes() == raw


def test_a_chunk_is_written_as_it_arrives_not_held_in_memory(web_settings: Settings) -> None:
    size = 4 * FLUSH
    status = start_upload(web_settings, 7, "big.mp4", size, "video")
    data_file = web_settings.data_dir / "uploads" / status["id"] / "big.mp4"
    seen: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        for _ in range(size // CHUNK - 1):
            seen.append(data_file.stat().st_size)
            yield b"\0" * CHUNK

    async def go() -> dict[str, Any]:
        return await write_chunk(web_settings, status["id"], 7, 0, body())

    result = asyncio.run(go())
    assert result["offset"] == size - CHUNK and not result["done"]
    assert max(seen) >= 2 * FLUSH  # on disk while the request was still arriving


def test_too_big_is_refused_before_a_byte_is_sent(
    client: TestClient, web_settings: Settings, an: tuple[Any, str]
) -> None:
    _, csrf = an
    web_settings.web.upload_max_mb = 1
    r = start(client, csrf, "phim.mp4", 3 * 2**20, "video")
    assert r.status_code == 413
    assert "phim.mp4 nặng 3 MB, quá giới hạn 1 MB" in r.json()["error"]
    assert "PUBLISHER_WEB__UPLOAD_MAX_MB" in r.json()["error"]
    folder = web_settings.data_dir / "uploads"
    assert not folder.exists() or not any(folder.iterdir())


def test_more_bytes_than_declared_are_refused_and_cut_back(
    client: TestClient, an: tuple[Any, str], tmp_path: Path
) -> None:
    _, csrf = an
    raw = jpeg(tmp_path)
    upload_id = start(client, csrf, "a.jpg", 1000).json()["id"]
    assert put(client, csrf, upload_id, 0, raw[:600]).status_code == 200
    r = put(client, csrf, upload_id, 600, raw[600:2000])
    assert r.status_code == 413 and "1000" in r.json()["error"]
    assert client.get(f"/uploads/{upload_id}").json()["offset"] == 600


@pytest.mark.parametrize(
    ("kind", "name", "make", "words"),
    [
        ("photo", "anh.jpg", lambda p: b"Day la van ban, khong phai anh.\n" * 50, "không phải ảnh"),
        ("photo", "cut.jpg", lambda p: jpeg(p)[: len(jpeg(p)) // 2], "không trọn vẹn"),
        ("video", "clip.mp4", lambda p: jpeg(p), "là ảnh, không phải video"),
        ("video", "clip.mp4", lambda p: b"\0\0\0\x18ftypmp42" + os.urandom(5000), "không phải video"),
    ],
    ids=["text-as-jpg", "truncated-jpeg", "photo-as-clip", "garbage-mp4"],
)
def test_a_file_that_cannot_be_used_is_refused_with_the_reason(
    client: TestClient,
    web_settings: Settings,
    an: tuple[Any, str],
    tmp_path: Path,
    kind: str,
    name: str,
    make: Any,
    words: str,
) -> None:
    if kind == "video":
        need_ffmpeg()
    _, csrf = an
    r = upload(client, csrf, make(tmp_path), name, kind)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["done"] and words in body["error"] and body["thumb"] is None
    assert client.get(f"/uploads/{body['id']}").json()["error"] == body["error"]
    with pytest.raises(UserError, match=re.escape(words)):
        resolve_upload(web_settings, body["id"])
    folder = web_settings.data_dir / "uploads" / body["id"]
    assert [p.name for p in folder.iterdir()] == [".upload.json"]  # the bytes are not kept


def test_the_message_is_in_english_when_asked(client: TestClient, an: tuple[Any, str]) -> None:
    _, csrf = an
    set_language("en")
    r = upload(client, csrf, b"just text" * 100, "photo.jpg")
    assert "photo.jpg is not a photo" in r.json()["error"]


def test_a_photo_over_the_pixel_cap_is_refused(
    client: TestClient, web_settings: Settings, an: tuple[Any, str], tmp_path: Path
) -> None:
    _, csrf = an
    web_settings.media.max_pixels = 100_000
    r = upload(client, csrf, jpeg(tmp_path, (900, 700)), "to.jpg")
    assert r.status_code == 422 and "PUBLISHER_MEDIA__MAX_PIXELS" in r.json()["error"]


def test_an_upload_is_its_owners_only(
    client: TestClient, web_settings: Settings, web_store: Store, an: tuple[Any, str], tmp_path: Path
) -> None:
    user, csrf = an
    raw = jpeg(tmp_path)
    body = upload(client, csrf, raw, "a.jpg").json()
    half = start(client, csrf, "b.jpg", len(raw)).json()["id"]
    other = add_user(web_store, "binh", Role.APPROVER)
    csrf2 = sign_in(client, "binh")
    assert client.get(f"/uploads/{body['id']}").status_code == 404
    assert client.get(f"/uploads/{body['id']}/thumb").status_code == 404
    r = put(client, csrf2, half, 0, raw[:CHUNK])
    assert r.status_code == 404 and "Không tìm thấy" in r.json()["error"]
    assert client.get("/uploads/not-an-id").status_code == 404
    with pytest.raises(UserError):
        resolve_upload(web_settings, body["id"], owner=other.id)
    with pytest.raises(UserError):
        adopt_upload(web_settings, body["id"], "p-1", owner=other.id)
    assert resolve_upload(web_settings, body["id"], owner=user.id).kind == "photo"


def test_adopt_moves_into_the_posts_media_once(
    client: TestClient, web_settings: Settings, an: tuple[Any, str], tmp_path: Path
) -> None:
    _, csrf = an
    raw = jpeg(tmp_path)
    first = upload(client, csrf, raw, "Ảnh.jpg").json()["id"]
    second = upload(client, csrf, raw, "Ảnh.jpg").json()["id"]
    path = adopt_upload(web_settings, first, "le-30-4")
    assert path == web_settings.data_dir / "media" / "le-30-4" / "Anh.jpg"
    assert path.read_bytes() == raw
    assert adopt_upload(web_settings, first, "le-30-4") == path  # idempotent
    assert resolve_upload(web_settings, first).path == path  # still resolvable after the move
    assert not (web_settings.data_dir / "uploads" / first / "Anh.jpg").exists()
    other = adopt_upload(web_settings, second, "le-30-4")  # same name, same post: a free name
    assert other.name == "Anh-2.jpg" and path.read_bytes() == raw
    copy = adopt_upload(web_settings, first, "le-2-9")  # another post gets its own copy
    assert copy.parent.name == "le-2-9" and copy.read_bytes() == raw and path.is_file()
    assert sorted(p.name for p in path.parent.iterdir()) == ["Anh-2.jpg", "Anh.jpg"]
    with pytest.raises(UserError):
        adopt_upload(web_settings, first, "../escape")
    unfinished = start(client, csrf, "c.jpg", len(raw)).json()["id"]
    with pytest.raises(UserError, match="chưa tải lên xong"):
        adopt_upload(web_settings, unfinished, "le-30-4")


def test_uploads_need_the_csrf_token_and_a_session(
    client: TestClient, an: tuple[Any, str], tmp_path: Path
) -> None:
    _, csrf = an
    raw = jpeg(tmp_path)
    assert (
        client.post("/uploads", json={"name": "a.jpg", "size": len(raw), "kind": "photo"}).status_code == 403
    )
    upload_id = start(client, csrf, "a.jpg", len(raw)).json()["id"]
    no_token = client.put(f"/uploads/{upload_id}", content=raw[:100], headers={"Upload-Offset": "0"})
    assert no_token.status_code == 403
    assert put(client, "forged", upload_id, 0, raw[:100]).status_code == 403
    assert client.get(f"/uploads/{upload_id}").json()["offset"] == 0
    client.cookies.clear()
    assert start(client, csrf, "a.jpg", 10).status_code == 303  # to the sign-in page


def test_bad_start_requests_are_refused(client: TestClient, an: tuple[Any, str]) -> None:
    _, csrf = an
    assert start(client, csrf, "a.jpg", 10, kind="pdf").status_code == 422
    assert start(client, csrf, "a.jpg", 0).status_code == 422
    r = client.post("/uploads", content=b"x" * 10_000, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 413
    upload_id = start(client, csrf, "a.jpg", 10).json()["id"]
    r = client.put(
        f"/uploads/{upload_id}", content=b"x", headers={"X-CSRF-Token": csrf, "Upload-Offset": "-1"}
    )
    assert r.status_code == 400


def test_clean_uploads_removes_old_ones_only(
    client: TestClient, web_settings: Settings, an: tuple[Any, str], tmp_path: Path
) -> None:
    _, csrf = an
    raw = jpeg(tmp_path)
    old = start(client, csrf, "old.jpg", len(raw)).json()["id"]
    fresh = start(client, csrf, "new.jpg", len(raw)).json()["id"]
    folder = web_settings.data_dir / "uploads" / old
    stamp = (datetime.now(UTC) - timedelta(days=3)).timestamp()
    for p in [folder, *folder.iterdir()]:
        os.utime(p, (stamp, stamp))
    assert clean_uploads(web_settings, timedelta(days=2)) == 1
    assert not folder.exists() and (web_settings.data_dir / "uploads" / fresh).is_dir()
    assert client.get(f"/uploads/{old}").status_code == 404
    later = datetime.now(UTC) + timedelta(days=5)
    assert clean_uploads(web_settings, timedelta(days=2), now=later) == 1


def test_the_widget_markup(web_settings: Settings) -> None:
    request = SimpleNamespace(
        app=SimpleNamespace(state=SimpleNamespace(web=SimpleNamespace(settings=web_settings)))
    )
    html = templates.get_template("upload_widget.html").render(
        request=request, upload_kind="photo", upload_name="photos", upload_multiple=True, upload_label="Ảnh"
    )
    assert '<label for="upload-photos">Ảnh</label>' in html
    file_input = re.search(r"<input type=\"file\"[^>]*>", html, re.S)
    assert file_input and 'id="upload-photos"' in file_input.group(0) and "multiple" in file_input.group(0)
    assert " name=" not in file_input.group(0)  # the file itself never goes with the form
    assert 'data-field="photos"' in html and 'data-kind="photo"' in html and "300 MB" in html
    assert '<script src="/static/upload.js"' in html and "style=" not in html and "onclick" not in html
    assert re.search(r"<script>(?!</script>)", html) is None
    js = (Path(__file__).resolve().parents[2] / "publisher/web/static/upload.js").read_text(encoding="utf-8")
    assert "X-CSRF-Token" in js and "Upload-Offset" in js and "data-csrf" in js


def test_a_file_whose_bytes_all_arrived_before_a_crash_is_checked_on_an_empty_put(
    client: TestClient, web_settings: Settings, an: tuple[Any, str], tmp_path: Path
) -> None:
    _, csrf = an
    raw = jpeg(tmp_path)
    upload_id = start(client, csrf, "a.jpg", len(raw)).json()["id"]
    (web_settings.data_dir / "uploads" / upload_id / "a.jpg").write_bytes(raw)  # written, never checked
    status = client.get(f"/uploads/{upload_id}").json()
    assert status["offset"] == len(raw) and not status["done"]
    r = put(client, csrf, upload_id, len(raw), b"")
    assert r.status_code == 200 and r.json()["done"] and r.json()["error"] is None
    assert put(client, csrf, upload_id, len(raw), b"").json()["done"]  # asked again: the same answer
    assert put(client, csrf, upload_id, 0, raw[:10]).status_code == 409


def test_a_second_writer_at_the_same_time_is_told_to_wait(
    client: TestClient, web_settings: Settings, an: tuple[Any, str], tmp_path: Path
) -> None:
    _, csrf = an
    raw = jpeg(tmp_path)
    upload_id = start(client, csrf, "a.jpg", len(raw)).json()["id"]
    fd = os.open(web_settings.data_dir / "uploads" / upload_id, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a PUT in progress holds it
        r = put(client, csrf, upload_id, 0, raw[:CHUNK])
        assert r.status_code == 409 and "offset" not in r.json() and "cửa sổ khác" in r.json()["error"]
    finally:
        os.close(fd)
    assert put(client, csrf, upload_id, 0, raw[:CHUNK]).status_code == 200
