"""Did a send whose answer was lost create the article? The Zalo adapter's ``reconcile``.

Saved ids first: an article id is the article; a saved create token is verified. Without either,
``getslice`` (10 a page, newest first) is read back to the start of the send that may have
created the article, and an article with our title (and description) made since then is
adopted, id and link. "Absent" (safe to send again) needs proof: the list read back past the
send, and the settle time since the send over (setting ``reconcile_settle_seconds``: Zalo lists
a new article only once it is processed, after a delay it does not document); otherwise the
outcome stays unknown and the look-up is repeated later.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from publisher.core.models import Delivery
from publisher.i18n import msg, register
from publisher.platforms.base import Outcome, Result
from publisher.platforms.zalo import article
from publisher.platforms.zalo.errors import ARTICLE_PROCESSING

if TYPE_CHECKING:  # the adapter imports this module
    from publisher.platforms.zalo.adapter import ZaloOAAdapter

register(
    {
        "zalo.not_found": ("Không thấy bài trên OA.", "The article is not on the OA."),
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

#: an article created this recently may still be processing and missing from the list
#: (default of the setting ``reconcile_settle_seconds``; how long Zalo takes is UNCERTAIN)
RECONCILE_SETTLE = timedelta(minutes=3)
#: Zalo's ``create_date`` and our clock may disagree: the window opens this long before the send
RECONCILE_SLACK = timedelta(minutes=2)


def look_up(adapter: ZaloOAAdapter, delivery: Delivery) -> Result:
    """``delivery.last_attempt_at`` is the start of the *send* (the publisher passes it; a later
    look-up must not move the window)."""
    state = dict(delivery.resume_state or {})
    kind = adapter._kind(delivery, state)
    if state.get("article_id"):
        article_id = str(state["article_id"])
        return Result.published(article_id, state.get("article_url") or adapter._link(article_id, kind))
    token = str(state["article_token"]) if state.get("article_token") else None
    if token:
        data, failure = adapter._call("POST", "v2.0/article/verify", json={"token": token})
        found_id = (data or {}).get("id") or (data or {}).get("article_id")
        if found_id:
            return Result.published(str(found_id), adapter._link(str(found_id), kind, data))
        if failure and failure.code == str(ARTICLE_PROCESSING):
            return Result.unknown(failure.code, failure.reason)
        # The token did not resolve: fall back to the list.
    sent = delivery.last_attempt_at or delivery.due_at
    if state.get("create_started_at"):  # a video article: created in a poll after the upload
        sent = max(sent, datetime.fromisoformat(str(state["create_started_at"])))
    since = sent - RECONCILE_SLACK
    found, covered, failure = search(adapter, delivery, since, token)
    if found is not None:
        article_id = str(found["id"])
        created = article.created_at(found)
        return Result(
            Outcome.PUBLISHED,
            remote_id=article_id,
            url=article.link_of(found) or adapter._template_link(article_id),
            code="adopted",
            reason=msg("zalo.adopted", at=created if created else "?"),
        )
    if failure is not None:
        # a refused token is said as such (the publisher renews it once and asks again)
        return (
            failure
            if failure.outcome is Outcome.AUTH_EXPIRED
            else Result.unknown(failure.code, failure.reason)
        )
    if adapter.clock() - sent < settle_time(adapter.settings):
        return Result.unknown("settling", msg("zalo.processing"))
    if not covered:
        return Result.unknown("list_incomplete", msg("zalo.list_incomplete", since=since))
    return Result.absent(msg("zalo.not_found"))


def search(
    adapter: ZaloOAAdapter, delivery: Delivery, since: datetime, token: str | None
) -> tuple[dict[str, Any] | None, bool, Result | None]:
    """(the article our send made or None, whether the list provably covers ``since``, a failure).

    ``getslice`` lists the newest first, 10 a page: read on until an item older than ``since``
    (by creation and update, so either sort order proves it) or the end of the list.
    """
    title = article.norm(delivery.title)
    description = article.norm(adapter._description(delivery))
    candidates: list[dict[str, Any]] = []
    covered = True
    for kind in ("video", "normal") if delivery.video is not None else ("normal",):
        reached = False
        for page in range(adapter.list_pages_max):
            data, failure = adapter.list_page(kind, page)
            if failure:
                return None, False, failure
            items = [i for i in (data or {}).get("medias") or [] if isinstance(i, dict) and i.get("id")]
            candidates += [
                i
                for i in items
                if str(i["id"]) not in delivery.taken_remote_ids
                and article.is_ours(i, title, description, since, token)
            ]
            oldest = article.latest_time(items[-1]) if items else None
            if len(items) < adapter.list_limit or (oldest is not None and oldest < since):
                reached = True
                break
        covered = covered and reached
    return article.earliest(candidates, token), covered, None


def settle_time(settings: Any) -> timedelta:
    seconds = getattr(settings, "reconcile_settle_seconds", None)
    return RECONCILE_SETTLE if seconds is None else timedelta(seconds=float(seconds))
