"""What a story is: its fields and limits, the photos, and the findings of a bad ``story:`` block
(with the messages they print)."""

from __future__ import annotations

import datetime as dt
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
