"""Posts, targets and deliveries as plain values (no database, no network)."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from publisher.core.states import State
from publisher.core.story import Story, story_from_json


class Platform(StrEnum):
    FACEBOOK = "facebook"
    YOUTUBE = "youtube"
    ZALO = "zalo"
    SANDBOX = "sandbox"


ACCOUNT_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
POST_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True, order=True)
class Target:
    """An account on a platform, written ``platform/name`` (``facebook/ubnd-hanh-dich``)."""

    platform: Platform
    name: str

    @classmethod
    def parse(cls, text: str) -> Target:
        platform, sep, name = text.strip().partition("/")
        if not sep or not name:
            raise ValueError(text)
        try:
            plat = Platform(platform.strip().lower())
        except ValueError:
            raise ValueError(text) from None
        name = name.strip()
        if not ACCOUNT_NAME_RE.match(name):
            raise ValueError(text)
        return cls(plat, name)

    def __str__(self) -> str:
        return f"{self.platform.value}/{self.name}"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class PostSpec:
    """One post as an officer wrote it in a schedule file, validated and normalised.

    ``due_at`` is timezone-aware UTC; ``timezone`` is the IANA zone it was written in.
    Media paths are absolute and confined to the schedule's folder or a media root.
    """

    key: str
    title: str
    text: str
    due_at: datetime
    timezone: str
    targets: tuple[Target, ...]
    images: tuple[Path, ...] = ()
    video: Path | None = None
    campaign: str | None = None
    author: str | None = None
    link: str | None = None
    grace_hours: float | None = None
    draft: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    source_file: str | None = None
    source_line: int | None = None

    @property
    def story(self) -> Story | None:
        """The photo story that is this post's clip (kept in ``options["story"]``), if any."""
        return _story_of(self.options)

    def media_files(self) -> list[Path]:
        """Every file whose bytes the approval covers: photos, the clip, a story's photos, music, logo."""
        files = list(self.images)
        story = self.story
        if self.video is not None and story is None:
            files.append(self.video)
        if story is not None:
            files += [path for _field, path in story.files()]
        return files

    def content_hash(self, media_digests: dict[Path, str] | None = None) -> str:
        """Hash of everything an approver approves: words, media (by content), targets, time."""
        return content_hash(
            title=self.title,
            text=self.text,
            link=self.link,
            images=[str(p) for p in self.images],
            video=str(self.video) if self.video else None,
            targets=[str(t) for t in self.targets],
            due_at=self.due_at.isoformat(),
            options=self.options,
            media=media_digests or {},
        )


def _story_of(options: dict[str, Any]) -> Story | None:
    data = options.get("story")
    return story_from_json(data) if isinstance(data, dict) else None


def content_hash(**parts: Any) -> str:
    def default(o: Any) -> Any:
        if isinstance(o, Path):
            return str(o)
        if isinstance(o, datetime):
            return o.isoformat()
        return str(o)

    media = parts.pop("media", {}) or {}
    parts["media"] = {str(k): v for k, v in sorted(media.items(), key=lambda kv: str(kv[0]))}
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=default)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def text_hash(text: str) -> str:
    """Short hash of a published text, used to recognise our own post on a platform."""
    norm = " ".join(nfc(text).split())
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Delivery:
    """A post on one target, as the publishing code sees it (loaded from the store)."""

    id: int
    post_id: int
    post_key: str
    target: Target
    state: State
    due_at: datetime
    title: str
    text: str
    images: tuple[Path, ...]
    video: Path | None
    link: str | None
    content_hash: str
    attempts: int = 0
    remote_id: str | None = None
    remote_url: str | None = None
    resume_state: dict[str, Any] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    campaign: str | None = None
    author: str | None = None
    last_attempt_at: datetime | None = None
    # platform ids other deliveries of the same account already hold: a look-up that matches by
    # content never adopts one of them as this delivery's (set by the publisher's reconcile)
    taken_remote_ids: frozenset[str] = frozenset()

    @property
    def story(self) -> Story | None:
        """The photo story that is this post's clip (its ``video`` is a placeholder until made)."""
        return _story_of(self.options)
