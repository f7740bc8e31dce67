"""The fault matrix, YouTube: a transient 429 is not the daily cap (issue 10 point 2).

Real Redis, real ``celery worker`` processes, the real YouTube adapter against the loopback
YouTube Data API (tests/workers/fake_youtube.py), the dispatcher ticking in the test process and
the officer's ``publisher retry`` run through the real command line.
"""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from publisher.actions.media import prepare_delivery
from publisher.core.models import Platform, PostSpec, Target
from publisher.core.states import State
from publisher.platforms.base import Credentials
from publisher.platforms.youtube.quota import next_reset
from publisher.settings import get_settings
from publisher.store import Store
from publisher.store import schema as s
from tests.assets.media_factory import clip
from tests.conftest import make_settings, need_ffmpeg
from tests.workers.conftest import Cluster
from tests.workers.fake_graph import FakeGraph
from tests.workers.fake_youtube import FakeYouTube, Fault

need_ffmpeg(module=True)

TV = Target(Platform.YOUTUBE, "xa-tv")
TV2 = Target(Platform.YOUTUBE, "huyen-tv")
VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def youtube() -> Iterator[FakeYouTube]:
    server = FakeYouTube().start()
    yield server
    server.stop()


@pytest.fixture
def tv(tmp_path: Path, redis_url: str, graph: FakeGraph, youtube: FakeYouTube) -> Iterator[Cluster]:
    c = Cluster(tmp_path, redis_url, graph)
    yt = c.settings.youtube
    yt.api_url, yt.upload_url, yt.oauth_url = (
        f"{youtube.url}/youtube/v3",
        f"{youtube.url}/upload/youtube/v3",
        youtube.url,
    )
    yield c
    c.close()


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clip(tmp_path_factory.mktemp("clip") / "tin-xa.mp4", seconds=2, size="320x180")


def add_channel(c: Cluster, youtube: FakeYouTube, target: Target) -> None:
    token = f"ya29.{target.name}-token"
    youtube.state.tokens.add(token)
    creds = Credentials(
        access_token=token,
        remote_account_id=f"UC{target.name}",
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    c.store.add_account(target, actor="can-bo", credentials=creds)


def queue_videos(c: Cluster, video: Path, posts: list[tuple[str, Target, float]]) -> dict[str, str]:
    """Posts ``(key, channel, due in seconds)`` with the clip, approved and prepared; key → title."""
    now = datetime.now(UTC)
    specs = [
        PostSpec(
            key=key,
            title=f"Bản tin xã {key}",
            text=f"Bản tin truyền hình xã, số {key}.",
            due_at=now + timedelta(seconds=due_in),
            timezone="Asia/Ho_Chi_Minh",
            targets=(target,),
            video=video,
        )
        for key, target, due_in in posts
    ]
    c.store.queue(specs, actor="can-bo")
    c.store.approve([p.key for p in specs], by="truong-ban")
    for row in c.rows():
        assert prepare_delivery(c.store, int(row.id), c.settings).ok
    return {p.key: p.title for p in specs}


def env(c: Cluster, youtube: FakeYouTube, **extra: str) -> dict[str, str]:
    return {**c.env(), **youtube.env(), **extra}


def start(c: Cluster, youtube: FakeYouTube, **extra: str) -> None:
    c.start_worker("w1", **youtube.env(), **extra)
    c.start_dispatcher()


def row(c: Cluster, key: str) -> Any:
    return next(r for r in c.rows() if r.key == key)


def attempts(c: Cluster, key: str) -> list[Any]:
    with c.store.db.read() as conn:
        return list(
            conn.execute(
                select(s.attempts).where(s.attempts.c.delivery_id == row(c, key).id).order_by(s.attempts.c.id)
            )
        )


def officer(environment: dict[str, str], *args: str) -> click.testing.Result:
    """``publisher ARGS`` as the officer types it, with the workers' settings."""
    from publisher.cli.main import cli

    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, list(args), env=environment, catch_exceptions=False)
    finally:
        get_settings.cache_clear()


def local(when: datetime) -> str:
    """As the officer reads times: local (Asia/Ho_Chi_Minh), day first."""
    return when.astimezone(VN).strftime("%d/%m/%Y %H:%M")


