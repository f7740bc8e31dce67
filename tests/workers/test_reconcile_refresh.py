"""A look-up refused at authentication gets the same one forced refresh as a send.

A YouTube video handed to YouTube's scheduler is checked after its time with ``videos.list``;
an expired access token there must not put the whole channel in ``needs_reauth`` when the
refresh token is good (issue 10, point 3, on the reconcile path).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
from pydantic import SecretStr
from sqlalchemy import update

from publisher.actions.publish import Publisher
from publisher.core.models import Platform, Target
from publisher.platforms.base import Credentials
from publisher.platforms.youtube import MemoryQuotaCounter, YouTubeAdapter
from publisher.settings import YouTubeSettings
from publisher.store import schema as s
from tests.platforms.test_tokens import GOOGLE_TOKEN_URL, YT_401, _calls, _form, _fresh_looking, _ready


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


YT_API = "https://www.googleapis.com/youtube/v3"


def _handed_off(store: Any, did: int) -> None:
    with store.db.write() as conn:
        conn.execute(
            update(s.deliveries)
            .where(s.deliveries.c.id == did)
            .values(state="handed_off", remote_id="vid-1", resume_state={"video_id": "vid-1"})
        )


def _factory(settings: Any, target: Target, creds: Credentials) -> YouTubeAdapter:
    yt = YouTubeSettings(client_id="cid", client_secret=SecretStr("csecret"))
    return YouTubeAdapter(creds, yt, requests.Session(), quota=MemoryQuotaCounter())


def test_a_refused_token_during_a_look_up_is_refreshed_once_and_the_look_up_repeated(
    store: Any, rsps: Any
) -> None:
    target = Target(Platform.YOUTUBE, "xa-tv")
    did = _ready(store, target, _fresh_looking("ya29.OLD", "1//REFRESH"))
    _handed_off(store, did)
    rsps.get(f"{YT_API}/videos", status=401, json=YT_401)
    rsps.get(
        f"{YT_API}/videos",
        json={"items": [{"id": "vid-1", "status": {"privacyStatus": "public", "uploadStatus": "processed"}}]},
    )
    rsps.post(GOOGLE_TOKEN_URL, json={"access_token": "ya29.NEW", "expires_in": 3599, "token_type": "Bearer"})

    step = Publisher(store, adapters=_factory, rng=lambda: 1.0).reconcile(did)

    assert step.action == "published", store.deliveries()[0].last_reason
    looks = [c.request.headers["Authorization"] for c in _calls(rsps, f"{YT_API}/videos")]
    assert looks == ["Bearer ya29.OLD", "Bearer ya29.NEW"]
    [refresh] = _calls(rsps, GOOGLE_TOKEN_URL)
    assert _form(refresh)["refresh_token"] == "1//REFRESH"
    assert store.account(target).status == "active"


def test_a_look_up_refused_again_after_the_refresh_needs_reauth(store: Any, rsps: Any) -> None:
    target = Target(Platform.YOUTUBE, "xa-tv")
    did = _ready(store, target, _fresh_looking("ya29.OLD", "1//REFRESH"))
    _handed_off(store, did)
    rsps.get(f"{YT_API}/videos", status=401, json=YT_401)
    rsps.post(GOOGLE_TOKEN_URL, json={"access_token": "ya29.NEW", "expires_in": 3599, "token_type": "Bearer"})

    Publisher(store, adapters=_factory, rng=lambda: 1.0).reconcile(did)

    assert len(_calls(rsps, f"{YT_API}/videos")) == 2 and len(_calls(rsps, GOOGLE_TOKEN_URL)) == 1
    assert store.account(target).status == "needs_reauth"
