"""``--dry-run``: the exact requests each adapter would send, secrets masked, nothing sent."""

from __future__ import annotations

import json
import socket
from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from publisher.core.models import Platform
from publisher.platforms.base import Credentials, Outcome
from publisher.platforms.dryrun import capture, dry_run_session
from publisher.platforms.facebook import FacebookPageAdapter
from publisher.platforms.http import mask_text, mask_url
from publisher.platforms.youtube import YouTubeAdapter
from publisher.platforms.youtube.upload import CHUNK_UNIT
from publisher.platforms.zalo import ZaloOAAdapter
from publisher.settings import FacebookSettings, YouTubeSettings, ZaloSettings
from tests.platforms.builders import NOW, TEXT, TITLE, delivery, write_file

SECRET = "VERY-SECRET-TOKEN-123"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a dry run opened a socket")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def rendered(requests_: list[Any]) -> str:
    return "\n\n".join(r.render() for r in requests_)


def test_facebook_feed_dry_run() -> None:
    creds = Credentials(access_token=SECRET, remote_account_id="42")
    result, sent = capture(FacebookPageAdapter, creds, FacebookSettings(), delivery(Platform.FACEBOOK))
    assert result.outcome is Outcome.PUBLISHED
    assert [(r.method, r.url) for r in sent] == [("POST", "https://graph.facebook.com/v25.0/42/feed")]
    assert sent[0].headers["Authorization"] == "***"
    assert sent[0].body == {"message": f"{TITLE}\n\n{TEXT}", "published": "true"}
    assert SECRET not in rendered(sent)


def test_facebook_photos_dry_run_shows_files_not_bytes(tmp_path) -> None:
    imgs = tuple(write_file(tmp_path / f"{i}.jpg", 3000) for i in range(2))
    creds = Credentials(access_token=SECRET, remote_account_id="42")
    _, sent = capture(
        FacebookPageAdapter, creds, FacebookSettings(), delivery(Platform.FACEBOOK, images=imgs)
    )
    assert [r.url.rsplit("/", 1)[-1] for r in sent] == ["photos", "photos", "feed"]
    assert sent[0].body == {"published": "false", "source": "<file 0.jpg: 3000 bytes>"}
    assert json.loads(sent[2].body["attached_media[1]"]) == {"media_fbid": "DRYRUN-PHOTO"}


def test_zalo_dry_run_walks_create_and_verify() -> None:
    creds = Credentials(access_token=SECRET)
    d = delivery(Platform.ZALO, options={"zalo": {"cover_url": "https://cdn.vn/a.jpg"}})
    result, sent = capture(ZaloOAAdapter, creds, ZaloSettings(), d)
    assert result.outcome is Outcome.PUBLISHED
    assert [r.url for r in sent] == [
        "https://openapi.zalo.me/v2.0/article/create",
        "https://openapi.zalo.me/v2.0/article/verify",
        # the verified article's link is read from the OA's article list (read-only)
        "https://openapi.zalo.me/v2.0/article/getslice?offset=0&limit=10&type=normal",
    ]
    assert sent[0].headers["access_token"] == "***"
    assert sent[0].body["title"] == TITLE and sent[0].body["cover"]["photo_url"] == "https://cdn.vn/a.jpg"
    assert sent[1].body == {"token": "***"}  # the article token is a secret-like handle too
    assert SECRET not in rendered(sent)


def test_youtube_dry_run_shows_session_and_chunks(tmp_path) -> None:
    clip = write_file(tmp_path / "v.mp4", 40 * CHUNK_UNIT)
    creds = Credentials(access_token=SECRET, refresh_token="R")
    settings = YouTubeSettings(client_secret=SecretStr(SECRET))
    result, sent = capture(YouTubeAdapter, creds, settings, delivery(Platform.YOUTUBE, video=clip))
    assert result.outcome is Outcome.PUBLISHED
    assert sent[0].method == "POST" and sent[0].url.endswith(
        "/upload/youtube/v3/videos?uploadType=resumable&part=snippet%2Cstatus"
    )
    assert sent[0].body["status"]["privacyStatus"] == "public"
    assert (
        sent[1].method == "PUT"
        and sent[1].headers["Content-Range"] == f"bytes 0-{32 * CHUNK_UNIT - 1}/{40 * CHUNK_UNIT}"
    )
    assert sent[1].body == f"<{32 * CHUNK_UNIT} bytes streamed from disk>"
    assert SECRET not in rendered(sent)


def test_dry_run_at_an_earlier_time_shows_native_scheduling() -> None:
    creds = Credentials(access_token=SECRET, remote_account_id="42")
    d = delivery(Platform.FACEBOOK, due_at=NOW + timedelta(days=2))
    result, sent = capture(FacebookPageAdapter, creds, FacebookSettings(), d, at=NOW)
    assert result.outcome is Outcome.HANDED_OFF
    assert sent[0].body["published"] == "false"


def test_masking_helpers() -> None:
    assert mask_url("https://x/y?access_token=abc&fields=id") == "https://x/y?access_token=***&fields=id"
    assert (
        mask_text("GET /me?access_token=abc&x=1 refresh_token=zz")
        == "GET /me?access_token=***&x=1 refresh_token=***"
    )
    session, transport = dry_run_session()
    session.get(
        "https://graph.facebook.com/v25.0/me", params={"access_token": SECRET}, headers={"secret_key": SECRET}
    )
    assert SECRET not in rendered(transport.requests)


def test_dry_run_picks_the_settings_section(tmp_path) -> None:
    from publisher.platforms.dryrun import dry_run
    from publisher.settings import Settings

    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    d = delivery(Platform.ZALO, options={"zalo": {"cover_url": "https://cdn.vn/a.jpg"}})
    result, sent = dry_run(settings, d)
    assert result.outcome is Outcome.PUBLISHED and sent[0].url.startswith(settings.zalo.openapi_url)


def test_youtube_dry_run_spends_no_quota(tmp_path) -> None:
    """The real daily budget is the database's counter (SQLite here: no socket): ``--dry-run``
    never spends from it."""
    from publisher.platforms.dryrun import dry_run
    from publisher.platforms.youtube.quota import quota_day
    from publisher.store import Store
    from publisher.store.counters import DbQuotaCounter
    from tests.conftest import make_settings

    store = Store(make_settings(tmp_path))
    store.init()
    clip = write_file(tmp_path / "v.mp4", 1000)
    before = DbQuotaCounter(store.db).used("default", quota_day(NOW))
    d = delivery(Platform.YOUTUBE, video=clip)
    result, sent = dry_run(store.settings, d, Credentials(access_token=SECRET))
    assert result.outcome is Outcome.PUBLISHED and sent[0].method == "POST"  # it went all the way
    assert DbQuotaCounter(store.db).used("default", quota_day(NOW)) == before