# -- a plain 429 -----------------------------------------------------------------------------------
@pytest.mark.parametrize("retry_after", [None, 3])
def test_one_plain_429_backs_off_briefly_and_every_video_goes_out_once(
    tv: Cluster, youtube: FakeYouTube, video: Path, retry_after: int | None
) -> None:
    add_channel(tv, youtube, TV)
    titles = queue_videos(tv, video, [("tv-0", TV, 4), ("tv-1", TV, 4), ("tv-2", TV, 4)])
    youtube.state.faults.append(Fault("rate_limit", retry_after=retry_after, match=titles["tv-0"]))
    start(tv, youtube, PUBLISHER_YOUTUBE__POSTS_PER_MINUTE="30")
    assert tv.wait_settled(90) == {"published": 3}
    # exactly once: one video per post, and nothing else on the channel
    assert youtube.state.counts() == {title: 1 for title in titles.values()}
    hit = attempts(tv, "tv-0")
    assert [(a.kind, a.outcome, a.code) for a in hit] == [
        ("publish", "rate_limited", "rateLimitExceeded"),
        ("publish", "published", None),
    ]
    gap = (hit[1].started_at - hit[0].started_at).total_seconds()
    assert gap < 30  # a short backoff, not the next Pacific midnight
    if retry_after:
        assert gap >= retry_after  # the platform's Retry-After is respected
    for r in tv.rows():
        # well within the grace window (6 h): the other posts of the channel were not held either
        assert (r.published_at - r.due_at).total_seconds() < 60, (r.key, r.published_at, r.due_at)
        assert r.deadline - r.published_at > timedelta(hours=5)
    with tv.store.db.read() as conn:
        codes = set(conn.execute(select(s.attempts.c.code)).scalars())
    assert not codes & {"dailyUploads", "quota_local", "local_rate_limit"}


# -- the documented daily cap -------------------------------------------------------------------
def test_the_daily_upload_cap_still_postpones_and_retry_says_plainly_why_it_cannot_send(
    tv: Cluster, youtube: FakeYouTube, video: Path
) -> None:
    add_channel(tv, youtube, TV)
    add_channel(tv, youtube, TV2)
    queue_videos(tv, video, [("tv-0", TV, 3), ("tv2-0", TV2, 12)])
    youtube.state.faults.append(Fault("daily_uploads"))  # once: a second upload would succeed
    start(tv, youtube)

    def settled() -> bool:
        first, other = row(tv, "tv-0"), row(tv, "tv2-0")
        return (first.state, first.last_code, other.state, other.last_code) == (
            "retry_wait",
            "dailyUploads",
            "retry_wait",
            "local_rate_limit",
        )

    tv.wait_until(settled, 60, "the cap to postpone tv-0 and hold tv2-0")
    [hit] = attempts(tv, "tv-0")
    reset = next_reset(hit.started_at)
    assert row(tv, "tv-0").next_attempt_at == reset  # the next quota day, 00:00 Pacific
    # the cap is the project's: the other channel's video was not sent against it
    assert len(youtube.state.starts()) == 1 and youtube.state.videos == []
    assert row(tv, "tv2-0").next_attempt_at >= reset - timedelta(seconds=5)
    assert attempts(tv, "tv2-0") == []

    # the officer asks to send tv2-0 now: told plainly why not, and until when (local time)
    vi = officer(env(tv, youtube), "retry", "tv2-0")
    assert vi.exit_code == 0, vi.output
    assert "Chưa gửi được tv2-0:youtube/huyen-tv" in vi.output and local(reset) in vi.output
    assert "Video Uploads per day" in vi.output  # the platform's reason, from the attempt that met it
    assert "Sẽ đăng lại" not in vi.output
    en = officer(env(tv, youtube, PUBLISHER_LANGUAGE="en"), "retry", "tv2-0")
    assert (
        f"Cannot send tv2-0:youtube/huyen-tv now: YouTube asked us to wait until {local(reset)}" in en.output
    )
    late = row(tv, "tv2-0").deadline < reset
    assert ("grace window ends" in en.output) is late
    time.sleep(4 * tv.settings.tick_seconds + 1)
    assert len(youtube.state.starts()) == 1  # nothing was sent
    assert attempts(tv, "tv2-0") == []
    assert row(tv, "tv2-0").next_attempt_at >= reset - timedelta(seconds=5)


