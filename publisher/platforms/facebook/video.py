"""Page videos (``/videos``, resumable for large files) and Reels (``/video_reels``).

Video uploads: https://developers.facebook.com/docs/graph-api/video-uploads
Reels: https://developers.facebook.com/docs/video-api/guides/reels-publishing

A vertical clip must go through Reels: sent to ``/videos`` it becomes a draft and never goes
live (postiz PR #1740). Every flow persists the ``video_id`` as soon as Meta hands it out (Reels
start, resumable start) so that reconciliation can look it up; after ``finish`` we poll
``GET /{video-id}?fields=status`` until ``publishing_phase.publish_status`` says published or
scheduled.

UNCERTAIN (setting: ``RESUMABLE_THRESHOLD``): whether the legacy ``upload_phase`` start/transfer/
finish flow on ``/videos`` still works in v25; we use it for files above the threshold because it
needs only the Page token (the newer ``/{app-id}/uploads`` flow wants a user token).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from publisher.core.models import Delivery
from publisher.i18n import msg, register
from publisher.platforms.base import Checkpoint, Result
from publisher.platforms.facebook.client import Graph
from publisher.platforms.facebook.publish import message_of, post_url, timing_fields
from publisher.platforms.http import UPLOAD_TIMEOUT, FileSlice, file_size

register(
    {
        "facebook.video_failed": (
            "Facebook không xử lý được video ({status}): {detail}",
            "Facebook could not process the video ({status}): {detail}",
        ),
    }
)

#: files above this go through the chunked (resumable) upload; the simple upload takes ≤ 1 GB
RESUMABLE_THRESHOLD = 200 * 1024 * 1024
POLL_SECONDS = 15.0


def is_vertical(delivery: Delivery) -> bool | None:
    """True for a clip taller than wide, from its ``video_width``/``video_height`` options (declared
    in the schedule, or measured before the send by :func:`publisher.actions.media.with_video_size`);
    ``None`` when they are not known. Whether it becomes a Reel is
    :meth:`publisher.platforms.facebook.FacebookPageAdapter.video_preset`."""
    width, height = delivery.options.get("video_width"), delivery.options.get("video_height")
    if width and height:
        return int(height) > int(width)
    return None


def publish_video(
    graph: Graph, page: str, delivery: Delivery, reel: bool, mode: str, when: float, checkpoint: Checkpoint
) -> Result:
    """A Reel (``reel``, as the adapter routed the clip) or a feed video, simple or resumable.

    A Reel and a resumable video first open an upload session; the video id it hands out is
    committed (``checkpoint``) before a single byte is sent, then the upload goes on.
    """
    assert delivery.video is not None
    if not reel and file_size(delivery.video) <= RESUMABLE_THRESHOLD:
        return simple_video(graph, page, delivery, mode, when, checkpoint)
    opened = (start_reel if reel else start_resumable_video)(graph, page, delivery, mode, when)
    if isinstance(opened, Result):
        return opened
    checkpoint(opened)
    return (continue_reel if reel else continue_video)(graph, page, delivery, opened, checkpoint)


def _video_fields(delivery: Delivery, mode: str, when: float) -> dict[str, str]:
    fields = {"description": message_of(delivery), **timing_fields(mode, when)}
    if delivery.title:
        fields["title"] = delivery.title
    return fields


def simple_video(
    graph: Graph, page: str, delivery: Delivery, mode: str, when: float, checkpoint: Checkpoint
) -> Result:
    assert delivery.video is not None
    with open(delivery.video, "rb") as fh:
        body, failure = graph.call(
            "POST",
            f"{page}/videos",
            host="video",
            data=_video_fields(delivery, mode, when),
            files={"source": (delivery.video.name, fh, "video/mp4")},
            creating=True,
            timeout=UPLOAD_TIMEOUT,
        )
    if failure:
        return failure
    assert body is not None
    state = {"kind": "video", "video_id": str(body["id"]), "phase": "finished", "mode": mode}
    checkpoint(state)
    return Result.pending(state, poll_after=POLL_SECONDS)


def start_resumable_video(
    graph: Graph, page: str, delivery: Delivery, mode: str, when: float
) -> dict[str, Any] | Result:
    """Open a resumable ``/videos`` session: the resume state, or the failure."""
    assert delivery.video is not None
    size = file_size(delivery.video)
    body, failure = graph.call(
        "POST", f"{page}/videos", host="video", data={"upload_phase": "start", "file_size": str(size)}
    )
    if failure:
        return failure
    assert body is not None
    return {
        "kind": "video",
        "phase": "transfer",
        "mode": mode,
        "when": when,
        "video_id": str(body["video_id"]),
        "upload_session_id": str(body["upload_session_id"]),
        "start_offset": int(body.get("start_offset", 0)),
        "end_offset": int(body.get("end_offset", size)),
    }


def continue_video(
    graph: Graph, page: str, delivery: Delivery, state: dict[str, Any], checkpoint: Checkpoint
) -> Result:
    """Send the chunks Meta asks for (``start_offset``..``end_offset``), then ``finish``."""
    assert delivery.video is not None
    state = dict(state)
    while state["phase"] == "transfer" and state["start_offset"] < state["end_offset"]:
        start, end = int(state["start_offset"]), int(state["end_offset"])
        chunk = FileSlice(Path(delivery.video), start, end - start)
        try:
            body, failure = graph.call(
                "POST",
                f"{page}/videos",
                host="video",
                timeout=UPLOAD_TIMEOUT,
                data={
                    "upload_phase": "transfer",
                    "upload_session_id": state["upload_session_id"],
                    "start_offset": str(start),
                },
                files={"video_file_chunk": ("chunk", chunk, "application/octet-stream")},
            )
        finally:
            chunk.close()
        if failure:
            return _keep(failure, state)
        assert body is not None
        state["start_offset"], state["end_offset"] = int(body["start_offset"]), int(body["end_offset"])
        checkpoint(state)
    if state["phase"] == "transfer":
        data = {
            "upload_phase": "finish",
            "upload_session_id": state["upload_session_id"],
            **_video_fields(delivery, state.get("mode", "now"), float(state.get("when", 0))),
        }
        body, failure = graph.call("POST", f"{page}/videos", host="video", data=data, creating=True)
        if failure:
            return _keep(failure, state)
        state["phase"] = "finished"
        checkpoint(state)
    return Result.pending(state, poll_after=POLL_SECONDS)


def start_reel(
    graph: Graph, page: str, delivery: Delivery, mode: str, when: float
) -> dict[str, Any] | Result:
    """Open a Reel upload (``upload_phase=start``): the resume state, or the failure."""
    body, failure = graph.call("POST", f"{page}/video_reels", data={"upload_phase": "start"})
    if failure:
        return failure
    assert body is not None
    video_id = str(body["video_id"])
    return {
        "kind": "reel",
        "phase": "upload",
        "video_id": video_id,
        "offset": 0,
        "mode": mode,
        "when": when,
        "upload_url": body.get("upload_url") or graph.url(video_id, host="rupload"),
    }


def continue_reel(
    graph: Graph, page: str, delivery: Delivery, state: dict[str, Any], checkpoint: Checkpoint
) -> Result:
    """Upload to rupload from the offset Meta has, then ``finish`` with ``video_state``."""
    assert delivery.video is not None
    state = dict(state)
    if state["phase"] == "upload":
        size = file_size(delivery.video)
        offset = int(state.get("offset", 0))
        if offset:
            status, failure = graph.call("GET", state["video_id"], params={"fields": "status"})
            if failure:
                return _keep(failure, state)
            assert status is not None
            phase = (status.get("status") or {}).get("uploading_phase") or {}
            offset = int(phase.get("bytes_transfered", offset))
        body_slice = FileSlice(Path(delivery.video), offset, size - offset)
        try:
            body, failure = graph.call(
                "POST",
                "",
                url=state["upload_url"],
                data=body_slice,
                timeout=UPLOAD_TIMEOUT,
                headers={
                    "offset": str(offset),
                    "file_size": str(size),
                    "Content-Type": "application/octet-stream",
                },
            )
        finally:
            body_slice.close()
        if failure:
            state["offset"] = max(offset, 1)  # ask Meta for bytes_transfered next time
            return _keep(failure, state)
        state["phase"], state["offset"] = "finish", size
        checkpoint(state)
    if state["phase"] == "finish":
        mode = state.get("mode", "now")
        data = {
            "upload_phase": "finish",
            "video_id": state["video_id"],
            "description": message_of(delivery),
            "video_state": "SCHEDULED" if mode == "native" else "PUBLISHED",
        }
        if delivery.title:
            data["title"] = delivery.title
        if mode == "native":
            data["scheduled_publish_time"] = str(int(float(state["when"])))
        body, failure = graph.call("POST", f"{page}/video_reels", data=data, creating=True)
        if failure:
            return _keep(failure, state)
        state["phase"] = "finished"
        checkpoint(state)
    return Result.pending(state, poll_after=POLL_SECONDS)


def _keep(failure: Result, state: dict[str, Any]) -> Result:
    """A failure after the video id exists: keep the resume state so nothing starts twice."""
    if failure.outcome.value in ("transient", "unknown_outcome"):
        return Result(
            failure.outcome,
            code=failure.code,
            reason=failure.reason,
            resume_state=state,
            retry_after=failure.retry_after,
        )
    return failure


def video_status(graph: Graph, state: dict[str, Any]) -> Result:
    """Where a video stands after ``finish``: published / handed_off / pending / rejected."""
    body, failure = graph.call("GET", state["video_id"], params={"fields": "status,permalink_url,post_id"})
    if failure:
        return failure
    assert body is not None
    status = body.get("status") or {}
    video_status = status.get("video_status")
    publishing = status.get("publishing_phase") or {}
    processing = status.get("processing_phase") or {}
    publish_status = publishing.get("publish_status") or status.get("publish_status")
    remote_id = state["video_id"]
    url = body.get("permalink_url")
    url = f"https://www.facebook.com{url}" if url and url.startswith("/") else (url or post_url(remote_id))
    if video_status in ("error", "expired", "upload_failed") or processing.get("status") == "error":
        detail = (processing.get("error") or {}).get("message", "")
        return Result.rejected(
            f"video_{video_status or 'error'}",
            msg("facebook.video_failed", status=video_status, detail=detail),
        )
    if publish_status == "published":
        return Result.published(remote_id, url)
    if publish_status == "scheduled":
        return Result.handed_off(remote_id, url)
    return Result.pending(state, poll_after=POLL_SECONDS)
