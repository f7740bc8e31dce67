"""Facebook Page adapter.

Docs: https://developers.facebook.com/docs/pages-api/posts (API version pinned in settings).

Tokens: a Page token made from a *long-lived* user token does not expire
(https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived); it
still dies on a password change (190/460), lost Page role (492) or 90 days without use (493).
``refresh`` therefore returns the credentials unchanged; ``connect.check_facebook_token`` reports
days left via ``/debug_token``; any 190 answer is ``auth_expired``.

Publish: text/link → ``/feed``; one photo → ``/photos``; several → staged unpublished photos then
``/feed`` with ``attached_media``; a clip as :meth:`FacebookPageAdapter.video_preset` routes it:
an upright clip (or any with ``options.facebook.reel: true``) → Reels (start → rupload → finish),
else → ``/videos`` (resumable above a size). Native scheduling (``scheduled_publish_time``, more
than 11 minutes and at most 29 days ahead: the conservative reading of the UNCERTAIN 30/75 day
window) answers ``handed_off``; the dispatcher hands posts over inside :attr:`handoff`.

Unknown outcome: the Graph API has no idempotency key. We reconcile by the saved id first
(``post_id`` or ``video_id``, checkpointed the moment Meta returns it), else by listing
``/published_posts`` and ``/scheduled_posts`` (and ``/videos``, ``/video_reels`` for clips) since
the attempt and matching :func:`publisher.core.models.text_hash` of the message. A 506 duplicate
answer is treated as unknown and reconciled; the text is never edited to get past it.

Engagement: fields and insights metrics asked per object kind (post, photo, video, Reel), a
refused ``?ids=`` batch split in two until the bad object is alone: :mod:`.insights`.

UNCERTAIN and kept at the safe default: feed photo size (4 MB), ``temporary=true`` on photos
staged for a scheduled post (sent), ``unpublished_content_type`` (not sent), Reels finish
returning a ``post_id`` (not relied upon).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar, Unpack

import requests

from publisher.core.media_limits import FACEBOOK_PHOTO, FACEBOOK_REEL, FACEBOOK_VIDEO
from publisher.core.models import Delivery, Platform, PostSpec, text_hash
from publisher.i18n import msg, register
from publisher.platforms.base import (
    Adapter,
    AdapterOptions,
    Checkpoint,
    Credentials,
    Metrics,
    Problem,
    Result,
    no_checkpoint,
)
from publisher.platforms.facebook import insights
from publisher.platforms.facebook import publish as posts
from publisher.platforms.facebook import video as videos
from publisher.platforms.facebook.client import Graph
from publisher.platforms.facebook.scheduling import HANDOFF, schedule_decision
from publisher.platforms.http import too_large
from publisher.settings import FacebookSettings

register(
    {
        "facebook.not_due": (
            "Chưa đến lúc gửi bài lên Facebook (còn {minutes} phút).",
            "Too early to send the post to Facebook ({minutes} minutes left).",
        ),
        "facebook.mixed_media": (
            "Facebook không cho trộn ảnh và video trong một bài.",
            "Facebook does not allow photos and a video in one post.",
        ),
        "facebook.not_found": ("Không thấy bài trên Trang.", "The post is not on the Page."),
        "facebook.orientation_unknown": (
            "Không xác định được video dọc hay ngang; ghi rõ 'reel: true/false' trong tuỳ chọn facebook.",
            "Cannot tell whether the video is vertical; set 'reel: true/false' in the facebook options.",
        ),
    }
)

RECONCILE_SLACK = timedelta(seconds=120)


class FacebookPageAdapter(Adapter):
    platform = Platform.FACEBOOK
    text_max: ClassVar[int | None] = 63_206
    max_images: ClassVar[int] = 10  # attached_media cap used by every implementation (UNCERTAIN)
    supports_video: ClassVar[bool] = True
    handoff = HANDOFF
    reports_followers: ClassVar[bool] = True
    scopes: ClassVar[tuple[str, ...]] = (
        "pages_show_list",
        "pages_read_engagement",
        "pages_manage_posts",
        "read_insights",
    )
    #: ``fetch_engagement`` takes the deliveries' hints (recorded kind, media) to ask per object kind

    def __init__(
        self, credentials: Credentials, settings: Any = None, http: Any = None, **kw: Unpack[AdapterOptions]
    ) -> None:
        super().__init__(credentials, settings or FacebookSettings(), http or requests.Session(), **kw)
        self.graph = Graph(self.settings, self.http, lambda: self.credentials.access_token)

    @property
    def page(self) -> str:
        if not self.credentials.remote_account_id:
            raise ValueError("Facebook credentials carry no Page id (remote_account_id)")
        return self.credentials.remote_account_id

    @classmethod
    def check(cls, post: PostSpec) -> list[Problem]:
        problems = super().check(post)
        if post.images and post.video:
            problems.append(Problem("video", msg("facebook.mixed_media"), code="mixed_media"))
        return problems

    @classmethod
    def video_preset(cls, delivery: Delivery, upright: bool) -> str | None:
        """An upright clip is always a Reel (sent to ``/videos`` it stays a draft that never goes
        live: postiz PR #1740); ``options.facebook.reel: true`` makes a landscape clip a Reel too."""
        reel = upright or bool((delivery.options.get("facebook") or {}).get("reel"))
        return FACEBOOK_REEL.key if reel else FACEBOOK_VIDEO.key

    # -- publish --------------------------------------------------------------------------
    def publish(self, delivery: Delivery, checkpoint: Checkpoint = no_checkpoint) -> Result:
        state = delivery.resume_state or {}
        if state.get("video_id") or state.get("post_id"):
            # Something exists already: never create twice, continue or look it up.
            return self.poll(delivery, state, checkpoint)
        if state.get("staged"):
            # Photos staged by an attempt that certainly made no post: remove them before staging anew.
            posts.delete_staged(self.graph, [str(i) for i in state["staged"]], checkpoint)
        mode, when = schedule_decision(delivery, self.clock(), self.settings.native_scheduling)
        if mode == "wait":
            return Result.transient(
                "not_due", msg("facebook.not_due", minutes=round(when / 60)), retry_after=when
            )
        for image in delivery.images:
            refused = too_large(image, FACEBOOK_PHOTO.max_bytes, "Facebook", FACEBOOK_PHOTO.png_max_bytes)
            if refused:
                return refused
        if delivery.video is not None:
            if delivery.images:
                return Result.rejected("mixed_media", msg("facebook.mixed_media"))
            refused = too_large(delivery.video, FACEBOOK_VIDEO.max_bytes, "Facebook")
            if refused:
                return refused
            upright = videos.is_vertical(delivery)
            if upright is None and "reel" not in (delivery.options.get("facebook") or {}):
                return Result.rejected("orientation_unknown", msg("facebook.orientation_unknown"))
            reel = self.video_preset(delivery, bool(upright)) == FACEBOOK_REEL.key
            return videos.publish_video(self.graph, self.page, delivery, reel, mode, when, checkpoint)
        if len(delivery.images) > 1:
            return posts.publish_photos(self.graph, self.page, delivery, mode, when, checkpoint)
        if delivery.images:
            return posts.publish_photo(self.graph, self.page, delivery, mode, when, checkpoint)
        return posts.publish_feed(self.graph, self.page, delivery, mode, when, checkpoint)

    def poll(
        self, delivery: Delivery, resume_state: dict[str, Any], checkpoint: Checkpoint = no_checkpoint
    ) -> Result:
        state = dict(resume_state)
        if state.get("video_id"):
            phase = state.get("phase")
            if state.get("kind") == "reel" and phase in ("upload", "finish"):
                return videos.continue_reel(self.graph, self.page, delivery, state, checkpoint)
            if state.get("kind") == "video" and phase == "transfer":
                return videos.continue_video(self.graph, self.page, delivery, state, checkpoint)
            return videos.video_status(self.graph, state)
        if state.get("post_id"):
            return self._lookup_post(str(state["post_id"]))
        return self.reconcile(delivery)

    # -- reconcile ------------------------------------------------------------------------
    def reconcile(self, delivery: Delivery) -> Result:
        state = delivery.resume_state or {}
        if state.get("video_id"):
            if state.get("phase") == "finish":
                # finish may have gone through: ask before calling it again
                status = videos.video_status(self.graph, dict(state))
                if status.outcome.value in ("published", "handed_off"):
                    return status
            if state.get("phase") != "finished":
                return Result.pending(dict(state), poll_after=0)  # upload/finish can continue
            result = videos.video_status(self.graph, dict(state))
            if result.code in ("video_error", "video_expired", "video_upload_failed"):
                return Result.absent(result.reason)
            return result
        if state.get("post_id"):
            return self._lookup_post(str(state["post_id"]))
        since = (delivery.last_attempt_at or delivery.due_at) - RECONCILE_SLACK
        wanted = text_hash(posts.message_of(delivery))
        edges: list[tuple[str, str, str]] = [
            ("published_posts", "message", "published"),
            ("scheduled_posts", "message", "scheduled"),
        ]
        if delivery.video is not None:
            edges += [("videos", "description", "published"), ("video_reels", "description", "published")]
        for edge, text_field, kind in edges:
            body, failure = self.graph.call(
                "GET",
                f"{self.page}/{edge}",
                params={
                    "fields": f"id,{text_field},created_time,permalink_url",
                    "since": str(int(since.timestamp())),
                    "limit": "25",
                },
            )
            if failure:
                return Result.unknown(failure.code, failure.reason)
            assert body is not None
            for item in body.get("data") or []:
                if text_hash(str(item.get(text_field) or "")) == wanted:
                    remote_id = str(item["id"])
                    url = item.get("permalink_url") or posts.post_url(remote_id)
                    return (
                        Result.handed_off(remote_id, url)
                        if kind == "scheduled"
                        else Result.published(remote_id, url)
                    )
        return Result.absent(msg("facebook.not_found"))

    def _lookup_post(self, post_id: str) -> Result:
        body, failure = self.graph.call("GET", post_id, params={"fields": "id,permalink_url,is_published"})
        if failure:
            if failure.code and failure.code.split("/")[0] == "100":
                return Result.absent(msg("facebook.not_found"))
            return (
                Result.unknown(failure.code, failure.reason)
                if failure.outcome.value != "auth_expired"
                else failure
            )
        assert body is not None
        url = body.get("permalink_url") or posts.post_url(post_id)
        if body.get("is_published") is False:
            return Result.handed_off(post_id, url)
        return Result.published(post_id, url)

    # -- engagement -----------------------------------------------------------------------
    def fetch_engagement(
        self, remote_ids: list[str], hints: Mapping[str, Mapping[str, Any]] | None = None
    ) -> dict[str, Metrics]:
        """Per object kind (post, photo, video, Reel): see :mod:`publisher.platforms.facebook.insights`."""
        return insights.fetch(self.graph, remote_ids, hints)

    def follower_count(self) -> int | None:
        """Followers of the Page (``GET /{page-id}?fields=followers_count``); None when not returned."""
        body, failure = self.graph.call("GET", self.page, params={"fields": "followers_count"})
        if failure or body is None or not isinstance(body.get("followers_count"), int):
            return None
        return int(body["followers_count"])
