"""Graph API error codes and the one place that turns them into a :class:`Result`.

Codes: https://developers.facebook.com/docs/graph-api/guides/error-handling
Rate limits and usage headers: https://developers.facebook.com/docs/graph-api/overview/rate-limiting/
We match on numeric ``code``/``error_subcode`` only; messages are localised by Meta.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

import requests

from publisher.i18n import msg, register
from publisher.platforms.base import Result
from publisher.platforms.http import generic_failure, retry_after

log = logging.getLogger(__name__)

register(
    {
        "facebook.auth": (
            "Facebook từ chối mã truy cập (mã {code}); cần kết nối lại Trang.",
            "Facebook refused the access token (code {code}); reconnect the Page.",
        ),
        "facebook.permission": (
            "Ứng dụng thiếu quyền trên Trang (mã {code}); cần cấp lại quyền.",
            "The app lacks a permission on the Page (code {code}); grant it again.",
        ),
        "facebook.throttled": (
            "Facebook đang giới hạn số lần gọi (mã {code}); thử lại sau {minutes} phút.",
            "Facebook is throttling calls (code {code}); retry in {minutes} minutes.",
        ),
        "facebook.blocked": (
            "Facebook tạm chặn việc đăng bài (mã 368); kiểm tra nội dung và thử lại sau vài giờ.",
            "Facebook has temporarily blocked posting (code 368); check the content, retry in a few hours.",
        ),
        "facebook.bad_request": (
            "Facebook không nhận bài: tham số không hợp lệ (mã {code}).",
            "Facebook refused the post: invalid parameter (code {code}).",
        ),
        "facebook.duplicate": (
            "Facebook báo bài trùng (mã 506): lần gửi trước có thể đã lên; đang đối soát, không sửa chữ để lách.",
            "Facebook says duplicate (code 506): the earlier try may have landed; reconciling, not editing the text.",
        ),
        "facebook.temporary": (
            "Facebook lỗi tạm thời (mã {code}).",
            "Facebook had a temporary error (code {code}).",
        ),
        "facebook.rejected": ("Facebook từ chối (mã {code}).", "Facebook refused (code {code})."),
    }
)

# https://developers.facebook.com/docs/graph-api/guides/error-handling#errorcodes
API_UNKNOWN = 1
API_SERVICE = 2
API_METHOD = 3
APP_LIMIT = 4  # https://developers.facebook.com/docs/graph-api/overview/rate-limiting/
PERMISSION_DENIED = 10
USER_LIMIT = 17
PAGE_LIMIT = 32
INVALID_PARAMETER = 100
ACCESS_TOKEN = 190
PERMISSION_RANGE = range(200, 300)
APP_LIMIT_REACHED = 341
TEMPORARILY_BLOCKED = 368
DUPLICATE_POST = 506
CUSTOM_RATE_LIMIT = 613
PAGES_BUC_LIMIT = 80001
#: 190 subcodes: https://developers.facebook.com/docs/graph-api/guides/error-handling#errorcodes
TOKEN_SUBCODES = {
    458: "app_not_installed",
    459: "user_checkpointed",
    460: "password_changed",
    463: "expired",
    464: "unconfirmed_user",
    467: "invalid_token",
    492: "invalid_session",
    493: "data_access_expired",
}
#: "Page publishing authorization required" (postiz handleErrors): a re-consent case
PUBLISHING_AUTH_REQUIRED = 1404078
THROTTLE_CODES = {APP_LIMIT, USER_LIMIT, PAGE_LIMIT, CUSTOM_RATE_LIMIT, PAGES_BUC_LIMIT, APP_LIMIT_REACHED}
#: seconds to wait for a throttle code when no header says how long
DEFAULT_THROTTLE_WAIT = 3600.0
BLOCKED_WAIT = 6 * 3600.0


def usage(response: requests.Response) -> dict[str, Any]:
    """The highest usage percentage and wait (seconds) from the usage headers, ``{}`` if none.

    ``X-Business-Use-Case-Usage`` is ``{"<page-id>": [{"type","call_count","total_cputime",
    "total_time","estimated_time_to_regain_access"}]}``; it is missing at about 0 % usage.
    """
    out: dict[str, Any] = {}
    raw = response.headers.get("X-Business-Use-Case-Usage")
    if raw:
        try:
            data = json.loads(raw)
        except ValueError:
            data = {}
        percents: list[float] = []
        waits: list[float] = []
        for entries in data.values() if isinstance(data, dict) else []:
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict):
                    continue
                for key in ("call_count", "total_cputime", "total_time"):
                    if isinstance(entry.get(key), int | float):
                        percents.append(float(entry[key]))
                minutes = entry.get("estimated_time_to_regain_access")
                if isinstance(minutes, int | float):
                    waits.append(float(minutes) * 60.0)
        if percents:
            out["percent"] = max(percents)
        if waits and max(waits) > 0:
            out["wait"] = max(waits)
    for header in ("X-App-Usage", "X-Page-Usage"):
        raw = response.headers.get(header)
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        if isinstance(data, dict):
            values = [float(v) for v in data.values() if isinstance(v, int | float)]
            if values:
                out["percent"] = max(out.get("percent", 0.0), *values)
    return out


def classify(response: requests.Response, body: dict[str, Any] | None, *, creating: bool) -> Result | None:
    """What a Graph answer means: ``None`` for a success (2xx with a JSON body and no ``error``),
    else the failure, from the numeric error code (never the message text)."""
    if response.ok:
        if body is not None and "error" not in body:
            return None
        return generic_failure(response, creating=creating)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("code"), int):
        return generic_failure(response, creating=creating)
    code: int = error["code"]
    sub = error.get("error_subcode")
    tag = f"{code}/{sub}" if sub else str(code)
    if error.get("fbtrace_id"):
        log.info("graph error %s fbtrace_id=%s", tag, error["fbtrace_id"])
    if code == ACCESS_TOKEN or sub == PUBLISHING_AUTH_REQUIRED:
        return Result.auth_expired(code=tag, reason=msg("facebook.auth", code=tag))
    if code == PERMISSION_DENIED or code in PERMISSION_RANGE:
        return Result.auth_expired(code=tag, reason=msg("facebook.permission", code=tag))
    if code in THROTTLE_CODES:
        wait = usage(response).get("wait") or retry_after(response) or DEFAULT_THROTTLE_WAIT
        scope: Literal["app", "account"] = "app" if code in (APP_LIMIT, APP_LIMIT_REACHED) else "account"
        return Result.rate_limited(
            wait, scope=scope, code=tag, reason=msg("facebook.throttled", code=tag, minutes=round(wait / 60))
        )
    if code == TEMPORARILY_BLOCKED:
        return Result.rate_limited(BLOCKED_WAIT, scope="account", code=tag, reason=msg("facebook.blocked"))
    if code == DUPLICATE_POST:
        # The text is already on the Page: an earlier attempt probably landed. Reconcile.
        return Result.unknown(code=tag, reason=msg("facebook.duplicate"))
    if code in (API_UNKNOWN, API_SERVICE) or error.get("is_transient") is True:
        reason = msg("facebook.temporary", code=tag)
        return (
            Result.unknown(code=tag, reason=reason) if creating else Result.transient(code=tag, reason=reason)
        )
    if code == INVALID_PARAMETER:
        return Result.rejected(tag, msg("facebook.bad_request", code=tag))
    if response.status_code >= 500:
        return generic_failure(response, creating=creating)
    return Result.rejected(tag, msg("facebook.rejected", code=tag))
