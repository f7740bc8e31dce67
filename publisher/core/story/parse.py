"""A ``story:`` block read from a schedule file: every field checked, every finding named."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from publisher.core.story.model import (
    CAPTION_MAX_CHARS,
    DEFAULT_SECONDS,
    MAX_PHOTOS,
    MAX_SECONDS,
    MIN_SECONDS,
    PHOTO_FIELDS,
    STORY_FIELDS,
    TITLE_MAX_CHARS,
    TRANSITIONS,
    UNIT_MAX_CHARS,
    Story,
    StoryInvalid,
    StoryPhoto,
    StoryProblem,
    Transition,
)
from publisher.i18n import Msg, msg

_TRUE = ("true", "yes", "1", "có", "co")
_FALSE = ("false", "no", "0", "không", "khong")
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})")
_VN_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def parse_story(
    value: object,
    base_dir: Path,
    *,
    title: str | None = None,
    date: dt.date | None = None,
    unit: str | None = None,
    check_files: bool = True,
) -> Story:
    """A ``story:`` mapping → :class:`Story`, or :class:`StoryInvalid` naming every bad field.

    ``title``, ``date`` and ``unit`` are what the post gives when the block names none (the post's
    title and day). Relative paths are read from ``base_dir`` (the schedule file's folder).
    """
    problems: list[StoryProblem] = []

    def err(fld: str, message: Msg) -> None:
        problems.append(StoryProblem(fld, message))

    if not isinstance(value, Mapping):
        raise StoryInvalid([StoryProblem("story", msg("story.expected_mapping"))])
    for key in value:
        if key not in STORY_FIELDS:
            err(f"story.{key}", msg("story.unknown_field", name=key, allowed=", ".join(STORY_FIELDS)))

    def text(raw: object, fld: str, limit: int, required: bool = False) -> str | None:
        if raw is None or (isinstance(raw, str) and not raw.strip() and not required):
            return None
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            err(fld, msg("story.expected_text"))
            return None
        clean = _nfc(str(raw))
        if not clean:
            err(fld, msg("story.empty_text"))
            return None
        if len(clean) > limit:
            err(fld, msg("story.too_long", length=len(clean), max=limit))
            return None
        return clean

    def path(raw: object, fld: str) -> Path | None:
        if not isinstance(raw, str) or not raw.strip():
            err(fld, msg("story.expected_text"))
            return None
        given = Path(unicodedata.normalize("NFC", raw.strip())).expanduser()
        full = given if given.is_absolute() else Path(base_dir) / given
        if check_files:
            try:
                if not full.exists():
                    err(fld, msg("story.file_missing", value=raw.strip(), path=full))
                    return None
                if not full.is_file():
                    err(fld, msg("story.not_a_file", value=raw.strip()))
                    return None
            except OSError:
                err(fld, msg("story.file_missing", value=raw.strip(), path=full))
                return None
        return full

    def flag(key: str, default: bool) -> bool:
        raw = value.get(key)
        if raw is None:
            return default
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in _TRUE:
            return True
        if word not in _FALSE:
            err(f"story.{key}", msg("story.bad_bool"))
        return False

    story_title = text(value.get("title"), "story.title", TITLE_MAX_CHARS)
    if story_title is None and not any(p.field == "story.title" for p in problems):
        story_title = text(title, "story.title", TITLE_MAX_CHARS)
        if story_title is None and not any(p.field == "story.title" for p in problems):
            err("story.title", msg("story.missing", name="title"))

    seconds = DEFAULT_SECONDS
    if value.get("seconds") is not None:
        raw = value["seconds"]
        try:
            if isinstance(raw, bool):
                raise ValueError
            seconds = float(str(raw).strip().replace(",", "."))
        except ValueError:
            err("story.seconds", msg("story.bad_number", value=raw))
        else:
            if not MIN_SECONDS <= seconds <= MAX_SECONDS:  # NaN fails this too
                err(
                    "story.seconds",
                    msg("story.out_of_range", value=raw, min=f"{MIN_SECONDS:g}", max=f"{MAX_SECONDS:g}"),
                )

    transition: Transition = "crossfade"
    if value.get("transition") is not None:
        word = str(value["transition"]).strip().lower()
        if word == "cut":
            transition = "cut"
        elif word != "crossfade":
            err(
                "story.transition",
                msg("story.bad_transition", value=value["transition"], allowed=", ".join(TRANSITIONS)),
            )

    photos: list[StoryPhoto] = []
    raw_photos = value.get("photos")
    if raw_photos is None:
        err("story.photos", msg("story.missing", name="photos"))
    elif not isinstance(raw_photos, list):
        err("story.photos", msg("story.expected_list"))
    elif not raw_photos:
        err("story.photos", msg("story.no_photos"))
    elif len(raw_photos) > MAX_PHOTOS:
        err("story.photos", msg("story.too_many_photos", max=MAX_PHOTOS, n=len(raw_photos)))
    else:
        for i, item in enumerate(raw_photos):
            at = f"story.photos[{i}]"
            if isinstance(item, str):
                item = {"file": item}
            if not isinstance(item, Mapping):
                err(at, msg("story.expected_mapping"))
                continue
            for key in item:
                if key not in PHOTO_FIELDS:
                    err(f"{at}.{key}", msg("story.unknown_field", name=key, allowed=", ".join(PHOTO_FIELDS)))
            if "file" not in item:
                err(f"{at}.file", msg("story.missing", name="file"))
                continue
            file = path(item["file"], f"{at}.file")
            caption = text(item.get("caption"), f"{at}.caption", CAPTION_MAX_CHARS)
            if file is not None:
                photos.append(StoryPhoto(file, caption))

    music = path(value["music"], "story.music") if value.get("music") is not None else None
    logo = path(value["logo"], "story.logo") if value.get("logo") is not None else None
    pan_zoom = flag("pan_zoom", True)
    landscape = flag("landscape", False)
    story_unit = text(value.get("unit"), "story.unit", UNIT_MAX_CHARS) if "unit" in value else None
    if story_unit is None and "unit" not in value:
        story_unit = text(unit, "story.unit", UNIT_MAX_CHARS)
    story_date = date
    if value.get("date") is not None:
        story_date = _date(value["date"])
        if story_date is None:
            err("story.date", msg("story.bad_date", value=value["date"]))

    if problems or story_title is None:
        raise StoryInvalid(problems)
    return Story(
        photos=tuple(photos),
        title=story_title,
        seconds=seconds,
        transition=transition,
        music=music,
        logo=logo,
        pan_zoom=pan_zoom,
        landscape=landscape,
        unit=story_unit,
        date=story_date,
    )


def _date(raw: object) -> dt.date | None:
    """A day from a YAML date, an ISO ``2026-03-20`` or a Vietnamese ``20/03/2026``."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = str(raw)
    iso = _ISO_DATE.match(text)
    vn = _VN_DATE.match(text)
    try:
        if iso:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
        if vn:
            return dt.date(int(vn[3]), int(vn[2]), int(vn[1]))
    except ValueError:
        return None
    return None


def post_date(at: object) -> dt.date | None:
    """The local day a post's ``at`` names (``2026-03-20 07:00`` → 2026-03-20), for the title card."""
    return _date(at) if at is not None else None
