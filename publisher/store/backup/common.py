"""What making and restoring a backup share: the archive's member names, the two reports, the
messages both print, and reading or writing a member with its SHA-256."""

from __future__ import annotations

import hashlib
import os
import re
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from publisher.core.states import State
from publisher.errors import UserError
from publisher.i18n import Msg, msg, register

FORMAT = "publisher-backup"
VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "publisher.sqlite"
PGDUMP_MEMBER = "database.pgdump"
KEY_MEMBER = "secret.key"
FINISHED = (State.PUBLISHED.value, State.CANCELLED.value)
_MEMBER = re.compile(
    r"(publisher\.sqlite|database\.pgdump|secret\.key|outbox/.+|cache/.+|media/[0-9]+/[^/]+)"
)

register(
    {
        "backup.exists": (
            "{path} đã có; chọn tên tệp khác.",
            "{path} already exists; choose another file name.",
        ),
        "backup.pg_instructions": (
            "Không có pg_dump trên máy này nên bản sao lưu KHÔNG có cơ sở dữ liệu PostgreSQL. Sao lưu nó riêng: "
            'pg_dump --format=custom --no-owner --file publisher.pgdump "{url}"',
            "pg_dump is not installed here, so the archive does NOT hold the PostgreSQL database. Back it up "
            'separately: pg_dump --format=custom --no-owner --file publisher.pgdump "{url}"',
        ),
        "backup.pg_failed": ("pg_dump thất bại: {error}", "pg_dump failed: {error}"),
        "backup.cannot_write": ("Không ghi được {path}: {error}", "Cannot write {path}: {error}"),
        "backup.env_key": (
            "Khóa lấy từ PUBLISHER_SECRET_KEY nên không nằm trong bản sao lưu: giữ khóa đó cùng bản sao lưu.",
            "The key comes from PUBLISHER_SECRET_KEY, so it is not in the archive: keep that key with the backup.",
        ),
        "backup.missing_media": (
            "Không thấy tệp {path} (bài {key}); bản sao lưu không có tệp này.",
            "{path} (post {key}) is missing; the archive does not hold it.",
        ),
        "restore.not_empty": (
            "Thư mục dữ liệu {dir} không trống. Chỉ khôi phục vào một thư mục trống (hoặc chưa có): đặt "
            "PUBLISHER_DATA_DIR sang thư mục khác, hoặc tự chuyển thư mục cũ đi chỗ khác trước.",
            "The data directory {dir} is not empty. Restore only into an empty (or new) directory: point "
            "PUBLISHER_DATA_DIR elsewhere, or move the old directory away first.",
        ),
        "restore.db_exists": (
            "Cơ sở dữ liệu {db} đã có; chỉ khôi phục vào cơ sở dữ liệu trống.",
            "The database {db} already exists; restore only into an empty database.",
        ),
        "restore.not_archive": (
            "{path} không phải bản sao lưu của publisher ({why}).",
            "{path} is not a publisher backup ({why}).",
        ),
        "restore.kind": (
            "Bản sao lưu là của {archive} nhưng cài đặt hiện dùng {configured} (PUBLISHER_DATABASE_URL).",
            "The archive holds a {archive} database but the settings use {configured} (PUBLISHER_DATABASE_URL).",
        ),
        "restore.need_env_key": (
            "Bản sao lưu không có khóa (khi sao lưu, khóa lấy từ PUBLISHER_SECRET_KEY, dấu {want}): đặt "
            "PUBLISHER_SECRET_KEY bằng khóa đó rồi khôi phục lại.",
            "The archive holds no key (it came from PUBLISHER_SECRET_KEY, fingerprint {want}): set "
            "PUBLISHER_SECRET_KEY to that key and restore again.",
        ),
        "restore.env_key_differs": (
            "PUBLISHER_SECRET_KEY (dấu {have}) không phải khóa của bản sao lưu (dấu {want}); bỏ biến đó hoặc đặt "
            "đúng khóa cũ.",
            "PUBLISHER_SECRET_KEY (fingerprint {have}) is not the archive's key (fingerprint {want}); unset it or "
            "set it to the old key.",
        ),
        "restore.damaged": (
            "thành phần {member} bị hỏng hoặc lạ",
            "member {member} is damaged or unexpected",
        ),
        "restore.pg_instructions": (
            "Máy này không có pg_restore nên chưa khôi phục gì. Cài gói postgresql-client rồi chạy lại, hoặc tự "
            "khôi phục: tar -xf BẢN-SAO-LƯU.tar database.pgdump && pg_restore --no-owner --exit-on-error "
            '-d "{url}" database.pgdump',
            "pg_restore is not installed here, so nothing was restored. Install postgresql-client and run this "
            "again, or restore by hand: tar -xf BACKUP.tar database.pgdump && pg_restore --no-owner "
            '--exit-on-error -d "{url}" database.pgdump',
        ),
        "restore.pg_missing": (
            "Bản sao lưu không có cơ sở dữ liệu PostgreSQL; khôi phục nó từ bản pg_dump riêng trước.",
            "The archive holds no PostgreSQL database; restore it from your separate pg_dump first.",
        ),
        "restore.pg_failed": ("pg_restore thất bại: {error}", "pg_restore failed: {error}"),
        "restore.media_back": ("Đã đặt lại tệp {path}", "Put back {path}"),
        "restore.media_kept": (
            "Không ghi đè {path}: đã có một tệp khác ở đó (bài dùng tệp này sẽ chờ duyệt lại nếu nội dung khác).",
            "Did not overwrite {path}: another file is there (a post using it waits for approval again if it differs).",
        ),
        "restore.media_failed": ("Không đặt lại được {path}: {error}", "Could not put back {path}: {error}"),
        "restore.media_untrusted": (
            "Chưa đặt lại {path} (bài {keys}): chỗ đó nằm ngoài thư mục đang chạy lệnh ({cwd}) và ngoài "
            "PUBLISHER_MEDIA_ROOTS, hoặc đi qua liên kết tượng trưng/“..”, nên không ghi gì vào đó. Hãy tự chép "
            "tệp {name} từ thư mục lịch vào {path} (hoặc lấy từ bản sao lưu: tar -xf {archive} {member}), hoặc "
            "chạy lại restore từ thư mục chứa thư mục lịch.",
            "Not put back: {path} (post {keys}): it lies outside the folder this command runs in ({cwd}) and "
            "outside PUBLISHER_MEDIA_ROOTS, or goes through a symlink or “..”, so nothing was written there. Copy "
            "{name} from the schedule folder to {path} yourself (or take it from the backup: tar -xf {archive} "
            "{member}), or run restore again from the folder that holds the schedule folder.",
        ),
    }
)


