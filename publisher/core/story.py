"""Photo stories: a post's ``story:`` block, validated, and the one timeline every renderer follows.

Pure: no Pillow, no ffmpeg. It reads the values a YAML file gave (``yaml.safe_load`` values, or the
schedule loader's strings: numbers and booleans may come as text) and looks at the file system only
to check that the named files exist.

A ``story:`` block::

    story:
      title: Lễ hội Hoa Ban 2026          # title card; the date and the unit's name are added
      seconds: 3.5                          # per photo, transitions included
      transition: crossfade                 # or cut
      photos:
        - {file: media/hoa-ban-1.jpg, caption: Đoàn rước khai mạc lễ hội}
        - media/hoa-ban-2.jpg               # a photo without a caption
      music: media/nhac-nen.mp3             # optional
      logo: media/logo.png                  # optional
      pan_zoom: true                        # gentle Ken Burns on each photo
      landscape: false                      # 16:9 instead of 9:16 (YouTube/Facebook videos only)
      unit: UBND xã Hạnh Dịch               # optional; the date defaults to the post's day

Every finding names its field (``story.photos[2].file``) and is raised at once in one
:class:`StoryInvalid`, like the schedule loader reports a file.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from publisher.errors import ValidationFailed
from publisher.i18n import Msg, msg, register, t

register(
    {
        "story.invalid": (
            "Khối “story”{post} có {n} lỗi, chưa dựng được video:",
            "The “story” block{post} has {n} error(s); no video was made:",
        ),
        "story.of_post": (" của bài {post}", " of post {post}"),
        "story.problem": ("{post}{field}: {message}", "{post}{field}: {message}"),
        "story.expected_mapping": (
            "Phải là một bảng (mapping), ví dụ “story: {{title: …, photos: […]}}”.",
            "Must be a mapping, e.g. “story: {{title: …, photos: […]}}”.",
        ),
        "story.unknown_field": (
            "Trường “{name}” không được hỗ trợ. Các trường hợp lệ: {allowed}.",
            "Unknown field “{name}”. Allowed fields: {allowed}.",
        ),
        "story.missing": ("Thiếu trường bắt buộc “{name}”.", "Missing required field “{name}”."),
        "story.expected_text": ("Phải là một đoạn văn bản.", "Must be text."),
        "story.empty_text": ("Không được để trống.", "Must not be empty."),
        "story.too_long": (
            "Dài {length} ký tự, tối đa {max} ký tự (chữ trên video phải ngắn để đọc kịp).",
            "{length} characters long; at most {max} (text on a video must be short enough to read).",
        ),
        "story.no_photos": (
            "Cần ít nhất một ảnh trong “photos”.",
            "At least one photo is needed under “photos”.",
        ),
        "story.too_many_photos": ("Tối đa {max} ảnh, đang có {n}.", "At most {max} photos; there are {n}."),
        "story.expected_list": ("Phải là một danh sách ảnh.", "Must be a list of photos."),
        "story.bad_number": (
            "“{value}” không phải số giây (ví dụ 3.5).",
            "“{value}” is not a number of seconds (e.g. 3.5).",
        ),
        "story.out_of_range": (
            "{value} giây nằm ngoài khoảng cho phép {min}–{max} giây.",
            "{value} s is outside the allowed range {min}–{max} s.",
        ),
        "story.bad_transition": (
            "Chuyển cảnh “{value}” không có; dùng một trong: {allowed}.",
            "No transition “{value}”; use one of: {allowed}.",
        ),
        "story.bad_bool": ("Phải là true hoặc false.", "Must be true or false."),
        "story.bad_date": (
            "Ngày “{value}” không hợp lệ: viết dạng 2026-03-20 hoặc 20/03/2026.",
            "Invalid date “{value}”: write 2026-03-20 or 20/03/2026.",
        ),
        "story.file_missing": (
            "Không tìm thấy tệp “{value}” (đã tìm ở {path}).",
            "File “{value}” not found (looked at {path}).",
        ),
        "story.not_a_file": ("“{value}” không phải là tệp.", "“{value}” is not a file."),
    }
)

Transition = Literal["crossfade", "cut"]
TRANSITIONS: tuple[str, ...] = ("crossfade", "cut")
STORY_FIELDS = (
    "title", "seconds", "transition", "photos", "music", "logo", "pan_zoom", "landscape", "unit", "date",
)  # fmt: skip
PHOTO_FIELDS = ("file", "caption")

#: seconds one photo may stay: under a second nobody can look at it, past 15 s a still bores
MIN_SECONDS, MAX_SECONDS = 1.0, 15.0
DEFAULT_SECONDS = 3.5
#: a story is 20–60 s; 60 photos at the shortest still fit a Reel's 90 s
MAX_PHOTOS = 60
#: how long the title card stays, and the length of one crossfade (shortened for short photos)
TITLE_SECONDS = 3.0
CROSSFADE_SECONDS = 0.75
#: frame rate of every story (Reels take 24–60 fps; 30 keeps the pan smooth)
FPS = 30
#: text read on a phone while it moves must stay short
TITLE_MAX_CHARS = 150
CAPTION_MAX_CHARS = 150
UNIT_MAX_CHARS = 100

_TRUE = ("true", "yes", "1", "có", "co")
_FALSE = ("false", "no", "0", "không", "khong")
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})")
_VN_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


@dataclass(frozen=True)
class StoryPhoto:
    """One photo of a story, in the order given, with its optional caption."""

    file: Path
    caption: str | None = None


@dataclass(frozen=True)
class Story:
    """A short video made from an event's photos: title card, then each photo with its caption."""

    photos: tuple[StoryPhoto, ...]
    title: str
    seconds: float = DEFAULT_SECONDS
    transition: Transition = "crossfade"
    music: Path | None = None
    logo: Path | None = None
    pan_zoom: bool = True
    landscape: bool = False
    unit: str | None = None
    date: dt.date | None = None
    title_seconds: float = TITLE_SECONDS

    def files(self) -> list[tuple[str, Path]]:
        """(field path, file) of every file the story reads, for checks made elsewhere."""
        out = [(f"story.photos[{i}].file", p.file) for i, p in enumerate(self.photos)]
        if self.music is not None:
            out.append(("story.music", self.music))
        if self.logo is not None:
            out.append(("story.logo", self.logo))
        return out


