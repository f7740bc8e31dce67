"""The registry: one way to build adapters, and the YouTube quota they spend.

``publisher run --once`` (and every worker) must spend YouTube quota from the database's counter,
the one budget all processes share: an in-memory book per process would let two processes spend
the project's daily units twice over.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import responses
from click.testing import CliRunner

from publisher.actions.media import prepare_delivery
from publisher.core.models import Platform, PostSpec, Target
from publisher.core.states import State
from publisher.platforms.base import Credentials
from publisher.platforms.youtube.quota import quota_day
from publisher.settings import get_settings
from publisher.store import Store
from publisher.store.counters import DbQuotaCounter
from tests.conftest import need_ffmpeg
from tests.platforms.builders import payload

UPLOAD = "https://www.googleapis.com/upload/youtube/v3/videos"
SESSION = "https://www.googleapis.com/upload/youtube/v3/videos?uploadType=resumable&upload_id=S1"


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data directory made by ``publisher init``, as the officer's machine has."""
    data = tmp_path / "var"
    monkeypatch.setenv("PUBLISHER_DATA_DIR", str(data))
    monkeypatch.setenv("PUBLISHER_USER", "can-bo")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield data
    get_settings.cache_clear()


def _cli(*args: str) -> str:
    from publisher.cli.main import cli

    get_settings.cache_clear()
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_publisher_run_once_spends_youtube_quota_from_the_database(office: Path, tmp_path: Path) -> None:
    need_ffmpeg()
    from tests.assets.media_factory import clip

    _cli("init")
    store = Store(get_settings())
    target = Target(Platform.YOUTUBE, "hanh-dich-tv")
    store.add_account(
        target,
        actor="can-bo",
        credentials=Credentials(access_token="YT-TOKEN", expires_at=datetime.now(UTC) + timedelta(hours=1)),
    )
    video = clip(tmp_path / "le-hoi.mp4", seconds=1, size="160x90", audio=False)
    spec = PostSpec(
        key="le-hoi",
        title="Lễ hội làng",
        text="Video lễ hội",
        due_at=datetime.now(UTC) - timedelta(seconds=1),
        timezone="Asia/Ho_Chi_Minh",
        targets=(target,),
        video=video,
    )
    store.queue([spec], actor="can-bo")
    store.approve(["le-hoi"], by="chu-tich")
    [row] = [r for r in store.deliveries() if r.key == "le-hoi"]
    assert prepare_delivery(store, row.id, store.settings).ok  # as the media worker does ahead of time
    day = quota_day(datetime.now(UTC))
    assert DbQuotaCounter(store.db).used("default", day) == 0

    with responses.RequestsMock() as rsps:
        rsps.post(UPLOAD, status=200, headers={"Location": SESSION}, body="")
        rsps.put(SESSION, json=payload("youtube", "video_resource"))
        _cli("run", "--once")

    [row] = [r for r in store.deliveries() if r.key == "le-hoi"]
    assert row.state == State.PUBLISHED.value
    # videos.insert costs 1600 units (the cautious default): spent from the shared database counter
    assert DbQuotaCounter(store.db).used("default", day) == 1600
