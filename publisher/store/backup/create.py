"""Making a backup: the database snapshot, the key, the outbox, and the media of posts not yet
published or cancelled, written to a new private tar with its manifest last."""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from publisher.errors import UserError
from publisher.i18n import msg
from publisher.store import schema as s
from publisher.store.backup.common import (
    FINISHED,
    FORMAT,
    KEY_MEMBER,
    MANIFEST,
    PGDUMP_MEMBER,
    SQLITE_MEMBER,
    VERSION,
    BackupReport,
    _Bytes,
    _Hashing,
    _info,
)
from publisher.store.backup.database import _libpq, _pg_dump, _sqlite_snapshot
from publisher.store.crypto import ENV_KEY, key_fingerprint, load_key
from publisher.store.db import PRIVATE_FILE
from publisher.store.repo import Store


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
