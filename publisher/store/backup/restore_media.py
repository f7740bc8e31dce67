"""Putting each photo or clip of the restored posts back where they expect it, but only inside a
trusted folder of this machine (the working directory or a ``PUBLISHER_MEDIA_ROOTS`` folder) and
never over a file; any other path is listed with the file the officer copies there."""

from __future__ import annotations

import errno
import os
import tarfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from publisher.i18n import msg
from publisher.settings import Settings
from publisher.store import schema as s
from publisher.store.backup.common import RestoreReport, _sha256, _write
from publisher.store.repo import Store


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
