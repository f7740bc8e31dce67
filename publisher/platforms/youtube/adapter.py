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
Pacific); ``quotaExceeded``, ``uploadLimitExceeded`` and the daily-uploads 429 postpone to the next
quota day; any other 429 or ``rateLimitExceeded`` is a short rate limit (Retry-After, else the
publisher's backoff), never a postponement (:func:`.errors.classify`). Unknown outcome: the saved
video id is looked up with ``videos.list``; a saved session URI is asked for its status (a
finished upload returns the video). Without either, no video can exist: the answer is ``absent``.

UNCERTAIN, safe defaults: ``videos.insert`` cost 1600 units (setting ``quota_costs``); thumbnails
limited to 2 MB (docs say 2 MB and 50 MB).
"""

from __future__ import annotations

import json
import logging
import mimetypes
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import requests

from publisher.core.models import Delivery, Platform, PostSpec
from publisher.i18n import msg, register
from publisher.platforms.base import (
    Adapter,
    Checkpoint,
    Credentials,
    Metrics,
    Problem,
    Result,
    no_checkpoint,
)
from publisher.platforms.http import (
    API_TIMEOUT,
    UPLOAD_TIMEOUT,
    exception_result,
    file_size,
    generic_failure,
    json_body,
    mask_text,
    too_large,
)
from publisher.platforms.media_limits import YOUTUBE_THUMBNAIL, YOUTUBE_VIDEO
from publisher.platforms.youtube import auth
from publisher.platforms.youtube.errors import AUTH_ERROR, classify
from publisher.platforms.youtube.metadata import video_resource
from publisher.platforms.youtube.quota import MemoryQuotaCounter, QuotaBook, QuotaCounter
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
        "youtube.not_found": ("Không thấy video trên kênh.", "The video is not on the channel."),
        "youtube.quota_local": (
            "Đã dùng hết hạn mức YouTube trong ngày; hoãn đến {until}.",
            "The YouTube daily quota is spent; postponed to {until}.",
        ),
    }
)

THUMBNAIL_MAX_BYTES = YOUTUBE_THUMBNAIL.max_bytes
#: publishAt must be comfortably in the future once the upload has finished
NATIVE_MIN_LEAD = timedelta(minutes=15)
EARLY_TOLERANCE = timedelta(seconds=60)


class YouTubeAdapter(Adapter):
    platform = Platform.YOUTUBE
    title_max: ClassVar[int | None] = 100
    text_max: ClassVar[int | None] = 5000
    text_counts_bytes: ClassVar[bool] = True
    max_images: ClassVar[int] = 0
    supports_video: ClassVar[bool] = True
    supports_native_scheduling: ClassVar[bool] = True
    scopes: ClassVar[tuple[str, ...]] = (
        "https://www.googleapis.com/auth/youtube",
        "https://www.googleapis.com/auth/youtube.upload",
        "https://www.googleapis.com/auth/youtube.readonly",
    )
    chunk_size: ClassVar[int] = 32 * CHUNK_UNIT
    #: 401 "Invalid Credentials" (https://developers.google.com/youtube/v3/docs/errors: ``authError``;
    #: newer bodies carry only ``status: UNAUTHENTICATED``): refused before anything was created, so
    #: one forced refresh and one retry are safe. ``insufficientPermissions`` (403) is not cured so.
    refresh_codes: ClassVar[frozenset[str]] = frozenset(
        {AUTH_ERROR, "invalidCredentials", "UNAUTHENTICATED", "http_401"}
    )

    shared_counter: ClassVar[QuotaCounter] = MemoryQuotaCounter()

    def __init__(
        self,
        credentials: Credentials,
        settings: Any = None,
        http: Any = None,
        *,
        quota: QuotaCounter | None = None,
    ) -> None:
        super().__init__(credentials, settings or YouTubeSettings(), http or requests.Session())
        project = self.settings.client_id or "default"
        self.quota = QuotaBook(
            quota or self.shared_counter,
            project,
            self.settings.daily_quota,
            getattr(self.settings, "quota_costs", None),
        )
        self.clock = lambda: datetime.now(UTC)
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

    # -- helpers --------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials.access_token}"}

    def _classify(self, response: requests.Response, *, creating: bool, upload: bool = False) -> Result:
        return classify(
            response,
            json_body(response),
            creating=creating,
            now=self.clock(),
            on_daily_quota=self.quota.exhaust,
            upload=upload,
        )

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
    ) -> tuple[dict[str, Any] | None, Result | None]:
        refused = self._spend(cost_key)
        if refused:
            return None, refused
        base = self.settings.upload_url if upload_host else self.settings.api_url
        headers = {**self._headers(), **kwargs.pop("headers", {})}
        try:
            response = self.http.request(
                method,
                f"{base.rstrip('/')}/{path}",
                headers=headers,
                timeout=kwargs.pop("timeout", API_TIMEOUT),
                allow_redirects=False,
                **kwargs,
            )
        except requests.RequestException as exc:
            return None, exception_result(exc, creating=False)
        body = json_body(response)
        if response.ok and body is not None and "error" not in body:
            return body, None
        if response.ok and response.status_code == 204:
            return {}, None
        return None, (
            generic_failure(response, creating=False)
            if response.ok
            else self._classify(response, creating=False)
        )

    # -- metadata -------------------------------------------------------------------------
    def metadata(self, delivery: Delivery, publish_at: datetime | None) -> dict[str, Any] | Result:
        return video_resource(delivery, publish_at)

    def _timing(self, delivery: Delivery) -> tuple[str, datetime | None, float]:
        native = bool(delivery.options.get("native_schedule", self.settings.native_scheduling))
        lead = delivery.due_at - self.clock()
        if lead <= EARLY_TOLERANCE:
            return "now", None, 0.0
        if native and lead >= NATIVE_MIN_LEAD:
            return "native", delivery.due_at, 0.0
        return "wait", None, lead.total_seconds()

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
        refused = too_large(delivery.video, YOUTUBE_VIDEO.max_bytes, "YouTube")
        if refused:
            return refused
        refused = self._spend("videos.insert")
        if refused:
            return refused
        size = file_size(delivery.video)
        mime = mimetypes.guess_type(delivery.video.name)[0] or "video/mp4"
        body = json.dumps(resource, ensure_ascii=False).encode("utf-8")
        params = {"uploadType": "resumable", "part": "snippet,status"}
        if (delivery.options.get("youtube") or {}).get("notify_subscribers") is False:
            params["notifySubscribers"] = "false"
        try:
            response = self.http.post(
                f"{self.settings.upload_url.rstrip('/')}/videos",
                params=params,
                data=body,
                timeout=API_TIMEOUT,
                allow_redirects=False,
                headers={
                    **self._headers(),
                    "Content-Type": "application/json; charset=UTF-8",
                    "X-Upload-Content-Length": str(size),
                    "X-Upload-Content-Type": mime,
                },
            )
        except requests.RequestException as exc:
            # No video exists until the bytes arrive: a lost session start is safe to redo.
            return exception_result(exc, creating=False)
        location = response.headers.get("Location")
        if response.status_code != 200 or not location:
            return self._classify(response, creating=False, upload=True)
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

    def _upload(
        self, delivery: Delivery, state: dict[str, Any], checkpoint: Checkpoint, offset: int | None
    ) -> Result:
        assert delivery.video is not None

        def progress(update: dict[str, Any]) -> None:
            state.update(update)
            checkpoint(dict(state))

        uploader = ResumableUpload(
            self.http,
            state["session_uri"],
            Path(delivery.video),
            self._headers(),
            mime=state.get("mime", "video/mp4"),
            chunk_size=self.chunk_size,
            on_progress=progress,
            **({"sleep": self.sleep} if self.sleep else {}),
        )
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
            result = self._classify(outcome.response, creating=False, upload=True)
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
        url = f"https://youtu.be/{video_id}"
        if state.get("publish_at"):
            return Result.handed_off(video_id, url)
        return Result.published(video_id, url)

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
        if failure:
            log.warning("thumbnail for %s failed: %s", video_id, failure.code)
            return f"failed:{failure.code}"
        return "done"

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
        if failure:
            log.warning("playlist insert for %s failed: %s", video_id, failure.code)
            return f"failed:{failure.code}"
        return "done"

    # -- reconcile ------------------------------------------------------------------------
    def reconcile(self, delivery: Delivery) -> Result:
        state = dict(delivery.resume_state or {})
        if state.get("video_id"):
            body, failure = self._api(
                "GET", "videos", "videos.list", params={"part": "status", "id": state["video_id"]}
            )
            if failure:
                return (
                    failure
                    if failure.outcome.value == "auth_expired"
                    else Result.unknown(failure.code, failure.reason)
                )
            assert body is not None
            items = body.get("items") or []
            if not items:
                return Result.absent(msg("youtube.not_found"))
            status = items[0].get("status") or {}
            url = f"https://youtu.be/{state['video_id']}"
            if status.get("publishAt") and status.get("privacyStatus") == "private":
                return Result.handed_off(str(state["video_id"]), url)
            return Result.published(str(state["video_id"]), url)
        if state.get("session_uri") and delivery.video is not None:
            uploader = ResumableUpload(self.http, state["session_uri"], Path(delivery.video), self._headers())
            try:
                response = uploader.query()
            except requests.RequestException as exc:
                return Result.unknown(type(exc).__name__, mask_text(str(exc))[:300])
            if response.status_code in (200, 201):
                resource = json_body(response) or {}
                if resource.get("id"):
                    url = f"https://youtu.be/{resource['id']}"
                    return (
                        Result.handed_off(str(resource["id"]), url)
                        if state.get("publish_at")
                        else Result.published(str(resource["id"]), url)
                    )
            if response.status_code == 308:
                state["offset"] = uploader._follow(response)
                return Result.pending(state, poll_after=0)
            if response.status_code in (404, 410):
                return Result.absent(msg("youtube.session_gone"))
            return Result.unknown(f"http_{response.status_code}")
        # No session was ever opened (or none was saved): no video can exist.
        return Result.absent(msg("youtube.not_found"))

    # -- tokens ---------------------------------------------------------------------------
    def refresh(self, credentials: Credentials) -> Credentials:
        return auth.refresh(self.settings, self.http, credentials, self.clock())

    # -- engagement -----------------------------------------------------------------------
    def follower_count(self) -> int | None:
        """Subscribers of the channel (``channels.list?part=statistics&mine=true``); None when hidden."""
        body, failure = self._api("GET", "channels", "channels.list", params={"part": "statistics", "mine": "true"})
        if failure or body is None:
            return None
        for item in body.get("items") or []:
            stats = item.get("statistics") or {}
            if stats.get("hiddenSubscriberCount") or "subscriberCount" not in stats:
                return None
            return int(stats["subscriberCount"])
        return None

    def fetch_engagement(self, remote_ids: list[str]) -> dict[str, Metrics]:
        out: dict[str, Metrics] = {}
        for i in range(0, len(remote_ids), 50):
            batch = remote_ids[i : i + 50]
            body, failure = self._api(
                "GET",
                "videos",
                "videos.list",
                params={"part": "statistics", "id": ",".join(batch), "maxResults": "50"},
            )
            if failure or body is None:
                log.warning("youtube statistics failed: %s", failure.code if failure else None)
                continue
            for item in body.get("items") or []:
                stats = item.get("statistics") or {}

                def num(key: str, stats: dict[str, Any] = stats) -> int | None:
                    return int(stats[key]) if key in stats else None

                out[str(item["id"])] = Metrics(
                    views=num("viewCount"),
                    reactions=num("likeCount"),
                    comments=num("commentCount"),
                    shares=None,
                    raw=stats,
                )
        return out
