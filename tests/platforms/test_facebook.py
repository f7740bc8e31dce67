"""Facebook Page adapter: every flow against recorded Graph API payloads (``responses``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from pydantic import SecretStr

from publisher.actions.media import with_video_size
from publisher.core.models import Platform
from publisher.platforms import connect
from publisher.platforms.base import Credentials, Outcome
from publisher.platforms.facebook import FacebookPageAdapter
from publisher.platforms.facebook import video as fb_video
from publisher.platforms.facebook.errors import classify
from publisher.settings import FacebookSettings
from tests.platforms.builders import NOW, TEXT, TITLE, Checkpoints, delivery, payload, write_file

PAGE = "1647395831"
G = "https://graph.facebook.com/v25.0"
GV = "https://graph-video.facebook.com/v25.0"
TOKEN = "PAGE-TOKEN-SECRET"


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def adapter() -> FacebookPageAdapter:
    a = FacebookPageAdapter(
        Credentials(access_token=TOKEN, remote_account_id=PAGE), FacebookSettings(), requests.Session()
    )
    a.clock = lambda: NOW
    return a


def form(call: Any) -> dict[str, str]:
    body = call.request.body
    body = body.decode() if isinstance(body, bytes) else body
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def multipart(call: Any) -> bytes:
    body = call.request.body
    return body if isinstance(body, bytes) else body.encode()


def fb_delivery(**changes: Any) -> Any:
    return delivery(Platform.FACEBOOK, **changes)


MESSAGE = f"{TITLE}\n\n{TEXT}"


# -- feed / link ------------------------------------------------------------------------------
def test_text_post_sends_message_now_with_token_in_header(rsps, adapter) -> None:
    rsps.post(f"{G}/{PAGE}/feed", json=payload("facebook", "feed_created"))
    cp = Checkpoints(rsps.calls)
    result = adapter.publish(fb_delivery(), cp)
    assert result.outcome is Outcome.PUBLISHED
    assert result.remote_id == "1647395831_130068550371568"
    assert result.url == "https://www.facebook.com/1647395831_130068550371568"
    call = rsps.calls[0]
    assert form(call) == {"message": MESSAGE, "published": "true"}
    assert call.request.headers["Authorization"] == f"OAuth {TOKEN}"
    assert TOKEN not in call.request.url
    assert cp == [{"kind": "feed", "post_id": "1647395831_130068550371568"}]


def test_link_post_carries_link(rsps, adapter) -> None:
    rsps.post(f"{G}/{PAGE}/feed", json=payload("facebook", "feed_created"))
    adapter.publish(fb_delivery(link="https://hanhdich.gov.vn/tin/1"))
    assert form(rsps.calls[0])["link"] == "https://hanhdich.gov.vn/tin/1"


def test_native_scheduling_hands_off_with_unix_seconds(rsps, adapter) -> None:
    due = NOW + timedelta(days=2, hours=3)
    rsps.post(f"{G}/{PAGE}/feed", json=payload("facebook", "feed_created"))
    result = adapter.publish(fb_delivery(due_at=due))
    assert result.outcome is Outcome.HANDED_OFF
    body = form(rsps.calls[0])
    assert body["published"] == "false"
    assert body["scheduled_publish_time"] == str(int(due.timestamp()))


@pytest.mark.parametrize(
    ("lead", "native", "expected"),
    [
        (timedelta(minutes=5), True, "not_due"),  # under Facebook's 10-minute minimum
        (timedelta(days=40), True, "not_due"),  # beyond the 29-day window
        (timedelta(hours=2), False, "not_due"),  # the worker asked for "publish at due time"
    ],
)
def test_early_calls_wait_instead_of_publishing_early(rsps, adapter, lead, native, expected) -> None:
    result = adapter.publish(fb_delivery(due_at=NOW + lead, options={"native_schedule": native}))
    assert result.outcome is Outcome.TRANSIENT
    assert result.code == expected and result.retry_after and result.retry_after > 0
    assert len(rsps.calls) == 0


# -- photos -----------------------------------------------------------------------------------
def test_one_photo_posts_to_photos_with_caption(rsps, adapter, tmp_path: Path) -> None:
    img = write_file(tmp_path / "anh.jpg", 2000, b"\xff")
    rsps.post(f"{G}/{PAGE}/photos", json=payload("facebook", "photo_created"))
    cp = Checkpoints()
    result = adapter.publish(fb_delivery(images=(img,)), cp)
    assert result.outcome is Outcome.PUBLISHED
    assert result.remote_id == "1647395831_130068550372000"  # the feed post id, not the photo id
    body = multipart(rsps.calls[0])
    assert b'name="source"; filename="anh.jpg"' in body
    assert b'name="published"\r\n\r\ntrue' in body
    assert MESSAGE.encode() in body
    assert cp.last["photo_id"] == "130068550371999"


def test_several_photos_are_staged_then_attached(rsps, adapter, tmp_path: Path) -> None:
    imgs = tuple(write_file(tmp_path / f"{i}.jpg", 1000) for i in range(3))
    rsps.post(f"{G}/{PAGE}/photos", json={"id": "p1"})
    rsps.post(f"{G}/{PAGE}/photos", json={"id": "p2"})
    rsps.post(f"{G}/{PAGE}/photos", json={"id": "p3"})
    rsps.post(f"{G}/{PAGE}/feed", json=payload("facebook", "feed_created"))
    cp = Checkpoints()
    result = adapter.publish(fb_delivery(images=imgs), cp)
    assert result.outcome is Outcome.PUBLISHED
    for call in rsps.calls[:3]:
        assert b'name="published"\r\n\r\nfalse' in multipart(call)
        assert b'name="temporary"' not in multipart(call)
    feed = form(rsps.calls[3])
    assert feed["message"] == MESSAGE and feed["published"] == "true"
    assert [json.loads(feed[f"attached_media[{i}]"]) for i in range(3)] == [
        {"media_fbid": "p1"},
        {"media_fbid": "p2"},
        {"media_fbid": "p3"},
    ]
    assert cp[0] == {"kind": "photos", "staged": ["p1"]}
    assert cp.last["post_id"] == "1647395831_130068550371568"


def test_scheduled_photos_are_staged_temporary(rsps, adapter, tmp_path: Path) -> None:
    imgs = tuple(write_file(tmp_path / f"{i}.jpg", 1000) for i in range(2))
    rsps.post(f"{G}/{PAGE}/photos", json={"id": "p1"})
    rsps.post(f"{G}/{PAGE}/photos", json={"id": "p2"})
    rsps.post(f"{G}/{PAGE}/feed", json=payload("facebook", "feed_created"))
    result = adapter.publish(fb_delivery(images=imgs, due_at=NOW + timedelta(days=1)))
    assert result.outcome is Outcome.HANDED_OFF
    assert b'name="temporary"\r\n\r\ntrue' in multipart(rsps.calls[0])


def test_staged_photos_are_deleted_when_the_post_fails(rsps, adapter, tmp_path: Path) -> None:
    imgs = tuple(write_file(tmp_path / f"{i}.jpg", 1000) for i in range(2))
    rsps.post(f"{G}/{PAGE}/photos", json={"id": "p1"})
    rsps.post(f"{G}/{PAGE}/photos", json={"id": "p2"})
    rsps.post(f"{G}/{PAGE}/feed", json=payload("facebook", "error_100"), status=400)
    rsps.delete(f"{G}/p1", json={"success": True})
    rsps.delete(f"{G}/p2", json={"success": True})
    cp = Checkpoints()
    result = adapter.publish(fb_delivery(images=imgs), cp)
    assert result.outcome is Outcome.REJECTED and result.code == "100"
    deleted = [c.request.url for c in rsps.calls if c.request.method == "DELETE"]
    assert deleted == [f"{G}/p1", f"{G}/p2"]
    assert cp.last == {"kind": "photos", "staged": []}


def test_staged_photos_are_kept_when_the_outcome_is_unknown(rsps, adapter, tmp_path: Path) -> None:
    imgs = tuple(write_file(tmp_path / f"{i}.jpg", 1000) for i in range(2))
    rsps.post(f"{G}/{PAGE}/photos", json={"id": "p1"})
    rsps.post(f"{G}/{PAGE}/photos", json={"id": "p2"})
    rsps.post(f"{G}/{PAGE}/feed", body=requests.exceptions.ReadTimeout("read timed out"))
    result = adapter.publish(fb_delivery(images=imgs))
    assert result.outcome is Outcome.UNKNOWN_OUTCOME
    assert not [c for c in rsps.calls if c.request.method == "DELETE"]


# -- video and Reels --------------------------------------------------------------------------
def test_vertical_clip_goes_through_reels_never_videos(rsps, adapter, tmp_path: Path) -> None:
    clip = write_file(tmp_path / "doc.mp4", 300_000, b"v")
    start = payload("facebook", "reel_start")
    rsps.post(f"{G}/{PAGE}/video_reels", json=start)
    rsps.post(start["upload_url"], json=payload("facebook", "success"))
    rsps.post(f"{G}/{PAGE}/video_reels", json=payload("facebook", "success"))
    rsps.get(f"{G}/1888888888888", json=payload("facebook", "video_status_processing"))
    rsps.get(f"{G}/1888888888888", json=payload("facebook", "video_status_published"))
    cp = Checkpoints(rsps.calls)
    d = fb_delivery(video=clip, options={"video_width": 1080, "video_height": 1920})
    result = adapter.publish(d, cp)
    assert result.outcome is Outcome.PENDING
    urls = [c.request.url for c in rsps.calls]
    assert not any("/videos" in u for u in urls)
    assert form(rsps.calls[0]) == {"upload_phase": "start"}
    # the video id is committed before a single byte is uploaded
    assert cp[0]["video_id"] == "1888888888888" and cp.calls_before[0] == 1
    upload = rsps.calls[1].request
    assert upload.headers["Authorization"] == f"OAuth {TOKEN}"
    assert upload.headers["offset"] == "0" and upload.headers["file_size"] == "300000"
    finish = form(rsps.calls[2])
    assert finish == {
        "upload_phase": "finish",
        "video_id": "1888888888888",
        "description": MESSAGE,
        "video_state": "PUBLISHED",
        "title": TITLE,
    }
    assert adapter.poll(d, result.resume_state or {}, cp).outcome is Outcome.PENDING
    done = adapter.poll(d, result.resume_state or {}, cp)
    assert done.outcome is Outcome.PUBLISHED and done.url == "https://www.facebook.com/reel/1888888888888"


def test_scheduled_reel_uses_video_state_scheduled(rsps, adapter, tmp_path: Path) -> None:
    clip = write_file(tmp_path / "doc.mp4", 1000)
    due = NOW + timedelta(days=3)
    start = payload("facebook", "reel_start")
    rsps.post(f"{G}/{PAGE}/video_reels", json=start)
    rsps.post(start["upload_url"], json={"success": True})
    rsps.post(f"{G}/{PAGE}/video_reels", json={"success": True})
    adapter.publish(fb_delivery(video=clip, due_at=due, options={"facebook": {"reel": True}}))
    finish = form(rsps.calls[2])
    assert finish["video_state"] == "SCHEDULED"
    assert finish["scheduled_publish_time"] == str(int(due.timestamp()))


def test_horizontal_video_goes_to_videos_on_the_video_host(rsps, adapter, tmp_path: Path) -> None:
    clip = write_file(tmp_path / "ngang.mp4", 5000)
    rsps.post(f"{GV}/{PAGE}/videos", json={"id": "777"})
    result = adapter.publish(fb_delivery(video=clip, options={"video_width": 1920, "video_height": 1080}))
    assert result.outcome is Outcome.PENDING and result.resume_state["video_id"] == "777"
    body = multipart(rsps.calls[0])
    assert b'name="source"; filename="ngang.mp4"' in body and b'name="title"' in body
    assert not any("video_reels" in c.request.url for c in rsps.calls)


def test_large_video_uses_resumable_chunks(rsps, adapter, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(fb_video, "RESUMABLE_THRESHOLD", 1000)
    clip = write_file(tmp_path / "dai.mp4", 3000)
    rsps.post(
        f"{GV}/{PAGE}/videos",
        json={"video_id": "555", "upload_session_id": "S1", "start_offset": "0", "end_offset": "2000"},
    )
    rsps.post(f"{GV}/{PAGE}/videos", json={"start_offset": "2000", "end_offset": "3000"})
    rsps.post(f"{GV}/{PAGE}/videos", json={"start_offset": "3000", "end_offset": "3000"})
    rsps.post(f"{GV}/{PAGE}/videos", json={"success": True})
    cp = Checkpoints(rsps.calls)
    result = adapter.publish(fb_delivery(video=clip, options={"facebook": {"reel": False}}), cp)
    assert result.outcome is Outcome.PENDING
    assert cp[0]["video_id"] == "555" and cp.calls_before[0] == 1
    assert form(rsps.calls[0]) == {"upload_phase": "start", "file_size": "3000"}
    chunk1, chunk2 = multipart(rsps.calls[1]), multipart(rsps.calls[2])
    assert b'name="start_offset"\r\n\r\n0' in chunk1 and b'name="start_offset"\r\n\r\n2000' in chunk2
    assert chunk1.count(b"\x00" * 2000) == 1 and b"\x00" * 2001 not in chunk1
    assert form(rsps.calls[3])["upload_phase"] == "finish"


def test_unknown_orientation_is_refused_not_guessed(rsps, adapter, tmp_path: Path) -> None:
    # the adapter never probes files: a clip whose size nobody measured is refused, not guessed
    clip = write_file(tmp_path / "x.mp4", 100)
    result = adapter.publish(fb_delivery(video=clip))
    assert result.outcome is Outcome.REJECTED and result.code == "orientation_unknown"
    assert len(rsps.calls) == 0


def test_unmeasurable_clip_keeps_its_options(tmp_path: Path) -> None:
    clip = write_file(tmp_path / "x.mp4", 100)  # not a video: ffprobe cannot measure it
    d = fb_delivery(video=clip)
    assert with_video_size(d, "ffprobe").options == d.options
    assert with_video_size(d, str(tmp_path / "no-such-ffprobe")).options == d.options


def test_video_processing_error_is_rejected(rsps, adapter) -> None:
    rsps.get(f"{G}/1888888888888", json=payload("facebook", "video_status_error"))
    result = adapter.poll(fb_delivery(), {"kind": "reel", "video_id": "1888888888888", "phase": "finished"})
    assert result.outcome is Outcome.REJECTED
    assert "540p" in str(result.reason)


# -- classification ---------------------------------------------------------------------------
def _response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r._content = json.dumps(body).encode()
    r.headers.update(headers or {})
    return r


def _err(code: int, sub: int | None = None, **extra: Any) -> dict[str, Any]:
    e: dict[str, Any] = {"message": "localised text we never read", "type": "OAuthException", "code": code}
    if sub:
        e["error_subcode"] = sub
    e.update(extra)
    return {"error": e}


@pytest.mark.parametrize(
    ("code", "sub", "status", "creating", "outcome", "scope"),
    [
        (1, None, 500, True, Outcome.UNKNOWN_OUTCOME, None),
        (1, None, 500, False, Outcome.TRANSIENT, None),
        (2, None, 500, True, Outcome.UNKNOWN_OUTCOME, None),
        (4, None, 400, True, Outcome.RATE_LIMITED, "app"),
        (17, None, 400, True, Outcome.RATE_LIMITED, "account"),
        (32, None, 400, True, Outcome.RATE_LIMITED, "account"),
        (341, None, 400, True, Outcome.RATE_LIMITED, "app"),
        (368, 1390008, 400, True, Outcome.RATE_LIMITED, "account"),
        (613, 1996, 400, True, Outcome.RATE_LIMITED, "account"),
        (80001, None, 400, True, Outcome.RATE_LIMITED, "account"),
        (190, 463, 400, True, Outcome.AUTH_EXPIRED, None),
        (190, 460, 400, True, Outcome.AUTH_EXPIRED, None),
        (190, 493, 400, False, Outcome.AUTH_EXPIRED, None),
        (10, None, 403, True, Outcome.AUTH_EXPIRED, None),
        (200, None, 403, True, Outcome.AUTH_EXPIRED, None),
        (299, None, 403, True, Outcome.AUTH_EXPIRED, None),
        (100, 1366046, 400, True, Outcome.REJECTED, None),
        (506, None, 400, True, Outcome.UNKNOWN_OUTCOME, None),
        (3, None, 400, True, Outcome.REJECTED, None),
    ],
)
def test_classify_on_codes(code, sub, status, creating, outcome, scope) -> None:
    result = classify(_response(status, _err(code, sub)), _err(code, sub), creating=creating)
    assert result.outcome is outcome
    assert result.code == (f"{code}/{sub}" if sub else str(code))
    if scope:
        assert result.scope == scope and result.retry_after and result.retry_after > 0
    assert str(result.reason)  # a Vietnamese sentence, not the platform's text
    assert "localised" not in str(result.reason)


def test_throttle_waits_for_the_business_use_case_header() -> None:
    header = {
        "X-Business-Use-Case-Usage": json.dumps(
            {
                PAGE: [
                    {
                        "type": "pages",
                        "call_count": 100,
                        "total_cputime": 12,
                        "total_time": 20,
                        "estimated_time_to_regain_access": 17,
                    }
                ]
            }
        )
    }
    body = payload("facebook", "error_80001")
    result = classify(_response(400, body, header), body, creating=True)
    assert result.outcome is Outcome.RATE_LIMITED and result.retry_after == 17 * 60


def test_duplicate_506_is_reconciled_not_rewritten(rsps, adapter) -> None:
    rsps.post(f"{G}/{PAGE}/feed", json=payload("facebook", "error_506"), status=400)
    result = adapter.publish(fb_delivery())
    assert result.outcome is Outcome.UNKNOWN_OUTCOME and result.code == "506"
    assert len(rsps.calls) == 1  # no second try with edited text


# -- reconcile --------------------------------------------------------------------------------
def test_reconcile_by_saved_post_id(rsps, adapter) -> None:
    rsps.get(
        f"{G}/1647395831_2222",
        json={
            "id": "1647395831_2222",
            "is_published": True,
            "permalink_url": "https://www.facebook.com/x/posts/2222",
        },
    )
    result = adapter.reconcile(fb_delivery(resume_state={"kind": "feed", "post_id": "1647395831_2222"}))
    assert result.outcome is Outcome.PUBLISHED and result.url.endswith("/2222")


def test_reconcile_finds_the_post_by_text_hash_since_the_attempt(rsps, adapter) -> None:
    rsps.get(f"{G}/{PAGE}/published_posts", json=payload("facebook", "published_posts"))
    result = adapter.reconcile(fb_delivery())
    assert result.outcome is Outcome.PUBLISHED and result.remote_id == "1647395831_2222"
    query = parse_qs(urlsplit(rsps.calls[0].request.url).query)
    assert query["since"] == [str(int(NOW.timestamp()) - 120)]


def test_reconcile_looks_in_scheduled_posts_too(rsps, adapter) -> None:
    rsps.get(f"{G}/{PAGE}/published_posts", json=payload("facebook", "empty_list"))
    rsps.get(f"{G}/{PAGE}/scheduled_posts", json={"data": [{"id": "1647395831_3333", "message": MESSAGE}]})
    result = adapter.reconcile(fb_delivery())
    assert result.outcome is Outcome.HANDED_OFF and result.remote_id == "1647395831_3333"


def test_reconcile_absent_only_when_every_list_answered(rsps, adapter) -> None:
    rsps.get(f"{G}/{PAGE}/published_posts", json=payload("facebook", "empty_list"))
    rsps.get(f"{G}/{PAGE}/scheduled_posts", json=payload("facebook", "empty_list"))
    assert adapter.reconcile(fb_delivery()).outcome is Outcome.ABSENT


def test_reconcile_unknown_when_a_list_fails(rsps, adapter) -> None:
    rsps.get(f"{G}/{PAGE}/published_posts", json=payload("facebook", "empty_list"))
    rsps.get(f"{G}/{PAGE}/scheduled_posts", body=requests.exceptions.ReadTimeout())
    assert adapter.reconcile(fb_delivery()).outcome is Outcome.UNKNOWN_OUTCOME


def test_reconcile_unfinished_reel_continues_instead_of_restarting(rsps, adapter) -> None:
    state = {"kind": "reel", "video_id": "1888888888888", "phase": "upload", "offset": 0}
    result = adapter.reconcile(fb_delivery(resume_state=state))
    assert result.outcome is Outcome.PENDING and result.resume_state["video_id"] == "1888888888888"
    assert len(rsps.calls) == 0


def test_publish_with_a_saved_id_never_creates_again(rsps, adapter) -> None:
    rsps.get(f"{G}/1647395831_2222", json={"id": "1647395831_2222", "is_published": True})
    result = adapter.publish(fb_delivery(resume_state={"post_id": "1647395831_2222"}))
    assert result.outcome is Outcome.PUBLISHED
    assert [c.request.method for c in rsps.calls] == ["GET"]


# -- engagement -------------------------------------------------------------------------------
def test_engagement_requests_each_metric_alone(rsps, adapter) -> None:
    rsps.get(f"{G}/", json=payload("facebook", "engagement_fields"))
    rsps.get(
        f"{G}/1647395831_2222/insights",
        json=payload("facebook", "error_100"),
        status=400,
        match=[responses.matchers.query_param_matcher({"metric": "post_media_view"})],
    )
    rsps.get(
        f"{G}/1647395831_2222/insights",
        json=payload("facebook", "insights_post_media_view"),
        match=[responses.matchers.query_param_matcher({"metric": "post_total_media_view_unique"})],
    )
    rsps.get(
        f"{G}/1888888888888/video_insights",
        json={"data": []},
        match=[responses.matchers.query_param_matcher({"metric": "total_video_views"})],
    )
    rsps.get(
        f"{G}/1888888888888/video_insights",
        json=payload("facebook", "video_insights"),
        match=[responses.matchers.query_param_matcher({"metric": "blue_reels_play_count"})],
    )
    rsps.get(
        f"{G}/1888888888888/video_insights",
        json={"data": []},
        match=[responses.matchers.query_param_matcher({"metric": "fb_reels_total_plays"})],
    )
    metrics = adapter.fetch_engagement(["1647395831_2222", "1888888888888"])
    post, reel = metrics["1647395831_2222"], metrics["1888888888888"]
    assert (post.views, post.reactions, post.comments, post.shares) == (1534, 85, 12, 7)
    # a Reel has no shares field: not reported (None), never a made-up 0
    assert (reel.views, reel.reactions, reel.comments, reel.shares) == (2301, 40, 3, None)
    assert not any("/1888888888888/insights" in c.request.url for c in rsps.calls)
    assert not any("impressions" in c.request.url for c in rsps.calls)


# -- tokens -----------------------------------------------------------------------------------
def _app_settings() -> FacebookSettings:
    return FacebookSettings(app_id="1234567890", app_secret=SecretStr("APP-SECRET"))


def test_page_token_from_a_long_lived_user_token(rsps) -> None:
    rsps.get(f"{G}/oauth/access_token", json=payload("facebook", "long_lived"))
    rsps.get(f"{G}/me/accounts", json=payload("facebook", "me_accounts"))
    creds = connect.facebook_page_token(_app_settings(), requests.Session(), "SHORT-USER-TOKEN", PAGE)
    assert creds.access_token == "PAGE-TOKEN-HANH-DICH" and creds.remote_account_id == PAGE
    exchange = parse_qs(urlsplit(rsps.calls[0].request.url).query)
    assert exchange["grant_type"] == ["fb_exchange_token"] and exchange["fb_exchange_token"] == [
        "SHORT-USER-TOKEN"
    ]
    accounts = parse_qs(urlsplit(rsps.calls[1].request.url).query)
    assert accounts["access_token"] == ["LONG-LIVED-USER-TOKEN"]


def test_check_token_reports_days_left_and_missing_permissions(rsps) -> None:
    rsps.get(f"{G}/debug_token", json=payload("facebook", "debug_token"))
    report = connect.check_facebook_token(_app_settings(), requests.Session(), "PAGE-TOKEN", now=NOW)
    assert report.is_valid and report.type == "PAGE"
    assert report.days_left is None  # expires_at 0: never
    assert report.data_access_days_left == pytest.approx((1800842400 - NOW.timestamp()) / 86400, abs=0.1)
    assert report.missing_permissions == ["pages_read_engagement", "read_insights"]
    query = parse_qs(urlsplit(rsps.calls[0].request.url).query)
    assert query["access_token"] == ["1234567890|APP-SECRET"] and query["input_token"] == ["PAGE-TOKEN"]


def test_refresh_keeps_a_page_token(adapter) -> None:
    creds = Credentials(access_token="T", remote_account_id=PAGE)
    assert adapter.refresh(creds) is creds


@pytest.mark.parametrize(("name", "size"), [("big.jpg", 4_000_001), ("plan.png", 1_000_001)])
def test_photos_over_the_media_limit_are_refused_before_any_call(rsps, adapter, tmp_path, name, size) -> None:
    from publisher.core.media_limits import FACEBOOK_PHOTO

    assert FACEBOOK_PHOTO.max_bytes == 4_000_000  # the numbers live in media_limits only
    path = tmp_path / name
    with open(path, "wb") as fh:
        fh.truncate(size)
    result = adapter.publish(fb_delivery(images=(path,)))
    assert result.outcome is Outcome.REJECTED and result.code == "media_too_large"
    assert name in str(result.reason)
    assert len(rsps.calls) == 0


@pytest.mark.parametrize(("size", "vertical"), [("90x160", True), ("160x90", False)])
def test_orientation_is_measured_before_the_send(tmp_path: Path, size: str, vertical: bool) -> None:
    import subprocess

    from tests.conftest import need_ffmpeg

    need_ffmpeg()
    path = tmp_path / "clip.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-nostdin",
            "-y",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"testsrc=size={size}:rate=10:duration=0.3",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        check=True,
    )
    sized = with_video_size(fb_delivery(video=path), "ffprobe")
    assert fb_video.is_vertical(sized) is vertical
    assert fb_video.is_vertical(fb_delivery(video=path)) is None  # the adapter itself never probes


def test_interrupted_reel_upload_resumes_from_bytes_transfered(rsps, adapter, tmp_path: Path) -> None:
    clip = write_file(tmp_path / "doc.mp4", 1000, b"r")
    start = payload("facebook", "reel_start")
    rsps.post(f"{G}/{PAGE}/video_reels", json=start)
    rsps.post(start["upload_url"], body=requests.exceptions.ConnectionError("connection reset by peer"))
    d = fb_delivery(video=clip, options={"facebook": {"reel": True}})
    first = adapter.publish(d)
    assert first.outcome is Outcome.TRANSIENT  # nothing is published before finish
    assert first.resume_state and first.resume_state["video_id"] == "1888888888888"
    # the worker comes back with the saved state: no new start, upload from what Meta holds
    rsps.get(
        f"{G}/1888888888888",
        json={"status": {"video_status": "uploading", "uploading_phase": {"bytes_transfered": 600}}},
    )
    rsps.replace(responses.POST, start["upload_url"], json={"success": True})
    rsps.post(f"{G}/{PAGE}/video_reels", json={"success": True})
    calls = len(rsps.calls)
    second = adapter.publish(
        fb_delivery(video=clip, options={"facebook": {"reel": True}}, resume_state=first.resume_state)
    )
    assert second.outcome is Outcome.PENDING
    later = rsps.calls[calls:]
    assert [c.request.method for c in later] == ["GET", "POST", "POST"]
    upload = later[1].request
    assert upload.headers["offset"] == "600" and upload.headers["file_size"] == "1000"
    assert len(upload.body.read() if hasattr(upload.body, "read") else upload.body) == 400
    assert form(later[2])["upload_phase"] == "finish"


def test_leftover_staged_photos_are_removed_before_a_new_attempt(rsps, adapter, tmp_path: Path) -> None:
    img = write_file(tmp_path / "a.jpg", 100)
    rsps.delete(f"{G}/old1", json={"success": True})
    rsps.post(f"{G}/{PAGE}/photos", json=payload("facebook", "photo_created"))
    result = adapter.publish(fb_delivery(images=(img,), resume_state={"kind": "photos", "staged": ["old1"]}))
    assert result.outcome is Outcome.PUBLISHED
    assert [c.request.method for c in rsps.calls] == ["DELETE", "POST"]


def test_reconcile_after_an_unanswered_reel_finish_asks_before_finishing_again(rsps, adapter) -> None:
    state = {"kind": "reel", "video_id": "1888888888888", "phase": "finish", "offset": 1000}
    rsps.get(f"{G}/1888888888888", json=payload("facebook", "video_status_published"))
    assert adapter.reconcile(fb_delivery(resume_state=state)).outcome is Outcome.PUBLISHED
    rsps.replace(responses.GET, f"{G}/1888888888888", json=payload("facebook", "video_status_processing"))
    again = adapter.reconcile(fb_delivery(resume_state=state))
    assert again.outcome is Outcome.PENDING and again.resume_state["phase"] == "finish"
    assert not any(c.request.method == "POST" for c in rsps.calls)


def test_page_followers(rsps, adapter) -> None:
    rsps.get(f"{G}/{PAGE}", json={"followers_count": 5321, "id": PAGE})
    assert adapter.follower_count() == 5321
    assert rsps.calls[-1].request.params == {"fields": "followers_count"}
    rsps.replace("GET", f"{G}/{PAGE}", json={"id": PAGE})
    assert adapter.follower_count() is None
