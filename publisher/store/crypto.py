"""Encryption of account credentials at rest (Fernet).

The key comes from ``PUBLISHER_SECRET_KEY`` or from ``<data dir>/secret.key``, created by
``publisher init`` with mode 0600. Without a key nothing is written in clear text: storing a
credential fails instead.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from publisher.errors import ConfigError
from publisher.i18n import msg, register
from publisher.settings import Settings

register(
    {
        "crypto.no_key": (
            "Chưa có khóa mã hóa: chạy “publisher init” hoặc đặt PUBLISHER_SECRET_KEY.",
            "No encryption key: run “publisher init” or set PUBLISHER_SECRET_KEY.",
        ),
        "crypto.bad_key": (
            "Khóa mã hóa không đúng (PUBLISHER_SECRET_KEY hoặc {path}): không giải mã được thông tin tài khoản.",
            "Wrong encryption key (PUBLISHER_SECRET_KEY or {path}): cannot decrypt account credentials.",
        ),
    }
)


def ensure_key_file(path: Path) -> None:
    """Create the key file with mode 0600 if it does not exist (idempotent)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(Fernet.generate_key())


class Vault:
    """Encrypts and decrypts credential dictionaries."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._fernet: Fernet | None = None

    def _get(self) -> Fernet:
        if self._fernet is None:
            key: bytes | None = None
            if self._settings.secret_key is not None:
                key = self._settings.secret_key.get_secret_value().encode()
            elif self._settings.key_file.exists():
                key = self._settings.key_file.read_bytes().strip()
            if not key:
                raise ConfigError(msg("crypto.no_key"))
            try:
                self._fernet = Fernet(key)
            except ValueError:
                raise ConfigError(msg("crypto.bad_key", path=self._settings.key_file)) from None
        return self._fernet

    def seal(self, data: dict[str, Any]) -> str:
        return self._get().encrypt(json.dumps(data).encode()).decode()

    def open(self, token: str) -> dict[str, Any]:
        try:
            return dict(json.loads(self._get().decrypt(token.encode())))
        except InvalidToken:
            raise ConfigError(msg("crypto.bad_key", path=self._settings.key_file)) from None
