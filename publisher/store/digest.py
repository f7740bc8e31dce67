"""File hashing: the bytes of a post's photos and clips, and the content hash they make.

The hash decides whether an approval still covers a post (see :mod:`publisher.store.approval`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from publisher.core.models import PostSpec


def media_digest(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return "missing"
    return h.hexdigest()


def media_digests(spec: PostSpec) -> dict[Path, str]:
    """The bytes of every photo and clip of a post, by path, read from disk now."""
    paths = spec.media_files()  # a photo story's photos, music and logo too
    return {p: media_digest(p) for p in paths}


def spec_hash(spec: PostSpec) -> str:
    return spec.content_hash(media_digests(spec))
