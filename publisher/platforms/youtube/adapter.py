"""YouTube adapter (Data API v3).

Docs: https://developers.google.com/youtube/v3/docs/videos/insert and the resumable upload guide
https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol.

Tokens: OAuth 2.0; access tokens last about an hour, refreshed with the refresh token at
``{oauth_url}/token``. ``invalid_grant`` means the refresh token is dead (revoked, unused for six
months, or the OAuth app is still in "Testing", where refresh tokens expire after 7 days) and
raises :class:`AuthExpired`. Google normally does not rotate refresh tokens (UNCERTAIN): we keep
the old one unless a new one is returned.

Publish: start a resumable session (metadata validated first: title ≤ 100 characters,
description ≤ 5000 UTF-8 bytes, no ``<``/``>``; ``privacyStatus`` and ``selfDeclaredMadeForKids``
always sent), checkpoint the session URI at once, upload in 256 KiB multiples streamed from disk,
checkpoint the video id, then the optional thumbnail and playlist steps (their failure is logged
and checkpointed, the video stays published). Native scheduling sends ``privacyStatus=private``
plus ``publishAt`` and answers ``handed_off``.

Quota: every call spends from a per-project daily budget (:mod:`.quota`, reset at midnight
Pacific), counted by the ``quota`` counter the builder supplies (the database's in production);
``quotaExceeded``, ``uploadLimitExceeded`` and the daily-uploads 429 postpone to the next
quota day; any other 429 or ``rateLimitExceeded`` is a short rate limit (Retry-After, else the
publisher's backoff), never a postponement (:func:`.errors.classify`). Unknown outcome:
:mod:`.reconcile`. Statistics and subscribers: :mod:`.statistics`.

Format: an upright clip (or any with ``options.youtube.short: true``) is prepared as a Short, any
other as a video (:meth:`YouTubeAdapter.video_preset`); YouTube itself tells them apart by shape.

UNCERTAIN, safe defaults: ``videos.insert`` cost 1600 units (setting ``quota_costs``); thumbnails
limited to 2 MB (docs say 2 MB and 50 MB).
"""

from __future__ import annotations

import json
import logging
import mimetypes
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Unpack

import requests

from publisher.core.media_limits import YOUTUBE_SHORT, YOUTUBE_THUMBNAIL, YOUTUBE_VIDEO
from publisher.core.models import Delivery, Platform, PostSpec
from publisher.i18n import msg, register
from publisher.platforms.base import (
    Adapter,
    AdapterOptions,
    Checkpoint,
    Credentials,
    Handoff,
    Metrics,
    Problem,
    Result,
    no_checkpoint,
    timing,
)
from publisher.platforms.http import (
    UPLOAD_TIMEOUT,
    Answer,
    ApiClient,
    exception_result,
    file_size,
    generic_failure,
    json_body,
    too_large,
)
from publisher.platforms.youtube import auth, reconcile, statistics
from publisher.platforms.youtube.errors import AUTH_ERROR, classify
from publisher.platforms.youtube.metadata import video_resource
from publisher.platforms.youtube.quota import MemoryQuotaCounter, QuotaBook
from publisher.platforms.youtube.reconcile import landed
from publisher.platforms.youtube.upload import CHUNK_UNIT, ResumableUpload
from publisher.settings import YouTubeSettings

log = logging.getLogger(__name__)

register(
    {
        "youtube.not_due": (
            "Chưa đến lúc gửi video lên YouTube (còn {minutes} phút).",
            "Too early to send the video to YouTube ({minutes} minutes left).",
        ),
        "youtube.no_video": ("Bài cho YouTube cần có video.", "A YouTube post needs a video."),
        "youtube.session_gone": (
            "Phiên tải lên YouTube đã hết hạn; sẽ tải lại từ đầu.",
            "The YouTube upload session expired; the upload starts over.",
        ),
        "youtube.processing_failed": (
            "YouTube không nhận video ({code}).",
            "YouTube refused the video ({code}).",
        ),
        "youtube.quota_local": (
            "Đã dùng hết hạn mức YouTube trong ngày; hoãn đến {until}.",
            "The YouTube daily quota is spent; postponed to {until}.",
        ),
    }
)

