"""Zalo OA OAuth v4: PKCE authorisation, code exchange and the single-use refresh.

Reference: /work/shared/reference/zalo.md §1 (official Java SDK ``GetAccessTokenByRefreshToken``;
hexasync guide). The access token lasts about 25 h (``expires_in`` arrives as a string); the
refresh token is valid about 3 months and works ONCE: every refresh returns a new pair and the
old refresh token dies. :mod:`publisher.platforms.tokens` makes sure only one process refreshes
an account and that the new pair is committed before the new access token is used.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests

from publisher.errors import ConfigError
from publisher.i18n import msg, register
from publisher.platforms.base import AuthExpired, Credentials
from publisher.platforms.http import API_TIMEOUT, TemporaryFailure, json_body, mask_text

register(
    {
        "zalo.need_app": (
            "Thiếu PUBLISHER_ZALO__APP_ID hoặc PUBLISHER_ZALO__APP_SECRET.",
            "PUBLISHER_ZALO__APP_ID or PUBLISHER_ZALO__APP_SECRET is not set.",
        ),
        "zalo.refresh_refused": (
            "Zalo từ chối làm mới mã (mã {code}); quản trị OA cần cấp quyền lại.",
            "Zalo refused the token refresh (code {code}); an OA admin must authorise again.",
        ),
    }
)

#: the refresh token's validity window (hexasync: "valid for 3 months")
REFRESH_LIFETIME = timedelta(days=90)


def pkce_pair() -> tuple[str, str]:
    """``(code_verifier, code_challenge)``: S256, base64url without padding (RFC 7636)."""
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(48)).rstrip(b"=").decode("ascii")
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=")
    return verifier, challenge.decode("ascii")


def _app(settings: Any) -> tuple[str, str]:
    if not settings.app_id or not settings.app_secret:
        raise ConfigError(msg("zalo.need_app"))
    return settings.app_id, settings.app_secret.get_secret_value()


def authorization_url(settings: Any, redirect_uri: str, code_challenge: str, state: str) -> str:
    app_id = settings.app_id or ""
    query = urlencode(
        {"app_id": app_id, "redirect_uri": redirect_uri, "code_challenge": code_challenge, "state": state}
    )
    return f"{settings.oauth_url.rstrip('/')}/v4/oa/permission?{query}"


def token_request(
    settings: Any,
    session: requests.Session,
    form: dict[str, str],
    now: datetime | None = None,
    previous: Credentials | None = None,
) -> Credentials:
    """POST ``/v4/oa/access_token``; a refusal raises :class:`AuthExpired`, a network or server
    failure :class:`TemporaryFailure`.

    A refresh whose answer was lost after sending may have burned the refresh token; the next
    refresh then fails and the account is marked for re-authorisation (nothing better exists).
    """
    app_id, secret = _app(settings)
    try:
        response = session.post(
            f"{settings.oauth_url.rstrip('/')}/v4/oa/access_token",
            data={**form, "app_id": app_id},
            headers={"secret_key": secret},
            timeout=API_TIMEOUT,
        )
    except requests.RequestException as exc:
        raise TemporaryFailure(mask_text(str(exc))) from exc
    body = json_body(response)
    if body is None or response.status_code >= 500:
        raise TemporaryFailure(f"Zalo OAuth answered HTTP {response.status_code}")
    if not body.get("access_token"):
        code = body.get("error") or body.get("error_name") or f"http_{response.status_code}"
        raise AuthExpired(msg("zalo.refresh_refused", code=code))
    now = now or datetime.now(UTC)
    prev = previous or Credentials()
    return Credentials(
        access_token=str(body["access_token"]),
        refresh_token=str(body.get("refresh_token") or ""),
        expires_at=now + timedelta(seconds=int(str(body.get("expires_in") or 3600))),
        refresh_expires_at=now + REFRESH_LIFETIME,
        remote_account_id=prev.remote_account_id,
        extra={**prev.extra, "refreshed_at": now.isoformat()},
    )


def exchange_code(
    settings: Any, session: requests.Session, code: str, code_verifier: str, oa_id: str | None = None
) -> Credentials:
    creds = token_request(
        settings, session, {"code": code, "grant_type": "authorization_code", "code_verifier": code_verifier}
    )
    creds.remote_account_id = oa_id
    return creds


def refresh(
    settings: Any, session: requests.Session, credentials: Credentials, now: datetime | None = None
) -> Credentials:
    if not credentials.refresh_token:
        raise AuthExpired(msg("zalo.refresh_refused", code="no_refresh_token"))
    return token_request(
        settings,
        session,
        {"refresh_token": credentials.refresh_token, "grant_type": "refresh_token"},
        now=now,
        previous=credentials,
    )
