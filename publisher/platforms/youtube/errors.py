"""YouTube error reasons and the one place that turns them into a :class:`Result`.

Error format and reasons: https://developers.google.com/youtube/v3/docs/errors
(``error.errors[0].reason``; newer answers add ``error.status`` and ``error.details``).
We read the structured ``reason``/``status``/``details`` fields, not the message text, with one
documented exception: Google gives the 2026 "Video Uploads per day" cap the same 429
``rateLimitExceeded`` as a short rate limit, and only names the per-day limit in the message
(google-api-python-client issue #2753, youtube.md §2.4), so :func:`is_daily_cap` reads that name.
"""

from __future__ import annotations

import re
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
        "youtube.daily_uploads": (
            "Dự án đã hết lượt tải video YouTube trong ngày (Video Uploads per day); hoãn đến {until}.",
            "The project's daily YouTube upload cap is reached (Video Uploads per day); postponed to {until}.",
        ),
        "youtube.rate": (
            "YouTube yêu cầu gọi chậm lại ({code}); sẽ tự thử lại sau ít phút.",
            "YouTube asks to slow down ({code}); it is retried shortly.",
        ),
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
#: the project's daily units are spent (https://developers.google.com/youtube/v3/determine_quota_cost)
UNITS_REASONS = {QUOTA_EXCEEDED, DAILY_LIMIT_EXCEEDED}
RATE_REASONS = {RATE_LIMIT_EXCEEDED, USER_RATE_LIMIT_EXCEEDED}
#: our code for the project's "Video Uploads per day" cap, a 429 ``rateLimitExceeded`` whose
#: message names that limit (google-api-python-client issue #2753; youtube.md §2.4)
DAILY_UPLOADS = "dailyUploads"
#: a quota limit counted per day: ``…PerDay…`` (ErrorInfo metadata) or ``… per day`` (message)
_PER_DAY = re.compile(r"per[ _]?day", re.IGNORECASE)
#: the limit a Google quota message names: ``… and limit 'Video Uploads per day' of service …``
_LIMIT_NAME = re.compile(r"limit '([^']+)'")


def reason_of(body: dict[str, Any] | None) -> tuple[str | None, dict[str, Any]]:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, {}
    errors = error.get("errors") or []
    if errors and isinstance(errors[0], dict) and errors[0].get("reason"):
        return str(errors[0]["reason"]), error
    return (str(error["status"]) if error.get("status") else None), error


def is_daily_cap(error: dict[str, Any]) -> bool:
    """Whether a rate-limit answer names a quota limit that is counted *per day*.

    Google answers a per-day cap (the 2026 "Video Uploads per day", issue #2753) and a short
    per-minute limit with the same 429 ``rateLimitExceeded``; only the limit's name tells them
    apart. It is read from ``details[].metadata.quota_limit`` (``google.rpc.ErrorInfo``, e.g.
    ``VideoUploadsPerDayPerProject``) when given, else from the limit the message names
    (``… and limit 'Video Uploads per day' of service …``), the only place the documented body has it.
    """
    for detail in error.get("details") or []:
        meta = detail.get("metadata") if isinstance(detail, dict) else None
        if isinstance(meta, dict) and _PER_DAY.search(str(meta.get("quota_limit", ""))):
            return True
    messages = [error.get("message")] + [
        e.get("message") for e in error.get("errors") or [] if isinstance(e, dict)
    ]
    return any(_PER_DAY.search(limit) for m in messages if m for limit in _LIMIT_NAME.findall(str(m)))


def classify(
    response: requests.Response,
    body: dict[str, Any] | None,
    *,
    creating: bool,
    now: datetime,
    on_daily_quota: Callable[[datetime], datetime],
    upload: bool = False,
) -> Result | None:
    """The one mapping from a YouTube answer to a :class:`Result`: ``None`` for a success (2xx
    with a JSON body and no ``error``, or 204), else the failure it means.

    Only a *daily* cap postpones to the next quota day (midnight Pacific): ``quotaExceeded`` /
    ``dailyLimitExceeded`` (the project's units, recorded as spent through ``on_daily_quota``),
    ``uploadLimitExceeded`` (the channel's own cap) and a rate limit naming a per-day quota
    (:func:`is_daily_cap`; on ``upload``, i.e. ``videos.insert``, the project's uploads cap).
    Every other 429 / ``rateLimitExceeded`` / ``userRateLimitExceeded`` is a short rate limit:
    ``retry_after`` is the platform's ``Retry-After`` or ``None`` (the publisher's jittered
    exponential backoff decides), so a hiccup never costs a post its grace window.
    """
    status = response.status_code
    if response.ok:
        if status == 204 or (body is not None and "error" not in body):
            return None
        return generic_failure(response, creating=creating)
    reason, error = reason_of(body)
    if reason in UNITS_REASONS:
        until = on_daily_quota(now)  # the project's units are shared: other workers stop too
        return _postponed(reason, until, now, "app")
    if reason == UPLOAD_LIMIT_EXCEEDED:
        return _postponed(reason, next_reset(now), now, "account")
    rate_limited = status == 429 or reason in RATE_REASONS
    if rate_limited and error and is_daily_cap(error):
        if upload:  # the uploads bucket is separate from the units: reads may go on
            return _postponed(DAILY_UPLOADS, next_reset(now), now, "app")
        return _postponed(reason or f"http_{status}", on_daily_quota(now), now, "app")
    if status == 401 or reason in AUTH_REASONS:
        return Result.auth_expired(
            code=reason or f"http_{status}", reason=msg("youtube.auth", code=reason or status)
        )
    if rate_limited:
        return Result.rate_limited(
            retry_after(response),
            scope="account",
            code=reason or f"http_{status}",
            reason=msg("youtube.rate", code=reason or status),
        )
    if reason is None or status >= 500:
        return generic_failure(response, creating=creating)
    return Result.rejected(reason, msg("youtube.rejected", code=reason))


def _postponed(code: str, until: datetime, now: datetime, scope: Literal["app", "account"]) -> Result:
    key = "youtube.daily_uploads" if code == DAILY_UPLOADS else "youtube.quota"
    return Result.rate_limited(
        (until - now).total_seconds(),
        scope=scope,
        code=code,
        reason=msg(key, code=code, until=until),
        postpone_until=until,
    )
