"""A consistent backup of one installation, and its restore into an empty data directory.

The archive is an uncompressed tar, written mode 0600 (it holds the key):

- ``publisher.sqlite``: a snapshot taken with SQLite's online backup API, consistent even while
  ``publisher run`` writes; for PostgreSQL ``database.pgdump`` (``pg_dump --format=custom``) when
  ``pg_dump`` is installed, otherwise the command to run is printed;
- ``secret.key``: the key file (not there when the key comes from ``PUBLISHER_SECRET_KEY``);
- ``outbox/…``: the sandbox platform's pages; ``cache/…``: prepared media of deliveries not yet
  published or cancelled; ``media/N/<name>``: the photos and clips of those posts, with the path
  each came from;
- ``manifest.json`` (last): the database kind, the key's fingerprint, the old data directory and
  the SHA-256 of every member.

Restore writes only the member names above, never through a path from the archive: it refuses a
data directory that is not empty, checks every member against the manifest, checks the key against
the database, moves prepared-media paths to the new data directory, and puts each photo or clip
back where the restored posts expect it unless a file is already there (an approval covers the
path and the bytes, so approvals stay valid). That path comes from the archive's database, so it is
trusted only inside a folder of this machine: the working directory ``restore`` runs in, or a
``PUBLISHER_MEDIA_ROOTS`` folder. Any other path (outside them, through a symlink, with ``..``) is
left alone and listed with the file the officer copies there from the schedule folder.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from sqlalchemy import make_url, select, update

from publisher.core.states import State
from publisher.errors import PublisherError, UserError
from publisher.i18n import Msg, msg, register
from publisher.settings import Settings
from publisher.store import schema as s
from publisher.store.crypto import ENV_KEY, key_fingerprint, load_key
from publisher.store.db import PRIVATE_FILE, Database, secure_data_dir, sqlite_path
from publisher.store.repo import Store

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


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment that carries it (never on a command line)."""
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    plain = u.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


# -- backup ------------------------------------------------------------------------------------


def backup(store: Store, out: Path) -> BackupReport:
    """Write ``out`` (a new file, 0600): a consistent snapshot of the database, the key and the files."""
    cfg = store.settings
    if out.exists():
        raise UserError(msg("backup.exists", path=out))
    report = BackupReport(out)
    entries: list[dict[str, Any]] = []
    media: list[dict[str, Any]] = []
    tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:  # next to the archive (same disk), private (mkdtemp makes it 0700)
        work = tempfile.TemporaryDirectory(prefix=".publisher-backup-", dir=out.parent)
    except OSError as exc:
        raise UserError(msg("backup.cannot_write", path=out, error=exc.strerror or exc)) from None
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except OSError as exc:
        work.cleanup()
        raise UserError(msg("backup.cannot_write", path=out, error=exc.strerror or exc)) from None
    try:
        with work, os.fdopen(fd, "wb") as fh:
            db_file = Path(work.name) / "db"
            kind = "sqlite" if store.db.is_sqlite else "postgresql"
            if store.db.is_sqlite:
                _sqlite_snapshot(store.db, db_file)
                db_member: str | None = SQLITE_MEMBER
            elif shutil.which("pg_dump"):
                _pg_dump(store.db.url, db_file)
                db_member, report.database = PGDUMP_MEMBER, "pg_dump"
            else:
                db_member, report.database = None, "none"
                report.notes.append(msg("backup.pg_instructions", url=_libpq(store.db.url)[0]))
            with tarfile.open(fileobj=fh, mode="w", format=tarfile.PAX_FORMAT) as tar:
                if db_member:
                    entries.append(_add(tar, db_file, db_member, PRIVATE_FILE))
                key, source = load_key(cfg)
                if source == ENV_KEY:
                    report.key_included = False
                    report.notes.append(msg("backup.env_key"))
                else:
                    entries.append(_add(tar, cfg.key_file, KEY_MEMBER, PRIVATE_FILE))
                for path in _tree(cfg.outbox_dir):
                    entries.append(_add(tar, path, "outbox/" + path.relative_to(cfg.outbox_dir).as_posix()))
                pending_media, cache_files = _pending_files(store, report)
                for path in cache_files:
                    entries.append(
                        _add(tar, path, "cache/" + path.relative_to(cfg.cache_dir.resolve()).as_posix())
                    )
                for n, path in enumerate(pending_media):
                    member = f"media/{n}/{path.name}"
                    entries.append(_add(tar, path, member))
                    media.append({"member": member, "path": str(path)})
                manifest = {
                    "format": FORMAT,
                    "version": VERSION,
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "database": kind,
                    "database_member": db_member,
                    "key": "env" if source == ENV_KEY else "file",
                    "key_fingerprint": key_fingerprint(key) if key else None,
                    "data_dir": str(cfg.data_dir.resolve()),
                    "cache_dir": str(cfg.cache_dir.resolve()),
                    "files": entries,
                    "media": media,
                }
                blob = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
                tar.addfile(_info(MANIFEST, len(blob), 0o644), _Bytes(blob))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    report.files = len(entries)
    report.size = out.stat().st_size
    return report


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


