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
    """How an upload run (or one answer, :meth:`ResumableUpload.read`) ended: ``done``
    (``resource`` set), ``more`` (``offset`` to send next), ``failed`` (``response`` or
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

    def _send_chunk(self, position: int) -> requests.Response:
        end = min(position + self.chunk_size, self.size)
        body = FileSlice(self.path, position, end - position)
        headers = {
            "Content-Length": str(end - position),
            "Content-Type": self.mime,
            "Content-Range": f"bytes {position}-{end - 1}/{self.size}",
        }
        try:
            self.sent_ranges.append((position, end))
            return self._put(body, headers)
        finally:
            body.close()

    def read(self, response: requests.Response, position: int) -> UploadOutcome:
        """The one reading of an answer of this protocol: ``done`` (200/201, the video resource),
        ``more`` (308, ``offset`` is the next byte to send), ``gone`` (404/410: the session
        expired) or ``failed`` (anything else: the caller classifies the response)."""
        status = response.status_code
        if status in (200, 201):
            return UploadOutcome(
                "done", json_body(response) or {}, offset=self.size, session_uri=self.session_uri
            )
        if status == 308:
            return UploadOutcome("more", offset=self._follow(response), session_uri=self.session_uri)
        outcome = "gone" if status in (404, 410) else "failed"
        return UploadOutcome(outcome, response=response, offset=position, session_uri=self.session_uri)

    def run(self, offset: int | None) -> UploadOutcome:
        """Upload from ``offset`` (``None``: ask the server first) until done or out of retries.

        A dropped connection or a 5xx is retried with exponential backoff after a status query;
        a chunk that moves nothing counts as a retry too, so the loop always ends.
        """
        retries = 0
        need_status = offset is None
        position = offset or 0
        last_failure: UploadOutcome | None = None
        while retries <= self.max_retries:
            was_query = need_status
            if not need_status and position >= self.size > 0:
                need_status = True  # everything was sent: ask what arrived
                continue
            try:
                answer = self.read(self.query() if need_status else self._send_chunk(position), position)
            except requests.RequestException as exc:
                answer = UploadOutcome("failed", exception=exc, offset=position, session_uri=self.session_uri)
            need_status = False
            if answer.status == "more":
                if answer.offset > position:
                    retries = 0
                elif not was_query:
                    retries += 1  # a chunk that moved nothing: do not loop for ever
                position = answer.offset
                self.on_progress({"session_uri": self.session_uri, "offset": position})
                continue
            if answer.status != "failed" or (
                answer.response is not None and answer.response.status_code < 500
            ):
                return answer
            last_failure = answer
            retries += 1
            need_status = True
            self._backoff(retries)
        assert last_failure is not None
        return last_failure

    def _backoff(self, attempt: int) -> None:
        self.sleep(min(64.0, random.random() * 2**attempt))
