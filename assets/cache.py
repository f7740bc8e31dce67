"""Prepared variants on disk, keyed by the content of the input and the preset that made them.

A retry, or a second account with the same preset, finds the variant here and renders nothing.
The key is a SHA-256 of the input file's bytes, the preset (every field), the render options and
the pipeline version, so changing any of them makes a new variant. The cache has a size cap;
when a new variant pushes it over, the least recently used variants go first (a hit counts as a
use: its modification time is refreshed).

Layout: ``<root>/<key[:2]>/<key><suffix>`` plus ``<key>.json`` with what the render said.
Entries are written to a temporary name and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import threading
from pathlib import Path
from typing import Any

_DIGESTS: dict[tuple[str, int, int], str] = {}
_LOCK = threading.Lock()


def file_digest(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, remembered per (path, size, mtime) for this process."""
    st = Path(path).stat()
    memo = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
    with _LOCK:
        if memo in _DIGESTS:
            return _DIGESTS[memo]
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    digest = h.hexdigest()
    with _LOCK:
        _DIGESTS[memo] = digest
    return digest


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        # an overlay file counts by its content, not its name
        return {"file": file_digest(value)} if value.is_file() else str(value)
    return value


def variant_key(source_digest: str, preset: Any, options: Any = None, version: int = 1) -> str:
    blob = json.dumps(
        {"source": source_digest, "preset": _plain(preset), "options": _plain(options), "version": version},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclasses.dataclass(frozen=True)
class Entry:
    key: str
    path: Path
    meta: dict[str, Any]


class MediaCache:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def _dir(self, key: str) -> Path:
        return self.root / key[:2]

    def _meta_path(self, key: str) -> Path:
        return self._dir(key) / f"{key}.json"

    def get(self, key: str) -> Entry | None:
        meta_path = self._meta_path(key)
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        path = self._dir(key) / f"{key}{meta.get('suffix', '')}"
        if not path.is_file():
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        return Entry(key, path, meta)

    def put(self, key: str, produced: Path, meta: dict[str, Any]) -> Entry:
        """Move ``produced`` into the cache under ``key`` and evict old variants over the cap."""
        produced = Path(produced)
        folder = self._dir(key)
        folder.mkdir(parents=True, exist_ok=True)
        suffix = produced.suffix
        path = folder / f"{key}{suffix}"
        tmp = folder / f".{key}.{os.getpid()}.{threading.get_ident()}.part"
        _copy_move(produced, tmp)
        os.replace(tmp, path)
        meta = {**meta, "suffix": suffix}
        tmp_meta = folder / f".{key}.{os.getpid()}.{threading.get_ident()}.json.part"
        tmp_meta.write_text(json.dumps(meta, ensure_ascii=False, default=str), "utf-8")
        os.replace(tmp_meta, self._meta_path(key))
        self.evict(keep=key)
        return Entry(key, path, meta)

    def entries(self) -> list[tuple[float, int, str, Path]]:
        """(mtime, bytes, key, file) of every stored variant."""
        out: list[tuple[float, int, str, Path]] = []
        if not self.root.is_dir():
            return out
        for folder in self.root.iterdir():
            if not folder.is_dir():
                continue
            for meta in folder.glob("*.json"):
                key = meta.stem
                for f in folder.glob(f"{key}*"):
                    if f.suffix == ".json" or f.name.startswith("."):
                        continue
                    try:
                        st = f.stat()
                    except OSError:
                        continue
                    out.append((st.st_mtime, st.st_size, key, f))
        return out

    def size(self) -> int:
        return sum(e[1] for e in self.entries())

    def evict(self, keep: str | None = None) -> list[str]:
        """Remove least recently used variants until the cache is under its cap."""
        entries = sorted(self.entries())
        total = sum(e[1] for e in entries)
        removed: list[str] = []
        for _mtime, size, key, path in entries:
            if total <= self.max_bytes:
                break
            if key == keep:
                continue
            for f in (path, self._meta_path(key)):
                with contextlib.suppress(FileNotFoundError):
                    f.unlink()
            total -= size
            removed.append(key)
        return removed


def _copy_move(src: Path, dst: Path) -> None:
    try:
        os.replace(src, dst)
    except OSError:  # another filesystem
        shutil.move(str(src), str(dst))
