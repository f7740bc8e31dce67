"""Checks of a post against one platform's declared limits (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from publisher.core.models import PostSpec
from publisher.i18n import Msg, msg, register

register(
    {
        "limits.title_long": (
            "Tiêu đề dài {n} ký tự, {platform} cho tối đa {max}.",
            "Title is {n} characters; {platform} allows at most {max}.",
        ),
        "limits.text_long": (
            "Nội dung dài {n} {unit}, {platform} cho tối đa {max}.",
            "Text is {n} {unit}; {platform} allows at most {max}.",
        ),
        "limits.too_many_images": (
            "Có {n} ảnh, {platform} chỉ nhận tối đa {max}.",
            "{n} images; {platform} takes at most {max}.",
        ),
        "limits.no_video": (
            "{platform} không đăng được video từ tài khoản này.",
            "{platform} cannot publish video for this account.",
        ),
        "limits.needs_video": ("{platform} cần có video.", "{platform} needs a video."),
        "limits.unit.chars": ("ký tự", "characters"),
        "limits.unit.bytes": ("byte UTF-8", "UTF-8 bytes"),
    }
)


@dataclass(frozen=True)
class Problem:
    """A finding about a post for one platform: which field, where, what, and how bad."""

    field: str
    message: Msg | str
    severity: Literal["block", "warn"] = "block"
    position: int | None = None
    code: str = ""


def measure(text: str, counts_bytes: bool) -> int:
    return len(text.encode("utf-8")) if counts_bytes else len(text)


def check_limits(post: PostSpec, limits: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    platform = limits["platform"]
    if limits.get("title_max") and len(post.title) > limits["title_max"]:
        problems.append(
            Problem(
                "title",
                msg("limits.title_long", n=len(post.title), platform=platform, max=limits["title_max"]),
                position=limits["title_max"],
                code="title_long",
            )
        )
    if limits.get("text_max"):
        counts_bytes = bool(limits.get("text_counts_bytes"))
        n = measure(post.text, counts_bytes)
        if n > limits["text_max"]:
            unit = msg("limits.unit.bytes" if counts_bytes else "limits.unit.chars")
            problems.append(
                Problem(
                    "text",
                    msg("limits.text_long", n=n, unit=unit, platform=platform, max=limits["text_max"]),
                    position=limits["text_max"],
                    code="text_long",
                )
            )
    max_images = limits.get("max_images")
    if max_images is not None and 0 <= max_images < len(post.images):
        problems.append(
            Problem(
                "images",
                msg("limits.too_many_images", n=len(post.images), platform=platform, max=max_images),
                code="too_many_images",
            )
        )
    if post.video is not None and not limits.get("supports_video"):
        problems.append(Problem("video", msg("limits.no_video", platform=platform), code="no_video"))
    if limits.get("requires_video") and post.video is None:
        problems.append(Problem("video", msg("limits.needs_video", platform=platform), code="needs_video"))
    return problems
