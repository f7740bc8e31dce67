"""Connecting accounts: the pieces the CLI wires into ``publisher accounts connect/check``.

- Zalo: OAuth v4 with PKCE (:func:`zalo_start` builds the URL and the verifier to keep,
  :func:`zalo_finish` exchanges the code).
- YouTube: OAuth 2.0 for an installed app (:func:`youtube_start`, :func:`youtube_finish`);
  ``access_type=offline`` and ``prompt=consent`` so that a refresh token is always issued.
- Facebook: a Page token from a long-lived user token (:func:`facebook_page_token`), and
  :func:`check_facebook_token` (``/debug_token``: days left, missing permissions).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests

from publisher.errors import ConfigError
from publisher.i18n import msg, register
from publisher.platforms.base import AuthExpired, Credentials
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
        "connect.youtube_refused": ("Google từ chối mã ({code}).", "Google refused the code ({code})."),
        "connect.youtube_no_refresh": (
            "Google không trả refresh token; thu hồi quyền ứng dụng rồi kết nối lại.",
            "Google returned no refresh token; revoke the app's access and connect again.",
        ),
    }
)

#: installed-app loopback redirect; the officer pastes the code back into the CLI
DEFAULT_REDIRECT = "http://127.0.0.1:8765/callback"


@dataclass(frozen=True)
class AuthStart:
    """What the CLI prints (``url``) and keeps until the code comes back (``verifier``, ``state``)."""

    url: str
    state: str
    verifier: str | None = None


def zalo_start(settings: Any, redirect_uri: str) -> AuthStart:
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
    "AuthStart",
    "TokenReport",
    "check_facebook_token",
    "facebook_page_token",
    "youtube_finish",
    "youtube_start",
    "zalo_finish",
    "zalo_start",
]
