"""Zalo OA error codes and the one place that turns them into a :class:`Result`.

Zalo answers most errors with HTTP 200 and a negative ``error`` in the body
(``{"error": -216, "message": "...", "data": ...}``). Codes from the OA API error table
(https://developers.zalo.me/docs/official-account/phu-luc/ma-loi; compiled in
/work/shared/reference/zalo.md §5). We match on ``error`` only; ``message`` is logged.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests

from publisher.i18n import msg, register
from publisher.platforms.base import Result
from publisher.platforms.http import generic_failure

log = logging.getLogger(__name__)

register(
    {
        "zalo.auth": (
            "Zalo từ chối mã truy cập (mã {code}); cần kết nối lại OA.",
            "Zalo refused the access token (code {code}); reconnect the OA.",
        ),
        "zalo.permission": (
            "Ứng dụng chưa được OA cấp quyền này (mã {code}); cần cấp lại quyền.",
            "The OA has not granted this permission (code {code}); re-authorise.",
        ),
        "zalo.rate": ("Zalo giới hạn số lần gọi (mã {code}).", "Zalo is limiting calls (code {code})."),
        "zalo.quota": (
            "Hết hạn mức gửi của OA (mã {code}).",
            "The OA message quota is used up (code {code}).",
        ),
        "zalo.night": (
            "Zalo không cho gửi tin quảng bá từ 22:00 đến 06:00 (mã -234).",
            "Zalo does not send broadcasts between 22:00 and 06:00 (code -234).",
        ),
        "zalo.invalid": (
            "Zalo không nhận bài: tham số không hợp lệ (mã {code}).",
            "Zalo refused the article: invalid parameter (code {code}).",
        ),
        "zalo.media": (
            "Zalo không tải được ảnh bìa hay ảnh trong bài (mã -200); dùng ảnh JPEG dưới 1 MB.",
            "Zalo could not fetch the cover or an image (code -200); use a JPEG under 1 MB.",
        ),
        "zalo.processing": ("Zalo đang xử lý bài viết.", "Zalo is still processing the article."),
        "zalo.oa_state": (
            "OA không dùng được API này (mã {code}): OA bị khoá, chưa xác thực hoặc gói dịch vụ không đủ.",
            "The OA cannot use this API (code {code}): disabled, unverified or on a lower package.",
        ),
        "zalo.rejected": ("Zalo từ chối (mã {code}).", "Zalo refused (code {code})."),
        "zalo.temporary": ("Zalo lỗi tạm thời (mã {code}).", "Zalo had a temporary error (code {code})."),
    }
)

SUCCESS = 0
RATE_LIMIT = -32  # app over its per-minute call limit
ATTACHMENT_EXPIRED = -100
TOKEN_EXPIRED_CLIENT = -124
MEDIA_FAILED = -200  # at verify: the cover/image could not be fetched
INVALID_PARAMETER = -201
OA_DISABLED = -204
OA_MISSING = -205
API_NOT_SUPPORTED = -209
OVER_LIMIT = -210
OUT_OF_QUOTA = -211
API_NOT_REGISTERED = -212
ARTICLE_PROCESSING = -214
TOKEN_INVALID = -216
APP_DISABLED = -219
TOKEN_EXPIRED = -220
OA_NOT_VERIFIED = -221
PERMISSION_NOT_GRANTED = -223
PACKAGE_TOO_LOW = -224
NIGHT_TIME = -234
WRONG_OA_TYPE = -235
INVALID_PROOF = -242
VIOLATION = -248
DAILY_QUOTA = -144
MONTHLY_QUOTA = -1441

AUTH_CODES = {TOKEN_EXPIRED_CLIENT, TOKEN_INVALID, TOKEN_EXPIRED}
PERMISSION_CODES = {API_NOT_REGISTERED, PERMISSION_NOT_GRANTED}
QUOTA_CODES = {OUT_OF_QUOTA, DAILY_QUOTA, MONTHLY_QUOTA}
OA_STATE_CODES = {
    OA_DISABLED,
    OA_MISSING,
    APP_DISABLED,
    OA_NOT_VERIFIED,
    PACKAGE_TOO_LOW,
    WRONG_OA_TYPE,
    API_NOT_SUPPORTED,
}
INVALID_CODES = {INVALID_PARAMETER, OVER_LIMIT, INVALID_PROOF, VIOLATION}
RATE_WAIT = 60.0

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
BROADCAST_START = time(6, 0)
BROADCAST_END = time(22, 0)


def next_broadcast_window(now: datetime) -> datetime:
    """The next 06:00 Vietnam time after ``now``."""
    local = now.astimezone(VIETNAM)
    day = local.date() if local.time() < BROADCAST_START else local.date() + timedelta(days=1)
    return datetime.combine(day, BROADCAST_START, tzinfo=VIETNAM)


def in_broadcast_window(now: datetime) -> bool:
    return BROADCAST_START <= now.astimezone(VIETNAM).time() < BROADCAST_END


def error_code(body: dict[str, Any] | None) -> int | None:
    if not isinstance(body, dict):
        return None
    value = body.get("error")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def classify(
    response: requests.Response, body: dict[str, Any] | None, *, creating: bool, now: datetime
) -> Result | None:
    """What a Zalo answer means: ``None`` for a success (2xx with ``error: 0``), else the failure,
    from the ``error`` code (never the message); an answer without a code tells nothing."""
    code = error_code(body)
    if response.ok and code == SUCCESS:
        return None
    if code is None or code == SUCCESS:
        return generic_failure(response, creating=creating)
    tag = str(code)
    log.info("zalo error %s: %s", code, (body or {}).get("message"))
    if code in AUTH_CODES:
        return Result.auth_expired(tag, msg("zalo.auth", code=code))
    if code in PERMISSION_CODES:
        return Result.auth_expired(tag, msg("zalo.permission", code=code))
    if code == RATE_LIMIT:
        return Result.rate_limited(RATE_WAIT, scope="app", code=tag, reason=msg("zalo.rate", code=code))
    if code in QUOTA_CODES:
        return Result.rate_limited(None, scope="account", code=tag, reason=msg("zalo.quota", code=code))
    if code == NIGHT_TIME:
        until = next_broadcast_window(now)
        return Result.rate_limited(
            (until - now).total_seconds(), code=tag, reason=msg("zalo.night"), postpone_until=until
        )
    if code == ARTICLE_PROCESSING:
        return Result.transient(tag, msg("zalo.processing"), retry_after=10.0)
    if code == ATTACHMENT_EXPIRED:
        return Result.transient(tag, msg("zalo.temporary", code=code))
    if code == MEDIA_FAILED:
        return Result.rejected(tag, msg("zalo.media"))
    if code in INVALID_CODES:
        return Result.rejected(tag, msg("zalo.invalid", code=code))
    if code in OA_STATE_CODES:
        return Result.rejected(tag, msg("zalo.oa_state", code=code))
    return Result.rejected(tag, msg("zalo.rejected", code=code))
