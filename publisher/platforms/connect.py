"""Connecting accounts: the pieces the CLI wires into ``publisher accounts connect/check``.

- Zalo: OAuth v4 with PKCE (:func:`zalo_start` builds the URL and the verifier to keep,
  :func:`zalo_finish` exchanges the code).
- YouTube: OAuth 2.0 for an installed app (:func:`youtube_start`, :func:`youtube_finish`);
  ``access_type=offline`` and ``prompt=consent`` so that a refresh token is always issued.
- Facebook: a Page token from a long-lived user token (:func:`facebook_page_token`), and
  :func:`check_facebook_token` (``/debug_token``: days left, missing permissions).
- ``accounts check``: what one account's access is worth now (:class:`AccessCheck`), from one cheap
  authenticated call per platform: Facebook ``/debug_token`` (:func:`check_facebook`), YouTube
  ``channels.list?part=snippet&mine=true`` (1 quota unit, :func:`probe_youtube`), Zalo
  ``GET /v2.0/oa/getoa`` (:func:`probe_zalo`); reference/{facebook,youtube,zalo}.md.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode

import requests

from publisher.errors import ConfigError
from publisher.i18n import msg, register
from publisher.platforms.base import AuthExpired, Credentials, Outcome, Result
from publisher.platforms.facebook import auth as facebook_auth
from publisher.platforms.facebook.auth import TokenReport
from publisher.platforms.http import API_TIMEOUT, TemporaryFailure, json_body, mask_text
from publisher.platforms.youtube.adapter import YouTubeAdapter
from publisher.platforms.zalo import auth as zalo_auth

register(
    {
        "connect.youtube_client": (
            "Thiếu PUBLISHER_YOUTUBE__CLIENT_ID hoặc PUBLISHER_YOUTUBE__CLIENT_SECRET.",
            "PUBLISHER_YOUTUBE__CLIENT_ID or PUBLISHER_YOUTUBE__CLIENT_SECRET is not set.",
        ),
        "connect.zalo_app": (
            "Thiếu PUBLISHER_ZALO__APP_ID hoặc PUBLISHER_ZALO__APP_SECRET (mã ứng dụng Zalo của xã).",
            "PUBLISHER_ZALO__APP_ID or PUBLISHER_ZALO__APP_SECRET is not set (the office's Zalo app).",
        ),
        "connect.youtube_refused": ("Google từ chối mã ({code}).", "Google refused the code ({code})."),
        "connect.youtube_no_refresh": (
            "Google không trả refresh token; thu hồi quyền ứng dụng rồi kết nối lại.",
            "Google returned no refresh token; revoke the app's access and connect again.",
        ),
        "connect.fb_invalid": (
            "Facebook báo token không hợp lệ ({detail}).",
            "Facebook says the token is invalid ({detail}).",
        ),
        "connect.fb_page_note": (
            "mã Trang lấy từ mã người dùng dài hạn; chỉ mất hiệu lực khi quản trị viên đổi mật khẩu, "
            "mất quyền quản trị Trang hoặc gỡ ứng dụng",
            "a Page token from a long-lived user token; it only dies when the admin changes their password, "
            "loses the Page role or removes the app",
        ),
        "connect.yt_refresh_note": (
            "Google không đặt hạn cố định; mất hiệu lực khi bị thu hồi, sau 6 tháng không dùng, hoặc sau 7 ngày "
            "nếu ứng dụng OAuth trên Google Cloud còn ở trạng thái “Testing”",
            "Google sets no fixed end; it dies when revoked, after 6 months unused, or after 7 days while the "
            "OAuth app in Google Cloud is still in “Testing” status",
        ),
        "connect.zalo_refresh_note": (
            "dùng được một lần; mỗi lần gia hạn (ít nhất mỗi ngày khi publisher run chạy) được cấp mới và thời hạn "
            "3 tháng tính lại",
            "single-use; each renewal (at least daily while publisher run runs) issues a new one and restarts "
            "its 3-month window",
        ),
        "connect.no_channel": (
            "Token hợp lệ nhưng tài khoản Google này không có kênh YouTube.",
            "The token works but this Google account has no YouTube channel.",
        ),
    }
)


@dataclass
class AccessCheck:
    """What ``accounts check`` learnt about one account's access (never the token itself)."""

    access: Literal["valid", "invalid", "unknown", "not_checked"]
    reason: str | None = None
    name: str | None = None  # the Page, channel or OA the token acts for
    access_expires_at: datetime | None = None
    access_never_expires: bool = False
    access_note: str | None = None
    renews_itself: bool = False  # a refresh token renews the access token
    refresh_expires_at: datetime | None = None
    refresh_note: str | None = None
    data_access_expires_at: datetime | None = None  # Facebook: 90 days from the admin's last use
    missing_permissions: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _from_result(result: Result) -> AccessCheck:
    """A failed probe: refused credentials are ``invalid``, a throttle or an outage tells nothing."""
    reason = str(result.reason or result.code or result.outcome.value)
    if result.outcome in (Outcome.AUTH_EXPIRED, Outcome.REJECTED):
        return AccessCheck("invalid", reason)
    return AccessCheck("unknown", reason)


