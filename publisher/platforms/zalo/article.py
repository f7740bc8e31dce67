"""Zalo article bodies: the JSON for ``article/create`` and for a broadcast, built from a delivery.

Shapes from the official Java SDK (``CreateNormalArticle``, ``CreateVideoArticle``,
``v3/SendBroadcastMessage``); see /work/shared/reference/zalo.md §2.2, §2.3, §4. The body is HTML
blocks: one ``<p>`` per paragraph, text escaped; images only as public URLs.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from publisher.core.models import Delivery, nfc


def public_url(url: str) -> str:
    """Percent-encode spaces and Vietnamese letters in a URL path (Zalo rejects them raw)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=quote(parts.path, safe="/%")))


def cover_url(delivery: Delivery, default: str | None = None) -> str | None:
    opts = delivery.options.get("zalo") or {}
    url = opts.get("cover_url") or default
    return public_url(str(url)) if url else None


def description(delivery: Delivery, cut_at: int) -> str:
    """The summary line: ``options.zalo.description`` or the text, cut at a word with an ellipsis."""
    opts = delivery.options.get("zalo") or {}
    text = nfc(str(opts.get("description") or " ".join((delivery.text or "").split())))
    if len(text) <= cut_at:
        return text
    cut = text[:cut_at].rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:") + "…"


def body_blocks(delivery: Delivery) -> list[dict[str, Any]]:
    opts = delivery.options.get("zalo") or {}
    blocks: list[dict[str, Any]] = []
    for paragraph in [p.strip() for p in nfc(delivery.text or "").split("\n\n") if p.strip()]:
        blocks.append(
            {"type": "text", "content": "<p>" + html.escape(paragraph).replace("\n", "<br>") + "</p>"}
        )
    for url in opts.get("image_urls") or []:
        blocks.append({"type": "image", "url": public_url(str(url)), "caption": ""})
    if delivery.link:
        link = html.escape(delivery.link, quote=True)
        blocks.append({"type": "text", "content": f'<p><a href="{link}">{link}</a></p>'})
    return blocks


def normal_article(
    delivery: Delivery, cover: str | None, cut_at: int, author_max: int, comment: str
) -> dict[str, Any]:
    opts = delivery.options.get("zalo") or {}
    return {
        "type": "normal",
        "title": nfc(delivery.title.strip()),
        "author": nfc(str(opts.get("author") or delivery.author or ""))[:author_max],
        "cover": {"cover_type": "photo", "photo_url": cover, "status": "show"},
        "description": description(delivery, cut_at),
        "body": body_blocks(delivery),
        "status": "show",
        "comment": comment,
    }


def broadcast_body(article_id: str, opts: dict[str, Any]) -> dict[str, Any]:
    """``/v2.0/oa/message`` with ``recipient.target`` filters: the article as a media template."""
    target = {k: str(v) for k, v in (opts.get("broadcast_target") or {}).items()}
    return {
        "recipient": {"target": target},
        "message": {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "media",
                    "elements": [{"media_type": "article", "attachment_id": article_id}],
                },
            }
        },
    }


def as_int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def when(value: Any) -> datetime | None:
    """Zalo timestamps come in seconds or milliseconds (UNCERTAIN): tell them apart by size."""
    number = as_int(value)
    if number is None:
        return None
    if number > 10**11:
        number //= 1000
    return datetime.fromtimestamp(number, UTC)


# -- recognising our article in ``getslice`` --------------------------------------------------------
#: where a listed article or a verify answer may carry its public link (field name UNCERTAIN)
LINK_FIELDS = ("link", "url", "share_url")


def norm(text: Any) -> str:
    """Text compared as Zalo may return it: NFC, runs of white space made one space."""
    return " ".join(nfc(str(text or "")).split())


def created_at(item: dict[str, Any]) -> datetime | None:
    return when(item.get("create_date") if item.get("create_date") is not None else item.get("created_date"))


def latest_time(item: dict[str, Any]) -> datetime | None:
    """The later of creation and update: a list sorted by either is older than this past the item."""
    times = [t for t in (created_at(item), when(item.get("update_date"))) if t is not None]
    return max(times) if times else None


def link_of(data: dict[str, Any] | None) -> str | None:
    for key in LINK_FIELDS:
        value = (data or {}).get(key)
        if isinstance(value, str) and value.startswith(("https://", "http://")):
            return value
    return None


def _same_text(ours: str, theirs: str) -> bool:
    """Equal, or one a cut of the other (Zalo or we may have shortened a description)."""
    a, b = ours.rstrip("…").rstrip(), theirs.rstrip("…").rstrip()
    return a.startswith(b) or b.startswith(a)


def is_ours(
    item: dict[str, Any], title: str, description: str, since: datetime, token: str | None = None
) -> bool:
    """The listed article is the one our send made: its create token, or the same title created
    since the send (and, where both are known, the same description)."""
    if token and str(item.get("token") or "") == token:
        return True
    if norm(item.get("title")) != title:
        return False
    created = created_at(item)
    if created is None or created < since:  # an undated article cannot be proved to be ours
        return False
    theirs = norm(item.get("description"))
    return not (description and theirs) or _same_text(description, theirs)


def earliest(items: list[dict[str, Any]], token: str | None = None) -> dict[str, Any] | None:
    """Of several articles that could be ours, the one with our token, else the first made after the send."""
    far = datetime.max.replace(tzinfo=UTC)
    return min(
        items,
        key=lambda i: (not (token and str(i.get("token") or "") == token), created_at(i) or far),
        default=None,
    )
