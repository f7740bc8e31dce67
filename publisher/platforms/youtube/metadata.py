"""The ``video`` resource sent to ``videos.insert``, validated against YouTube's rules.

https://developers.google.com/youtube/v3/docs/videos#resource: title ≤ 100 characters, description
≤ 5000 UTF-8 **bytes** (Vietnamese letters take two or three), neither may contain ``<`` or ``>``;
``privacyStatus`` is always explicit (omitted, it defaults to public); ``publishAt`` only with
``private``; ``selfDeclaredMadeForKids`` always explicit (COPPA). The discovery document checks the
field names and types in the tests; these lengths are not in it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from publisher.core.models import Delivery, nfc
from publisher.i18n import msg, register
from publisher.platforms.base import Result

register(
    {
        "youtube.angle": (
            "{field} không được chứa dấu < hoặc > (YouTube không nhận).",
            "{field} must not contain < or > (YouTube refuses them).",
        ),
        "youtube.no_title": ("YouTube cần tiêu đề.", "YouTube needs a title."),
    }
)

TITLE_MAX_CHARS = 100
DESCRIPTION_MAX_BYTES = 5000
DEFAULT_CATEGORY = "22"  # People & Blogs


def video_resource(delivery: Delivery, publish_at: datetime | None) -> dict[str, Any] | Result:
    """The resource for ``part=snippet,status``, or a ``rejected`` result naming the broken rule."""
    opts = delivery.options.get("youtube") or {}
    title = nfc((delivery.title or "").strip())
    description = nfc(delivery.text or "")
    if not title:
        return Result.rejected("no_title", msg("youtube.no_title"))
    for name, value in (("title", title), ("text", description)):
        if "<" in value or ">" in value:
            return Result.rejected("angle_brackets", msg("youtube.angle", field=name))
    if len(title) > TITLE_MAX_CHARS:
        return Result.rejected(
            "title_long", msg("limits.title_long", n=len(title), platform="YouTube", max=TITLE_MAX_CHARS)
        )
    n = len(description.encode("utf-8"))
    if n > DESCRIPTION_MAX_BYTES:
        return Result.rejected(
            "text_long",
            msg(
                "limits.text_long",
                n=n,
                unit=msg("limits.unit.bytes"),
                platform="YouTube",
                max=DESCRIPTION_MAX_BYTES,
            ),
        )
    snippet: dict[str, Any] = {
        "title": title,
        "description": description,
        "categoryId": str(opts.get("category_id", DEFAULT_CATEGORY)),
        "defaultLanguage": opts.get("language", "vi"),
    }
    if opts.get("tags"):
        snippet["tags"] = [str(t) for t in opts["tags"]]
    status: dict[str, Any] = {
        "privacyStatus": "private" if publish_at else str(opts.get("privacy", "public")),
        "selfDeclaredMadeForKids": bool(opts.get("made_for_kids", False)),
    }
    if publish_at:
        status["publishAt"] = publish_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if "synthetic_media" in opts:
        status["containsSyntheticMedia"] = bool(opts["synthetic_media"])
    return {"snippet": snippet, "status": status}
