"""Zalo Official Account adapter: articles (normal and video), optional broadcast.

Docs: https://developers.zalo.me/docs/official-account (not reachable for us; facts and sources in
/work/shared/reference/zalo.md, chiefly the official ``zaloplatform/zalo-java-sdk``).

Tokens: OAuth v4 with PKCE; access token ~25 h, refresh token single-use and rotating, ~3
months (:mod:`.auth`, orchestrated by :mod:`publisher.platforms.tokens`).

Publish (no native scheduling exists, so the worker calls us at the due time):
normal article → ``POST /v2.0/article/create`` → ``data.token`` **checkpointed at once** →
``POST /v2.0/article/verify`` until the article id arrives (8 × 3 s, then ``pending``).
Video article → ``preparevideo`` (multipart) → video token checkpointed → poll
``upload_video/verify`` for ``video_id`` → create with ``type=video`` → verify as above.
Optional broadcast of the published article to followers (``/v2.0/oa/message``), only between
06:00 and 22:00 Vietnam time; its failure never fails the article.

Never create twice: a saved article token is verified; without one, recent articles
(``getslice``, both types, limit 10) are listed and matched by title and time. Errors come as
HTTP 200 with a negative ``error``: :func:`.errors.classify` maps the codes.

UNCERTAIN, safe defaults: title ≤ 149 and description ≤ 299 characters (Zalo rejects exactly
150/300; we cut descriptions at 250); ``comment: "show"`` (the SDK's value); the cover must be a
public HTTPS JPEG URL under 1 MB (``options.zalo.cover_url`` or setting ``default_cover_url``), since
the cover-upload endpoints answer -209 for some apps; the v2 broadcast endpoint is behind the
``broadcast`` setting (off by default).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import requests

from publisher.core.models import Delivery, Platform, PostSpec, nfc
from publisher.i18n import msg, register
from publisher.platforms.base import (
    Adapter,
    Checkpoint,
    Credentials,
    Metrics,
    Outcome,
    Problem,
    Result,
    no_checkpoint,
)
from publisher.platforms.http import (
    API_TIMEOUT,
    UPLOAD_TIMEOUT,
    exception_result,
    generic_failure,
    json_body,
    too_large,
)
from publisher.platforms.media_limits import ZALO_VIDEO
from publisher.platforms.zalo import article, auth
from publisher.platforms.zalo.errors import (
    ARTICLE_PROCESSING,
    SUCCESS,
    classify,
    error_code,
    in_broadcast_window,
    next_broadcast_window,
)
from publisher.settings import ZaloSettings

log = logging.getLogger(__name__)

register(
    {
        "zalo.no_cover": (
            "Bài Zalo cần ảnh bìa là đường dẫn HTTPS công khai (tuỳ chọn zalo.cover_url).",
            "A Zalo article needs a cover as a public HTTPS URL (option zalo.cover_url).",
        ),
        "zalo.not_due": (
            "Chưa đến giờ đăng lên Zalo (còn {minutes} phút).",
            "Too early to publish on Zalo ({minutes} minutes left).",
        ),
        "zalo.not_found": ("Không thấy bài trên OA.", "The article is not on the OA."),
        "zalo.local_images": (
            "{n} ảnh trong máy không được đưa lên bài Zalo; ghi đường dẫn công khai vào zalo.image_urls.",
            "{n} local photos are not sent to the Zalo article; list public URLs in zalo.image_urls.",
        ),
        "zalo.video_processing": ("Zalo đang xử lý video.", "Zalo is still processing the video."),
    }
)

EARLY_TOLERANCE = timedelta(seconds=60)
#: an article created this recently may still be processing and missing from the list
RECONCILE_SETTLE = timedelta(minutes=3)
DESCRIPTION_CUT = 250


class ZaloOAAdapter(Adapter):
    platform = Platform.ZALO
    title_max: ClassVar[int | None] = 149
    text_max: ClassVar[int | None] = None  # the body is HTML blocks; no documented cap
    author_max: ClassVar[int] = 50
    description_max: ClassVar[int] = 299
    max_images: ClassVar[int] = 20
    supports_video: ClassVar[bool] = True
    supports_native_scheduling: ClassVar[bool] = False
    list_limit: ClassVar[int] = 10  # getslice rejects more ("maximum limit is 10")
    verify_attempts: ClassVar[int] = 8
    verify_interval: ClassVar[float] = 3.0
    comment_value: ClassVar[str] = "show"

    def __init__(self, credentials: Credentials, settings: Any = None, http: Any = None) -> None:
        super().__init__(credentials, settings or ZaloSettings(), http or requests.Session())
        self.clock = lambda: datetime.now(UTC)
        self.sleep = time.sleep

    @classmethod
    def check(cls, post: PostSpec) -> list[Problem]:
        problems = super().check(post)
        opts = post.options.get("zalo") or {}
        if post.images and not opts.get("image_urls"):
            # Article bodies take public URLs only; local photos are not uploaded to Zalo.
            problems.append(
                Problem(
                    "images",
                    msg("zalo.local_images", n=len(post.images)),
                    severity="warn",
                    code="images_not_sent",
                )
            )
        if post.video is None and not opts.get("cover_url"):
            problems.append(Problem("options", msg("zalo.no_cover"), severity="warn", code="no_cover"))
        return problems

    # -- calls ----------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return f"{self.settings.openapi_url.rstrip('/')}/{path.lstrip('/')}"

    def _call(
        self,
        method: str,
        path: str,
        *,
        creating: bool = False,
        headers: dict[str, str] | None = None,
        timeout: Any = API_TIMEOUT,
        **kwargs: Any,
    ) -> tuple[dict[str, Any] | None, Result | None]:
        try:
            response = self.http.request(
                method,
                self._url(path),
                headers={"access_token": self.credentials.access_token, **(headers or {})},
                timeout=timeout,
                allow_redirects=False,
                **kwargs,
            )
        except requests.RequestException as exc:
            return None, exception_result(exc, creating=creating)
        body = json_body(response)
        if response.ok and body is not None and error_code(body) == SUCCESS:
            data = body.get("data")
            return (data if isinstance(data, dict) else {"value": data}), None
        if body is None or error_code(body) is None:
            return None, generic_failure(response, creating=creating)
        return None, classify(response, body, creating=creating, now=self.clock())

    # -- article body ---------------------------------------------------------------------
    def _cover(self, delivery: Delivery) -> str | None:
        return article.cover_url(delivery, getattr(self.settings, "default_cover_url", None))

    def _description(self, delivery: Delivery) -> str:
        return article.description(delivery, DESCRIPTION_CUT)

    def _public_url(self, url: str) -> str:
        return article.public_url(url)

    def article_body(self, delivery: Delivery) -> dict[str, Any]:
        return article.normal_article(
            delivery, self._cover(delivery), DESCRIPTION_CUT, self.author_max, self.comment_value
        )

    # -- publish --------------------------------------------------------------------------
    def publish(self, delivery: Delivery, checkpoint: Checkpoint = no_checkpoint) -> Result:
        state = dict(delivery.resume_state or {})
        if state.get("article_id") or state.get("article_token") or state.get("video_token"):
            return self.poll(delivery, state, checkpoint)
        lead = delivery.due_at - self.clock()
        if lead > EARLY_TOLERANCE:
            return Result.transient(
                "not_due",
                msg("zalo.not_due", minutes=round(lead.total_seconds() / 60)),
                retry_after=lead.total_seconds(),
            )
        cover = self._cover(delivery)
        if delivery.video is None and not cover:
            return Result.rejected("no_cover", msg("zalo.no_cover"))
        if delivery.video is not None:
            refused = too_large(delivery.video, ZALO_VIDEO.max_bytes, "Zalo")
            if refused:
                return refused
            return self._upload_video(delivery, state, checkpoint)
        return self._create(delivery, self.article_body(delivery), state, checkpoint)

    def poll(
        self, delivery: Delivery, resume_state: dict[str, Any], checkpoint: Checkpoint = no_checkpoint
    ) -> Result:
        state = dict(resume_state)
        if state.get("article_id"):
            return self._published(delivery, state, checkpoint)
        if state.get("article_token"):
            return self._verify(delivery, state, checkpoint)
        if state.get("video_token"):
            return self._verify_video(delivery, state, checkpoint)
        return self.publish(delivery, checkpoint)

    def _create(
        self, delivery: Delivery, body: dict[str, Any], state: dict[str, Any], checkpoint: Checkpoint
    ) -> Result:
        data, failure = self._call("POST", "v2.0/article/create", json=body, creating=True)
        if failure:
            return failure
        assert data is not None
        token = data.get("token")
        if not token:
            return Result.unknown("no_token", "article/create answered without a token")
        state.update({"article_token": str(token), "created_at": self.clock().isoformat()})
        checkpoint(dict(state))  # committed before anything else happens
        return self._verify(delivery, state, checkpoint)

    def _verify(self, delivery: Delivery, state: dict[str, Any], checkpoint: Checkpoint) -> Result:
        for attempt in range(self.verify_attempts):
            data, failure = self._call("POST", "v2.0/article/verify", json={"token": state["article_token"]})
            if data is not None:
                article_id = data.get("id") or data.get("article_id")
                if article_id:
                    state["article_id"] = str(article_id)
                    checkpoint(dict(state))
                    return self._published(delivery, state, checkpoint)
            elif (
                failure is not None
                and failure.code != str(ARTICLE_PROCESSING)
                and failure.outcome.value != "transient"
            ):
                return failure
            if attempt + 1 < self.verify_attempts:
                self.sleep(self.verify_interval)
        return Result.pending(dict(state), poll_after=30.0)

    def _upload_video(self, delivery: Delivery, state: dict[str, Any], checkpoint: Checkpoint) -> Result:
        assert delivery.video is not None
        with open(delivery.video, "rb") as fh:
            data, failure = self._call(
                "POST",
                "v2.0/article/upload_video/preparevideo",
                timeout=UPLOAD_TIMEOUT,
                files={"file": (delivery.video.name, fh, "video/mp4")},
            )
        if failure:
            return failure
        assert data is not None
        state.update({"kind": "video", "video_token": str(data["token"])})
        checkpoint(dict(state))
        return self._verify_video(delivery, state, checkpoint)

    def _verify_video(self, delivery: Delivery, state: dict[str, Any], checkpoint: Checkpoint) -> Result:
        if not state.get("video_id"):
            for attempt in range(self.verify_attempts):
                data, failure = self._call(
                    "GET", "v2.0/article/upload_video/verify", headers={"token": state["video_token"]}
                )
                if failure and failure.outcome.value not in ("transient",):
                    return failure
                if data and data.get("video_id"):
                    state["video_id"] = str(data["video_id"])
                    checkpoint(dict(state))
                    break
                if attempt + 1 < self.verify_attempts:
                    self.sleep(self.verify_interval)
            else:
                return Result.pending(dict(state), poll_after=30.0)
        opts = delivery.options.get("zalo") or {}
        avatar = opts.get("avatar_url") or self._cover(delivery)
        body: dict[str, Any] = {
            "type": "video",
            "title": nfc(delivery.title.strip()),
            "description": self._description(delivery),
            "video_id": state["video_id"],
            "status": "show",
            "comment": self.comment_value,
        }
        if avatar:
            body["avatar"] = self._public_url(str(avatar))
        return self._create(delivery, body, state, checkpoint)

    def _published(self, delivery: Delivery, state: dict[str, Any], checkpoint: Checkpoint) -> Result:
        article_id = str(state["article_id"])
        opts = delivery.options.get("zalo") or {}
        wanted = bool(opts.get("broadcast", self.settings.broadcast))
        if wanted and state.get("broadcast") in (None, "waiting"):
            now = self.clock()
            if in_broadcast_window(now):
                data, failure = self._call(
                    "POST", "v2.0/oa/message", json=self.broadcast_body(article_id, opts)
                )
                state["broadcast"] = f"failed:{failure.code}" if failure else "sent"
                if data and data.get("message_id"):
                    state["broadcast_message_id"] = str(data["message_id"])
                if failure:
                    log.warning("zalo broadcast of %s failed: %s", article_id, failure.code)
            else:
                state["broadcast"] = "waiting"
                state["broadcast_after"] = next_broadcast_window(now).isoformat()
            checkpoint(dict(state))
        return Result(Outcome.PUBLISHED, remote_id=article_id, resume_state=dict(state))

    @staticmethod
    def broadcast_body(article_id: str, opts: dict[str, Any]) -> dict[str, Any]:
        return article.broadcast_body(article_id, opts)

    # -- reconcile ------------------------------------------------------------------------
    def reconcile(self, delivery: Delivery) -> Result:
        state = dict(delivery.resume_state or {})
        if state.get("article_id"):
            return Result.published(str(state["article_id"]))
        if state.get("article_token"):
            data, failure = self._call("POST", "v2.0/article/verify", json={"token": state["article_token"]})
            if data and (data.get("id") or data.get("article_id")):
                return Result.published(str(data.get("id") or data.get("article_id")))
            if failure and failure.code == str(ARTICLE_PROCESSING):
                return Result.unknown(failure.code, failure.reason)
            # The token did not resolve: fall back to the list.
        now = self.clock()
        attempt = delivery.last_attempt_at or delivery.due_at
        if now - attempt < RECONCILE_SETTLE:
            return Result.unknown("settling", msg("zalo.processing"))
        title = " ".join(nfc(delivery.title).split())
        since = attempt - timedelta(minutes=2)
        for kind in ("video", "normal") if delivery.video is not None else ("normal",):
            for page in range(3):
                data, failure = self._call(
                    "GET",
                    "v2.0/article/getslice",
                    params={"offset": page * self.list_limit, "limit": self.list_limit, "type": kind},
                )
                if failure:
                    return Result.unknown(failure.code, failure.reason)
                items = (data or {}).get("medias") or []
                for item in items:
                    created = article.when(item.get("create_date"))
                    if " ".join(nfc(str(item.get("title") or "")).split()) == title and (
                        created is None or created >= since
                    ):
                        return Result.published(str(item["id"]))
                if len(items) < self.list_limit:
                    break
        return Result.absent(msg("zalo.not_found"))

    # -- tokens and engagement ------------------------------------------------------------
    def refresh(self, credentials: Credentials) -> Credentials:
        return auth.refresh(self.settings, self.http, credentials, now=self.clock())

    def fetch_engagement(self, remote_ids: list[str], max_pages: int = 10) -> dict[str, Metrics]:
        wanted = set(remote_ids)
        out: dict[str, Metrics] = {}
        for kind in ("normal", "video"):
            for page in range(max_pages):
                if wanted <= set(out):
                    return out
                data, failure = self._call(
                    "GET",
                    "v2.0/article/getslice",
                    params={"offset": page * self.list_limit, "limit": self.list_limit, "type": kind},
                )
                if failure or data is None:
                    break
                items = data.get("medias") or []
                for item in items:
                    if str(item.get("id")) in wanted:
                        out[str(item["id"])] = Metrics(
                            views=article.as_int(item.get("total_view")),
                            shares=article.as_int(item.get("total_share")),
                            raw={k: item.get(k) for k in ("total_view", "total_share", "type")},
                        )
                if len(items) < self.list_limit:
                    break
        return out

    def follower_count(self) -> int | None:
        """Followers of the OA from ``/v2.0/oa/getoa`` (``num_follower``: field name UNCERTAIN)."""
        data, failure = self._call("GET", "v2.0/oa/getoa")
        if failure or data is None:
            return None
        return article.as_int(data.get("num_follower"))
