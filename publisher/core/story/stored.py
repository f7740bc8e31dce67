"""A story as stored with its post: the placeholder ``video`` name and the JSON kept in the
post's options."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from publisher.core.story.model import DEFAULT_SECONDS, Story, StoryPhoto
from publisher.core.story.parse import _date

#: the name a story post's ``video`` carries until its video is made (``<post-id>.story``): the
#: post has a clip like any other (limits, media preparation, the check before sending), and a
#: delivery is never sent with this name, only with the rendered file (media preparation)
STORY_VIDEO_SUFFIX = ".story"


def story_video_placeholder(folder: Path, post_key: str) -> Path:
    """The ``video`` of a post whose clip is its story (never a file: made by media preparation)."""
    return Path(folder) / f"{post_key}{STORY_VIDEO_SUFFIX}"


def is_story_video(path: Path | str | None) -> bool:
    return path is not None and Path(path).name.endswith(STORY_VIDEO_SUFFIX)


def story_to_json(story: Story) -> dict[str, object]:
    """The story as plain JSON values (kept in ``posts.options["story"]``, covered by the content hash)."""
    return {
        "photos": [{"file": str(p.file), "caption": p.caption} for p in story.photos],
        "title": story.title,
        "seconds": story.seconds,
        "transition": story.transition,
        "music": str(story.music) if story.music else None,
        "logo": str(story.logo) if story.logo else None,
        "pan_zoom": story.pan_zoom,
        "landscape": story.landscape,
        "unit": story.unit,
        "date": story.date.isoformat() if story.date else None,
    }


def story_from_json(data: Mapping[str, object]) -> Story:
    """:func:`story_to_json` back to a :class:`Story` (the values were validated when queued)."""
    photos = data.get("photos")
    seconds = data.get("seconds", DEFAULT_SECONDS)
    music, logo, day = data.get("music"), data.get("logo"), data.get("date")
    return Story(
        photos=tuple(
            StoryPhoto(Path(str(p["file"])), str(p["caption"]) if p.get("caption") else None)
            for p in (photos if isinstance(photos, list) else [])
            if isinstance(p, Mapping)
        ),
        title=str(data.get("title") or ""),
        seconds=float(seconds) if isinstance(seconds, int | float | str) else DEFAULT_SECONDS,
        transition="cut" if data.get("transition") == "cut" else "crossfade",
        music=Path(str(music)) if music else None,
        logo=Path(str(logo)) if logo else None,
        pan_zoom=bool(data.get("pan_zoom", True)),
        landscape=bool(data.get("landscape", False)),
        unit=str(data["unit"]) if data.get("unit") else None,
        date=_date(day) if day else None,
    )
