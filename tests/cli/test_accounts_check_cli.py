"""``publisher accounts check`` (:mod:`publisher.cli.accounts_check`), platforms faked at HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses

from publisher.core.models import Target
from publisher.store import Store
from tests.cli.conftest import APPS, GOOGLE_TOKEN, GRAPH, ZALO_TOKEN, Cli, payload


def check_setup(run: Cli) -> None:
    run("init")
    for args, typed in (
        (("facebook/ubnd-hanh-dich", "--remote-id", "1647395831"), "PAGE-TOKEN-HANH-DICH\n"),
        (("youtube/xa-tv", "--refresh-token-stdin"), "ya29.OLD\n1//YT-REFRESH\n"),
        (
            ("zalo/ubnd-hanh-dich", "--refresh-token-stdin", "--remote-id", "579745863508352884"),
            "ZALO-ACCESS-1\nZALO-REFRESH-1\n",
        ),
    ):
        assert run("accounts", "add", args[0], "--token-stdin", *args[1:], input=typed).exit_code == 0


def calls_to(url: str) -> list[Any]:
    return [c for c in responses.calls if c.request.url.split("?")[0] == url]


@responses.activate
def test_check_asks_every_platform_and_says_what_expires_when(run: Cli) -> None:
    check_setup(run)
    responses.get(f"{GRAPH}/debug_token", json=payload("facebook", "debug_token"))
    responses.post(GOOGLE_TOKEN, json=payload("youtube", "token_refreshed"))
    channels = responses.get(
        "https://www.googleapis.com/youtube/v3/channels",
        json={
            "kind": "youtube#channelListResponse",
            "pageInfo": {"totalResults": 1, "resultsPerPage": 5},
            "items": [{"kind": "youtube#channel", "id": "UCxa", "snippet": {"title": "Xã Hạnh Dịch TV"}}],
        },
    )
    responses.post(ZALO_TOKEN, json=payload("zalo", "refresh_ok"))
    getoa = responses.get("https://openapi.zalo.me/v2.0/oa/getoa", json=payload("zalo", "getoa"))

    r = run("accounts", "check", **APPS)

    assert r.exit_code == 0, r.output
    out = r.output
    # one cheap authenticated call each, with the (refreshed) token of that account
    assert channels.call_count == 1 and getoa.call_count == 1
    assert channels.calls[0].request.headers["Authorization"] == "Bearer ya29.NEW-ACCESS"
    assert parse_qs(urlsplit(channels.calls[0].request.url).query) == {"part": ["snippet"], "mine": ["true"]}
    assert getoa.calls[0].request.headers["access_token"] == "ZALO-ACCESS-2"
    assert parse_qs(urlsplit(calls_to(f"{GRAPH}/debug_token")[0].request.url).query)["input_token"] == [
        "PAGE-TOKEN-HANH-DICH"
    ]
    assert "never expires days left" not in out and "không hết hạn ngày" not in out
    fb, yt, zl = (block(out, t) for t in ("facebook/ubnd-hanh-dich", "youtube/xa-tv", "zalo/ubnd-hanh-dich"))
    assert "hợp lệ" in fb and "không bao giờ hết hạn" in fb
    assert "Thiếu quyền: pages_read_engagement, read_insights." in fb
    assert "Quyền đọc dữ liệu" in fb  # data_access_expires_at: 90 days from the admin's last use
    assert "“Xã Hạnh Dịch TV”" in yt and "tự gia hạn" in yt and "6 tháng" in yt and "Testing" in yt
    assert "“UBND xã Hạnh Dịch”" in zl and "Refresh token: hết hạn lúc" in zl and "tự gia hạn" in zl
    for text in (fb, yt, zl):
        assert "KHÔNG hợp lệ" not in text
    assert "ya29" not in out and "ZALO-ACCESS" not in out and "PAGE-TOKEN" not in out

    as_json = json.loads(run("accounts", "check", "--json", **APPS).output)
    by_target = {i["target"]: i for i in as_json}
    assert by_target["facebook/ubnd-hanh-dich"]["access"] == "valid"
    assert by_target["facebook/ubnd-hanh-dich"]["access_never_expires"] is True
    assert by_target["youtube/xa-tv"]["renews_itself"] is True and by_target["youtube/xa-tv"]["name"]
    assert by_target["zalo/ubnd-hanh-dich"]["refresh_expires_at"]
    assert by_target["sandbox/demo"]["access"] == "not_checked"

    en = run("accounts", "check", "zalo/ubnd-hanh-dich", PUBLISHER_LANGUAGE="en", **APPS).output
    assert "access is valid" in en and "Refresh token: expires at" in en and "renews itself" in en


def block(output: str, target: str) -> str:
    """The lines ``accounts check`` printed for one account."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ")), len(lines))
    return "\n".join(lines[start:end])


@responses.activate
def test_check_reports_a_refused_token_and_how_to_reconnect(run: Cli) -> None:
    check_setup(run)
    responses.post(GOOGLE_TOKEN, json=payload("youtube", "invalid_grant"), status=400)
    responses.post(ZALO_TOKEN, json=payload("zalo", "refresh_ok"))
    responses.get("https://openapi.zalo.me/v2.0/oa/getoa", json=payload("zalo", "error_token"))
    rate = {"error": {"message": "(#32) Page request limit reached", "type": "OAuthException", "code": 32}}
    responses.get(f"{GRAPH}/debug_token", json=rate, status=400)

    r = run("accounts", "check", **APPS)

    assert r.exit_code == 1, r.output  # some account cannot publish
    yt, zl, fb = (
        block(r.output, t) for t in ("youtube/xa-tv", "zalo/ubnd-hanh-dich", "facebook/ubnd-hanh-dich")
    )
    assert "KHÔNG hợp lệ" in yt and "invalid_grant" in yt
    assert "“publisher accounts connect youtube xa-tv”" in yt
    assert "KHÔNG hợp lệ" in zl and "-216" in zl
    assert "chưa kiểm tra được" in fb and "giới hạn số lần gọi (mã 32)" in fb


@responses.activate
def test_check_renews_a_refused_token_once_before_calling_it_invalid(run: Cli, office: Store) -> None:
    from publisher.platforms.base import Credentials

    now = datetime.now(UTC)
    office.add_account(
        Target.parse("zalo/xa"),
        "can-bo",
        credentials=Credentials(
            access_token="ZALO-ACCESS-1",
            refresh_token="ZALO-REFRESH-1",
            expires_at=now + timedelta(hours=20),
            extra={"refreshed_at": now.isoformat()},
        ),
    )
    getoa = "https://openapi.zalo.me/v2.0/oa/getoa"
    responses.get(getoa, json=payload("zalo", "error_token"))  # the stored token was revoked
    responses.get(getoa, json=payload("zalo", "getoa"))
    refresh = responses.post(ZALO_TOKEN, json=payload("zalo", "refresh_ok"))

    r = run("accounts", "check", "zalo/xa", **APPS)

    assert r.exit_code == 0, r.output
    assert "quyền truy cập hợp lệ" in r.output
    assert refresh.call_count == 1  # one renewal of the single-use token, committed before use
    assert [c.request.headers["access_token"] for c in responses.calls if c.request.url == getoa] == [
        "ZALO-ACCESS-1",
        "ZALO-ACCESS-2",
    ]
    assert office.credentials(office.account("zalo/xa").id).refresh_token == "ZALO-REFRESH-2"
