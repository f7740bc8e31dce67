"""The sandbox platform: "publishes" into ``<data dir>/outbox/<account>/`` as files an officer can open.

For trying the tool and rehearsing a campaign without any platform credentials. Each delivery
becomes one HTML page (title, text, images copied beside it) and a JSON record. The file name is
derived from the delivery id, so publishing twice is impossible: an existing page *is* the post,
and ``reconcile`` simply looks for it.
"""

from __future__ import annotations

import html
import json
import os
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Unpack

from publisher.core.models import Delivery, Platform, text_hash
from publisher.i18n import msg, register
from publisher.platforms.base import (
    Adapter,
    AdapterOptions,
    Checkpoint,
    Credentials,
    Metrics,
    Result,
    no_checkpoint,
)

register(
    {
        "sandbox.missing_media": (
            "Không đọc được tệp {path}: {error}",
            "Cannot read {path}: {error}",
        ),
    }
)


class SandboxAdapter(Adapter):
    platform: ClassVar[Platform] = Platform.SANDBOX
    title_max = 300
    text_max = 63_206
    max_images = 20
    supports_video = True

    def __init__(
        self, credentials: Credentials, settings: Any = None, http: Any = None, **kw: Unpack[AdapterOptions]
    ) -> None:
        super().__init__(credentials, settings, http, **kw)
        outbox = Path(getattr(settings, "outbox_dir", None) or Path("var") / "outbox")
        self.folder = outbox / (self.account or "demo")

    @classmethod
    def section(cls, settings: Any) -> Any:
        """The whole settings: the outbox lives in the data directory."""
        return settings

    def _stem(self, delivery: Delivery) -> str:
        return f"{delivery.due_at.strftime('%Y-%m-%d')}_{delivery.post_key}_{delivery.id}"

    def publish(self, delivery: Delivery, checkpoint: Checkpoint = no_checkpoint) -> Result:
        found = self.reconcile(delivery)
        if found.outcome.value == "published":
            return found
        stem = self._stem(delivery)
        media_dir = self.folder / stem
        try:
            media_dir.mkdir(parents=True, exist_ok=True)
            copied: list[str] = []
            for src in [*delivery.images, *([delivery.video] if delivery.video else [])]:
                shutil.copy2(src, media_dir / src.name)
                copied.append(f"{stem}/{src.name}")
        except OSError as exc:
            return Result.rejected(
                "media",
                msg("sandbox.missing_media", path=getattr(exc, "filename", ""), error=exc.strerror or exc),
            )
        page = self.folder / f"{stem}.html"
        record = {
            "delivery": delivery.id,
            "post": delivery.post_key,
            "title": delivery.title,
            "text": delivery.text,
            "link": delivery.link,
            "media": copied,
            "text_hash": text_hash(delivery.text),
            "content_hash": delivery.content_hash,
            "published_at": datetime.now(UTC).isoformat(),
        }
        _atomic_write(self.folder / f"{stem}.json", json.dumps(record, ensure_ascii=False, indent=2))
        _atomic_write(page, _render(delivery, copied))
        return Result.published(stem, page.resolve().as_uri())

    def reconcile(self, delivery: Delivery) -> Result:
        stem = self._stem(delivery)
        page = self.folder / f"{stem}.html"
        if page.exists() and (self.folder / f"{stem}.json").exists():
            return Result.published(stem, page.resolve().as_uri())
        return Result.absent()

    def poll(
        self, delivery: Delivery, resume_state: dict[str, Any], checkpoint: Checkpoint = no_checkpoint
    ) -> Result:
        return self.reconcile(delivery)

    def fetch_engagement(
        self, remote_ids: list[str], hints: Mapping[str, Mapping[str, Any]] | None = None
    ) -> dict[str, Metrics]:
        return {rid: Metrics(views=None, reactions=None, comments=None, shares=None) for rid in remote_ids}


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _render(delivery: Delivery, media: list[str]) -> str:
    parts = [
        "<!doctype html><html lang='vi'><head><meta charset='utf-8'>",
        f"<title>{html.escape(delivery.title)}</title>",
        "<style>body{font-family:sans-serif;max-width:720px;margin:2em auto;line-height:1.5}"
        "img,video{max-width:100%}</style></head><body>",
        f"<h1>{html.escape(delivery.title)}</h1>",
    ]
    for para in delivery.text.split("\n\n"):
        parts.append(f"<p>{html.escape(para).replace(chr(10), '<br>')}</p>")
    if delivery.link:
        parts.append(f"<p><a href='{html.escape(delivery.link)}'>{html.escape(delivery.link)}</a></p>")
    for m in media:
        if m.lower().endswith((".mp4", ".mov", ".webm", ".mkv")):
            parts.append(f"<video controls src='{html.escape(m)}'></video>")
        else:
            parts.append(f"<img src='{html.escape(m)}' alt=''>")
    parts.append("</body></html>")
    return "\n".join(parts)