def check_facebook(
    settings: Any, session: requests.Session, credentials: Credentials, now: datetime | None = None
) -> AccessCheck:
    """``/debug_token`` on the stored token: valid or not, ``expires_at`` (0: never),
    ``data_access_expires_at`` and the permissions still missing."""
    report = facebook_auth.debug_token(settings, session, credentials.access_token, now=now)
    raw = report.raw

    def when(key: str) -> datetime | None:
        value = raw.get(key)
        return datetime.fromtimestamp(int(value), UTC) if value else None

    if not report.is_valid:
        error = raw.get("error")
        error = error if isinstance(error, dict) else {}
        detail = "/".join(str(v) for v in (error.get("code"), error.get("subcode")) if v) or "is_valid=false"
        return AccessCheck("invalid", str(msg("connect.fb_invalid", detail=detail)))
    never = raw.get("expires_at") == 0
    return AccessCheck(
        "valid",
        name=(credentials.extra or {}).get("page_name"),
        access_expires_at=when("expires_at"),
        access_never_expires=never,
        access_note=str(msg("connect.fb_page_note")) if never and report.type == "PAGE" else None,
        data_access_expires_at=when("data_access_expires_at"),
        missing_permissions=list(report.missing_permissions),
    )


def probe_youtube(adapter: Any) -> AccessCheck:
    """``channels.list?part=snippet&mine=true`` with the adapter's token (1 unit, its quota book)."""
    body, failure = adapter._api(
        "GET", "channels", "channels.list", params={"part": "snippet", "mine": "true"}
    )
    if failure is not None or body is None:
        return _from_result(failure or Result.transient())
    items = body.get("items") or []
    if not items:
        return AccessCheck("invalid", str(msg("connect.no_channel")))
    return AccessCheck("valid", name=(items[0].get("snippet") or {}).get("title") or items[0].get("id"))


def probe_zalo(adapter: Any) -> AccessCheck:
    """``GET /v2.0/oa/getoa`` (the OA profile) with the adapter's token; errors come with HTTP 200."""
    data, failure = adapter._call("GET", "v2.0/oa/getoa")
    if failure is not None or data is None:
        return _from_result(failure or Result.transient())
    return AccessCheck("valid", name=data.get("name"))


def refresh_note(platform: str) -> str | None:
    """How long a refresh token of ``platform`` lives, where no expiry time is stored for it."""
    key = {"youtube": "connect.yt_refresh_note", "zalo": "connect.zalo_refresh_note"}.get(platform)
    return str(msg(key)) if key else None


