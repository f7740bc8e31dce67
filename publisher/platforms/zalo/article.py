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