@dataclass
class BackupReport:
    path: Path
    files: int = 0
    size: int = 0
    database: str = "sqlite"  # sqlite | pg_dump | none
    key_included: bool = True
    notes: list[Msg] = field(default_factory=list)


@dataclass
class RestoreReport:
    data_dir: Path
    files: int = 0
    notes: list[Msg] = field(default_factory=list)
    #: photos and clips not put back (outside the trusted folders): the officer copies them
    left_out: list[Path] = field(default_factory=list)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class _Hashing:
    """A file object that hashes what is read through it."""

    def __init__(self, fh: IO[bytes]) -> None:
        self._fh = fh
        self.hash = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._fh.read(size)
        self.hash.update(data)
        return data


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self._data, self._pos = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._pos + size
        chunk, self._pos = self._data[self._pos : end], min(end, len(self._data))
        return chunk


def _info(name: str, size: int, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, mode, int(time.time())
    return info


def _write(tar: tarfile.TarFile, info: tarfile.TarInfo, target: Path, sha256: str, mode: int) -> None:
    """Write one member to a new file (never over one, never through a symlink) and check its digest."""
    src = tar.extractfile(info)
    assert src is not None
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    h = hashlib.sha256()
    with os.fdopen(fd, "wb") as out:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            h.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if h.hexdigest() != sha256:
        raise UserError(
            msg("restore.not_archive", path=tar.name, why=msg("restore.damaged", member=info.name))
        )
