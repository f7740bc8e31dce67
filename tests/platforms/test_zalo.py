"""Zalo OA adapter: article create → token committed → verify, video articles, broadcast,
error codes in HTTP 200 bodies, reconciliation, OAuth v4 with PKCE."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from pydantic import SecretStr

from publisher.core.models import Platform
from publisher.platforms import connect
from publisher.platforms.base import AuthExpired, Credentials, Outcome
from publisher.platforms.zalo import ZaloOAAdapter
from publisher.settings import ZaloSettings
from tests.platforms.builders import NOW, TEXT, TITLE, Checkpoints, delivery, payload, write_file

API = "https://openapi.zalo.me/v2.0"
OAUTH = "https://oauth.zaloapp.com/v4/oa"
TOKEN = "ZALO-ACCESS-SECRET"
COVER = "https://cdn.xa-hanh-dich.vn/anh bìa/tiêm chủng.jpg"
COVER_ENCODED = "https://cdn.xa-hanh-dich.vn/anh%20b%C3%ACa/ti%C3%AAm%20ch%E1%BB%A7ng.jpg"
ARTICLE_TOKEN = "eyJhcnRpY2xlIjoiMTIzNDUifQ=="


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def make_adapter(settings: ZaloSettings | None = None, now: datetime = NOW) -> ZaloOAAdapter:
    a = ZaloOAAdapter(
        Credentials(
            access_token=TOKEN, refresh_token="ZALO-REFRESH-1", remote_account_id="579745863508352884"
        ),
        settings or ZaloSettings(app_id="app-1", app_secret=SecretStr("APP-SECRET")),
        requests.Session(),
    )
    a.clock = lambda: now
    sleeps: list[float] = []
    a.sleeps = sleeps  # type: ignore[attr-defined]
    a.sleep = sleeps.append  # type: ignore[assignment]
    return a


@pytest.fixture
def adapter() -> ZaloOAAdapter:
    return make_adapter()


def zd(**changes: Any) -> Any:
    opts = changes.pop("options", {"zalo": {"cover_url": COVER}})
    return delivery(Platform.ZALO, options=opts, **changes)


def body_of(call: Any) -> dict[str, Any]:
    return json.loads(call.request.body)


# -- normal articles --------------------------------------------------------------------------
def test_create_body_field_by_field_then_verify(rsps, adapter) -> None:
    rsps.post(f"{API}/article/create", json=payload("zalo", "create_ok"))
    rsps.post(f"{API}/article/verify", json=payload("zalo", "verify_processing"))
    rsps.post(f"{API}/article/verify", json=payload("zalo", "verify_ok"))
    cp = Checkpoints(rsps.calls)
    d = zd(
        text=TEXT + "\n\nDòng hai\ncó <b>",
        link="https://hanhdich.gov.vn/tin?id=1&x=2",
        author="Đài truyền thanh xã",
    )
    result = adapter.publish(d, cp)
    assert result.outcome is Outcome.PUBLISHED and result.remote_id == "8f2a5c1d9e0b4a7f"
    create = rsps.calls[0].request
    assert create.headers["access_token"] == TOKEN and TOKEN not in create.url
    body = body_of(rsps.calls[0])
    assert body == {
        "type": "normal",
        "title": TITLE,
        "author": "Đài truyền thanh xã",
        "cover": {"cover_type": "photo", "photo_url": COVER_ENCODED, "status": "show"},
        "description": "Trạm y tế xã thông báo lịch tiêm chủng mở rộng. Dòng hai có <b>",
        "body": [
            {"type": "text", "content": f"<p>{TEXT}</p>"},
            {"type": "text", "content": "<p>Dòng hai<br>có &lt;b&gt;</p>"},
            {
                "type": "text",
                "content": '<p><a href="https://hanhdich.gov.vn/tin?id=1&amp;x=2">'
                "https://hanhdich.gov.vn/tin?id=1&amp;x=2</a></p>",
            },
        ],
        "status": "show",
        "comment": "show",
    }
    # the token is committed after create and before the first verify
    assert cp[0]["article_token"] == ARTICLE_TOKEN and cp.calls_before[0] == 1
    assert body_of(rsps.calls[1]) == {"token": ARTICLE_TOKEN}
    assert adapter.sleeps == [3.0]
    assert cp.last["article_id"] == "8f2a5c1d9e0b4a7f"


def test_long_description_is_cut_at_a_word(adapter) -> None:
    text = " ".join(["thông báo"] * 100)
    description = adapter.article_body(zd(text=text))["description"]
    assert len(description) <= 251 and description.endswith("…")
    assert not description[:-1].endswith(" ")


def test_verify_that_never_resolves_leaves_a_pending_token_and_never_recreates(rsps, adapter) -> None:
    rsps.post(f"{API}/article/create", json=payload("zalo", "create_ok"))
    rsps.post(f"{API}/article/verify", json=payload("zalo", "verify_processing"))
    result = adapter.publish(zd())
    assert result.outcome is Outcome.PENDING
    assert result.resume_state["article_token"] == ARTICLE_TOKEN
    assert len([c for c in rsps.calls if c.request.url.endswith("/verify")]) == ZaloOAAdapter.verify_attempts
    rsps.replace(responses.POST, f"{API}/article/verify", json=payload("zalo", "verify_ok"))
    before = len(rsps.calls)
    again = adapter.publish(zd(resume_state=result.resume_state))
    assert again.outcome is Outcome.PUBLISHED
    # verify, then the article's entry in the list for its link: never a second create
    assert [urlsplit(c.request.url).path for c in rsps.calls[before:]] == [
        "/v2.0/article/verify",
        "/v2.0/article/getslice",
    ]


def test_missing_cover_is_refused_before_any_call(rsps, adapter) -> None:
    result = adapter.publish(zd(options={}))
    assert result.outcome is Outcome.REJECTED and result.code == "no_cover"
    assert len(rsps.calls) == 0


def test_too_early_is_not_published(rsps, adapter) -> None:
    result = adapter.publish(zd(due_at=NOW + timedelta(hours=1)))
    assert result.outcome is Outcome.TRANSIENT and result.code == "not_due"


@pytest.mark.parametrize(
    ("name", "outcome", "code"),
    [
        ("error_token", Outcome.AUTH_EXPIRED, "-216"),
        ("error_param", Outcome.REJECTED, "-201"),
        ("error_rate", Outcome.RATE_LIMITED, "-32"),
    ],
)
def test_errors_in_http_200_bodies_are_classified_on_codes(rsps, adapter, name, outcome, code) -> None:
    rsps.post(f"{API}/article/create", json=payload("zalo", name), status=200)
    result = adapter.publish(zd())
    assert result.outcome is outcome and result.code == code
    assert "Zalo" in str(result.reason)


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        (-124, Outcome.AUTH_EXPIRED),
        (-220, Outcome.AUTH_EXPIRED),
        (-223, Outcome.AUTH_EXPIRED),
        (-212, Outcome.AUTH_EXPIRED),
        (-211, Outcome.RATE_LIMITED),
        (-144, Outcome.RATE_LIMITED),
        (-1441, Outcome.RATE_LIMITED),
        (-200, Outcome.REJECTED),
        (-210, Outcome.REJECTED),
        (-221, Outcome.REJECTED),
        (-224, Outcome.REJECTED),
        (-248, Outcome.REJECTED),
        (-100, Outcome.TRANSIENT),
    ],
)
def test_code_table(rsps, adapter, code, outcome) -> None:
    rsps.post(f"{API}/article/create", json={"error": code, "message": "ignored"})
    assert adapter.publish(zd()).outcome is outcome


# -- video articles ---------------------------------------------------------------------------
def test_video_article_upload_poll_create(rsps, adapter, tmp_path: Path) -> None:
    clip = write_file(tmp_path / "clip.mp4", 4000, b"z")
    rsps.post(f"{API}/article/upload_video/preparevideo", json=payload("zalo", "prepare_video"))
    rsps.get(f"{API}/article/upload_video/verify", json=payload("zalo", "video_verify_pending"))
    rsps.get(f"{API}/article/upload_video/verify", json=payload("zalo", "video_verify_ok"))
    rsps.post(f"{API}/article/create", json=payload("zalo", "create_ok"))
    rsps.post(f"{API}/article/verify", json=payload("zalo", "verify_ok"))
    cp = Checkpoints(rsps.calls)
    result = adapter.publish(zd(video=clip), cp)
    assert result.outcome is Outcome.PUBLISHED
    upload = rsps.calls[0].request
    assert b'name="file"; filename="clip.mp4"' in upload.body
    assert cp[0] == {"kind": "video", "video_token": "dmlkZW8tdG9rZW4="} and cp.calls_before[0] == 1
    assert rsps.calls[1].request.headers["token"] == "dmlkZW8tdG9rZW4="
    assert body_of(rsps.calls[3]) == {
        "type": "video",
        "title": TITLE,
        "description": TEXT.replace("  ", " "),
        "video_id": "c4b1f0e2a9",
        "status": "show",
        "comment": "show",
        "avatar": COVER_ENCODED,
    }


# -- broadcast --------------------------------------------------------------------------------
def test_broadcast_in_the_day_window(rsps) -> None:
    adapter = make_adapter(ZaloSettings(app_id="a", broadcast=True))
    rsps.post(f"{API}/article/create", json=payload("zalo", "create_ok"))
    rsps.post(f"{API}/article/verify", json=payload("zalo", "verify_ok"))
    rsps.post(f"{API}/oa/message", json=payload("zalo", "broadcast_ok"))
    cp = Checkpoints()
    opts = {"zalo": {"cover_url": COVER, "broadcast_target": {"cities": 4}}}
    result = adapter.publish(zd(options=opts), cp)
    assert result.outcome is Outcome.PUBLISHED
    [broadcast] = [c for c in rsps.calls if c.request.url == f"{API}/oa/message"]
    assert body_of(broadcast) == {
        "recipient": {"target": {"cities": "4"}},
        "message": {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "media",
                    "elements": [{"media_type": "article", "attachment_id": "8f2a5c1d9e0b4a7f"}],
                },
            }
        },
    }
    assert cp.last["broadcast"] == "sent" and cp.last["broadcast_message_id"] == "bc-1f2e3d"


def test_no_broadcast_at_night(rsps) -> None:
    night = datetime(2026, 11, 26, 16, 30, tzinfo=UTC)  # 23:30 in Vietnam
    adapter = make_adapter(ZaloSettings(app_id="a", broadcast=True), now=night)
    rsps.post(f"{API}/article/create", json=payload("zalo", "create_ok"))
    rsps.post(f"{API}/article/verify", json=payload("zalo", "verify_ok"))
    cp = Checkpoints()
    result = adapter.publish(zd(due_at=night), cp)
    assert result.outcome is Outcome.PUBLISHED
    assert not any("oa/message" in c.request.url for c in rsps.calls)
    assert cp.last["broadcast"] == "waiting"
    assert cp.last["broadcast_after"] == "2026-11-27T06:00:00+07:00"


def test_broadcast_failure_does_not_fail_the_article(rsps) -> None:
    adapter = make_adapter(ZaloSettings(app_id="a", broadcast=True))
    rsps.post(f"{API}/article/create", json=payload("zalo", "create_ok"))
    rsps.post(f"{API}/article/verify", json=payload("zalo", "verify_ok"))
    rsps.post(f"{API}/oa/message", json={"error": -211, "message": "Out of quota"})
    cp = Checkpoints()
    assert adapter.publish(zd(), cp).outcome is Outcome.PUBLISHED
    assert cp.last["broadcast"] == "failed:-211"


def test_night_code_postpones_to_six() -> None:
    from publisher.platforms.zalo.errors import classify

    r = requests.Response()
    r.status_code = 200
    night = datetime(2026, 11, 26, 16, 30, tzinfo=UTC)
    result = classify(r, payload("zalo", "error_night"), creating=False, now=night)
    assert result.outcome is Outcome.RATE_LIMITED
    assert result.postpone_until == datetime(2026, 11, 26, 23, 0, tzinfo=UTC)


# -- reconcile --------------------------------------------------------------------------------
def test_reconcile_verifies_the_saved_token(rsps, adapter) -> None:
    rsps.post(f"{API}/article/verify", json=payload("zalo", "verify_ok"))
    result = adapter.reconcile(zd(resume_state={"article_token": ARTICLE_TOKEN}))
    assert result.outcome is Outcome.PUBLISHED and result.remote_id == "8f2a5c1d9e0b4a7f"
    assert not any("create" in c.request.url for c in rsps.calls)


def test_reconcile_lists_recent_articles_by_title_and_time(rsps) -> None:
    later = make_adapter(now=NOW + timedelta(minutes=10))
    rsps.get(f"{API}/article/getslice", json=payload("zalo", "getslice_normal"))
    result = later.reconcile(zd())
    assert result.outcome is Outcome.PUBLISHED and result.remote_id == "8f2a5c1d9e0b4a7f"
    assert parse_qs(urlsplit(rsps.calls[0].request.url).query) == {
        "offset": ["0"],
        "limit": ["10"],
        "type": ["normal"],
    }


def test_reconcile_ignores_an_older_article_with_the_same_title(rsps) -> None:
    later = make_adapter(now=NOW + timedelta(days=30, minutes=10))
    rsps.get(f"{API}/article/getslice", json=payload("zalo", "getslice_normal"))
    result = later.reconcile(zd(last_attempt_at=NOW + timedelta(days=30)))
    assert result.outcome is Outcome.ABSENT


def test_reconcile_waits_while_a_fresh_create_may_still_be_processing(rsps, adapter) -> None:
    rsps.get(f"{API}/article/getslice", json=payload("zalo", "getslice_empty"))
    result = adapter.reconcile(zd(last_attempt_at=NOW - timedelta(seconds=30)))
    assert result.outcome is Outcome.UNKNOWN_OUTCOME and result.code == "settling"
    assert len(rsps.calls) == 1  # it asks, and "not listed yet" is not "absent"


def test_reconcile_unknown_when_the_list_fails(rsps) -> None:
    later = make_adapter(now=NOW + timedelta(minutes=10))
    rsps.get(f"{API}/article/getslice", body=requests.exceptions.ConnectionError("reset"))
    assert later.reconcile(zd()).outcome is Outcome.UNKNOWN_OUTCOME


# -- engagement -------------------------------------------------------------------------------
def test_engagement_views_shares_and_followers(rsps, adapter) -> None:
    rsps.get(f"{API}/article/getslice", json=payload("zalo", "getslice_normal"))
    rsps.get(f"{API}/oa/getoa", json=payload("zalo", "getoa"))
    metrics = adapter.fetch_engagement(["8f2a5c1d9e0b4a7f", "11aa22bb33cc44dd"])
    assert (metrics["8f2a5c1d9e0b4a7f"].views, metrics["8f2a5c1d9e0b4a7f"].shares) == (1520, 33)
    assert metrics["11aa22bb33cc44dd"].views == 310
    assert metrics["8f2a5c1d9e0b4a7f"].reactions is None  # Zalo does not expose likes
    assert adapter.follower_count() == 4210


# -- OAuth v4 ---------------------------------------------------------------------------------
def test_refresh_rotates_both_tokens(rsps, adapter) -> None:
    rsps.post(f"{OAUTH}/access_token", json=payload("zalo", "refresh_ok"))
    new = adapter.refresh(adapter.credentials)
    assert (new.access_token, new.refresh_token) == ("ZALO-ACCESS-2", "ZALO-REFRESH-2")
    assert new.expires_at == NOW + timedelta(seconds=90000)  # "90000" arrives as a string
    assert new.remote_account_id == "579745863508352884"
    call = rsps.calls[0].request
    assert call.headers["secret_key"] == "APP-SECRET"
    assert parse_qs(call.body) == {
        "refresh_token": ["ZALO-REFRESH-1"],
        "grant_type": ["refresh_token"],
        "app_id": ["app-1"],
    }


def test_refused_refresh_raises_auth_expired(rsps, adapter) -> None:
    rsps.post(f"{OAUTH}/access_token", json=payload("zalo", "refresh_refused"))
    with pytest.raises(AuthExpired):
        adapter.refresh(adapter.credentials)


def test_pkce_authorisation_url_and_code_exchange(rsps) -> None:
    settings = ZaloSettings(app_id="app-1", app_secret=SecretStr("APP-SECRET"))
    start = connect.zalo_start(settings, "https://publisher.local/zalo/callback")
    query = parse_qs(urlsplit(start.url).query)
    assert start.url.startswith("https://oauth.zaloapp.com/v4/oa/permission?")
    assert query["app_id"] == ["app-1"] and query["state"] == [start.state]
    assert query["redirect_uri"] == ["https://publisher.local/zalo/callback"]
    assert start.verifier and 43 <= len(start.verifier) <= 128
    expected = (
        base64.urlsafe_b64encode(hashlib.sha256(start.verifier.encode()).digest()).rstrip(b"=").decode()
    )
    assert query["code_challenge"] == [expected]
    rsps.post(f"{OAUTH}/access_token", json=payload("zalo", "refresh_ok"))
    creds = connect.zalo_finish(
        settings, requests.Session(), "CODE-1", start.verifier, oa_id="579745863508352884"
    )
    form = parse_qs(rsps.calls[0].request.body)
    assert form == {
        "code": ["CODE-1"],
        "grant_type": ["authorization_code"],
        "code_verifier": [start.verifier],
        "app_id": ["app-1"],
    }
    assert creds.refresh_token == "ZALO-REFRESH-2" and creds.remote_account_id == "579745863508352884"


def test_video_over_the_zalo_limit_is_refused(rsps, adapter, tmp_path: Path) -> None:
    from publisher.core.media_limits import ZALO_VIDEO

    assert ZALO_VIDEO.max_bytes is not None
    path = tmp_path / "dai.mp4"
    with open(path, "wb") as fh:
        fh.truncate(ZALO_VIDEO.max_bytes + 1)
    result = adapter.publish(zd(video=path))
    assert result.outcome is Outcome.REJECTED and result.code == "media_too_large"
    assert len(rsps.calls) == 0


def test_check_warns_about_local_photos_and_a_missing_cover(tmp_path: Path) -> None:
    from publisher.core.models import PostSpec, Target

    post = PostSpec(
        key="k",
        title="x" * 150,
        text="t",
        due_at=NOW,
        timezone="Asia/Ho_Chi_Minh",
        targets=(Target(Platform.ZALO, "oa"),),
        images=(tmp_path / "a.jpg",),
    )
    found = {(p.code, p.severity) for p in ZaloOAAdapter.check(post)}
    assert found == {("title_long", "block"), ("images_not_sent", "warn"), ("no_cover", "warn")}


def test_a_waiting_broadcast_is_sent_by_poll_once_the_window_opens(rsps) -> None:
    morning = datetime(2026, 11, 26, 23, 5, tzinfo=UTC)  # 06:05 in Vietnam
    adapter = make_adapter(ZaloSettings(app_id="a", broadcast=True), now=morning)
    rsps.post(f"{API}/oa/message", json=payload("zalo", "broadcast_ok"))
    state = {
        "article_token": ARTICLE_TOKEN,
        "article_id": "8f2a5c1d9e0b4a7f",
        "broadcast": "waiting",
        "broadcast_after": "2026-11-27T06:00:00+07:00",
    }
    cp = Checkpoints()
    result = adapter.poll(zd(), state, cp)
    assert result.outcome is Outcome.PUBLISHED and cp.last["broadcast"] == "sent"
    assert [c.request.url for c in rsps.calls] == [f"{API}/oa/message"]  # no create, no verify
    rsps.calls.reset()
    assert adapter.poll(zd(), cp.last, cp).outcome is Outcome.PUBLISHED
    assert len(rsps.calls) == 0  # sent once only


# -- reconcile: the send's window, the whole window, adoption, links (issue 10.1, 10.7) ----------
LINK = "https://oa.zalo.me/article/8f2a5c1d9e0b4a7f"  # a link in the answer: field name UNCERTAIN


def listed(
    id_: str, title: str, at: datetime, description: str | None = None, **extra: Any
) -> dict[str, Any]:
    ms = int(at.timestamp() * 1000)
    item = {
        "id": id_,
        "type": "normal",
        "title": title,
        "status": "show",
        "total_view": 0,
        "total_share": 0,
        "create_date": ms,
        "update_date": ms,
    }
    if description is not None:
        item["description"] = description
    return {**item, **extra}


def slices(rsps: responses.RequestsMock, items: list[dict[str, Any]]) -> None:
    """``getslice`` over ``items`` (newest first), paged by offset/limit as Zalo does."""

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        q = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
        offset, limit = int(q["offset"]), int(q["limit"])
        page = items[offset : offset + limit] if q["type"] == "normal" else []
        body = {"error": 0, "message": "Success", "data": {"total": len(items), "medias": page}}
        return 200, {}, json.dumps(body)

    rsps.add_callback(responses.GET, f"{API}/article/getslice", callback=answer)


def pages_asked(rsps: responses.RequestsMock) -> list[int]:
    return [
        int(parse_qs(urlsplit(c.request.url).query)["offset"][0])
        for c in rsps.calls
        if "/article/getslice" in c.request.url
    ]


def test_reconcile_asks_at_once_and_adopts_the_article_the_send_made(rsps) -> None:
    """Right after a lost create reply the list is asked (no silent 3-minute wait) and a hit adopted."""
    soon = make_adapter(now=NOW + timedelta(seconds=30))
    slices(rsps, [listed("8f2a5c1d9e0b4a7f", TITLE, NOW + timedelta(seconds=1), link=LINK)])
    result = soon.reconcile(zd(last_attempt_at=NOW))
    assert result.outcome is Outcome.PUBLISHED
    assert (result.remote_id, result.url, result.code) == ("8f2a5c1d9e0b4a7f", LINK, "adopted")
    assert "26/11/2026 09:00" in str(result.reason)  # when Zalo made it, in local time


def test_reconcile_reads_back_past_the_send_however_many_pages(rsps) -> None:
    """45 newer articles of other offices' posts push ours to page 5: the old 3-page cap lost it."""
    later = make_adapter(now=NOW + timedelta(minutes=20))
    newer = [listed(f"n{i:02d}", f"Tin khác {i}", NOW + timedelta(minutes=19, seconds=-i)) for i in range(45)]
    ours = listed("8f2a5c1d9e0b4a7f", TITLE, NOW + timedelta(seconds=2))
    older = [listed(f"o{i:02d}", f"Tin cũ {i}", NOW - timedelta(days=1, hours=i)) for i in range(30)]
    slices(rsps, [*newer, ours, *older])
    result = later.reconcile(zd(last_attempt_at=NOW))
    assert result.outcome is Outcome.PUBLISHED and result.remote_id == "8f2a5c1d9e0b4a7f"
    assert pages_asked(rsps) == [0, 10, 20, 30, 40]  # page 5 ends past the send: no further


