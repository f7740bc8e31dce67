"""Encryption of account credentials at rest (Fernet), and the key's fingerprint in the database.

The key comes from ``PUBLISHER_SECRET_KEY`` or from ``<data dir>/secret.key``, which only
``publisher init`` creates (mode 0600). The database records the SHA-256 fingerprint of its key
(``meta`` table, key ``key_fingerprint``): a key with another fingerprint is refused before anything
is decrypted or sealed, so one database never holds credentials sealed with two keys. Without a key
nothing is written in clear text: storing a credential fails instead.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Connection, delete, insert, inspect, select, update

from publisher.errors import ConfigError
from publisher.i18n import Msg, msg, register
from publisher.settings import Settings
from publisher.store import schema as s

if TYPE_CHECKING:
    from publisher.store.db import Database

FINGERPRINT_KEY = "key_fingerprint"
ENV_KEY = "PUBLISHER_SECRET_KEY"

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
        "crypto.key_missing": (
            "Không có khóa mã hóa {path}. Lần đầu dùng: chạy “publisher init”. Nếu đã dùng trước đây: khôi phục "
            "khóa — “publisher restore BẢN-SAO-LƯU.tar” vào một thư mục dữ liệu trống, hoặc chép lại tệp "
            "secret.key từ bản sao lưu vào {path} (chmod 600), hoặc đặt PUBLISHER_SECRET_KEY bằng khóa cũ.",
            "There is no encryption key {path}. First time: run “publisher init”. Used before: restore the key — "
            "“publisher restore BACKUP.tar” into an empty data directory, or copy secret.key from your backup "
            "to {path} (chmod 600), or set PUBLISHER_SECRET_KEY to the old key.",
        ),
        "crypto.key_lost": (
            "Cơ sở dữ liệu đã có thông tin tài khoản mã hóa bằng một khóa (dấu {want}) nhưng không tìm thấy khóa đó "
            "({path}). Không tạo khóa mới để khỏi mất các token: chép lại tệp secret.key từ bản sao lưu vào {path} "
            "(chmod 600) hoặc đặt PUBLISHER_SECRET_KEY bằng khóa cũ. Nếu khóa đã mất hẳn: "
            "“publisher init --forget-credentials” tạo khóa mới và xóa các token cũ (phải kết nối lại mọi tài khoản).",
            "The database holds credentials sealed with a key (fingerprint {want}) that is not here ({path}). No new "
            "key is made, so that those tokens are not lost: copy secret.key from your backup to {path} (chmod 600) "
            "or set PUBLISHER_SECRET_KEY to the old key. If the key is lost for good, "
            "“publisher init --forget-credentials” makes a new key and erases the old tokens (reconnect every account).",
        ),
        "crypto.mismatch": (
            "Khóa mã hóa hiện dùng ({source}, dấu {have}) không phải khóa của cơ sở dữ liệu này (dấu {want}); "
            "không lệnh nào chạy tiếp để không lẫn hai khóa. Khôi phục đúng khóa: chép tệp secret.key từ bản sao lưu "
            "(publisher backup) vào {path} (chmod 600), hoặc đặt PUBLISHER_SECRET_KEY bằng khóa cũ. Nếu khóa đã mất "
            "hẳn: “publisher init --forget-credentials” (phải kết nối lại mọi tài khoản).",
            "The encryption key in use ({source}, fingerprint {have}) is not this database's key (fingerprint {want}); "
            "nothing runs until it is, so that two keys never mix. Restore the right key: copy secret.key from your "
            "backup (publisher backup) to {path} (chmod 600), or set PUBLISHER_SECRET_KEY to the old key. If the key "
            "is lost for good: “publisher init --forget-credentials” (reconnect every account).",
        ),
        "crypto.unknown_fingerprint": ("chưa ghi", "not recorded"),
        "crypto.not_a_key": (
            "PUBLISHER_SECRET_KEY không phải khóa Fernet (cần đúng 44 ký tự base64 an toàn cho URL, tức 32 byte, "
            "như tệp secret.key do “publisher init” tạo): có lẽ khóa bị gõ hoặc chép sai. Không lệnh nào chạy với "
            "khóa này. Đặt lại đúng khóa cũ (chép nguyên văn từ bản sao lưu), hoặc bỏ PUBLISHER_SECRET_KEY để dùng "
            "tệp {path}.",
            "PUBLISHER_SECRET_KEY is not a Fernet key (exactly 44 URL-safe base64 characters, i.e. 32 bytes, like "
            "the secret.key file “publisher init” makes): it was probably mistyped or cut when copied. Nothing runs "
            "with it. Set the old key exactly as it is in your backup, or unset PUBLISHER_SECRET_KEY to use the "
            "file {path}.",
        ),
        "crypto.not_a_key_file": (
            "Tệp khóa {path} không chứa khóa Fernet (cần đúng 44 ký tự base64 an toàn cho URL, tức 32 byte): có lẽ "
            "tệp bị sửa hoặc chép hỏng. Không lệnh nào chạy với khóa này. Chép lại tệp secret.key từ bản sao lưu "
            "vào {path} (chmod 600), hoặc đặt PUBLISHER_SECRET_KEY bằng khóa cũ.",
            "The key file {path} does not hold a Fernet key (exactly 44 URL-safe base64 characters, i.e. 32 "
            "bytes): it was probably edited or damaged when copied. Nothing runs with it. Copy secret.key from your "
            "backup to {path} (chmod 600), or set PUBLISHER_SECRET_KEY to the old key.",
        ),
        "crypto.key_created": (
            "Đã tạo khóa mã hóa {path} (quyền 0600). Hãy sao lưu nó cùng cơ sở dữ liệu: publisher backup TỆP.tar",
            "Created the encryption key {path} (mode 0600). Back it up with the database: publisher backup FILE.tar",
        ),
        "crypto.key_set_aside": (
            "Khóa không đúng được giữ lại ở {path}.",
            "The key that did not match was kept as {path}.",
        ),
        "crypto.forgotten": (
            "Đã tạo khóa mới và xóa token của {n} tài khoản; kết nối lại từng tài khoản (publisher accounts connect "
            "hoặc accounts add).",
            "Made a new key and erased the tokens of {n} accounts; reconnect each of them (publisher accounts connect "
            "or accounts add).",
        ),
        "crypto.forgotten_reason": (
            "Khóa mã hóa cũ đã mất: cần kết nối lại tài khoản.",
            "The old encryption key was lost: reconnect this account.",
        ),
    }
)


class KeyMismatch(ConfigError):
    """The key at hand is missing, or is not the key the database's credentials were sealed with."""

    exit_code = 2


