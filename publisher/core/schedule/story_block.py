"""A post's ``story:`` block (a video made from photos): validated, its files confined like
``images:``, each field path mapped to its line."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from publisher.core.schedule.base import _Value
from publisher.core.schedule.fields import _to_python
from publisher.core.story import Story, StoryInvalid, parse_story
from publisher.i18n import Msg


def _story_lines(val: _Value, prefix: str) -> dict[str, int]:
    """Field path (``story.photos[2].file``) → line, for every value of a ``story:`` block."""
    out: dict[str, int] = {prefix: val.line} if val.line else {}
    if isinstance(val.value, dict):
        for key, (line, sub) in val.value.items():
            out[f"{prefix}.{key}"] = line
            out.update(
                {k: v for k, v in _story_lines(sub, f"{prefix}.{key}").items() if k != f"{prefix}.{key}"}
            )
    elif isinstance(val.value, list):
        for i, item in enumerate(val.value):
            out.update(_story_lines(item, f"{prefix}[{i}]"))
            if isinstance(item.value, str) and item.line:  # a photo written as its file alone
                out[f"{prefix}[{i}].file"] = item.line
    return out


def _line_of_path(lines: Mapping[str, int], fld: str, default: int) -> int:
    """The line of ``fld`` or of the nearest field holding it (``story.photos[2].x`` → ``story.photos[2]``)."""
    while fld:
        if fld in lines:
            return lines[fld]
        cut = max(fld.rfind("."), fld.rfind("["))
        fld = fld[:cut] if cut > 0 else ""
    return default


def _load_story(
    val: _Value,
    line: int,
    lines: Mapping[str, int],
    due: datetime | None,
    tz: str,
    title: str | None,
    post_id: str | None,
    media_path: Callable[..., Path | None],
    err: Callable[[int | None, str | None, str | None, Msg | str], None],
) -> Story | None:
    """A post's ``story:`` block validated (:func:`parse_story`), its files confined like ``images:``."""
    day = due.astimezone(ZoneInfo(tz)).date() if due is not None else None
    raw = _to_python(val)
    try:
        story = parse_story(
            raw, Path("."), title=title.strip() if title else None, date=day, check_files=False
        )
    except StoryInvalid as exc:
        for p in exc.problems:
            fld = getattr(p, "field", "story")
            err(_line_of_path(lines, fld, line), post_id, fld, getattr(p, "message", str(p)))
        named = {getattr(p, "field", "") for p in exc.problems}
        for fld, written in _story_files(raw):  # every problem at once: the files named are looked at too
            if fld not in named:
                media_path(_line_of_path(lines, fld, line), written, fld)
        return None
    resolved: dict[str, Path] = {}
    for fld, file in story.files():
        full = media_path(_line_of_path(lines, fld, line), str(file), fld)
        if full is not None:
            resolved[fld] = full
    if len(resolved) != len(story.files()):
        return None
    photos = tuple(
        dataclasses.replace(p, file=resolved[f"story.photos[{i}].file"]) for i, p in enumerate(story.photos)
    )
    return dataclasses.replace(
        story, photos=photos, music=resolved.get("story.music"), logo=resolved.get("story.logo")
    )


def _story_files(raw: Any) -> list[tuple[str, str]]:
    """(field path, file as written) of a ``story:`` block that did not validate."""
    if not isinstance(raw, dict):
        return []
    out = []
    photos = raw.get("photos")
    for i, item in enumerate(photos if isinstance(photos, list) else []):
        file = item.get("file") if isinstance(item, dict) else item
        if isinstance(file, str):
            out.append((f"story.photos[{i}].file", file))
    out += [(f"story.{k}", raw[k]) for k in ("music", "logo") if isinstance(raw.get(k), str)]
    return out
