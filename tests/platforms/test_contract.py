"""The adapter contract, checked over every adapter.

One table of situations over every HTTP adapter: the risky first call of a publish answers
401, 429 with Retry-After, 5xx, a timeout after sending, malformed JSON, an HTML error page or an
empty body. Each adapter must answer with the same kind of result, and never ``published``.
Then what each adapter declares (``publisher/platforms/base.py``): one way to build it, its
hand-off window, how it routes a clip (Reel or video, Short or video), its follower count.

"Creates" are calls after which something may exist on the platform (Facebook ``/feed``, Zalo
``article/create``): an ambiguous answer there is ``unknown_outcome`` (reconcile, never resend).
YouTube's first call only opens an upload session (no video exists until the bytes arrive), so
the same answers are ``transient`` there.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import responses

from assets.presets import get_preset
from publisher.core.models import Platform, Target
from publisher.platforms.base import EARLY_TOLERANCE, Adapter, Credentials, Outcome
from publisher.platforms.facebook import FacebookPageAdapter
from publisher.platforms.fake import FakeAdapter
from publisher.platforms.registry import ADAPTERS, build_adapter, handoff_platforms
from publisher.platforms.youtube import MemoryQuotaCounter, YouTubeAdapter
from publisher.platforms.youtube.quota import quota_day
from publisher.platforms.zalo import ZaloOAAdapter
from publisher.settings import FacebookSettings, YouTubeSettings, ZaloSettings
from tests.conftest import make_settings, need_ffmpeg
from tests.platforms.builders import NOW, delivery, payload, write_file


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


# == what every adapter declares =============================================================
ROOT = Path(__file__).resolve().parents[2]
GRAPH = "https://graph.facebook.com/v25.0"
YT_API = "https://www.googleapis.com/youtube/v3"
YT_UPLOAD = "https://www.googleapis.com/upload/youtube/v3/videos"
ZALO_API = "https://openapi.zalo.me/v2.0"
#: every adapter class: the registered ones and the scripted stand-in
EVERY = {**{p.value: cls for p, cls in ADAPTERS.items()}, "fake": FakeAdapter}


@pytest.mark.parametrize("cls", EVERY.values(), ids=list(EVERY))
def test_every_adapter_is_built_the_same_way(tmp_path, cls: type[Adapter]) -> None:
    settings = make_settings(tmp_path)
    counter = MemoryQuotaCounter()
    session = requests.Session()
    adapter = cls(
        Credentials(access_token="T"),
        cls.section(settings),
        session,
        account="xa-hanh-dich",
        quota=counter,
        ffprobe="/opt/ffmpeg/ffprobe",
    )
    assert adapter.http is session and adapter.account == "xa-hanh-dich"
    assert adapter.quota_counter is counter and adapter.ffprobe == "/opt/ffmpeg/ffprobe"
    params = list(inspect.signature(cls.__init__).parameters.values())
    assert [p.name for p in params[:4]] == ["self", "credentials", "settings", "http"]
    assert params[-1].kind is inspect.Parameter.VAR_KEYWORD  # the same options as the base


@pytest.mark.parametrize("platform", list(ADAPTERS), ids=lambda p: p.value)
def test_build_adapter_hands_every_adapter_its_section_session_and_options(tmp_path, platform) -> None:
    settings = make_settings(tmp_path, media={"ffprobe": "/opt/ffmpeg/ffprobe"})
    session, counter = requests.Session(), MemoryQuotaCounter()
    target = Target(platform, "xa-hanh-dich")
    adapter = build_adapter(settings, target, Credentials(access_token="T"), quota=counter, session=session)
    assert type(adapter) is ADAPTERS[platform]
    assert adapter.http is session and adapter.ffprobe == "/opt/ffmpeg/ffprobe"
    assert adapter.account == "xa-hanh-dich" and adapter.quota_counter is counter
    if platform is Platform.SANDBOX:
        assert adapter.folder == settings.outbox_dir / "xa-hanh-dich"  # type: ignore[attr-defined]
    else:
        assert adapter.settings is getattr(settings, platform.value)
    if platform is Platform.YOUTUBE:
        assert adapter.quota.counter is counter  # type: ignore[attr-defined]


def test_youtube_quota_is_the_counter_the_builder_hands_over_never_a_class_global(tmp_path) -> None:
    settings = make_settings(tmp_path)
    target, creds = Target(Platform.YOUTUBE, "kenh"), Credentials(access_token="T")
    day = quota_day(NOW)
    shared = MemoryQuotaCounter()
    one = build_adapter(settings, target, creds, quota=shared)
    two = build_adapter(settings, target, creds, quota=shared)
    assert one.quota.spend("videos.insert", NOW) is None  # type: ignore[attr-defined]
    assert shared.used("default", day) == 1600 == two.quota.counter.used("default", day)  # type: ignore[attr-defined]
    alone = build_adapter(settings, target, creds)  # no counter given: a book of its own
    assert alone.quota.counter is not shared  # type: ignore[attr-defined]
    assert alone.quota.counter.used("default", day) == 0  # type: ignore[attr-defined]
    assert not hasattr(YouTubeAdapter, "shared_counter")


# -- hand-off windows ---------------------------------------------------------------------------
def test_hand_off_windows_are_declared_by_the_adapters_and_follow_the_settings(tmp_path) -> None:
    declared = {p: cls.handoff for p, cls in ADAPTERS.items() if cls.handoff is not None}
    assert set(declared) == {Platform.FACEBOOK, Platform.YOUTUBE}
    settings = make_settings(tmp_path)
    assert handoff_platforms(settings) == declared
    quiet = make_settings(tmp_path, facebook={"native_scheduling": False})
    assert handoff_platforms(quiet) == {Platform.YOUTUBE: YouTubeAdapter.handoff}


def _facebook_held(rsps: responses.RequestsMock, tmp_path: Path) -> Any:
    rsps.post(f"{GRAPH}/42/feed", json=payload("facebook", "feed_created"))
    return delivery(Platform.FACEBOOK)


def _youtube_held(rsps: responses.RequestsMock, tmp_path: Path) -> Any:
    rsps.post(YT_UPLOAD, status=200, headers={"Location": "https://upload.test/s/1"}, body="")
    rsps.put("https://upload.test/s/1", json=payload("youtube", "video_resource"))
    return delivery(Platform.YOUTUBE, video=write_file(tmp_path / "v.mp4", 1000))


HELD = {Platform.FACEBOOK: (_fb, _facebook_held), Platform.YOUTUBE: (_yt, _youtube_held)}


@pytest.mark.parametrize("platform", list(HELD), ids=lambda p: p.value)
@pytest.mark.parametrize("edge", ["first", "last"])
def test_the_adapter_holds_a_post_across_its_whole_hand_off_window(rsps, tmp_path, platform, edge) -> None:
    """The dispatcher hands a post over anywhere in the declared window: the adapter must then
    give it to the platform's scheduler (``handed_off``), never answer "too early"."""
    build, arrange = HELD[platform]
    window = ADAPTERS[platform].handoff
    assert window is not None
    d = arrange(rsps, tmp_path)
    video = d.video is not None
    if edge == "first":
        lead, outside = window.min_lead - timedelta(minutes=1), -timedelta(seconds=1)
    else:
        lead, outside = (window.video_lead if video else window.lead) + EARLY_TOLERANCE, timedelta(seconds=1)
    assert window.admits(lead, video=video) and not window.admits(lead + outside, video=video)
    d = replace(d, due_at=NOW + lead)
    adapter = build(requests.Session())
    adapter.clock = lambda: NOW
    result = adapter.publish(d)
    assert result.outcome is Outcome.HANDED_OFF, result
    if platform is Platform.FACEBOOK:
        sent = parse_qs(rsps.calls[0].request.body)
        assert sent["scheduled_publish_time"] == [str(int(d.due_at.timestamp()))]


