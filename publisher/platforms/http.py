"""HTTP plumbing shared by the adapters: one call skeleton, timeouts, "was it sent?", masking secrets.

:class:`ApiClient` is the one request → answer path of every adapter: it sends with the adapter's
credentials in a header (read at each call, so a refreshed token is used at once), never follows a
redirect, turns a transport failure into a result (:func:`exception_result`) and hands the answer
to the adapter's ``classify`` function, the one place that reads the platform's codes.

The one rule that matters for "exactly once": when a create call fails at the transport level we
must know whether the request *may have reached* the platform. A connection that was never opened
(DNS failure, connect timeout, refused) sent nothing: retrying is safe. A read timeout or a
connection dropped after the request went out may have created the post: the adapter answers
``unknown_outcome`` and the caller reconciles before anything is sent again.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal, Protocol
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from publisher.errors import PublisherError
from publisher.i18n import msg, register
from publisher.platforms.base import Result

#: (connect, read) seconds for ordinary API calls
API_TIMEOUT = (10.0, 60.0)
#: (connect, read) seconds for calls that carry a file
UPLOAD_TIMEOUT = (10.0, 300.0)

#: names (headers, query or form fields, JSON keys) whose values are never shown
SECRET_NAMES = frozenset(
    {
        "access_token",
        "authorization",
        "refresh_token",
        "client_secret",
        "secret_key",
        "app_secret",
        "code",
        "code_verifier",
        "fb_exchange_token",
        "input_token",
        "appsecret_proof",
        "token",
        "id_token",
        "upload_id",  # a YouTube upload session URI lets anyone holding it upload
    }
)
MASK = "***"


class TemporaryFailure(PublisherError):
    """A network or server failure that may go away; try again later (nothing was decided)."""


Sent = Literal["not_sent", "maybe_sent"]


def sent_state(exc: BaseException) -> Sent:
    """Whether a failed request may have reached the server.

    ``ConnectTimeout`` and connection errors raised while opening the socket mean nothing was
    sent. Everything else (read timeouts, a connection reset mid-response, chunked-encoding
    errors) may have been processed by the platform.
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "not_sent"
    if isinstance(exc, requests.exceptions.ConnectionError) and not isinstance(
        exc, requests.exceptions.ReadTimeout
    ):
        text = repr(exc.args[0]) if exc.args else ""
        if any(
            marker in text
            for marker in (
                "NewConnectionError",
                "NameResolutionError",
                "Failed to establish",
                "ConnectionRefused",
            )
        ):
            return "not_sent"
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return "not_sent"
    return "maybe_sent"


def pooled_session(threads: int) -> requests.Session:
    """A session whose keep-alive pool holds ``threads`` connections per host (requests keeps 10).

    Shared by the sending threads of one worker: with fewer pooled connections than threads, the
    extra ones open a new TLS connection per call and throw it away. No retries (requests'
    default): a create call is never repeated behind the adapter's back.
    """
    size = max(10, threads)
    session = requests.Session()
    for prefix in ("https://", "http://"):
        session.mount(prefix, HTTPAdapter(pool_connections=size, pool_maxsize=size))
    return session


def json_body(response: requests.Response) -> dict[str, Any] | None:
    """The JSON object in a response, or ``None`` for an empty, HTML or malformed body."""
    if not response.content:
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def retry_after(response: requests.Response, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


# -- masking ------------------------------------------------------------------------------------
def mask_url(url: str) -> str:
    """The URL exactly as sent, with secret query values replaced (no re-encoding)."""
    return mask_text(url)


def mask_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (MASK if k.lower() in SECRET_NAMES else str(v)) for k, v in headers.items()}


