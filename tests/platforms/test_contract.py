"""One table of situations over every HTTP adapter: the risky first call of a publish answers
401, 429 with Retry-After, 5xx, a timeout after sending, malformed JSON, an HTML error page or an
empty body. Each adapter must answer with the same kind of result, and never ``published``.

"Creates" are calls after which something may exist on the platform (Facebook ``/feed``, Zalo
``article/create``): an ambiguous answer there is ``unknown_outcome`` (reconcile, never resend).
YouTube's first call only opens an upload session (no video exists until the bytes arrive), so
the same answers are ``transient`` there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from publisher.core.models import Platform
from publisher.platforms.base import Adapter, Credentials, Outcome
from publisher.platforms.facebook import FacebookPageAdapter
from publisher.platforms.registry import ADAPTERS
from publisher.platforms.youtube import MemoryQuotaCounter, YouTubeAdapter
from publisher.platforms.zalo import ZaloOAAdapter
from publisher.settings import FacebookSettings, YouTubeSettings, ZaloSettings
from tests.platforms.builders import NOW, delivery, write_file


@dataclass
class Case:
    name: str
    build: Callable[[requests.Session], Adapter]
    method: str
    url: str
    creates: bool
    delivery: Callable[[Path], Any]
    reconcile_url: str | None


def _fb(http: requests.Session) -> Adapter:
    return FacebookPageAdapter(
        Credentials(access_token="T", remote_account_id="42"), FacebookSettings(), http
    )


def _yt(http: requests.Session) -> Adapter:
    return YouTubeAdapter(
        Credentials(access_token="T", refresh_token="R"), YouTubeSettings(), http, quota=MemoryQuotaCounter()
    )


def _zalo(http: requests.Session) -> Adapter:
    return ZaloOAAdapter(Credentials(access_token="T"), ZaloSettings(), http)


CASES = [
    Case(
        "facebook",
        _fb,
        "POST",
        "https://graph.facebook.com/v25.0/42/feed",
        True,
        lambda tmp: delivery(Platform.FACEBOOK),
        "https://graph.facebook.com/v25.0/42/published_posts",
    ),
    Case(
        "zalo",
        _zalo,
        "POST",
        "https://openapi.zalo.me/v2.0/article/create",
        True,
        lambda tmp: delivery(Platform.ZALO, options={"zalo": {"cover_url": "https://cdn.vn/a.jpg"}}),
        "https://openapi.zalo.me/v2.0/article/getslice",
    ),
    Case(
        "youtube",
        _yt,
        "POST",
        "https://www.googleapis.com/upload/youtube/v3/videos",
        False,
        lambda tmp: delivery(Platform.YOUTUBE, video=write_file(tmp / "v.mp4", 1000)),
        None,
    ),
]

HTML = "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"
AMBIGUOUS = {True: Outcome.UNKNOWN_OUTCOME, False: Outcome.TRANSIENT}

SITUATIONS: list[tuple[str, dict[str, Any], Callable[[bool], Outcome]]] = [
    ("401", {"status": 401, "body": ""}, lambda creates: Outcome.AUTH_EXPIRED),
    (
        "429 retry-after",
        {"status": 429, "body": "", "headers": {"Retry-After": "120"}},
        lambda creates: Outcome.RATE_LIMITED,
    ),
    ("503", {"status": 503, "body": ""}, lambda creates: AMBIGUOUS[creates]),
    (
        "timeout after send",
        {"body": requests.exceptions.ReadTimeout("read timed out")},
        lambda creates: AMBIGUOUS[creates],
    ),
    (
        "malformed json",
        {"status": 200, "body": '{"id": "12', "content_type": "application/json"},
        lambda creates: AMBIGUOUS[creates],
    ),
    (
        "html error page",
        {"status": 502, "body": HTML, "content_type": "text/html"},
        lambda creates: AMBIGUOUS[creates],
    ),
    ("empty body", {"status": 200, "body": ""}, lambda creates: AMBIGUOUS[creates]),
    (
        "connect refused",
        {
            "body": requests.exceptions.ConnectionError(
                "HTTPSConnectionPool: Max retries exceeded (Caused by NewConnectionError('Failed to establish a new "
                "connection: [Errno 111] Connection refused'))"
            )
        },
        lambda creates: Outcome.TRANSIENT,
    ),
]


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def test_every_platform_adapter_is_in_the_table() -> None:
    covered = {Platform.FACEBOOK, Platform.ZALO, Platform.YOUTUBE}
    assert set(ADAPTERS) - {Platform.SANDBOX} == covered
    assert {type(c.build(requests.Session())) for c in CASES} == {ADAPTERS[p] for p in covered}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@pytest.mark.parametrize("situation", SITUATIONS, ids=lambda s: s[0])
def test_situation(rsps, tmp_path, case: Case, situation) -> None:
    name, spec, expected = situation
    rsps.add(case.method, case.url, **spec)
    adapter = case.build(requests.Session())
    adapter.clock = lambda: NOW  # type: ignore[attr-defined]
    result = adapter.publish(case.delivery(tmp_path))
    assert result.outcome is expected(case.creates), (name, result)
    assert result.outcome is not Outcome.PUBLISHED
    assert result.code, "every failure carries a code"
    if name == "429 retry-after":
        assert result.retry_after == 120
    assert len([c for c in rsps.calls if c.request.url.split("?")[0] == case.url]) == 1, "never sent twice"


@pytest.mark.parametrize("case", [c for c in CASES if c.reconcile_url], ids=lambda c: c.name)
@pytest.mark.parametrize("situation", SITUATIONS, ids=lambda s: s[0])
def test_reconcile_never_says_absent_when_it_could_not_look(rsps, tmp_path, case: Case, situation) -> None:
    name, spec, _ = situation
    assert case.reconcile_url
    rsps.add("GET", case.reconcile_url, **spec)
    adapter = case.build(requests.Session())
    adapter.clock = lambda: NOW.replace(hour=5)  # type: ignore[attr-defined]
    result = adapter.reconcile(case.delivery(tmp_path))
    assert result.outcome in (Outcome.UNKNOWN_OUTCOME, Outcome.AUTH_EXPIRED), (name, result)
