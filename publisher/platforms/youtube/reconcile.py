"""Did an upload whose answer was lost make a video? The YouTube adapter's ``reconcile``.

The saved video id is looked up with ``videos.list`` (1 unit): found, it is published, or held by
YouTube when it is private with a ``publishAt``; not listed, it is absent. Without a video id, a
saved session URI is asked for its status (the resumable protocol's empty ``PUT``, read by
:meth:`.upload.ResumableUpload.read`): a finished upload returns the video, a 308 means the upload
can go on, 404/410 that the session (and so any video) is gone. Without either, no session was
ever opened: no video can exist, the answer is ``absent``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import requests

from publisher.core.models import Delivery
from publisher.i18n import msg, register
from publisher.platforms.base import Outcome, Result
from publisher.platforms.http import mask_text

if TYPE_CHECKING:  # the adapter imports this module
    from publisher.platforms.youtube.adapter import YouTubeAdapter

register({"youtube.not_found": ("Không thấy video trên kênh.", "The video is not on the channel.")})


def landed(video_id: str, held: bool) -> Result:
    """The video is on the channel: public now, or held by YouTube until its ``publishAt``."""
    url = f"https://youtu.be/{video_id}"
    return Result.handed_off(video_id, url) if held else Result.published(video_id, url)


def look_up(adapter: YouTubeAdapter, delivery: Delivery) -> Result:
    state = dict(delivery.resume_state or {})
    if state.get("video_id"):
        video_id = str(state["video_id"])
        body, failure = adapter._api(
            "GET", "videos", "videos.list", params={"part": "status", "id": video_id}
        )
        if failure:
            return (
                failure
                if failure.outcome is Outcome.AUTH_EXPIRED
                else Result.unknown(failure.code, failure.reason)
            )
        assert body is not None
        items = body.get("items") or []
        if not items:
            return Result.absent(msg("youtube.not_found"))
        status = items[0].get("status") or {}
        return landed(
            video_id, held=bool(status.get("publishAt")) and status.get("privacyStatus") == "private"
        )
    if state.get("session_uri") and delivery.video is not None:
        uploader = adapter.uploader(delivery, state)
        try:
            response = uploader.query()
        except requests.RequestException as exc:
            return Result.unknown(type(exc).__name__, mask_text(str(exc))[:300])
        answer = uploader.read(response, int(state.get("offset") or 0))
        found = (answer.resource or {}).get("id")
        if answer.status == "done" and found:
            return landed(str(found), held=bool(state.get("publish_at")))
        if answer.status == "more":
            return Result.pending({**state, "offset": answer.offset}, poll_after=0)
        if answer.status == "gone":
            return Result.absent(msg("youtube.session_gone"))
        return Result.unknown(f"http_{response.status_code}")
    # No session was ever opened (or none was saved): no video can exist.
    return Result.absent(msg("youtube.not_found"))