THUMBNAIL_MAX_BYTES = YOUTUBE_THUMBNAIL.max_bytes
#: publishAt must be comfortably in the future once the upload has finished
NATIVE_MIN_LEAD = timedelta(minutes=15)
#: the dispatcher hands a video over two minutes past :data:`NATIVE_MIN_LEAD`, hours ahead so that
#: the upload finishes early (every YouTube post is a video)
HANDOFF = Handoff(
    min_lead=NATIVE_MIN_LEAD + timedelta(minutes=2), lead=timedelta(hours=6), video_lead=timedelta(hours=6)
)


class YouTubeAdapter(Adapter):
    platform = Platform.YOUTUBE
    title_max: ClassVar[int | None] = 100
    text_max: ClassVar[int | None] = 5000
    text_counts_bytes: ClassVar[bool] = True
    max_images: ClassVar[int] = 0
    supports_video: ClassVar[bool] = True
    scopes: ClassVar[tuple[str, ...]] = (
        "https://www.googleapis.com/auth/youtube",
        "https://www.googleapis.com/auth/youtube.upload",
        "https://www.googleapis.com/auth/youtube.readonly",
    )
    chunk_size: ClassVar[int] = 32 * CHUNK_UNIT
    handoff = HANDOFF
    reports_followers: ClassVar[bool] = True
    #: 401 "Invalid Credentials" (https://developers.google.com/youtube/v3/docs/errors: ``authError``;
    #: newer bodies carry only ``status: UNAUTHENTICATED``): refused before anything was created, so
    #: one forced refresh and one retry are safe. ``insufficientPermissions`` (403) is not cured so.
    refresh_codes: ClassVar[frozenset[str]] = frozenset(
        {AUTH_ERROR, "invalidCredentials", "UNAUTHENTICATED", "http_401"}
    )

    def __init__(
        self, credentials: Credentials, settings: Any = None, http: Any = None, **kw: Unpack[AdapterOptions]
    ) -> None:
        super().__init__(credentials, settings or YouTubeSettings(), http or requests.Session(), **kw)
        self.quota = QuotaBook(
            self.quota_counter or MemoryQuotaCounter(),
            self.settings.client_id or "default",
            self.settings.daily_quota,
            getattr(self.settings, "quota_costs", None),
        )
        self.api = ApiClient(self.http, self._classify, self._headers)
        self.sleep: Any = None  # None: real time.sleep in the uploader

    @classmethod
    def limits(cls) -> dict[str, Any]:
        return {**super().limits(), "requires_video": True}

    @classmethod
    def check(cls, post: PostSpec) -> list[Problem]:
        problems = super().check(post)
        for name, value in (("title", post.title), ("text", post.text)):
            if "<" in value or ">" in value:
                problems.append(
                    Problem(
                        name,
                        msg("youtube.angle", field=name),
                        code="angle_brackets",
                        position=min(i for i in (value.find("<"), value.find(">")) if i >= 0),
                    )
                )
        return problems

    @classmethod
    def video_preset(cls, delivery: Delivery, upright: bool) -> str | None:
        """An upright clip becomes a Short; ``options.youtube.short: true`` makes a landscape one a Short too."""
        short = upright or bool((delivery.options.get("youtube") or {}).get("short"))
        return YOUTUBE_SHORT.key if short else YOUTUBE_VIDEO.key

    # -- calls ----------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials.access_token}"}

    def _classify(
        self,
        response: requests.Response,
        body: dict[str, Any] | None,
        *,
        creating: bool,
        upload: bool = False,
    ) -> Result | None:
        return classify(
            response,
            body,
            creating=creating,
            now=self.clock(),
            on_daily_quota=self.quota.exhaust,
            upload=upload,
        )

    def _upload_failure(self, response: requests.Response) -> Result:
        """What a refused ``videos.insert`` session start or chunk means (its uploads cap included)."""
        failure = self._classify(response, json_body(response), creating=False, upload=True)
        return failure or generic_failure(response, creating=False)

    def _spend(self, method: str) -> Result | None:
        until = self.quota.spend(method, self.clock())
        if until is None:
            return None
        return Result.rate_limited(
            (until - self.clock()).total_seconds(),
            scope="app",
            code="quota_local",
            reason=msg("youtube.quota_local", until=until),
            postpone_until=until,
        )

    def _api(
        self, method: str, path: str, cost_key: str, *, upload_host: bool = False, **kwargs: Any
    ) -> Answer:
        """One Data API call, its quota units spent first (none if the local book is spent)."""
        refused = self._spend(cost_key)
        if refused:
            return None, refused
        base = self.settings.upload_url if upload_host else self.settings.api_url
        return self.api.call(method, f"{base.rstrip('/')}/{path}", **kwargs)

    # -- metadata -------------------------------------------------------------------------
    def metadata(self, delivery: Delivery, publish_at: datetime | None) -> dict[str, Any] | Result:
        return video_resource(delivery, publish_at)

    def _timing(self, delivery: Delivery) -> tuple[str, datetime | None, float]:
        """(mode, ``publishAt`` for a native hand-off, seconds to wait): see :func:`.base.timing`."""
        native = bool(delivery.options.get("native_schedule", self.settings.native_scheduling))
        mode, wait = timing(delivery.due_at - self.clock(), (NATIVE_MIN_LEAD, None) if native else None)
        return mode, (delivery.due_at if mode == "native" else None), wait

    # -- publish --------------------------------------------------------------------------
    def publish(self, delivery: Delivery, checkpoint: Checkpoint = no_checkpoint) -> Result:
        state = dict(delivery.resume_state or {})
        if state.get("video_id") or state.get("session_uri"):
            return self.poll(delivery, state, checkpoint)
        if delivery.video is None:
            return Result.rejected("no_video", msg("youtube.no_video"))
        mode, publish_at, wait = self._timing(delivery)
        if mode == "wait":
            return Result.transient(
                "not_due", msg("youtube.not_due", minutes=round(wait / 60)), retry_after=wait
            )
        resource = self.metadata(delivery, publish_at)
        if isinstance(resource, Result):
            return resource
        refused = too_large(delivery.video, YOUTUBE_VIDEO.max_bytes, "YouTube") or self._spend(
            "videos.insert"
        )
        if refused:
            return refused
        size = file_size(delivery.video)
        mime = mimetypes.guess_type(delivery.video.name)[0] or "video/mp4"
        params = {"uploadType": "resumable", "part": "snippet,status"}
        if (delivery.options.get("youtube") or {}).get("notify_subscribers") is False:
            params["notifySubscribers"] = "false"
        # No video exists until the bytes arrive: a lost session start is safe to redo (creating=False).
        sent = self.api.send(
            "POST",
            f"{self.settings.upload_url.rstrip('/')}/videos",
            params=params,
            data=json.dumps(resource, ensure_ascii=False).encode("utf-8"),
            headers={
                "Content-Type": "application/json; charset=UTF-8",
                "X-Upload-Content-Length": str(size),
                "X-Upload-Content-Type": mime,
            },
        )
        if isinstance(sent, Result):
            return sent
        location = sent.headers.get("Location")
        if sent.status_code != 200 or not location:
            return self._upload_failure(sent)
        state = {
            "session_uri": location,
            "size": size,
            "mime": mime,
            "offset": 0,
            "publish_at": publish_at.isoformat() if publish_at else None,
        }
        checkpoint(state)
        return self._upload(delivery, state, checkpoint, offset=0)

    def poll(
        self, delivery: Delivery, resume_state: dict[str, Any], checkpoint: Checkpoint = no_checkpoint
    ) -> Result:
        state = dict(resume_state)
        if state.get("video_id"):
            return self._after_upload(delivery, state, checkpoint)
        if state.get("session_uri"):
            return self._upload(delivery, state, checkpoint, offset=None)
        return self.publish(delivery, checkpoint)

    def uploader(self, delivery: Delivery, state: dict[str, Any]) -> ResumableUpload:
        """The resumable upload of ``delivery``'s clip to the session saved in ``state``."""
        assert delivery.video is not None
        return ResumableUpload(
            self.http,
            state["session_uri"],
            Path(delivery.video),
            self._headers(),
            mime=state.get("mime", "video/mp4"),
            chunk_size=self.chunk_size,
            **({"sleep": self.sleep} if self.sleep else {}),
        )

    def _upload(
        self, delivery: Delivery, state: dict[str, Any], checkpoint: Checkpoint, offset: int | None
    ) -> Result:
        def progress(update: dict[str, Any]) -> None:
            state.update(update)
            checkpoint(dict(state))

        uploader = self.uploader(delivery, state)
        uploader.on_progress = progress
        self.last_upload = uploader
        outcome = uploader.run(offset)
        if outcome.status == "done":
            resource = outcome.resource or {}
            video_id = str(resource.get("id") or "")
            if not video_id:
                return Result.unknown("no_id", "upload finished without a video id")
            upload_status = (resource.get("status") or {}).get("uploadStatus")
            state.update({"video_id": video_id, "upload_status": upload_status, "offset": outcome.offset})
            checkpoint(dict(state))
            if upload_status in ("rejected", "failed"):
                code = (resource.get("status") or {}).get("rejectionReason") or upload_status
                return Result.rejected(str(code), msg("youtube.processing_failed", code=code))
            return self._after_upload(delivery, state, checkpoint)
        if outcome.status == "gone":
            state.update({"session_uri": None, "offset": 0})
            checkpoint(dict(state))
            return Result.transient("session_gone", msg("youtube.session_gone"))
        if outcome.exception is not None:
            result = exception_result(outcome.exception, creating=False)
        else:
            assert outcome.response is not None
            result = self._upload_failure(outcome.response)
        return Result(
            result.outcome,
            code=result.code,
            reason=result.reason,
            retry_after=result.retry_after,
            scope=result.scope,
            postpone_until=result.postpone_until,
            resume_state=dict(state),
        )

    def _after_upload(self, delivery: Delivery, state: dict[str, Any], checkpoint: Checkpoint) -> Result:
        """Optional thumbnail and playlist steps: a failure is recorded, the video stays up."""
        video_id = str(state["video_id"])
        opts = delivery.options.get("youtube") or {}
        if opts.get("thumbnail") and "thumbnail" not in state:
            state["thumbnail"] = self._set_thumbnail(video_id, Path(opts["thumbnail"]))
            checkpoint(dict(state))
        if opts.get("playlist") and "playlist" not in state:
            state["playlist"] = self._add_to_playlist(video_id, str(opts["playlist"]))
            checkpoint(dict(state))
        return landed(video_id, held=bool(state.get("publish_at")))

    def _set_thumbnail(self, video_id: str, path: Path) -> str:
        try:
            size = file_size(path)
        except OSError as exc:
            log.warning("thumbnail unreadable for %s: %s", video_id, exc)
            return "failed:unreadable"
        if size > THUMBNAIL_MAX_BYTES:
            log.warning("thumbnail for %s is %d bytes, over %d", video_id, size, THUMBNAIL_MAX_BYTES)
            return "failed:too_large"
        with open(path, "rb") as fh:
            _, failure = self._api(
                "POST",
                "thumbnails/set",
                "thumbnails.set",
                upload_host=True,
                params={"videoId": video_id, "uploadType": "media"},
                data=fh,
                timeout=UPLOAD_TIMEOUT,
                headers={
                    "Content-Type": mimetypes.guess_type(path.name)[0] or "image/jpeg",
                    "Content-Length": str(size),
                },
            )
        return _step("thumbnail", video_id, failure)

    def _add_to_playlist(self, video_id: str, playlist_id: str) -> str:
        body = {
            "snippet": {
                "playlistId": playlist_id,
                "resourceId": {"kind": "youtube#video", "videoId": video_id},
            }
        }
        _, failure = self._api(
            "POST", "playlistItems", "playlistItems.insert", params={"part": "snippet"}, json=body
        )
        return _step("playlist insert", video_id, failure)

    # -- reconcile, tokens, statistics ----------------------------------------------------
    def reconcile(self, delivery: Delivery) -> Result:
        return reconcile.look_up(self, delivery)

    def refresh(self, credentials: Credentials) -> Credentials:
        return auth.refresh(self.settings, self.http, credentials, self.clock())

    def follower_count(self) -> int | None:
        """Subscribers of the channel (``channels.list?part=statistics&mine=true``); None when hidden."""
        return statistics.subscribers(self)

    def fetch_engagement(
        self, remote_ids: list[str], hints: Mapping[str, Mapping[str, Any]] | None = None
    ) -> dict[str, Metrics]:
        return statistics.video_metrics(self, remote_ids)


def _step(name: str, video_id: str, failure: Result | None) -> str:
    """How an optional step after the upload went, as recorded in the resume state."""
    if failure:
        log.warning("%s for %s failed: %s", name, video_id, failure.code)
        return f"failed:{failure.code}"
    return "done"
