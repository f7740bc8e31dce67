"""The compose form's values: read from a request, or from a stored post for an edit."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import HTTPException

from publisher.core.models import POST_ID_RE, PostSpec, nfc
from publisher.core.story import is_story_video
from publisher.errors import NotFound
from publisher.store.webposts import WebPosts
from publisher.web.deps import Viewer, Web

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIME_RE = re.compile(r"^\d{1,2}:\d{2}$")
CAPTION_RE = re.compile(r"^story_caption_(\d{1,3})$")
#: the longest post id made from a title (the store takes 100)
SLUG_MAX = 60
#: where a problem of the one-post schedule is shown: its field -> the form's field
PLACES = {"at": "date", "timezone": "date", "images": "photos", "video": "video", "options": "form"}
FORM_FIELDS = frozenset({"id", "title", "text", "link", "targets", "date", "grace", "campaign", "draft"})
SKIPPED_NOTES = frozenset({"sched.nfc"})  # the form normalises silently


def _values(form: Mapping[str, Any], name: str) -> list[str]:
    getlist = getattr(form, "getlist", None)
    raw = getlist(name) if callable(getlist) else form.get(name)
    items = raw if isinstance(raw, list | tuple) else [] if raw is None else [raw]
    return [v for v in items if isinstance(v, str)]


def _one(form: Mapping[str, Any], name: str) -> str:
    values = _values(form, name)
    return values[0].replace("\r\n", "\n").replace("\r", "\n") if values else ""


@dataclass
class ComposeForm:
    """The compose form's values as typed (shown again with the messages when refused)."""

    id: str = ""
    title: str = ""
    text: str = ""
    link: str = ""
    targets: list[str] = field(default_factory=list)
    date: str = ""
    time: str = ""
    grace: str = ""
    campaign: str = ""
    draft: bool = False
    photos: list[str] = field(default_factory=list)  # upload ids
    video: str = ""  # an upload id
    keep_photos: list[int] = field(default_factory=list)  # places in the edited post's photos
    keep_video: bool = False
    story: bool = False
    story_title: str = ""
    captions: dict[int, str] = field(default_factory=dict)  # place of a kept photo -> caption

    @classmethod
    def read(cls, form: Mapping[str, Any]) -> ComposeForm:
        keep = [int(v) for v in _values(form, "keep_photos") if v.isascii() and v.isdigit() and len(v) <= 3]
        captions = {}
        for name in list(form.keys()):
            found = CAPTION_RE.match(name) if isinstance(name, str) else None
            if found:
                captions[int(found.group(1))] = _one(form, name).strip()
        return cls(
            id=_one(form, "id").strip(),
            title=_one(form, "title"),
            text=_one(form, "text"),
            link=_one(form, "link").strip(),
            targets=list(dict.fromkeys(v.strip() for v in _values(form, "targets") if v.strip())),
            date=_one(form, "date").strip(),
            time=_one(form, "time").strip(),
            grace=_one(form, "grace").strip(),
            campaign=_one(form, "campaign").strip(),
            draft=_one(form, "draft") == "1",
            photos=list(dict.fromkeys(v.strip() for v in _values(form, "photos") if v.strip())),
            video=_one(form, "video").strip(),
            keep_photos=list(dict.fromkeys(keep)),
            keep_video=_one(form, "keep_video") == "1",
            story=_one(form, "story") == "1",
            story_title=_one(form, "story_title").strip(),
            captions=captions,
        )


@dataclass(frozen=True)
class Existing:
    """The post an edit starts from, and its unit."""

    spec: PostSpec
    unit: str

    @property
    def photos(self) -> tuple[Path, ...]:
        """The photos the form lists: the story's when the post's clip is its story, else its images."""
        story = self.spec.story
        return tuple(p.file for p in story.photos) if story is not None else self.spec.images

    @property
    def video(self) -> Path | None:
        """An uploaded clip (never a story's placeholder)."""
        if self.spec.story is not None or is_story_video(self.spec.video):
            return None
        return self.spec.video


def existing_post(viewer: Viewer, ctx: Web, key: str) -> Existing:
    """The stored post ``key`` of the viewer's units; else 404 (another unit's is not confirmed)."""
    if not POST_ID_RE.match(key):
        raise HTTPException(status_code=404)
    found = WebPosts(ctx.store.db).media_of(key)
    if found is None:
        raise HTTPException(status_code=404)
    viewer.require_unit(found[0])
    try:
        return Existing(ctx.store.post_spec(key), found[0])
    except NotFound:
        raise HTTPException(status_code=404) from None


def zone_of(existing: Existing | None, ctx: Web) -> str:
    """The zone the form's date and time are in: the post's own, else the office's."""
    if existing is not None:
        try:
            ZoneInfo(existing.spec.timezone)
            return existing.spec.timezone
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ctx.settings.timezone


def form_of(existing: Existing, zone: str) -> ComposeForm:
    """The form as it shows a stored post (saved unchanged, it changes nothing)."""
    spec, story = existing.spec, existing.spec.story
    local = spec.due_at.astimezone(ZoneInfo(zone))
    return ComposeForm(
        id=spec.key,
        title=spec.title,
        text=spec.text,
        link=spec.link or "",
        targets=[str(x) for x in spec.targets],
        date=f"{local:%Y-%m-%d}",
        time=f"{local:%H:%M}",
        grace=f"{spec.grace_hours:g}" if spec.grace_hours is not None else "",
        campaign=spec.campaign or "",
        draft=spec.draft,
        keep_photos=list(range(len(existing.photos))),
        keep_video=existing.video is not None,
        story=story is not None,
        story_title=story.title if story is not None else "",
        captions={i: p.caption or "" for i, p in enumerate(story.photos)} if story is not None else {},
    )


def slug(title: str) -> str:
    """A post id from a title: ``Lễ hội Hoa Ban`` -> ``le-hoi-hoa-ban``."""
    text = nfc(title).replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return text[:SLUG_MAX].rstrip("-") or "bai"
