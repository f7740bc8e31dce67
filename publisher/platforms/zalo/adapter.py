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

Never create twice: a saved article token is verified; without one, the OA's article list is read
back past the send (:mod:`.reconcile`). The article's link is recorded when it is verified or
adopted (``link`` in the answer, UNCERTAIN; else the setting ``article_url_template``). Errors come
as HTTP 200 with a negative ``error``: :func:`.errors.classify` maps the codes. Views, shares and
followers: :mod:`.statistics`.

UNCERTAIN, safe defaults: title ≤ 149 and description ≤ 299 characters (Zalo rejects exactly
150/300; we cut descriptions at 250); ``comment: "show"`` (the SDK's value); the cover must be a
public HTTPS JPEG URL under 1 MB (``options.zalo.cover_url`` or setting ``default_cover_url``), since
the cover-upload endpoints answer -209 for some apps; the v2 broadcast endpoint is behind the
``broadcast`` setting (off by default).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, ClassVar, Unpack

import requests

from publisher.core.media_limits import ZALO_VIDEO
from publisher.core.models import Delivery, Platform, PostSpec, nfc
from publisher.i18n import msg, register
from publisher.platforms.base import (
    Adapter,
    AdapterOptions,
    Checkpoint,
    Credentials,
    Metrics,
    Outcome,
    Problem,
    Result,
    no_checkpoint,
    timing,
)
from publisher.platforms.http import UPLOAD_TIMEOUT, Answer, ApiClient, too_large
from publisher.platforms.zalo import article, auth, reconcile, statistics
from publisher.platforms.zalo.errors import (
    ARTICLE_PROCESSING,
    AUTH_CODES,
    classify,
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
        "zalo.local_images": (
            "{n} ảnh trong máy không được đưa lên bài Zalo; ghi đường dẫn công khai vào zalo.image_urls.",
            "{n} local photos are not sent to the Zalo article; list public URLs in zalo.image_urls.",
        ),
        "zalo.video_processing": ("Zalo đang xử lý video.", "Zalo is still processing the video."),
    }
)

DESCRIPTION_CUT = 250


class ZaloOAAdapter(Adapter):
    platform = Platform.ZALO
    title_max: ClassVar[int | None] = 149
    text_max: ClassVar[int | None] = None  # the body is HTML blocks; no documented cap
    author_max: ClassVar[int] = 50
    description_max: ClassVar[int] = 299
    max_images: ClassVar[int] = 20
    supports_video: ClassVar[bool] = True
    reports_followers: ClassVar[bool] = True
    list_limit: ClassVar[int] = 10  # getslice rejects more ("maximum limit is 10")
    #: pages of ``getslice`` read back towards a send before giving up (stays unconfirmed)
    list_pages_max: ClassVar[int] = 30
    verify_attempts: ClassVar[int] = 8
    verify_interval: ClassVar[float] = 3.0
    comment_value: ClassVar[str] = "show"
    #: the access token expired or is invalid (-124/-216/-220, or a bare HTTP 401): the call was
    #: refused before anything was created, so one forced refresh and one retry are safe
    #: (zalo.md §5: "refresh, retry once"). Permission codes (-212/-223) are not cured by a refresh.
    refresh_codes: ClassVar[frozenset[str]] = frozenset({*(str(c) for c in AUTH_CODES), "http_401"})

    def __init__(
        self, credentials: Credentials, settings: Any = None, http: Any = None, **kw: Unpack[AdapterOptions]
    ) -> None:
        super().__init__(credentials, settings or ZaloSettings(), http or requests.Session(), **kw)
        self.api = ApiClient(
            self.http, self._classify, lambda: {"access_token": self.credentials.access_token}
        )
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

    @classmethod
    def video_preset(cls, delivery: Delivery, upright: bool) -> str | None:
        """Every clip becomes a video article, made small enough for Zalo whatever its shape."""
        return ZALO_VIDEO.key

    # -- calls ----------------------------------------------------------------------------
    def _classify(
        self, response: requests.Response, body: dict[str, Any] | None, *, creating: bool
    ) -> Result | None:
        return classify(response, body, creating=creating, now=self.clock())

    def _call(self, method: str, path: str, **kwargs: Any) -> Answer:
        """One Open API call; on success its ``data`` (a value that is not an object as ``{"value": …}``)."""
        url = f"{self.settings.openapi_url.rstrip('/')}/{path.lstrip('/')}"
        body, failure = self.api.call(method, url, **kwargs)
        if body is None:
            return None, failure
        data = body.get("data")
        return (data if isinstance(data, dict) else {"value": data}), None

    def list_page(self, kind: str, page: int) -> Answer:
        """One page of the OA's articles of ``kind`` (``normal`` or ``video``), newest first."""
        return self._call(
            "GET",
            "v2.0/article/getslice",
            params={"offset": page * self.list_limit, "limit": self.list_limit, "type": kind},
        )

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
        _, wait = timing(delivery.due_at - self.clock(), None)  # no native scheduling on Zalo
        if wait:
            return Result.transient(
                "not_due", msg("zalo.not_due", minutes=round(wait / 60)), retry_after=wait
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
        if state.get("video_id"):
            # A video article is created in a later poll, minutes after the send began: a look-up
            # after a lost answer must search (and wait for the list to settle) from *this* moment.
            state["create_started_at"] = self.clock().isoformat()
            checkpoint(dict(state))
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
                    link = self._link(state["article_id"], self._kind(delivery, state), data)
                    if link:
                        state["article_url"] = link
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
        return Result(
            Outcome.PUBLISHED, remote_id=article_id, url=state.get("article_url"), resume_state=dict(state)
        )

    @staticmethod
    def broadcast_body(article_id: str, opts: dict[str, Any]) -> dict[str, Any]:
        return article.broadcast_body(article_id, opts)

    # -- reconcile ------------------------------------------------------------------------
    def reconcile(self, delivery: Delivery) -> Result:
        return reconcile.look_up(self, delivery)

    @staticmethod
    def _kind(delivery: Delivery, state: dict[str, Any]) -> str:
        return "video" if state.get("kind") == "video" or delivery.video is not None else "normal"

    def _link(self, article_id: str, kind: str, answer: dict[str, Any] | None = None) -> str | None:
        """The article's public link: from the answer in hand, else its ``getslice`` entry (first
        page: it was just made), else the ``article_url_template`` setting. Never fails the publish."""
        link = article.link_of(answer)
        if link is None:
            data, _failure = self.list_page(kind, 0)
            for item in (data or {}).get("medias") or []:
                if isinstance(item, dict) and str(item.get("id")) == article_id:
                    link = article.link_of(item)
                    break
        return link or self._template_link(article_id)

    def _template_link(self, article_id: str) -> str | None:
        template = getattr(self.settings, "article_url_template", None)
        return str(template).replace("{id}", article_id) if template else None

    # -- tokens and statistics ------------------------------------------------------------
    def refresh(self, credentials: Credentials) -> Credentials:
        return auth.refresh(self.settings, self.http, credentials, now=self.clock())

    def fetch_engagement(
        self,
        remote_ids: list[str],
        hints: Mapping[str, Mapping[str, Any]] | None = None,
        max_pages: int = 10,
    ) -> dict[str, Metrics]:
        return statistics.article_metrics(self, remote_ids, max_pages)

    def follower_count(self) -> int | None:
        """Followers of the OA from ``/v2.0/oa/getoa`` (``num_follower``: field name UNCERTAIN)."""
        return statistics.followers(self)