def test_reconcile_is_absent_only_when_the_list_reaches_back_past_the_send(rsps) -> None:
    later = make_adapter(now=NOW + timedelta(minutes=20))
    newer = [listed(f"n{i:02d}", f"Tin khác {i}", NOW + timedelta(minutes=10, seconds=-i)) for i in range(10)]
    older = [listed(f"o{i:02d}", f"Tin cũ {i}", NOW - timedelta(days=1, hours=i)) for i in range(25)]
    slices(rsps, [*newer, *older])
    assert later.reconcile(zd(last_attempt_at=NOW)).outcome is Outcome.ABSENT
    assert pages_asked(rsps) == [0, 10]  # page 2 ends older than the send: proof enough


def test_reconcile_stays_unknown_when_the_list_cannot_prove_the_window(rsps) -> None:
    """Every page the cap allows is newer than the send (or undated): never "absent" on a guess."""
    later = make_adapter(now=NOW + timedelta(minutes=20))
    flood = [listed(f"n{i:03d}", f"Tin {i}", NOW + timedelta(minutes=19, seconds=-i)) for i in range(400)]
    slices(rsps, flood)
    result = later.reconcile(zd(last_attempt_at=NOW))
    assert result.outcome is Outcome.UNKNOWN_OUTCOME and result.code == "list_incomplete"
    assert len(pages_asked(rsps)) == ZaloOAAdapter.list_pages_max
    rsps.reset()
    undated = [{"id": f"u{i:03d}", "type": "normal", "title": f"Tin {i}"} for i in range(400)]
    slices(rsps, undated)
    assert later.reconcile(zd(last_attempt_at=NOW)).outcome is Outcome.UNKNOWN_OUTCOME
    rsps.reset()
    slices(rsps, undated[:15])  # undated, but the list ends: nothing else can be there
    assert later.reconcile(zd(last_attempt_at=NOW)).outcome is Outcome.ABSENT


