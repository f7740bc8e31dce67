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

Never create twice: a saved article token is verified; without one, ``getslice`` (limit 10, newest
first) is read back to the start of the send that may have created the article and an article
with our title (and description) made since then is adopted, id and link. "Absent" (safe to send
again) only when the list provably reaches back past the send and the settle time (setting
``reconcile_settle_seconds``) is over; otherwise the outcome stays unknown. The article's link is
recorded when it is verified or adopted (``link`` in the answer, UNCERTAIN; else the setting
``article_url_template``). Errors come as HTTP 200 with a negative ``error``:
:func:`.errors.classify` maps the codes.

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
    AUTH_CODES,
    SUCCESS,
    VIETNAM,
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
        "zalo.adopted": (
            "Đã thấy bài trên OA (tạo lúc {at}); nhận bài này, không đăng lại.",
            "Found the article on the OA (created {at}); adopted it, not sent again.",
        ),
        "zalo.list_incomplete": (
            "Danh sách bài trên OA chưa phủ hết khoảng từ lần gửi ({since}); chưa thể khẳng định bài "
            "chưa lên, sẽ kiểm tra lại.",
            "The OA's article list did not reach back to the send ({since}); cannot yet tell the "
            "article is absent, will look again.",
        ),
    }
)

EARLY_TOLERANCE = timedelta(seconds=60)
#: an article created this recently may still be processing and missing from the list
#: (default of the setting ``reconcile_settle_seconds``; how long Zalo takes is UNCERTAIN)
RECONCILE_SETTLE = timedelta(minutes=3)
#: Zalo's ``create_date`` and our clock may disagree: the window opens this long before the send
RECONCILE_SLACK = timedelta(minutes=2)
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
    #: pages of ``getslice`` read back towards a send before giving up (stays unconfirmed)
    list_pages_max: ClassVar[int] = 30
    verify_attempts: ClassVar[int] = 8
    verify_interval: ClassVar[float] = 3.0
    comment_value: ClassVar[str] = "show"
    #: the access token expired or is invalid (-124/-216/-220, or a bare HTTP 401): the call was
    #: refused before anything was created, so one forced refresh and one retry are safe
    #: (zalo.md §5: "refresh, retry once"). Permission codes (-212/-223) are not cured by a refresh.
    refresh_codes: ClassVar[frozenset[str]] = frozenset({*(str(c) for c in AUTH_CODES), "http_401"})

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
        """Did the send whose answer was lost create the article? Saved ids first, then the list.

        ``delivery.last_attempt_at`` is the start of that *send* (the publisher passes it; a later
        look-up must not move the window). An article with our title (and description) created
        since then is adopted. "Absent" needs proof: the list read back past the send, and the
        settle time since the send over (Zalo lists a new article only once it is processed).
        """
        state = dict(delivery.resume_state or {})
        kind = self._kind(delivery, state)
        if state.get("article_id"):
            article_id = str(state["article_id"])
            return Result.published(article_id, state.get("article_url") or self._link(article_id, kind))
        token = str(state["article_token"]) if state.get("article_token") else None
        if token:
            data, failure = self._call("POST", "v2.0/article/verify", json={"token": token})
            found_id = (data or {}).get("id") or (data or {}).get("article_id")
            if found_id:
                return Result.published(str(found_id), self._link(str(found_id), kind, data))
            if failure and failure.code == str(ARTICLE_PROCESSING):
                return Result.unknown(failure.code, failure.reason)
            # The token did not resolve: fall back to the list.
        sent = delivery.last_attempt_at or delivery.due_at
        since = sent - RECONCILE_SLACK
        found, covered, failure = self._search(delivery, since, token)
        if found is not None:
            article_id = str(found["id"])
            created = article.created_at(found)
            return Result(
                Outcome.PUBLISHED,
                remote_id=article_id,
                url=article.link_of(found) or self._template_link(article_id),
                code="adopted",
                reason=msg("zalo.adopted", at=_local(created) if created else "?"),
            )
        if failure is not None:
            return Result.unknown(failure.code, failure.reason)
        if self.clock() - sent < self._settle():
            return Result.unknown("settling", msg("zalo.processing"))
        if not covered:
            return Result.unknown("list_incomplete", msg("zalo.list_incomplete", since=_local(since)))
        return Result.absent(msg("zalo.not_found"))

    def _search(
        self, delivery: Delivery, since: datetime, token: str | None
    ) -> tuple[dict[str, Any] | None, bool, Result | None]:
        """(the article our send made or None, whether the list provably covers ``since``, a failure).

        ``getslice`` lists the newest first, 10 a page: read on until an item older than ``since``
        (by creation and update, so either sort order proves it) or the end of the list.
        """
        title = article.norm(delivery.title)
        description = article.norm(self._description(delivery))
        candidates: list[dict[str, Any]] = []
        covered = True
        for kind in ("video", "normal") if delivery.video is not None else ("normal",):
            reached = False
            for page in range(self.list_pages_max):
                data, failure = self._call(
                    "GET",
                    "v2.0/article/getslice",
                    params={"offset": page * self.list_limit, "limit": self.list_limit, "type": kind},
                )
                if failure:
                    return None, False, failure
                items = [i for i in (data or {}).get("medias") or [] if isinstance(i, dict) and i.get("id")]
                candidates += [i for i in items if article.is_ours(i, title, description, since, token)]
                oldest = article.latest_time(items[-1]) if items else None
                if len(items) < self.list_limit or (oldest is not None and oldest < since):
                    reached = True
                    break
            covered = covered and reached
        return article.earliest(candidates, token), covered, None

    def _settle(self) -> timedelta:
        seconds = getattr(self.settings, "reconcile_settle_seconds", None)
        return RECONCILE_SETTLE if seconds is None else timedelta(seconds=float(seconds))

    @staticmethod
    def _kind(delivery: Delivery, state: dict[str, Any]) -> str:
        return "video" if state.get("kind") == "video" or delivery.video is not None else "normal"

    def _link(self, article_id: str, kind: str, answer: dict[str, Any] | None = None) -> str | None:
        """The article's public link: from the answer in hand, else its ``getslice`` entry (first
        page: it was just made), else the ``article_url_template`` setting. Never fails the publish."""
        link = article.link_of(answer)
        if link is None:
            data, _failure = self._call(
                "GET", "v2.0/article/getslice", params={"offset": 0, "limit": self.list_limit, "type": kind}
            )
            for item in (data or {}).get("medias") or []:
                if isinstance(item, dict) and str(item.get("id")) == article_id:
                    link = article.link_of(item)
                    break
        return link or self._template_link(article_id)

    def _template_link(self, article_id: str) -> str | None:
        template = getattr(self.settings, "article_url_template", None)
        return str(template).replace("{id}", article_id) if template else None

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


def _local(value: datetime) -> str:
    """A time as the officer reads it: Vietnam local time."""
    return value.astimezone(VIETNAM).strftime("%H:%M:%S %d/%m/%Y")