def test_an_adapter_without_a_window_never_takes_a_post_early(rsps) -> None:
    adapter = _zalo(requests.Session())
    adapter.clock = lambda: NOW
    result = adapter.publish(
        delivery(
            Platform.ZALO,
            due_at=NOW + timedelta(hours=2),
            options={"zalo": {"cover_url": "https://cdn.vn/a.jpg"}},
        )
    )
    assert ZaloOAAdapter.handoff is None
    assert result.outcome is Outcome.TRANSIENT and result.code == "not_due" and result.retry_after == 7200
    assert len(rsps.calls) == 0


def test_early_tolerance_is_defined_once() -> None:
    defined = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "publisher").rglob("*.py"))
        if re.search(r"^EARLY_TOLERANCE\s*[:=]", path.read_text(encoding="utf-8"), re.MULTILINE)
    ]
    assert defined == ["publisher/platforms/base.py"]


# -- Reel or video, Short or video ---------------------------------------------------------------
ROUTES = [
    (Platform.FACEBOOK, True, {}, "facebook-reel"),
    (Platform.FACEBOOK, True, {"facebook": {"reel": False}}, "facebook-reel"),  # upright: always a Reel
    (Platform.FACEBOOK, False, {}, "facebook-video"),
    (Platform.FACEBOOK, False, {"facebook": {"reel": True}}, "facebook-reel"),
    (Platform.YOUTUBE, True, {}, "youtube-short"),
    (Platform.YOUTUBE, False, {}, "youtube-video"),
    (Platform.YOUTUBE, False, {"youtube": {"short": True}}, "youtube-short"),
    (Platform.ZALO, True, {}, "zalo-video"),
    (Platform.ZALO, False, {}, "zalo-video"),
    (Platform.SANDBOX, True, {}, None),
]


@pytest.mark.parametrize(("platform", "upright", "options", "preset"), ROUTES)
def test_each_adapter_routes_a_clip(platform, upright, options, preset) -> None:
    d = delivery(platform, options=options)
    assert ADAPTERS[platform].video_preset(d, upright) == preset
    if preset is not None:
        assert get_preset(preset).platform == platform.value