def _add(tar: tarfile.TarFile, path: Path, member: str, mode: int = 0o644) -> dict[str, Any]:
    size = path.stat().st_size
    with path.open("rb") as fh:
        reader = _Hashing(fh)
        tar.addfile(_info(member, size, mode), reader)
    return {"member": member, "sha256": reader.hash.hexdigest(), "size": size}


def _tree(root: Path) -> Iterator[Path]:
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield path


def _sqlite_snapshot(db: Database, target: Path) -> None:
    path = sqlite_path(db.url)
    assert path is not None
    src = sqlite3.connect(str(path), timeout=60)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # the online backup API: one consistent snapshot of committed data
    finally:
        dst.close()
        src.close()


def _pg_dump(url: str, target: Path) -> None:
    conninfo, env = _libpq(url)
    done = subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", "--file", str(target), "--dbname", conninfo],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode:
        raise PublisherError(msg("backup.pg_failed", error=done.stderr.strip()[:500]))


def _pending_files(store: Store, report: BackupReport) -> tuple[list[Path], list[Path]]:
    """Source media of posts with a delivery not yet published or cancelled, and their prepared variants."""
    cache = store.settings.cache_dir.resolve()
    sources: dict[Path, None] = {}
    prepared: dict[Path, None] = {}
    with store.db.read() as conn:
        rows = conn.execute(
            select(s.posts.c.key, s.posts.c.images, s.posts.c.video, s.deliveries.c.media)
            .join(s.deliveries, s.deliveries.c.post_id == s.posts.c.id)
            .where(s.deliveries.c.state.not_in(FINISHED))
        ).all()
    for r in rows:
        for raw in [*(r.images or []), *([r.video] if r.video else [])]:
            path = Path(raw)
            if path in sources:
                continue
            if path.is_file():
                sources[path] = None
            else:
                report.notes.append(msg("backup.missing_media", path=path, key=r.key))
        for value in _strings(r.media):
            path = Path(value)
            if path.is_absolute() and path.is_file() and path.resolve().is_relative_to(cache):
                prepared[path.resolve()] = None
    return list(sources), list(prepared)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


# -- restore -----------------------------------------------------------------------------------


def restore(settings: Settings, archive: Path) -> RestoreReport:
    """Bring ``archive`` back into the configured data directory, which must be empty or absent."""
    data_dir = settings.data_dir
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise UserError(msg("restore.not_empty", dir=data_dir.resolve()))
    try:
        tar = tarfile.open(archive, mode="r:")  # noqa: SIM115 - closed by the with block below
    except (OSError, tarfile.TarError) as exc:
        raise UserError(msg("restore.not_archive", path=archive, why=exc)) from None
    with tar:
        manifest, members = _read_manifest(tar, archive)
        db = Database(settings.db_url)
        try:
            _check_target(settings, db, manifest, archive)
            report = RestoreReport(data_dir.resolve())
            written: list[Path] = []
            created_dir = not data_dir.exists()
            try:
                secure_data_dir(data_dir, create=True)
                _extract(tar, settings, manifest, members, report)
                store = Store(settings, db)
                if manifest["database"] == "postgresql":
                    _pg_restore(settings, db, data_dir / PGDUMP_MEMBER, report)
                report.notes += store.init(create=False)
                _move_cache_paths(store, manifest)
                _put_media_back(tar, store, manifest, members, report, written)
            except BaseException:
                for path in written:
                    path.unlink(missing_ok=True)
                _empty(data_dir, remove=created_dir)
                raise
        finally:
            db.dispose()
    return report