def mask_mapping(data: Any) -> Any:
    if isinstance(data, Mapping):
        return {k: (MASK if str(k).lower() in SECRET_NAMES else mask_mapping(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [mask_mapping(v) for v in data]
    return data


_SECRET_RE = re.compile(
    r"(?i)\b(" + "|".join(sorted(SECRET_NAMES, key=len, reverse=True)) + r")=([^&\s\"']+)"
)


def mask_text(text: str) -> str:
    """Mask ``name=value`` secrets inside free text (URLs in log lines, form bodies)."""
    return _SECRET_RE.sub(lambda m: f"{m.group(1)}={MASK}", text)


# -- files --------------------------------------------------------------------------------------
@dataclass
class FileSlice:
    """A byte range of a file on disk, read lazily so memory does not grow with the file size.

    ``requests`` streams any object with ``read`` and ``__len__`` as the body, in small blocks.
    """

    path: Path
    start: int
    length: int
    _fh: BinaryIO | None = None
    _left: int = 0

    def __len__(self) -> int:
        return self.length

    def read(self, size: int = -1) -> bytes:
        if self._fh is None:
            self._fh = open(self.path, "rb")  # noqa: SIM115 - closed when the slice is exhausted
            self._fh.seek(self.start)
            self._left = self.length
        if self._left <= 0:
            self.close()
            return b""
        n = self._left if size is None or size < 0 else min(size, self._left)
        chunk = self._fh.read(n)
        self._left -= len(chunk)
        if not chunk:
            self._left = 0
        return chunk

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(64 * 1024):
            yield chunk


def file_size(path: Path) -> int:
    return os.stat(path).st_size


def compact_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def generic_failure(response: requests.Response, *, creating: bool) -> Result:
    """The result for a response the platform-specific ``_classify`` could not read.

    401 is an authorisation failure, 429 a rate limit (with ``Retry-After``). Anything else
    (5xx, an HTML error page from a proxy, an empty or malformed body) tells us nothing: for a
    create call something may exist now (``unknown_outcome``); for any other call it is transient.
    """
    code = f"http_{response.status_code}"
    if response.status_code == 401:
        return Result.auth_expired(code=code, reason=f"HTTP {response.status_code}")
    if response.status_code == 429:
        return Result.rate_limited(retry_after(response), scope="account", code=code)
    if creating:
        return Result.unknown(code=code, reason=f"HTTP {response.status_code}")
    return Result.transient(
        code=code, reason=f"HTTP {response.status_code}", retry_after=retry_after(response)
    )


def exception_result(exc: BaseException, *, creating: bool) -> Result:
    """The result for a request that raised: ``transient`` if nothing was sent, else unknown.

    The reason is what the officer reads (the host and the kind of failure, in their language);
    the library's own text stays in the log."""
    name = type(exc).__name__
    host = urlsplit(str(getattr(getattr(exc, "request", None), "url", "") or "")).hostname or "?"
    timed_out = isinstance(exc, requests.exceptions.Timeout)
    reason = msg("http.timeout" if timed_out else "http.unreachable", host=host, error=name)
    if creating and sent_state(exc) == "maybe_sent":
        return Result.unknown(code=name, reason=reason)
    return Result.transient(code=name, reason=reason)


register(
    {
        "platforms.too_large": (
            "Tệp {name} nặng {size} MB; {platform} nhận tối đa {max} MB.",
            "File {name} is {size} MB; {platform} takes at most {max} MB.",
        ),
        "platforms.unreadable": ("Không đọc được tệp {name}.", "Cannot read the file {name}."),
        "http.unreachable": (
            "Không kết nối được tới {host} ({error}); kiểm tra mạng của máy.",
            "Could not reach {host} ({error}); check this machine's network.",
        ),
        "http.timeout": (
            "{host} không trả lời kịp ({error}).",
            "{host} did not answer in time ({error}).",
        ),
    }
)


def too_large(
    path: Path, max_bytes: int | None, platform: str, png_max_bytes: int | None = None
) -> Result | None:
    """A ``rejected`` result when a media file is over the platform's limit (from
    :mod:`publisher.core.media_limits`), else ``None``."""
    try:
        size = file_size(path)
    except OSError:
        return Result.rejected("media_unreadable", msg("platforms.unreadable", name=path.name))
    limit = max_bytes
    if png_max_bytes is not None and path.suffix.lower() == ".png":
        limit = png_max_bytes
    if limit is not None and size > limit:
        return Result.rejected(
            "media_too_large",
            msg(
                "platforms.too_large",
                name=path.name,
                size=round(size / 1e6, 1),
                platform=platform,
                max=round(limit / 1e6, 1),
            ),
        )
    return None


# -- the call skeleton --------------------------------------------------------------------------
class Classify(Protocol):
    """An adapter's reading of an answer: the failure it means, or ``None`` when the call succeeded.

    ``body`` is the answer's JSON object (``None`` for an empty, HTML or malformed body);
    ``creating`` says the call may have created something, so an unreadable failure is
    ``unknown_outcome`` rather than ``transient``.
    """

    def __call__(
        self, response: requests.Response, body: dict[str, Any] | None, *, creating: bool
    ) -> Result | None: ...


Answer = tuple[dict[str, Any] | None, Result | None]
"""``(body, None)`` on success (``{}`` for an accepted empty answer), else ``(None, failure)``."""


class ApiClient:
    """The request → answer skeleton every adapter calls, with the adapter's ``classify``."""

    def __init__(
        self,
        http: requests.Session,
        classify: Classify,
        auth: Callable[[], Mapping[str, str]],
        *,
        observe: Callable[[requests.Response], None] | None = None,
    ) -> None:
        """``auth`` gives the credential headers at each call; ``observe`` sees every response
        (Facebook reads its usage headers there)."""
        self.http = http
        self.classify = classify
        self.auth = auth
        self.observe = observe

    def send(
        self,
        method: str,
        url: str,
        *,
        creating: bool = False,
        headers: Mapping[str, str] | None = None,
        timeout: Any = API_TIMEOUT,
        **kwargs: Any,
    ) -> requests.Response | Result:
        """The response, or the result of a request that raised (nothing decided about the answer)."""
        try:
            response = self.http.request(
                method,
                url,
                headers={**self.auth(), **(headers or {})},
                timeout=timeout,
                allow_redirects=False,
                **kwargs,
            )
        except requests.RequestException as exc:
            return exception_result(exc, creating=creating)
        if self.observe is not None:
            self.observe(response)
        return response

    def call(self, method: str, url: str, *, creating: bool = False, **kwargs: Any) -> Answer:
        """Send and classify: see :data:`Answer`."""
        sent = self.send(method, url, creating=creating, **kwargs)
        if isinstance(sent, Result):
            return None, sent
        body = json_body(sent)
        failure = self.classify(sent, body, creating=creating)
        if failure is not None:
            return None, failure
        return (body if body is not None else {}), None
