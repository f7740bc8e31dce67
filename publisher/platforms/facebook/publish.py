"""Feed, link and photo posts on a Page (``/feed``, ``/photos``, staged photos + ``attached_media``).

Pages API posts guide: https://developers.facebook.com/docs/pages-api/posts
Photos: https://developers.facebook.com/docs/graph-api/reference/page/photos/
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Any

from publisher.core.models import Delivery
from publisher.platforms.base import Checkpoint, Outcome, Result
from publisher.platforms.facebook.client import Graph
from publisher.platforms.http import UPLOAD_TIMEOUT


def message_of(delivery: Delivery) -> str:
    """The text we send: the title as the first line unless the text already starts with it."""
    title = (delivery.title or "").strip()
    text = (delivery.text or "").strip()
    if title and not text.startswith(title):
        return f"{title}\n\n{text}" if text else title
    return text


def post_url(remote_id: str) -> str:
    return f"https://www.facebook.com/{remote_id}"


def timing_fields(mode: str, when: float) -> dict[str, str]:
    if mode == "native":
        return {"published": "false", "scheduled_publish_time": str(int(when))}
    return {"published": "true"}


def done(remote_id: str, mode: str) -> Result:
    return (
        Result.handed_off(remote_id, post_url(remote_id))
        if mode == "native"
        else Result.published(remote_id, post_url(remote_id))
    )


def _file(path: Path) -> tuple[str, Any, str]:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return (path.name, open(path, "rb"), mime)  # noqa: SIM115 - requests reads and we close below


def publish_feed(
    graph: Graph, page: str, delivery: Delivery, mode: str, when: float, checkpoint: Checkpoint
) -> Result:
    data = {"message": message_of(delivery), **timing_fields(mode, when)}
    if delivery.link:
        data["link"] = delivery.link
    body, failure = graph.call("POST", f"{page}/feed", data=data, creating=True)
    if failure:
        return failure
    assert body is not None
    post_id = str(body.get("id") or "")
    if not post_id:
        return Result.unknown(code="no_id", reason="feed answered without an id")
    checkpoint({"kind": "feed", "post_id": post_id})
    return done(post_id, mode)


def publish_photo(
    graph: Graph, page: str, delivery: Delivery, mode: str, when: float, checkpoint: Checkpoint
) -> Result:
    data = {"message": message_of(delivery), **timing_fields(mode, when)}
    upload = _file(delivery.images[0])
    try:
        body, failure = graph.call(
            "POST",
            f"{page}/photos",
            data=data,
            files={"source": upload},
            creating=True,
            timeout=UPLOAD_TIMEOUT,
        )
    finally:
        upload[1].close()
    if failure:
        return failure
    assert body is not None
    post_id = str(body.get("post_id") or body.get("id") or "")
    if not post_id:
        return Result.unknown(code="no_id", reason="photos answered without an id")
    checkpoint({"kind": "photo", "photo_id": body.get("id"), "post_id": post_id})
    return done(post_id, mode)


def publish_photos(
    graph: Graph, page: str, delivery: Delivery, mode: str, when: float, checkpoint: Checkpoint
) -> Result:
    """Stage each photo unpublished, then one ``/feed`` post with ``attached_media``.

    If the feed call fails for sure (anything but an unknown outcome) the staged photos are
    deleted so orphans do not pile up across retries (brightbean ``_delete_staged_photos``).
    For a scheduled post the photos are staged with ``temporary=true`` (documented only in code
    comments: UNCERTAIN, harmless when not needed).
    """
    staged: list[str] = []
    for path in delivery.images:
        data = {"published": "false"}
        if mode == "native":
            data["temporary"] = "true"
        upload = _file(path)
        try:
            body, failure = graph.call(
                "POST", f"{page}/photos", data=data, files={"source": upload}, timeout=UPLOAD_TIMEOUT
            )
        finally:
            upload[1].close()
        if failure:
            delete_staged(graph, staged, checkpoint)
            return failure
        assert body is not None
        staged.append(str(body["id"]))
        checkpoint({"kind": "photos", "staged": list(staged)})
    data = {"message": message_of(delivery), **timing_fields(mode, when)}
    for i, media_id in enumerate(staged):
        data[f"attached_media[{i}]"] = json.dumps({"media_fbid": media_id})
    body, failure = graph.call("POST", f"{page}/feed", data=data, creating=True)
    if failure:
        if failure.outcome is not Outcome.UNKNOWN_OUTCOME:
            delete_staged(graph, staged, checkpoint)
        return failure
    assert body is not None
    post_id = str(body.get("id") or "")
    if not post_id:
        return Result.unknown(code="no_id", reason="feed answered without an id")
    checkpoint({"kind": "photos", "staged": staged, "post_id": post_id})
    return done(post_id, mode)


def delete_staged(graph: Graph, staged: list[str], checkpoint: Checkpoint) -> None:
    left = [media_id for media_id in staged if graph.call("DELETE", media_id)[1] is not None]
    if staged:
        checkpoint({"kind": "photos", "staged": left})