@dataclass(frozen=True)
class StoryProblem:
    """One finding: the field path (``story.photos[2].file``) and what to do."""

    field: str
    message: Msg
    post: str | None = None

    def __str__(self) -> str:
        post = f"[{self.post}] " if self.post else ""
        return t("story.problem", post=post, field=self.field, message=str(self.message))


class StoryInvalid(ValidationFailed):
    """A ``story:`` block that cannot become a video; ``problems`` names every field at fault."""

    def __init__(self, problems: list[StoryProblem], post: str | None = None) -> None:
        self.post = post
        named = [replace(p, post=post) if post else p for p in problems]
        where = msg("story.of_post", post=post) if post else ""
        super().__init__(msg("story.invalid", n=len(named), post=where), named)

    def about(self, post: str) -> StoryInvalid:
        """The same findings, naming the post they belong to."""
        return StoryInvalid(list(self.problems), post)


# -- the timeline --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shot:
    """One segment: the title card (``photo`` None) or a photo, in frames of the output.

    ``start`` is the first frame of its clip (its incoming transition included) and ``frames``
    the clip's length (both transitions included).
    """

    photo: int | None
    start: int
    frames: int


@dataclass(frozen=True)
class Timeline:
    """When each segment shows. A photo holds the screen for ``seconds`` (transitions included):
    each crossfade is centred on the boundary, so the total is title + n × seconds either way."""

    shots: tuple[Shot, ...]
    fps: int
    #: frames of one crossfade (0: cuts)
    fade: int
    frames: int

    @property
    def duration(self) -> float:
        return self.frames / self.fps

    @property
    def fade_seconds(self) -> float:
        return self.fade / self.fps

    def seconds(self, frames: int) -> float:
        return frames / self.fps

    def boundaries(self) -> list[float]:
        """Output seconds where one segment gives way to the next (the middle of a crossfade)."""
        return [self.seconds(s.start + self.fade // 2) for s in self.shots[1:]]


def timeline(story: Story, fps: int = FPS) -> Timeline:
    """Frame-exact plan of a story: the renderer builds its filter graph from it, tests check it.

    Boundaries are rounded from the exact times, so the total is within half a frame of
    title + n × seconds however many photos there are.
    """
    n = len(story.photos)
    marks = [max(1, round(story.title_seconds * fps))]
    for i in range(1, n + 1):
        marks.append(max(marks[-1] + 1, round((story.title_seconds + i * story.seconds) * fps)))
    fade = 0
    if story.transition == "crossfade" and n:
        # never more than a third of the shortest segment; even, so that it splits around the boundary
        shortest = min(b - a for a, b in zip([0, *marks], marks, strict=False))
        fade = min(round(CROSSFADE_SECONDS * fps), shortest // 3)
        fade -= fade % 2
    half = fade // 2
    shots = [Shot(None, 0, marks[0] + (half if n else 0))]
    for i in range(n):
        start = marks[i] - half
        end = marks[i + 1] + (half if i < n - 1 else 0)
        shots.append(Shot(i, start, end - start))
    return Timeline(tuple(shots), fps, fade, marks[-1])


# -- parsing -------------------------------------------------------------------------------------


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


# -- a story as stored with its post -------------------------------------------------------------

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