def _read_manifest(tar: tarfile.TarFile, archive: Path) -> tuple[dict[str, Any], dict[str, tarfile.TarInfo]]:
    members: dict[str, tarfile.TarInfo] = {}
    for info in tar.getmembers():
        name = info.name
        parts = PurePosixPath(name).parts
        ok = (
            info.isfile()
            and not name.startswith("/")
            and ".." not in parts
            and "." not in parts
            and (name == MANIFEST or _MEMBER.fullmatch(name) is not None)
            and name not in members
        )
        if not ok:
            raise UserError(msg("restore.not_archive", path=archive, why=msg("restore.damaged", member=name)))
        members[name] = info
    if MANIFEST not in members:
        raise UserError(msg("restore.not_archive", path=archive, why=MANIFEST))
    fh = tar.extractfile(members[MANIFEST])
    assert fh is not None
    try:
        manifest = json.loads(fh.read())
    except ValueError:
        raise UserError(msg("restore.not_archive", path=archive, why=MANIFEST)) from None
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT
        or manifest.get("version") != VERSION
    ):
        raise UserError(msg("restore.not_archive", path=archive, why=MANIFEST))
    listed = {e["member"] for e in manifest.get("files", [])}
    extra = set(members) - listed - {MANIFEST}
    if extra or listed - set(members):
        raise UserError(
            msg(
                "restore.not_archive",
                path=archive,
                why=msg("restore.damaged", member=sorted(extra or listed - set(members))[0]),
            )
        )
    return manifest, members


def _check_target(settings: Settings, db: Database, manifest: dict[str, Any], archive: Path) -> None:
    """Refuse before writing anything: another database kind, a database already there, the wrong key."""
    configured = "sqlite" if db.is_sqlite else "postgresql"
    if manifest["database"] != configured:
        raise UserError(msg("restore.kind", archive=manifest["database"], configured=configured))
    if db.is_sqlite:
        path = sqlite_path(db.url)
        if path is not None and path.exists():
            raise UserError(msg("restore.db_exists", db=path))
    elif db.has_schema():
        raise UserError(msg("restore.db_exists", db=_libpq(db.url)[0]))
    want = manifest.get("key_fingerprint")
    key, source = load_key(settings)
    if manifest["key"] == "env" and (source != ENV_KEY or key is None):
        raise UserError(msg("restore.need_env_key", want=str(want)[:12]))
    if source == ENV_KEY and key is not None and key_fingerprint(key) != want:
        raise UserError(msg("restore.env_key_differs", have=key_fingerprint(key)[:12], want=str(want)[:12]))


def _extract(
    tar: tarfile.TarFile,
    settings: Settings,
    manifest: dict[str, Any],
    members: dict[str, tarfile.TarInfo],
    report: RestoreReport,
) -> None:
    digests = {e["member"]: e["sha256"] for e in manifest["files"]}
    for name, info in members.items():
        if name == MANIFEST or name.startswith("media/"):
            continue
        if name == SQLITE_MEMBER:
            target = sqlite_path(settings.db_url)
            assert target is not None
        elif name == KEY_MEMBER:
            target = settings.key_file
        elif name == PGDUMP_MEMBER:
            target = settings.data_dir / PGDUMP_MEMBER
        elif name.startswith("outbox/"):
            target = settings.outbox_dir / PurePosixPath(name).relative_to("outbox")
        else:
            target = settings.cache_dir / PurePosixPath(name).relative_to("cache")
        private = name in (SQLITE_MEMBER, KEY_MEMBER, PGDUMP_MEMBER)
        target.parent.mkdir(parents=True, exist_ok=True)
        _write(tar, info, target, digests[name], PRIVATE_FILE if private else 0o644)
        report.files += 1


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


def _pg_restore(settings: Settings, db: Database, dump: Path, report: RestoreReport) -> None:
    if not dump.exists():
        raise UserError(msg("restore.pg_missing"))
    conninfo, env = _libpq(db.url)
    if not shutil.which("pg_restore"):
        raise UserError(msg("restore.pg_instructions", url=conninfo))
    done = subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", conninfo, str(dump)],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode:
        raise PublisherError(msg("restore.pg_failed", error=done.stderr.strip()[:500]))
    dump.unlink()  # the database holds it now; no second copy lies around
    report.files -= 1