def key_fingerprint(key: bytes) -> str:
    """SHA-256 of the key as written (a Fernet key is 32 random bytes: the hash reveals nothing)."""
    return hashlib.sha256(key.strip()).hexdigest()


def _short(fingerprint: str | None) -> str:
    return fingerprint[:12] if fingerprint else str(msg("crypto.unknown_fingerprint"))


def load_key(settings: Settings) -> tuple[bytes | None, str]:
    """The key (``None`` when there is none) and where it came from, for messages.

    An empty or blank ``PUBLISHER_SECRET_KEY`` is no key (the key file is used). A value that is
    not a Fernet key (32 URL-safe base64 bytes) raises :class:`KeyMismatch` naming where it came
    from, before anything can use it: a mistyped key never becomes a database's key.
    """
    value = settings.secret_key.get_secret_value().strip() if settings.secret_key is not None else ""
    path = settings.key_file
    if value:
        key, source = value.encode(), ENV_KEY
    elif path.exists():
        key, source = path.read_bytes().strip(), str(path)
    else:
        return None, str(path)
    if not key:
        return None, source
    try:
        Fernet(key)
    except ValueError:  # binascii.Error is a ValueError too
        raise KeyMismatch(
            msg("crypto.not_a_key" if source == ENV_KEY else "crypto.not_a_key_file", path=path)
        ) from None
    return key, source


def create_key_file(path: Path) -> None:
    """Write a new key, mode 0600 whatever the umask; never over an existing file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(Fernet.generate_key())
        fh.flush()
        os.fsync(fh.fileno())


def recorded_fingerprint(db: Database) -> str | None:
    """The fingerprint of the database's key, or ``None`` (a new or a not yet upgraded database)."""
    if not inspect(db.engine).has_table(s.meta.name):
        return None
    with db.read() as conn:
        value = conn.execute(select(s.meta.c.value).where(s.meta.c.key == FINGERPRINT_KEY)).scalar()
    return str(value["sha256"]) if isinstance(value, dict) and value.get("sha256") else None


