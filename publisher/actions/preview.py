"""``publish --dry-run``: the exact requests each delivery of a post would send, sending nothing.

Each delivery is built as the publisher builds it (prepared media, stored credentials, or
placeholders when there are none) and published against a recorder; secrets are masked in what is
recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from publisher.actions.media import with_video_size
from publisher.platforms.base import Result
from publisher.platforms.dryrun import RecordedRequest, dry_run
from publisher.settings import Settings


@dataclass(frozen=True)
class Preview:
    delivery: Any
    result: Result  # what the adapter would report, had the platform answered as recorded
    requests: list[RecordedRequest]


def preview_requests(store: Any, settings: Settings, ref: str) -> Iterator[Preview]:
    """One preview per delivery of ``ref`` (a post id or a delivery), as each is ready."""
    with store.db.read() as conn:
        ids = [r.id for r in store.resolve(conn, ref)]
    for delivery_id in ids:
        d = with_video_size(store.delivery(delivery_id), settings.media.ffprobe)
        account = store.account(d.target)
        creds = store.credentials(account.id) if account.credentials else None
        result, recorded = dry_run(settings, d, creds)
        yield Preview(d, result, recorded)


__all__ = ["Preview", "preview_requests"]
