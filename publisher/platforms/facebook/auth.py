"""Page tokens from long-lived user tokens, and token health via ``/debug_token``.

Long-lived tokens: https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
debug_token: https://developers.facebook.com/docs/graph-api/reference/debug_token
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from publisher.errors import ConfigError, UserError
from publisher.i18n import msg, register
from publisher.platforms.base import AuthExpired, Credentials
from publisher.platforms.facebook.errors import DEFAULT_THROTTLE_WAIT, THROTTLE_CODES, usage
from publisher.platforms.http import API_TIMEOUT, TemporaryFailure, json_body, mask_text, retry_after

register(
    {
        "facebook.need_app": (
            "Thiếu PUBLISHER_FACEBOOK__APP_ID hoặc PUBLISHER_FACEBOOK__APP_SECRET.",
            "PUBLISHER_FACEBOOK__APP_ID or PUBLISHER_FACEBOOK__APP_SECRET is not set.",
        ),
        "facebook.page_missing": (
            "Mã người dùng không quản lý Trang {page}.",
            "The user token does not manage Page {page}.",
        ),
        "facebook.token_refused": ("Facebook từ chối mã: {detail}", "Facebook refused the token: {detail}"),
        "facebook.token_rate_limited": (
            "Facebook đang giới hạn số lần gọi (mã {code}); đây không phải lỗi token. "
            "Thử lại sau khoảng {minutes} phút; gọi thêm trong lúc này chỉ kéo dài thời gian bị chặn.",
            "Facebook is rate-limiting calls (code {code}); the token is not at fault. "
            "Try again in about {minutes} minutes; more calls meanwhile only lengthen the block.",
        ),
    }
)

#: what publishing and the weekly report need
REQUIRED_PERMISSIONS = ("pages_show_list", "pages_read_engagement", "pages_manage_posts", "read_insights")


def _get(session: requests.Session, url: str, params: dict[str, str]) -> dict[str, Any]:
    try:
        response = session.get(url, params=params, timeout=API_TIMEOUT)
    except requests.RequestException as exc:
        raise TemporaryFailure(mask_text(str(exc))) from exc
    body = json_body(response)
    if body is None:
        raise TemporaryFailure(f"HTTP {response.status_code}")
    error = body.get("error")
    if isinstance(error, dict):
        code, sub = error.get("code"), error.get("error_subcode")
        if code == 190:
            raise AuthExpired(msg("facebook.token_refused", detail=code))
        if code in THROTTLE_CODES:
            # the BUC header says when access comes back; else Retry-After; else the hour of 4/17
            wait = usage(response).get("wait") or retry_after(response) or DEFAULT_THROTTLE_WAIT
            raise TemporaryFailure(
                msg("facebook.token_rate_limited", code=code, minutes=max(1, round(wait / 60))),
                retry_after=wait,
            )
        raise UserError(msg("facebook.token_refused", detail=f"{code}/{sub}" if sub else code))
    return body


def _app(settings: Any) -> tuple[str, str]:
    if not settings.app_id or not settings.app_secret:
        raise ConfigError(msg("facebook.need_app"))
    return settings.app_id, settings.app_secret.get_secret_value()


def long_lived_user_token(settings: Any, session: requests.Session, short_token: str) -> str:
    app_id, secret = _app(settings)
    body = _get(
        session,
        f"{settings.graph_url.rstrip('/')}/{settings.api_version}/oauth/access_token",
        {
            "grant_type": "fb_exchange_token",
            "client_id": app_id,
            "client_secret": secret,
            "fb_exchange_token": short_token,
        },
    )
    return str(body["access_token"])


def page_credentials(settings: Any, session: requests.Session, user_token: str, page_id: str) -> Credentials:
    """The Page token for ``page_id`` from a long-lived user token (``/me/accounts``)."""
    url: str | None = f"{settings.graph_url.rstrip('/')}/{settings.api_version}/me/accounts"
    params = {"fields": "id,name,access_token", "access_token": user_token, "limit": "100"}
    while url:
        body = _get(session, url, params)
        for page in body.get("data") or []:
            if str(page.get("id")) == str(page_id) and page.get("access_token"):
                return Credentials(
                    access_token=str(page["access_token"]),
                    remote_account_id=str(page_id),
                    extra={"page_name": page.get("name")},
                )
        url = (body.get("paging") or {}).get("next")
        params = {}
    raise UserError(msg("facebook.page_missing", page=page_id))


@dataclass
class TokenReport:
    is_valid: bool
    type: str | None
    days_left: float | None  # None: never expires
    data_access_days_left: float | None
    missing_permissions: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


def debug_token(
    settings: Any, session: requests.Session, token: str, now: datetime | None = None
) -> TokenReport:
    app_id, secret = _app(settings)
    body = _get(
        session,
        f"{settings.graph_url.rstrip('/')}/{settings.api_version}/debug_token",
        {"input_token": token, "access_token": f"{app_id}|{secret}"},
    )
    data = body.get("data") or {}
    now = now or datetime.now(UTC)

    def days(epoch: Any) -> float | None:
        if not epoch:
            return None
        return round((datetime.fromtimestamp(int(epoch), UTC) - now).total_seconds() / 86400, 1)

    scopes = set(data.get("scopes") or [])
    return TokenReport(
        is_valid=bool(data.get("is_valid")),
        type=data.get("type"),
        days_left=days(data.get("expires_at")),
        data_access_days_left=days(data.get("data_access_expires_at")),
        missing_permissions=[p for p in REQUIRED_PERMISSIONS if p not in scopes],
        raw={k: v for k, v in data.items() if k not in ("scopes",)},
    )