def _record(conn: Connection, fingerprint: str) -> None:
    conn.execute(delete(s.meta).where(s.meta.c.key == FINGERPRINT_KEY))
    conn.execute(
        insert(s.meta).values(
            key=FINGERPRINT_KEY,
            value={
                "sha256": fingerprint,
                "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
        )
    )


def _sealed(conn: Connection) -> list[str]:
    return [
        str(v)
        for v in conn.execute(
            select(s.accounts.c.credentials).where(s.accounts.c.credentials.is_not(None))
        ).scalars()
    ]


def _opens_any(tokens: list[str], key: bytes) -> bool:
    """True when there is nothing sealed, or when the key opens at least one sealed credential."""
    if not tokens:
        return True
    try:
        fernet = Fernet(key)
    except ValueError:
        return False
    for token in tokens:
        try:
            fernet.decrypt(token.encode())
        except InvalidToken:
            continue
        return True
    return False


@dataclass
class KeyReport:
    """What ``settle_key`` did, as notes for the officer."""

    notes: list[Msg] = field(default_factory=list)


def settle_key(
    db: Database, settings: Settings, create: bool, forget: bool = False, actor: str = "system"
) -> KeyReport:
    """Make sure the key at hand is the database's key, and record its fingerprint.

    Without ``create`` (every command but ``publisher init``) a missing or different key is refused,
    and nothing is written: a database that has no fingerprint yet (made before it existed) is
    checked against its sealed credentials and gets its fingerprint from ``publisher init`` only, so
    that a key given once to another command by mistake never becomes the database's key.
    With ``create`` a key is made only for a database that has none yet; ``forget`` (the key is lost for
    good) makes a new key and erases the credentials sealed with the old one.
    """
    report = KeyReport()
    key, source = load_key(settings)
    path = settings.key_file
    if key is None and not create:
        raise KeyMismatch(msg("crypto.key_missing", path=path))
    if key is not None and recorded_fingerprint(db) == key_fingerprint(key):
        return report  # the usual case: a read, no write lock taken
    if not create:
        assert key is not None
        with db.read() as conn:
            row = conn.execute(select(s.meta.c.value).where(s.meta.c.key == FINGERPRINT_KEY)).scalar()
            want = str(row["sha256"]) if isinstance(row, dict) and row.get("sha256") else None
            tokens = _sealed(conn)
        have = key_fingerprint(key)
        if (have != want) if want is not None else not _opens_any(tokens, key):
            raise KeyMismatch(
                msg("crypto.mismatch", source=source, have=_short(have), want=_short(want), path=path)
            )
        return report
    with db.write() as conn:
        row = conn.execute(select(s.meta.c.value).where(s.meta.c.key == FINGERPRINT_KEY)).scalar()
        want = str(row["sha256"]) if isinstance(row, dict) and row.get("sha256") else None
        tokens = _sealed(conn)
        if key is None:
            if (want is not None or tokens) and not forget:
                raise KeyMismatch(msg("crypto.key_lost", want=_short(want), path=path))
            create_key_file(path)
            report.notes.append(msg("crypto.key_created", path=path.resolve()))
            key, source = load_key(settings)
            assert key is not None
            if want is not None or tokens:  # forget: the old key is gone, and so are its credentials
                _forget(conn, actor, len(tokens), report)
                want, tokens = None, []
        have = key_fingerprint(key)
        matches = have == want if want is not None else _opens_any(tokens, key)
        if not matches:
            if not forget:
                raise KeyMismatch(
                    msg("crypto.mismatch", source=source, have=_short(have), want=_short(want), path=path)
                )
            if source != ENV_KEY:
                aside = path.with_name(f"{path.name}.replaced-{datetime.now(UTC):%Y%m%d%H%M%S}")
                os.replace(path, aside)
                report.notes.append(msg("crypto.key_set_aside", path=aside))
                create_key_file(path)
                report.notes.append(msg("crypto.key_created", path=path.resolve()))
                key, source = load_key(settings)
                assert key is not None
                have = key_fingerprint(key)
            _forget(conn, actor, len(tokens), report)
        if want != have:
            _record(conn, have)
    return report


def _forget(conn: Connection, actor: str, n: int, report: KeyReport) -> None:
    conn.execute(
        update(s.accounts)
        .where(s.accounts.c.credentials.is_not(None))
        .values(
            credentials=None,
            status="needs_reauth",
            status_reason=str(msg("crypto.forgotten_reason")),
            updated_at=datetime.now(UTC),
        )
    )
    conn.execute(
        insert(s.audit).values(
            at=datetime.now(UTC), actor=actor, action="credentials_forgotten", detail={"accounts": n}
        )
    )
    report.notes.append(msg("crypto.forgotten", n=n))


class Vault:
    """Encrypts and decrypts credential dictionaries, with the database's key only.

    ``recorded`` returns the fingerprint the database recorded (read once, when the key is first
    needed); a key with another fingerprint raises :class:`KeyMismatch` instead of sealing anything.
    """

    def __init__(self, settings: Settings, recorded: Callable[[], str | None] | None = None) -> None:
        self._settings = settings
        self._recorded = recorded
        self._fernet: Fernet | None = None

    def _get(self) -> Fernet:
        if self._fernet is None:
            key, source = load_key(self._settings)
            if not key:
                raise ConfigError(msg("crypto.no_key"))
            try:
                fernet = Fernet(key)
            except ValueError:
                raise ConfigError(msg("crypto.bad_key", path=self._settings.key_file)) from None
            want = self._recorded() if self._recorded is not None else None
            if want is not None and want != key_fingerprint(key):
                raise KeyMismatch(
                    msg(
                        "crypto.mismatch",
                        source=source,
                        have=_short(key_fingerprint(key)),
                        want=_short(want),
                        path=self._settings.key_file,
                    )
                )
            self._fernet = fernet
        return self._fernet

    def seal(self, data: dict[str, Any]) -> str:
        return self._get().encrypt(json.dumps(data).encode()).decode()

    def open(self, token: str) -> dict[str, Any]:
        try:
            return dict(json.loads(self._get().decrypt(token.encode())))
        except InvalidToken:
            raise ConfigError(msg("crypto.bad_key", path=self._settings.key_file)) from None