#: installed-app loopback redirect; the officer pastes the code back into the CLI
DEFAULT_REDIRECT = "http://127.0.0.1:8765/callback"


@dataclass(frozen=True)
class AuthStart:
    """What the CLI prints (``url``) and keeps until the code comes back (``verifier``, ``state``)."""

    url: str
    state: str
    verifier: str | None = None


def zalo_start(settings: Any, redirect_uri: str) -> AuthStart:
    if not settings.app_id or not settings.app_secret:
        raise ConfigError(msg("connect.zalo_app"))
    verifier, challenge = zalo_auth.pkce_pair()
    state = secrets.token_urlsafe(16)
    return AuthStart(zalo_auth.authorization_url(settings, redirect_uri, challenge, state), state, verifier)


def zalo_finish(
    settings: Any, session: requests.Session, code: str, verifier: str, oa_id: str | None = None
) -> Credentials:
    return zalo_auth.exchange_code(settings, session, code, verifier, oa_id)


def youtube_start(settings: Any, redirect_uri: str = DEFAULT_REDIRECT) -> AuthStart:
    if not settings.client_id:
        raise ConfigError(msg("connect.youtube_client"))
    state = secrets.token_urlsafe(16)
    query = urlencode(
        {
            "client_id": settings.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": " ".join(YouTubeAdapter.scopes),
            "access_type": "offline",
            "prompt": "consent",
            "include_granted_scopes": "true",
            "state": state,
        }
    )
    return AuthStart(f"{settings.auth_url}?{query}", state)


def youtube_finish(
    settings: Any,
    session: requests.Session,
    code: str,
    redirect_uri: str = DEFAULT_REDIRECT,
    now: datetime | None = None,
) -> Credentials:
    if not settings.client_id or not settings.client_secret:
        raise ConfigError(msg("connect.youtube_client"))
    try:
        response = session.post(
            f"{settings.oauth_url.rstrip('/')}/token",
            timeout=API_TIMEOUT,
            data={
                "code": code,
                "client_id": settings.client_id,
                "client_secret": settings.client_secret.get_secret_value(),
                "redirect_uri": redirect_uri,
                "grant_type": "authorization_code",
            },
        )
    except requests.RequestException as exc:
        raise TemporaryFailure(mask_text(str(exc))) from exc
    body = json_body(response) or {}
    if not response.ok or not body.get("access_token"):
        if response.status_code >= 500:
            raise TemporaryFailure(f"HTTP {response.status_code}")
        raise AuthExpired(msg("connect.youtube_refused", code=body.get("error") or response.status_code))
    if not body.get("refresh_token"):
        raise AuthExpired(msg("connect.youtube_no_refresh"))
    now = now or datetime.now(UTC)
    return Credentials(
        access_token=str(body["access_token"]),
        refresh_token=str(body["refresh_token"]),
        expires_at=now + timedelta(seconds=int(body.get("expires_in", 3600))),
        extra={"scope": body.get("scope"), "refreshed_at": now.isoformat()},
    )


def facebook_page_token(
    settings: Any, session: requests.Session, user_token: str, page_id: str, exchange: bool = True
) -> Credentials:
    """A non-expiring Page token: exchange the user token for a long-lived one first."""
    long_lived = (
        facebook_auth.long_lived_user_token(settings, session, user_token) if exchange else user_token
    )
    return facebook_auth.page_credentials(settings, session, long_lived, page_id)


def check_facebook_token(
    settings: Any, session: requests.Session, token: str, now: datetime | None = None
) -> TokenReport:
    return facebook_auth.debug_token(settings, session, token, now=now)


__all__ = [
    "AccessCheck",
    "AuthStart",
    "TokenReport",
    "check_facebook",
    "check_facebook_token",
    "facebook_page_token",
    "probe_youtube",
    "probe_zalo",
    "refresh_note",
    "youtube_finish",
    "youtube_start",
    "zalo_finish",
    "zalo_start",
]
