"""YouTube OAuth 2.0 refresh (``{oauth_url}/token``).

https://developers.google.com/identity/protocols/oauth2/native-app#offline: access tokens last
about an hour. ``invalid_grant`` means the refresh token is dead (revoked, unused six months, or
the OAuth app is still in "Testing", where refresh tokens expire after 7 days): the account needs
re-authorisation. Google normally keeps the refresh token (UNCERTAIN): we keep the old one
unless a new one is returned.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import requests

from publisher.i18n import msg
from publisher.platforms.base import AuthExpired, Credentials
from publisher.platforms.http import API_TIMEOUT, TemporaryFailure, json_body, mask_text

#: token-endpoint errors that no retry can fix (RFC 6749 §5.2)
DEAD_GRANT = ("invalid_grant", "unauthorized_client", "invalid_client")


def refresh(settings: Any, http: requests.Session, credentials: Credentials, now: datetime) -> Credentials:
    if not credentials.refresh_token:
        raise AuthExpired(msg("youtube.auth", code="no_refresh_token"))
    secret = settings.client_secret.get_secret_value() if settings.client_secret else ""
    try:
        response = http.post(
            f"{settings.oauth_url.rstrip('/')}/token",
            timeout=API_TIMEOUT,
            data={
                "client_id": settings.client_id or "",
                "client_secret": secret,
                "refresh_token": credentials.refresh_token,
                "grant_type": "refresh_token",
            },
        )
    except requests.RequestException as exc:
        raise TemporaryFailure(mask_text(str(exc))) from exc
    body = json_body(response) or {}
    if body.get("error") in DEAD_GRANT:
        raise AuthExpired(msg("youtube.auth", code=body["error"]))
    if not response.ok or not body.get("access_token"):
        raise TemporaryFailure(f"token endpoint answered HTTP {response.status_code}")
    return Credentials(
        access_token=str(body["access_token"]),
        refresh_token=str(body.get("refresh_token") or credentials.refresh_token),
        expires_at=now + timedelta(seconds=int(body.get("expires_in", 3600))),
        refresh_expires_at=credentials.refresh_expires_at,
        remote_account_id=credentials.remote_account_id,
        extra={**credentials.extra, "refreshed_at": now.isoformat()},
    )
