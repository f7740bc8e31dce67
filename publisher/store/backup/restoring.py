"""Restoring a backup into an empty data directory: the checks made before anything is written,
the members extracted against the manifest, prepared-media paths moved to the new directory, and
the undo of a failed restore."""

from __future__ import annotations

import json
import os
import shutil
import tarfile
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import select, update

from publisher.errors import UserError
from publisher.i18n import msg
from publisher.settings import Settings
from publisher.store import schema as s
from publisher.store.backup.common import (
    _MEMBER,
    FORMAT,
    KEY_MEMBER,
    MANIFEST,
    PGDUMP_MEMBER,
    SQLITE_MEMBER,
    VERSION,
    RestoreReport,
    _write,
)
from publisher.store.backup.database import _libpq, _pg_restore
from publisher.store.backup.restore_media import _put_media_back
from publisher.store.crypto import ENV_KEY, key_fingerprint, load_key
from publisher.store.db import PRIVATE_FILE, Database, secure_data_dir, sqlite_path
from publisher.store.repo import Store


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