# -- our own pacing ---------------------------------------------------------------------------------
def test_retry_by_the_officer_lifts_our_own_pacing_and_the_video_goes_out_now(
    tv: Cluster, youtube: FakeYouTube, video: Path
) -> None:
    pacing = {"PUBLISHER_YOUTUBE__POSTS_PER_MINUTE": "1", "PUBLISHER_YOUTUBE__BURST": "1"}
    add_channel(tv, youtube, TV)
    titles = queue_videos(tv, video, [("tv-0", TV, 3), ("tv-1", TV, 3)])
    start(tv, youtube, **pacing)

    def paced() -> bool:
        return sorted((r.state, r.last_code) for r in tv.rows()) == [
            ("published", None),
            ("retry_wait", "local_rate_limit"),
        ]

    tv.wait_until(paced, 60, "one video to go out and the other to wait for the channel's pace")
    waiting = next(r for r in tv.rows() if r.state == "retry_wait")
    assert waiting.next_attempt_at > datetime.now(UTC) + timedelta(seconds=30)
    out = officer(env(tv, youtube, **pacing), "retry", waiting.key)
    tv.wait_until(
        lambda: row(tv, waiting.key).state == "published", 20, "the video to go out after the retry"
    )
    assert out.exit_code == 0 and f"Sẽ gửi lại {waiting.key}:youtube/xa-tv ngay" in out.output, out.output
    assert youtube.state.counts() == {title: 1 for title in titles.values()}
    assert [a.outcome for a in attempts(tv, waiting.key)] == ["published"]


# -- needs_reauth: retry says what has to happen first ------------------------------------------
def _parses(command: str) -> None:
    """The command line is one the CLI accepts (click parses it down to the leaf command)."""
    from publisher.cli.main import cli

    words = shlex.split(command)
    assert words[0] == "publisher"
    cmd: click.Command = cli
    args = words[1:]
    ctx = cmd.make_context("publisher", list(args), resilient_parsing=False)
    while isinstance(cmd, click.Group):
        name, sub, args = cmd.resolve_command(ctx, args)
        assert sub is not None, name
        cmd = sub
        ctx = cmd.make_context(str(name), list(args), parent=ctx)


@pytest.mark.parametrize("platform", ["youtube", "facebook"])
def test_retry_of_a_needs_reauth_delivery_says_to_reconnect_first(
    tmp_path: Path, video: Path, platform: str
) -> None:
    settings = make_settings(tmp_path)
    store = Store(settings)
    store.init()
    target = Target(Platform(platform), "xa-kenh")
    store.add_account(
        target, "can-bo", credentials=Credentials(access_token="tok", remote_account_id="1234567890")
    )
    spec = PostSpec(
        key="bai-1",
        title="Thông báo",
        text="Lịch tiếp dân tháng này.",
        due_at=datetime.now(UTC) + timedelta(hours=1),
        timezone="Asia/Ho_Chi_Minh",
        targets=(target,),
        video=video if platform == "youtube" else None,
    )
    store.queue([spec], "can-bo")
    store.approve(["bai-1"], by="truong-ban")
    did = int(store.deliveries()[0].id)
    account = int(store.account(target).id)
    store.move(did, State.SCHEDULED, State.CLAIMED)
    store.move(did, State.CLAIMED, State.NEEDS_REAUTH, last_code="auth")
    store.set_account_status(account, "needs_reauth", "token expired")
    environment = {"PUBLISHER_DATA_DIR": str(settings.data_dir), "PUBLISHER_USER": "can-bo", "COLUMNS": "200"}

    vi = officer(environment, "retry", "bai-1")
    assert vi.exit_code == 0, vi.output
    assert "cần đăng nhập lại" in vi.output and "chờ thử lại" not in vi.output, vi.output
    [command, _then] = re.findall(r"“(publisher [^”]+)”", vi.output)
    assert command.startswith(f"publisher accounts connect {platform} xa-kenh")
    _parses(command)
    en = officer({**environment, "PUBLISHER_LANGUAGE": "en"}, "retry", "bai-1")
    assert f"must be re-authorised first: run “{command}”" in en.output, en.output
    assert "waiting to retry" not in en.output
    assert store.deliveries()[0].state == "needs_reauth"  # nothing pretends to be under way

    # reconnected: now the retry is real
    store.save_credentials(account, Credentials(access_token="tok-2", remote_account_id="1234567890"))
    again = officer(environment, "retry", "bai-1")
    assert "cần đăng nhập lại" not in again.output and "ngay" in again.output, again.output
    r = store.deliveries()[0]
    assert r.state == "retry_wait" and r.next_attempt_at <= datetime.now(UTC)
    store.db.dispose()