def test_reconcile_matches_the_content_not_only_the_title(rsps) -> None:
    """Two articles titled alike since the send: the one with our description is ours."""
    later = make_adapter(now=NOW + timedelta(minutes=10))
    ours = "Trạm y tế xã thông báo lịch tiêm chủng mở rộng."  # the description we sent
    slices(
        rsps,
        [
            listed("other", TITLE, NOW + timedelta(minutes=5), description="Lịch tiêm của xã bên cạnh."),
            listed("8f2a5c1d9e0b4a7f", TITLE, NOW + timedelta(seconds=3), description=ours),
        ],
    )
    result = later.reconcile(zd(last_attempt_at=NOW))
    assert result.outcome is Outcome.PUBLISHED and result.remote_id == "8f2a5c1d9e0b4a7f"
    rsps.reset()
    slices(
        rsps, [listed("other", TITLE, NOW + timedelta(minutes=5), description="Lịch tiêm của xã bên cạnh.")]
    )
    assert later.reconcile(zd(last_attempt_at=NOW)).outcome is Outcome.ABSENT


def test_verified_article_records_its_link(rsps, adapter) -> None:
    rsps.post(f"{API}/article/create", json=payload("zalo", "create_ok"))
    rsps.post(f"{API}/article/verify", json=payload("zalo", "verify_ok"))
    slices(rsps, [listed("8f2a5c1d9e0b4a7f", TITLE, NOW, link=LINK)])
    cp = Checkpoints(rsps.calls)
    result = adapter.publish(zd(), cp)
    assert result.outcome is Outcome.PUBLISHED and result.url == LINK
    assert cp[1]["article_id"] == "8f2a5c1d9e0b4a7f" and "article_url" not in cp[1]  # the id first
    assert cp.last["article_url"] == LINK


def test_link_from_the_setting_when_zalo_gives_none(rsps) -> None:
    settings = ZaloSettings(app_id="a", article_url_template="https://oa.zalo.me/xa-hanh-dich/article/{id}")
    adapter = make_adapter(settings)
    rsps.post(f"{API}/article/create", json=payload("zalo", "create_ok"))
    rsps.post(f"{API}/article/verify", json=payload("zalo", "verify_ok"))
    rsps.get(f"{API}/article/getslice", json=payload("zalo", "getslice_normal"))  # no link field
    result = adapter.publish(zd())
    assert result.url == "https://oa.zalo.me/xa-hanh-dich/article/8f2a5c1d9e0b4a7f"
    rsps.reset()
    rsps.get(f"{API}/article/getslice", body=requests.exceptions.ConnectionError("reset"))
    rsps.post(f"{API}/article/create", json=payload("zalo", "create_ok"))
    rsps.post(f"{API}/article/verify", json=payload("zalo", "verify_ok"))
    assert make_adapter().publish(zd()).outcome is Outcome.PUBLISHED  # a failed look-up fails nothing