def test_media_preparation_routes_clips_by_the_adapters_rule(tmp_path) -> None:
    need_ffmpeg()
    from publisher.actions.media import plan_media
    from tests.assets.media_factory import clip

    settings = make_settings(tmp_path)
    clips = {
        True: clip(tmp_path / "doc.mp4", seconds=1, size="90x160", audio=False),
        False: clip(tmp_path / "ngang.mp4", seconds=1, size="160x90", audio=False),
    }
    for platform, upright, options, preset in ROUTES:
        d = delivery(platform, video=clips[upright], options=options)
        planned = [j.preset for j in plan_media(d, settings).jobs if j.role == "video"]
        assert planned == ([preset] if preset else []), (platform, upright, options)


def _vertical_clip(path: Path) -> Path:
    from tests.assets.media_factory import clip

    return clip(path, seconds=1, size="90x160", audio=False)


def test_facebook_publishes_by_the_same_rule_measuring_with_the_configured_ffprobe(rsps, tmp_path) -> None:
    need_ffmpeg()
    import shutil

    from publisher.actions.media import with_video_size

    log = tmp_path / "ffprobe.log"
    wrapper = tmp_path / "my-ffprobe"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {shutil.which("ffprobe")} "$@"\n')
    wrapper.chmod(0o755)
    settings = make_settings(tmp_path, media={"ffprobe": str(wrapper)})
    creds = Credentials(access_token="T", remote_account_id="42")
    adapter = build_adapter(settings, Target(Platform.FACEBOOK, "xa"), creds, session=requests.Session())
    adapter.clock = lambda: NOW
    start = payload("facebook", "reel_start")
    rsps.post(f"{GRAPH}/42/video_reels", json=start)
    rsps.post(start["upload_url"], json=payload("facebook", "success"))
    rsps.post(f"{GRAPH}/42/video_reels", json=payload("facebook", "success"))
    # an upright clip is a Reel even when the post says reel: false (as /videos it would stay a draft)
    d = delivery(
        Platform.FACEBOOK, video=_vertical_clip(tmp_path / "doc.mp4"), options={"facebook": {"reel": False}}
    )
    result = adapter.publish(with_video_size(d, settings.media.ffprobe))  # as the send path does
    assert result.outcome is Outcome.PENDING and result.resume_state["kind"] == "reel"
    assert not [c for c in rsps.calls if "/videos" in c.request.url]
    assert log.exists() and "doc.mp4" in log.read_text()  # measured by the configured program


# -- followers ------------------------------------------------------------------------------------
#: platform: (the documented call, its documented answer, the count it says)
FOLLOWERS: dict[Platform, tuple[Callable[[requests.Session], Adapter], str, Any, int]] = {
    Platform.FACEBOOK: (_fb, f"{GRAPH}/42", {"followers_count": 5321, "id": "42"}, 5321),
    Platform.YOUTUBE: (
        _yt,
        f"{YT_API}/channels",
        {"items": [{"id": "UC1", "statistics": {"subscriberCount": "812", "hiddenSubscriberCount": False}}]},
        812,
    ),
    Platform.ZALO: (_zalo, f"{ZALO_API}/oa/getoa", payload("zalo", "getoa"), 4210),
}


def test_the_platforms_that_report_followers_say_so() -> None:
    assert {p for p, cls in ADAPTERS.items() if cls.reports_followers} == set(FOLLOWERS)
    assert FakeAdapter.reports_followers is False


@pytest.mark.parametrize("platform", list(FOLLOWERS), ids=lambda p: p.value)
def test_follower_count_reads_the_documented_answer_and_is_none_on_failure(rsps, platform) -> None:
    build, url, answer, count = FOLLOWERS[platform]
    adapter = build(requests.Session())
    rsps.get(url, json=answer)
    assert adapter.follower_count() == count
    rsps.replace("GET", url, status=503, body="")
    assert adapter.follower_count() is None


@pytest.mark.parametrize("cls", [ADAPTERS[Platform.SANDBOX], FakeAdapter], ids=["sandbox", "fake"])
def test_an_adapter_that_reports_no_followers_answers_none_without_a_call(rsps, tmp_path, cls) -> None:
    adapter = cls(Credentials(access_token="T"), cls.section(make_settings(tmp_path)), requests.Session())
    assert adapter.follower_count() is None
    assert len(rsps.calls) == 0


# -- credentials --------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_call_sends_the_credentials_the_adapter_holds_now(rsps, tmp_path, case: Case) -> None:
    """A refresh replaces ``adapter.credentials``: the very next call carries the new token."""
    rsps.add(case.method, case.url, status=503, body="")
    adapter = case.build(requests.Session())
    adapter.clock = lambda: NOW
    adapter.credentials = Credentials(access_token="NEW-TOKEN", remote_account_id="42")
    adapter.publish(case.delivery(tmp_path))
    headers = rsps.calls[0].request.headers
    assert "NEW-TOKEN" in (headers.get("Authorization", "") + headers.get("access_token", ""))
    assert "T" not in {headers.get("access_token"), headers.get("Authorization", "").split(" ")[-1]}