def _move_cache_paths(store: Store, manifest: dict[str, Any]) -> None:
    """Prepared media recorded under the old data directory now live under the new one."""
    old, new = manifest.get("cache_dir"), str(store.settings.cache_dir.resolve())
    if not old or old == new:
        return

    def moved(value: Any) -> Any:
        if isinstance(value, str) and (value == old or value.startswith(old + os.sep)):
            return new + value[len(old) :]
        if isinstance(value, dict):
            return {k: moved(v) for k, v in value.items()}
        if isinstance(value, list):
            return [moved(v) for v in value]
        return value

    with store.db.write() as conn:
        rows = conn.execute(
            select(s.deliveries.c.id, s.deliveries.c.media).where(s.deliveries.c.media.is_not(None))
        )
        for r in rows.all():
            media = moved(r.media)
            if media != r.media:
                conn.execute(update(s.deliveries).where(s.deliveries.c.id == r.id).values(media=media))


def _trusted_folders(settings: Settings) -> list[Path]:
    """Where restore may write a photo or clip: the working directory and each PUBLISHER_MEDIA_ROOTS."""
    out = []
    for folder in [Path.cwd(), *settings.media_roots]:
        real = Path(os.path.realpath(folder))
        if real.is_dir() and real not in out:
            out.append(real)
    return out


def _trusted_place(raw: str, folders: list[Path]) -> Path | None:
    """The trusted folder ``raw`` may be written under, or ``None``.

    ``raw`` must be absolute and already fully resolved (no symlink in any existing component, no
    ``..``, ``.`` or doubled separator), lie strictly inside one of ``folders``, and name nothing yet.
    """
    path = Path(raw)
    if not path.is_absolute() or os.path.realpath(raw) != raw or os.path.lexists(raw):
        return None
    return next((f for f in folders if path != f and path.is_relative_to(f)), None)


def _make_parents(path: Path, folder: Path) -> None:
    """Create the folders between ``folder`` and ``path`` one by one, never through a symlink."""
    current = folder
    for part in path.parent.relative_to(folder).parts:
        current = current / part
        try:
            current.mkdir()
        except FileExistsError:
            if current.is_symlink() or not current.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(current)) from None


def _printable(text: str) -> str:
    """A path from an archive, safe to print: control characters shown as escapes."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def _put_media_back(
    tar: tarfile.TarFile,
    store: Store,
    manifest: dict[str, Any],
    members: dict[str, tarfile.TarInfo],
    report: RestoreReport,
    written: list[Path],
) -> None:
    """Each photo or clip goes back to the path its post names, if nothing is there yet and the path
    lies inside a trusted folder (``written`` lists the files made, so that a failed restore removes
    them); any other path is listed in ``report.left_out`` with what to copy there."""
    with store.db.read() as conn:
        used: dict[str, list[str]] = {}
        for r in conn.execute(select(s.posts.c.key, s.posts.c.images, s.posts.c.video)).all():
            for p in [*(r.images or []), *([r.video] if r.video else [])]:
                used.setdefault(str(p), []).append(str(r.key))
    digests = {e["member"]: e["sha256"] for e in manifest["files"]}
    folders = _trusted_folders(store.settings)
    for entry in manifest.get("media", []):
        raw, member = str(entry.get("path", "")), str(entry.get("member", ""))
        path = Path(raw)
        # only a path a restored post uses: never a path the archive invents
        if raw not in used or member not in members:
            continue
        if path.is_absolute() and os.path.lexists(raw):
            if not path.is_file() or _sha256(path) != digests[member]:
                report.notes.append(msg("restore.media_kept", path=_printable(raw)))
            continue
        folder = _trusted_place(raw, folders)
        if folder is None:
            report.left_out.append(path)
            report.notes.append(
                msg(
                    "restore.media_untrusted",
                    path=_printable(raw),
                    keys=", ".join(sorted(set(used[raw]))),
                    cwd=folders[0] if folders else Path.cwd(),
                    name=_printable(path.name),
                    archive=tar.name,
                    member=_printable(member),
                )
            )
            continue
        try:
            _make_parents(path, folder)
            written.append(path)
            _write(tar, members[member], path, digests[member], 0o644)
        except OSError as exc:
            if path in written:
                written.remove(path)
            report.left_out.append(path)
            report.notes.append(msg("restore.media_failed", path=path, error=exc.strerror or exc))
            continue
        report.notes.append(msg("restore.media_back", path=path))


def _empty(data_dir: Path, remove: bool) -> None:
    """Undo a failed restore: the directory was empty (or absent) before."""
    if not data_dir.is_dir():
        return
    if remove:
        shutil.rmtree(data_dir, ignore_errors=True)
        return
    for child in data_dir.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
