"""Who calls the API: a personal API token (``Authorization: Bearer``) or the browser's session.

- A token is 32 random bytes (URL-safe text after the ``pub_`` mark), shown once when it is made;
  the database keeps its SHA-256 only (:mod:`publisher.store.api_tokens`). It acts as its user,
  with the user's role and unit, until it is revoked or the user is disabled.
- A call with the session cookie is the signed-in user; a call that changes something then needs
  the session's CSRF token (``X-CSRF-Token``), as the pages' forms do. A token call needs none: a
  page of another site cannot make the browser send an ``Authorization`` header.
- The role is checked against the one permission table (:func:`publisher.web.permissions.allowed`:
  ``api_<page>`` has the page's permission).
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from publisher.actions.signin import Session
from publisher.core.people import User
from publisher.errors import UserError
from publisher.i18n import msg, register
from publisher.store import Store
from publisher.store.api_tokens import MAX_TOKENS, ApiTokens, TokenRow
from publisher.web.api.errors import ApiError
from publisher.web.deps import COOKIE, Viewer, check_csrf, web
from publisher.web.permissions import allowed

register(
    {
        "api.token.name_empty": ("Hãy đặt tên cho mã API.", "Give the API token a name."),
        "api.token.name_long": (
            "Tên mã API quá dài (tối đa {max} ký tự).",
            "The token's name is too long (at most {max} characters).",
        ),
        "api.token.name_bad": (
            "Tên mã API chứa ký tự điều khiển; gõ lại tên.",
            "The token's name holds a control character; type it again.",
        ),
        "api.token.too_many": (
            "Bạn đã có {max} mã API đang dùng; thu hồi một mã trước khi tạo mã mới.",
            "You have {max} live API tokens; revoke one before making another.",
        ),
    }
)

#: the mark every token starts with (secret scanners and people recognise it)
TOKEN_PREFIX = "pub_"
TOKEN_BYTES = 32
NAME_MAX = 100
#: how the session of a token call is named (``api-token:<id>``), never a web session's id
TOKEN_SESSION = "api-token:"

BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="A personal API token, made on the page /tokens: `Authorization: Bearer pub_…`.",
)


def token_hash(token: str) -> str:
    """What the database keeps of a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def clean_name(name: str) -> str:
    text = " ".join(unicodedata.normalize("NFC", name).split())
    if not text:
        raise UserError(msg("api.token.name_empty"))
    if len(text) > NAME_MAX:
        raise UserError(msg("api.token.name_long", max=NAME_MAX))
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in text):
        raise UserError(msg("api.token.name_bad"))
    return text


def issue_token(store: Store, user: User, name: str) -> tuple[str, TokenRow]:
    """Make a token for ``user``: the token (to show once) and its row. :class:`UserError` for a
    bad name or too many live tokens."""
    clean = clean_name(name)
    tokens = ApiTokens(store.db)
    if tokens.live_count(user.id) >= MAX_TOKENS:
        raise UserError(msg("api.token.too_many", max=MAX_TOKENS))
    token = new_token()
    return token, tokens.create(user, clean, token_hash(token))


def authenticate(store: Store, token: str) -> Session:
    """The session a token stands for; :class:`ApiError` 401 when it is unknown, revoked or its
    user disabled (403 while the user must still replace a one-time password)."""
    tokens = ApiTokens(store.db)
    found = tokens.lookup(token_hash(token)) if token.startswith(TOKEN_PREFIX) else None
    if found is None:
        raise ApiError(401, "invalid_token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    row, user, must_change = found
    if must_change:
        raise ApiError(403, "password_change_required")
    tokens.touch(row)
    return Session(user, f"{TOKEN_SESSION}{row.id}", csrf="", must_change_password=False)


def api_page(route: str) -> Callable[..., Awaitable[Viewer]]:
    """The dependency of an API handler named ``route`` (``api_<page>``): the caller, checked."""

    async def viewer(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
    ) -> Viewer:
        ctx = web(request)
        header = request.headers.get("authorization")
        if header is not None:
            if credentials is None or not credentials.credentials.strip():
                raise ApiError(401, "invalid_token", headers={"WWW-Authenticate": "Bearer"})
            session = await run_in_threadpool(authenticate, ctx.store, credentials.credentials.strip())
            by_cookie = False
        else:
            found = await run_in_threadpool(ctx.signin.session, request.cookies.get(COOKIE))
            if found is None:
                raise ApiError(401, "unauthenticated", headers={"WWW-Authenticate": "Bearer"})
            if found.must_change_password:
                raise ApiError(403, "password_change_required")
            session, by_cookie = found, True
        if not allowed(route, session.user.role):
            raise ApiError(403, "forbidden")
        if by_cookie and request.method not in ("GET", "HEAD"):
            await check_csrf(request, session.csrf)
        return Viewer(session, route)

    return viewer


__all__ = [
    "BEARER",
    "NAME_MAX",
    "TOKEN_PREFIX",
    "TOKEN_SESSION",
    "api_page",
    "authenticate",
    "clean_name",
    "issue_token",
    "new_token",
    "token_hash",
]
