"""The pre-send policy: the last look before anything is sent, and why a claim is given back.

Two looks, in order. :func:`row_hold` reads only the delivery's row (office paused, deadline
passed, account needing re-authorisation or removed). :func:`post_hold` reads what would go out:
an officer's cancel request, a draft, an approval that no longer covers the text and the bytes of
every photo and clip, a blocking finding of the pre-publish review, media not yet prepared for this
platform, a time not yet due (by even a second) on a platform that will not hold the post, this
account's local rate limit. Each answers a :data:`Hold` (the state to give the claim back in, and the columns to write)
or ``None``: send.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from publisher.actions.media import needs_preparation
from publisher.actions.review import findings_for
from publisher.core.models import Delivery, PostSpec
from publisher.core.people import REQUIRE_APPROVAL
from publisher.core.states import State
from publisher.i18n import register, t
from publisher.platforms.registry import handoff_platforms
from publisher.ratelimit import Limiter
from publisher.settings import Settings
from publisher.store.digest import spec_hash
from publisher.store.publishing import DeliveryRow

register(
    {
        "publishing.changed": (
            "Nội dung hoặc tệp ảnh/video đã thay đổi sau khi duyệt: cần duyệt lại trước khi đăng.",
            "The text or a photo/video file changed after approval: it must be approved again.",
        ),
        "publishing.draft": (
            "Bài đang là bản nháp (draft: true): không đăng. Bỏ dòng draft, xếp lịch lại rồi duyệt.",
            "The post is a draft (draft: true): not sent. Remove the draft line, queue it again, then approve.",
        ),
        "publishing.media_pending": (
            "Ảnh/video đang được chuẩn bị cho nền tảng; sẽ đăng ngay khi xong.",
            "Photos/video are being prepared for the platform; it goes out as soon as they are ready.",
        ),
        "publishing.not_due": (
            "Chưa đến giờ đăng và nền tảng không nhận hẹn giờ: chờ đến giờ.",
            "Not due yet and the platform will not hold it: waiting for its time.",
        ),
        "publishing.local_rate": (
            "Đang giới hạn tốc độ gửi cho tài khoản này; thử lại lúc {until}.",
            "Sending to this account is rate-limited here; next try at {until}.",
        ),
        "publishing.account_reauth": (
            "Tài khoản cần đăng nhập lại trước khi đăng tiếp.",
            "The account must be re-authorised before anything else is posted.",
        ),
        "publishing.account_disabled": ("Tài khoản đã bị gỡ.", "The account was removed."),
    }
)

#: how long a delivery whose photos or clip are still being prepared waits before the next look
MEDIA_WAIT_SECONDS = 20

#: give the claim back in this state, writing these columns
Hold = tuple[State, dict[str, Any]]


def row_hold(row: DeliveryRow, now: datetime) -> Hold | None:
    """What the delivery's row alone forbids: the office paused, too late, the account unusable."""
    if row.paused:
        return State.PAUSED, {"state_before_pause": State.SCHEDULED.value}
    if row.deadline < now:
        return State.MISSED, {"last_code": "missed"}
    if row.account_status == "needs_reauth":
        return State.NEEDS_REAUTH, {"last_code": "auth", "last_reason": t("publishing.account_reauth")}
    if row.account_status == "disabled":
        return State.FAILED, {
            "last_code": "account_disabled",
            "last_reason": t("publishing.account_disabled"),
        }
    return None


def post_hold(
    row: DeliveryRow,
    delivery: Delivery,
    spec: PostSpec,
    settings: Settings,
    limiter: Limiter | None,
    now: datetime,
) -> Hold | None:
    """The last look at what would go out, in order; the first reason to hold it back wins."""
    if row.cancel_requested_at is not None:  # an officer asked to cancel it: never (re)send it
        told = t("publishing.cancel_done", by=row.cancel_requested_by or "?")
        return State.CANCELLED, {
            "last_code": "cancelled",
            "last_reason": told,
            "cancel_requested_at": None,
            "cancel_requested_by": None,
        }
    if spec.draft:  # held back on purpose (`draft: true`), however it came to be due
        return State.DRAFT, {"last_code": "draft", "last_reason": t("publishing.draft")}
    # the office policy as stored (read with the row), never this process's environment
    if REQUIRE_APPROVAL.value_of(row.require_approval) and (
        row.approved_hash != row.content_hash or spec_hash(spec) != row.content_hash
    ):
        return State.AWAITING_APPROVAL, {"last_code": "approval", "last_reason": t("publishing.changed")}
    blocking = [f for f in findings_for(spec, settings) if f.blocks]
    if blocking:
        return State.AWAITING_APPROVAL, {
            "last_code": "review",
            "last_reason": "; ".join(str(f) for f in blocking)[:1000],
        }
    if needs_preparation(delivery.target.platform, spec.images, spec.video):
        if row.media_state == "failed":
            return State.FAILED, {"last_code": "media", "last_reason": row.last_reason}
        if row.media_state != "ready" or (row.media or {}).get("hash") != row.content_hash:
            return State.RETRY_WAIT, {
                "next_attempt_at": now + timedelta(seconds=MEDIA_WAIT_SECONDS),
                "last_code": "media_pending",
                "last_reason": t("publishing.media_pending"),
                "progress": row.progress,
            }
    # never a second early: a claim made ahead waited for its time in the worker (drain.handle);
    # still early here (a message that came early, a time moved later) gives the claim back
    if delivery.due_at > now and not may_hand_off(delivery, settings, now):
        return State.RETRY_WAIT, {
            "next_attempt_at": delivery.due_at,  # never earlier than its time
            "last_code": "not_due",
            "last_reason": t("publishing.not_due"),
        }
    wait = limiter.acquire(delivery.target) if limiter is not None else 0
    if wait > 0:
        until = now + timedelta(seconds=wait)
        return State.RETRY_WAIT, {
            "next_attempt_at": until,
            "last_code": "local_rate_limit",
            "last_reason": t("publishing.local_rate", until=until),
        }
    return None


def may_hand_off(delivery: Delivery, settings: Settings, now: datetime) -> bool:
    """Whether the platform's own scheduler may hold this delivery now."""
    rule = handoff_platforms(settings).get(delivery.target.platform)
    if rule is None or not delivery.options.get("native_schedule", True):
        return False
    return rule.admits(delivery.due_at - now, video=delivery.video is not None)


__all__ = ["MEDIA_WAIT_SECONDS", "Hold", "may_hand_off", "post_hold", "row_hold"]
