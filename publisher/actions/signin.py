"""Signing in to the web app: passwords (argon2), server-side sessions, the lock after failures.

- A password is stored as an argon2id hash (``argon2-cffi``), never in clear text. A one-time
  password (from ``publisher init`` or an admin's reset) must be replaced at the first sign-in.
- A session is a random token in an ``HttpOnly`` cookie; the database keeps only its SHA-256, the
  CSRF token bound to it and when it was last seen. It ends after ``web.session_idle_minutes``
  without a request, at sign-out, when the user is disabled or their password is reset.
- After ``web.login_max_failures`` failures for one name or from one address within the lock
  time, both are locked for ``web.login_lock_minutes``; the lock is written to the audit trail.
  A locked or unknown name answers exactly as a wrong password does (nothing to probe).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from publisher.core.people import User, name_key
from publisher.errors import UserError
from publisher.i18n import msg, register
from publisher.settings import Settings
from publisher.store.users import Users
from publisher.store.web import WebRepo

register(
    {
        "signin.failed": (
            "Tên hoặc mật khẩu không đúng.",
            "Wrong name or password.",
        ),
        "signin.locked": (
            "Đăng nhập sai quá nhiều lần. Hãy thử lại sau {minutes} phút.",
            "Too many failed sign-ins. Try again in {minutes} minutes.",
        ),
        "signin.password_short": (
            "Mật khẩu cần ít nhất {n} ký tự.",
            "The password needs at least {n} characters.",
        ),
        "signin.password_mismatch": (
            "Hai lần nhập mật khẩu mới không khớp.",
            "The two new passwords differ.",
        ),
        "signin.password_same": (
            "Mật khẩu mới phải khác mật khẩu dùng một lần.",
            "The new password must differ from the one-time password.",
        ),
    }
)

PASSWORD_MIN = 10
_HASHER = PasswordHasher()
#: verified against when the name is unknown, so that the answer takes as long as for a known one
_DUMMY_HASH = _HASHER.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(hashed: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(hashed or _DUMMY_HASH, password) and hashed is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def one_time_password() -> str:
    """A password to hand over once (printed by ``init`` or shown to the admin after a reset)."""
    return secrets.token_urlsafe(12)


def check_new_password(password: str, repeat: str | None = None) -> None:
    if len(password) < PASSWORD_MIN:
        raise UserError(msg("signin.password_short", n=PASSWORD_MIN))
    if repeat is not None and password != repeat:
        raise UserError(msg("signin.password_mismatch"))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    """A live session: who, its CSRF token, and whether the password must be changed first."""

    user: User
    id: str  # the stored id (digest of the cookie token)
    csrf: str
    must_change_password: bool


class SignIn:
    """The use cases of signing in, over the users and web repositories."""

    def __init__(self, users: Users, web: WebRepo, settings: Settings) -> None:
        self.users = users
        self.web = web
        self.settings = settings

    def _keys(self, name: str, addr: str | None) -> list[str]:
        keys = [f"name:{name_key(name)}"]
        if addr:
            keys.append(f"addr:{addr}")
        return keys

    def sign_in(self, name: str, password: str, addr: str | None, now: datetime | None = None) -> str:
        """The new session's cookie token; :class:`UserError` with the reason otherwise."""
        now = now or datetime.now(UTC)
        cfg = self.settings.web
        keys = self._keys(name, addr)
        locked = self.web.locked_until(keys, now)
        if locked is not None:
            minutes = max(1, int((locked - now).total_seconds() // 60) + 1)
            raise UserError(msg("signin.locked", minutes=minutes))
        user = self.users.get(name)
        stored = self.web.password_hash(user.id) if user is not None else None
        ok = verify_password(stored, password)
        if not ok or user is None or not user.enabled:
            lock = timedelta(minutes=cfg.login_lock_minutes)
            until = self.web.record_failure(keys, now, cfg.login_max_failures, lock, window=lock)
            self.web.note(name_key(name)[:100] or "?", "signin_failed", addr=addr)
            if until is not None:
                self.web.note(
                    name_key(name)[:100] or "?", "signin_locked", addr=addr, until=until.isoformat()
                )
                raise UserError(msg("signin.locked", minutes=cfg.login_lock_minutes))
            raise UserError(msg("signin.failed"))
        self.web.clear_failures(keys)
        token = secrets.token_urlsafe(32)
        self.web.open_session(_digest(token), user.id, secrets.token_urlsafe(24), addr, now)
        self.web.note(user.name, "signin", addr=addr)
        return token

    def session(self, token: str | None, now: datetime | None = None) -> Session | None:
        """The live session of a cookie token (touched), or None: unknown, revoked, idle too long,
        or its user disabled."""
        if not token:
            return None
        now = now or datetime.now(UTC)
        row = self.web.session(_digest(token))
        if row is None or row.revoked_at is not None:
            return None
        if now - row.last_seen_at > timedelta(minutes=self.settings.web.session_idle_minutes):
            self.web.revoke(row.id, now)
            return None
        user = next((u for u in self.users.all() if u.id == row.user_id), None)
        if user is None:
            return None
        if (now - row.last_seen_at).total_seconds() > 30:  # one write per half-minute, not per request
            self.web.touch(row.id, now)
        return Session(user, row.id, row.csrf, self.web.must_change_password(user.id))

    def sign_out(self, session: Session) -> None:
        self.web.revoke(session.id)
        self.web.note(session.user.name, "signout")

    def set_password(self, user: User, password: str, by: str, one_time: bool = False) -> None:
        check_new_password(password)
        self.web.set_password_hash(user.id, hash_password(password), one_time, by, user.name)

    def change_own_password(self, session: Session, current: str, new: str, repeat: str) -> str:
        """Replace the signed-in user's password; returns a new session token (the old sessions end)."""
        if not verify_password(self.web.password_hash(session.user.id), current):
            raise UserError(msg("signin.failed"))
        check_new_password(new, repeat)
        if new == current:
            raise UserError(msg("signin.password_same"))
        self.set_password(session.user, new, by=session.user.name)
        token = secrets.token_urlsafe(32)
        self.web.open_session(_digest(token), session.user.id, secrets.token_urlsafe(24), None)
        return token


__all__ = [
    "PASSWORD_MIN",
    "Session",
    "SignIn",
    "check_new_password",
    "hash_password",
    "one_time_password",
    "verify_password",
]
