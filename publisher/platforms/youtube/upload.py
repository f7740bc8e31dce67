"""The YouTube resumable upload protocol, exactly as documented.

https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol

1. ``POST {upload_url}/videos?uploadType=resumable&part=snippet,status`` with the JSON metadata and
   ``X-Upload-Content-Length``/``-Type``; a 200 carries the session URI in ``Location``. The
   caller checkpoints it at once.
2. ``PUT`` the file in chunks (multiples of 256 KiB except the last), each streamed from disk
   with ``Content-Range: bytes first-last/total``. A ``308`` means "more": its ``Range: bytes=0-N``
   says what the server holds (no ``Range``: nothing, restart at 0) and may carry a new
   ``Location``. ``200``/``201`` returns the video resource. Redirects are never followed: 308 is
   also "Permanent Redirect" to ``requests``.
3. After an interruption or a 5xx: ``PUT`` with ``Content-Range: bytes */total`` and no body to
   learn what arrived, then continue from the next byte. 5xx and dropped connections are retried
   with exponential backoff; 404/410 means the session is gone.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from publisher.platforms.http import UPLOAD_TIMEOUT, FileSlice, file_size, json_body

CHUNK_UNIT = 256 * 1024
_RANGE_RE = re.compile(r"bytes=(\d+)-(\d+)")


@dataclass
class UploadOutcome:
    """How an upload run ended: ``done`` (``resource`` set), ``failed`` (``response`` or
    ``exception`` set, session still valid), ``gone`` (session expired)."""

    status: str
    resource: dict[str, Any] | None = None
    response: requests.Response | None = None
    exception: BaseException | None = None
    offset: int = 0
    session_uri: str = ""


@dataclass
class ResumableUpload:
    http: requests.Session
    session_uri: str
    path: Path
    headers: dict[str, str]
    mime: str = "video/mp4"
    chunk_size: int = 32 * CHUNK_UNIT  # 8 MiB
    max_retries: int = 6
    sleep: Callable[[float], None] = time.sleep
    on_progress: Callable[[dict[str, Any]], None] = lambda state: None
    sent_ranges: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.chunk_size % CHUNK_UNIT:
            raise ValueError("chunk_size must be a multiple of 256 KiB")
        self.size = file_size(self.path)

    def _put(self, body: Any, headers: dict[str, str]) -> requests.Response:
        return self.http.put(
            self.session_uri,
            data=body,
            headers={**self.headers, **headers},
            timeout=UPLOAD_TIMEOUT,
            allow_redirects=False,
        )

    def _follow(self, response: requests.Response) -> int:
        """The next byte to send after a 308 (and switch to a new session URI if given)."""
        location = response.headers.get("Location")
        if location and location != self.session_uri:
            self.session_uri = location
        match = _RANGE_RE.search(response.headers.get("Range", ""))
        return int(match.group(2)) + 1 if match else 0

    def query(self) -> requests.Response:
        """The status query: an empty PUT with ``Content-Range: bytes */total``."""
        return self._put(b"", {"Content-Range": f"bytes */{self.size}", "Content-Length": "0"})

    def run(self, offset: int | None) -> UploadOutcome:
        """Upload from ``offset`` (``None``: ask the server first) until done or out of retries."""
        retries = 0
        need_status = offset is None
        position = offset or 0
        last_failure: UploadOutcome | None = None
        while retries <= self.max_retries:
            was_query = need_status
            try:
                if need_status:
                    response = self.query()
                    need_status = False
                else:
                    end = min(position + self.chunk_size, self.size)
                    if position >= self.size and self.size > 0:
                        need_status = True
                        continue
                    body = FileSlice(self.path, position, end - position)
                    headers = {
                        "Content-Length": str(end - position),
                        "Content-Type": self.mime,
                        "Content-Range": f"bytes {position}-{end - 1}/{self.size}",
                    }
                    try:
                        self.sent_ranges.append((position, end))
                        response = self._put(body, headers)
                    finally:
                        body.close()
            except requests.RequestException as exc:
                last_failure = UploadOutcome(
                    "failed", exception=exc, offset=position, session_uri=self.session_uri
                )
                retries += 1
                need_status = True
                self._backoff(retries)
                continue
            if response.status_code in (200, 201):
                return UploadOutcome(
                    "done", resource=json_body(response) or {}, offset=self.size, session_uri=self.session_uri
                )
            if response.status_code == 308:
                new_position = self._follow(response)
                if new_position > position:
                    retries = 0
                elif not was_query:
                    retries += 1  # a chunk that moved nothing: do not loop for ever
                position = new_position
                self.on_progress({"session_uri": self.session_uri, "offset": position})
                continue
            if response.status_code in (404, 410):
                return UploadOutcome("gone", response=response, offset=position, session_uri=self.session_uri)
            if response.status_code >= 500:
                last_failure = UploadOutcome(
                    "failed", response=response, offset=position, session_uri=self.session_uri
                )
                retries += 1
                need_status = True
                self._backoff(retries)
                continue
            return UploadOutcome("failed", response=response, offset=position, session_uri=self.session_uri)
        assert last_failure is not None
        return last_failure

    def _backoff(self, attempt: int) -> None:
        self.sleep(min(64.0, random.random() * 2**attempt))
