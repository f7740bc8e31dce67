"""YouTube error reasons and the one place that turns them into a :class:`Result`.

Error format and reasons: https://developers.google.com/youtube/v3/docs/errors
(``error.errors[0].reason``; newer answers add ``error.status`` and ``error.details``).
We read the structured ``reason``/``status``/``details`` fields, never the message text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

import requests

from publisher.i18n import msg, register
from publisher.platforms.base import Result
from publisher.platforms.http import generic_failure, retry_after
from publisher.platforms.youtube.quota import next_reset

register(
    {
        "youtube.quota": (
            "Hết hạn mức YouTube trong ngày ({code}); hoãn đến {until}.",
            "YouTube daily quota is used up ({code}); postponed to {until}.",
        ),
        "youtube.auth": (
            "YouTube từ chối quyền truy cập ({code}); cần kết nối lại kênh.",
            "YouTube refused access ({code}); reconnect the channel.",
        ),
        "youtube.rate": ("YouTube yêu cầu gọi chậm lại ({code}).", "YouTube asks to slow down ({code})."),
        "youtube.temporary": ("YouTube lỗi tạm thời ({code}).", "YouTube had a temporary error ({code})."),
        "youtube.rejected": ("YouTube từ chối video ({code}).", "YouTube refused the video ({code})."),
    }
)

# https://developers.google.com/youtube/v3/docs/errors#core-errors
QUOTA_EXCEEDED = "quotaExceeded"
DAILY_LIMIT_EXCEEDED = "dailyLimitExceeded"
# https://developers.google.com/youtube/v3/docs/videos/insert#errors (per channel, ~24 h)
UPLOAD_LIMIT_EXCEEDED = "uploadLimitExceeded"
# https://developers.google.com/youtube/v3/docs/errors#usageLimits
RATE_LIMIT_EXCEEDED = "rateLimitExceeded"
USER_RATE_LIMIT_EXCEEDED = "userRateLimitExceeded"
AUTH_ERROR = "authError"
INSUFFICIENT_PERMISSIONS = "insufficientPermissions"
AUTH_REASONS = {AUTH_ERROR, "invalidCredentials", INSUFFICIENT_PERMISSIONS, "accountDelegationForbidden"}
POSTPONE_REASONS = {QUOTA_EXCEEDED, DAILY_LIMIT_EXCEEDED, UPLOAD_LIMIT_EXCEEDED}
RATE_REASONS = {RATE_LIMIT_EXCEEDED, USER_RATE_LIMIT_EXCEEDED}
#: default wait for a short-term rate limit without Retry-After
RATE_WAIT = 60.0


def reason_of(body: dict[str, Any] | None) -> tuple[str | None, dict[str, Any]]:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, {}
    errors = error.get("errors") or []
    if errors and isinstance(errors[0], dict) and errors[0].get("reason"):
        return str(errors[0]["reason"]), error
    return (str(error["status"]) if error.get("status") else None), error


def is_daily_cap(error: dict[str, Any]) -> bool:
    """The 2026 "Video Uploads per day" 429, recognised by the quota limit in ``details`` metadata."""
    for detail in error.get("details") or []:
        meta = detail.get("metadata") if isinstance(detail, dict) else None
        if isinstance(meta, dict):
            limit = str(meta.get("quota_limit", "")) + str(meta.get("quota_limit_value", ""))
            if "PerDay" in limit or "per_day" in limit.lower() or "perday" in limit.lower():
                return True
    return False


def classify(
    response: requests.Response,
    body: dict[str, Any] | None,
    *,
    creating: bool,
    now: datetime,
    on_daily_quota: Callable[[datetime], datetime],
    upload: bool = False,
) -> Result:
    reason, error = reason_of(body)
    status = response.status_code
    if reason in POSTPONE_REASONS or (status == 429 and error and is_daily_cap(error)):
        # The project quota is shared: record it as spent. The channel cap is the channel's own.
        until = _day_later(now) if reason == UPLOAD_LIMIT_EXCEEDED else on_daily_quota(now)
        scope: Literal["app", "account"] = "account" if reason == UPLOAD_LIMIT_EXCEEDED else "app"
        return Result.rate_limited(
            (until - now).total_seconds(),
            scope=scope,
            code=reason or "dailyUploads",
            reason=msg(
                "youtube.quota", code=reason or "dailyUploads", until=until.isoformat(timespec="minutes")
            ),
            postpone_until=until,
        )
    if status == 401 or reason in AUTH_REASONS:
        return Result.auth_expired(
            code=reason or f"http_{status}", reason=msg("youtube.auth", code=reason or status)
        )
    if reason in RATE_REASONS or status == 429:
        wait = retry_after(response)
        if wait is None and upload and status == 429:
            # A 429 on videos.insert without Retry-After is the daily upload cap (issue #2753).
            until = _day_later(now)
            return Result.rate_limited(
                (until - now).total_seconds(),
                code=reason or "http_429",
                reason=msg("youtube.quota", code="dailyUploads", until=until.isoformat()),
                postpone_until=until,
            )
        return Result.rate_limited(
            wait or RATE_WAIT,
            scope="account",
            code=reason or f"http_{status}",
            reason=msg("youtube.rate", code=reason or status),
        )
    if reason is None or status >= 500:
        return generic_failure(response, creating=creating)
    return Result.rejected(reason, msg("youtube.rejected", code=reason))


def _day_later(now: datetime) -> datetime:
    return next_reset(now)
