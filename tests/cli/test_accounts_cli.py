"""``accounts connect``/``check`` and ``publish --dry-run`` through the CLI, platforms faked at HTTP."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import responses
from sqlalchemy import select, update

from publisher import alerts
from publisher.core.models import PostSpec, Target
from publisher.settings import Settings
from publisher.store import Store
from publisher.store import schema as s
from publisher.store.claims import claim_due
from tests.cli.conftest import Cli

PAYLOADS = Path(__file__).resolve().parents[1] / "platforms" / "payloads"


def payload(platform: str, name: str) -> dict:
    return json.loads((PAYLOADS / platform / f"{name}.json").read_text(encoding="utf-8"))


@responses.activate
def test_connect_zalo_with_pkce_stores_the_pair_encrypted(run: Cli) -> None:
    run("init")
    responses.post("https://oauth.zaloapp.com/v4/oa/access_token", json=payload("zalo", "refresh_ok"))
    env = {"PUBLISHER_ZALO__APP_ID": "app-1", "PUBLISHER_ZALO__APP_SECRET": "APP-SECRET"}
    # the officer pastes the whole address the browser was sent to; its state must match
    first = run(
        "accounts",
        "connect",
        "zalo",
        "ubnd-hanh-dich",
        "--oa-id",
        "579745863508352884",
        input="https://127.0.0.1:8765/callback?code=CODE-1&state=WRONG\n",
        **env,
    )
    assert first.exit_code == 2
    url = next(line for line in first.output.splitlines() if line.startswith("https://oauth.zaloapp.com"))
    state = parse_qs(urlsplit(url).query)["state"][0]
    assert state
    r = run("accounts", "connect", "zalo", "ubnd-hanh-dich", input="CODE-1\n", **env)
    assert r.exit_code == 0, r.output
    form = parse_qs(responses.calls[0].request.body)
    assert form["code"] == ["CODE-1"] and form["code_verifier"][0]
    assert "ZALO-ACCESS-2" not in r.output and "ZALO-REFRESH-2" not in r.output
    listing = json.loads(run("accounts", "list", "--json").output)
    zalo = next(a for a in listing if a["target"] == "zalo/ubnd-hanh-dich")
    assert zalo["token_expires_at"]
    raw = (run.data / "publisher.sqlite").read_bytes()
    assert b"ZALO-REFRESH-2" not in raw


@responses.activate
def test_connect_facebook_page_and_check_token(run: Cli) -> None:
    run("init")
    graph = "https://graph.facebook.com/v25.0"
    responses.get(f"{graph}/oauth/access_token", json=payload("facebook", "long_lived"))
    responses.get(f"{graph}/me/accounts", json=payload("facebook", "me_accounts"))
    responses.get(f"{graph}/debug_token", json=payload("facebook", "debug_token"))
    env = {"PUBLISHER_FACEBOOK__APP_ID": "1234567890", "PUBLISHER_FACEBOOK__APP_SECRET": "FB-APP-SECRET"}
    r = run(
        "accounts",
        "connect",
        "facebook",
        "ubnd-hanh-dich",
        "--page-id",
        "1647395831",
        input="SHORT-USER-TOKEN\n",
        **env,
    )
    assert r.exit_code == 0, r.output
    assert "PAGE-TOKEN-HANH-DICH" not in r.output
    c = run("accounts", "check", "facebook/ubnd-hanh-dich", **env)
    assert c.exit_code == 0, c.output
    assert "hợp lệ" in c.output and "không bao giờ hết hạn" in c.output
    debug = parse_qs(urlsplit(responses.calls[-1].request.url).query)
    assert debug["input_token"] == ["PAGE-TOKEN-HANH-DICH"]
    assert "FB-APP-SECRET" not in c.output


def test_publish_dry_run_prints_masked_requests(run: Cli, tmp_path: Path) -> None:
    run("init")
    run(
        "accounts",
        "add",
        "facebook/ubnd-hanh-dich",
        "--token-stdin",
        "--remote-id",
        "1647395831",
        input="PAGE-TOKEN-SECRET\n",
    )
    when = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(days=3)).strftime("%Y-%m-%d 07:00")
    path = tmp_path / "lich.yaml"
    path.write_text(
        f"""posts:
  - id: bai-fb
    at: {when}
    title: Chào mừng Quốc khánh
    text: Chào mừng 81 năm Quốc khánh.
    targets: [facebook/ubnd-hanh-dich]
""",
        encoding="utf-8",
    )
    assert run("queue", str(path)).exit_code == 0
    r = run("publish", "bai-fb", "--dry-run", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    reqs = out[0]["requests"]
    assert reqs and all("PAGE-TOKEN-SECRET" not in json.dumps(q) for q in reqs)
    assert any(q["method"] == "POST" and "/1647395831/" in q["url"] for q in reqs)
    assert "Chào mừng 81 năm Quốc khánh." in json.dumps(reqs, ensure_ascii=False)
    assert run("publish", "bai-fb").exit_code == 2


# -- re-authorisation: the alert's command, run; what waited goes out by itself ------------------

#: a command the officer is told to run, as the alert quotes it
COMMAND = re.compile(r"“(publisher accounts (?:connect|update) [^”]+)”")
GRAPH = "https://graph.facebook.com/v25.0"
ZALO_TOKEN = "https://oauth.zaloapp.com/v4/oa/access_token"
GOOGLE_TOKEN = "https://oauth2.googleapis.com/token"
APPS = {
    "PUBLISHER_FACEBOOK__APP_ID": "1234567890",
    "PUBLISHER_FACEBOOK__APP_SECRET": "FB-APP-SECRET",
    "PUBLISHER_ZALO__APP_ID": "app-1",
    "PUBLISHER_ZALO__APP_SECRET": "ZALO-APP-SECRET",
    "PUBLISHER_YOUTUBE__CLIENT_ID": "client-1.apps.googleusercontent.com",
    "PUBLISHER_YOUTUBE__CLIENT_SECRET": "GOOGLE-SECRET",
}


@pytest.fixture
def office(run: Cli) -> Iterator[Store]:
    """The store behind the CLI's data directory, for setting up and reading back."""
    run("init")
    st = Store(Settings(_env_file=None, data_dir=run.data, user="can-bo"))
    yield st
    st.db.dispose()


def waiting_for_reauth(run: Cli, st: Store, target: str, remote_id: str | None) -> tuple[int, int]:
    """An account the platform refused, with one delivery still in its grace window and one past it."""
    lines = "OLD-ACCESS\nOLD-REFRESH\n"
    extra = ["--refresh-token-stdin"] if not target.startswith("facebook") else []
    extra += ["--remote-id", remote_id] if remote_id else []
    assert run("accounts", "add", target, "--token-stdin", *extra, input=lines).exit_code == 0
    now = datetime.now(UTC)
    ids = []
    for key, due in (("bai-moi", now - timedelta(hours=1)), ("bai-cu", now - timedelta(hours=7))):
        spec = PostSpec(
            key=key,
            title="Thông báo",
            text=f"Nội dung {key}",
            due_at=due,
            timezone="Asia/Ho_Chi_Minh",
            targets=(Target.parse(target),),
        )
        st.queue([spec], actor="can-bo")
        st.approve([key], by="chu-tich")
        ids.append(next(int(r.id) for r in st.deliveries() if r.key == key))
    # where the publisher leaves them when the platform answers 401/190 (tests/test_accounts.py
    # walks that path through the real publisher)
    with st.db.write() as conn:
        conn.execute(
            update(s.deliveries)
            .where(s.deliveries.c.id.in_(ids))
            .values(state="needs_reauth", last_code="auth", last_reason="refused")
        )
    st.set_account_status(st.account(target).id, "needs_reauth", "Token has been expired or revoked.")
    return ids[0], ids[1]


def fake_platform(platform: str) -> tuple[dict[str, str], str, str]:
    """Fake the platform's token endpoints; the answers typed at the prompt; the token stored."""
    if platform == "facebook":
        responses.get(f"{GRAPH}/oauth/access_token", json=payload("facebook", "long_lived"))
        responses.get(f"{GRAPH}/me/accounts", json=payload("facebook", "me_accounts"))
        return APPS, "SHORT-USER-TOKEN\n", "PAGE-TOKEN-HANH-DICH"
    if platform == "zalo":
        responses.post(ZALO_TOKEN, json=payload("zalo", "refresh_ok"))
        return APPS, "CODE-1\n", "ZALO-ACCESS-2"
    responses.post(
        GOOGLE_TOKEN,
        json={
            "access_token": "ya29.NEW",
            "refresh_token": "1//NEW-REFRESH",
            "expires_in": 3599,
            "scope": "https://www.googleapis.com/auth/youtube",
            "token_type": "Bearer",
        },
    )
    return APPS, "CODE-1\n", "ya29.NEW"


@pytest.mark.parametrize("kind", ["connect", "update"])
@pytest.mark.parametrize(
    ("target", "remote_id"),
    [("facebook/ubnd-hanh-dich", "1647395831"), ("youtube/xa-tv", None), ("zalo/ubnd-hanh-dich", "5797458")],
)
@responses.activate
def test_the_reauth_alert_command_works_and_waiting_posts_go_out_by_themselves(
    run: Cli, office: Store, target: str, remote_id: str | None, kind: str
) -> None:
    in_grace, too_late = waiting_for_reauth(run, office, target, remote_id)
    [incident] = [i for i in alerts.scan(office, datetime.now(UTC)) if i.kind == "needs_reauth"]
    command = next(c for c in COMMAND.findall(incident.body) if f" {kind} " in c)
    words = shlex.split(command)
    assert words[:2] == ["publisher", "accounts"]
    env, typed, stored = fake_platform(target.split("/")[0])
    if kind == "update":
        typed, stored = "NEW-ACCESS\nNEW-REFRESH\n", "NEW-ACCESS"

    r = run(*words[1:], input=typed, **env)

    assert r.exit_code == 0, r.output
    assert stored not in r.output and "NEW-REFRESH" not in r.output
    assert "sẽ tự đăng" in r.output and "bai-moi" in r.output and "bai-cu" in r.output
    account = office.account(target)
    assert account.status == "active" and account.remote_id == remote_id
    assert office.credentials(account.id).access_token == stored
    fresh = office.delivery(in_grace)
    assert fresh.state == "retry_wait"
    with office.db.read() as conn:
        late = conn.execute(select(s.deliveries).where(s.deliveries.c.id == too_late)).one()
        trail = conn.execute(select(s.audit.c.action, s.audit.c.delivery_id, s.audit.c.detail)).all()
    assert late.state == "missed" and "hạn chót" in late.last_reason
    assert ("reauth_released", in_grace) in [(a.action, a.delivery_id) for a in trail]
    assert all(stored not in json.dumps(a.detail or {}) for a in trail)
    # no "publisher retry": the dispatcher's next claim takes it, and nothing else
    assert claim_due(office.db, datetime.now(UTC), "dispatch:test", 300) == [in_grace]


@responses.activate
def test_accounts_update_replaces_the_token_and_refuses_an_empty_one(run: Cli, office: Store) -> None:
    assert (
        run(
            "accounts",
            "add",
            "zalo/xa",
            "--token-stdin",
            "--refresh-token-stdin",
            "--remote-id",
            "579",
            input="OLD-A\nOLD-R\n",
        ).exit_code
        == 0
    )
    account_id = office.account("zalo/xa").id
    for typed in ("\n", "", "   \nR\n", "NEW-A\n\n"):
        bad = run("accounts", "update", "zalo/xa", "--token-stdin", "--refresh-token-stdin", input=typed)
        assert bad.exit_code == 2, (typed, bad.output)
        assert "trống" in bad.output and "Traceback" not in bad.output
        assert office.credentials(account_id).access_token == "OLD-A"
    en = run("accounts", "update", "zalo/xa", "--token-stdin", input="\n", PUBLISHER_LANGUAGE="en")
    assert en.exit_code == 2 and "Empty token" in en.output
    assert run("accounts", "update", "zalo/xa").exit_code == 2  # nothing to read
    assert run("accounts", "update", "zalo/khong-co", "--token-stdin", input="X\n").exit_code == 2

    ok = run(
        "accounts", "update", "zalo/xa", "--token-stdin", "--refresh-token-stdin", input="NEW-A\nNEW-R\n"
    )
    assert ok.exit_code == 0, ok.output
    creds = office.credentials(account_id)
    assert (creds.access_token, creds.refresh_token, creds.remote_account_id) == ("NEW-A", "NEW-R", "579")
    with office.db.read() as conn:
        [row] = conn.execute(
            select(s.audit.c.actor, s.audit.c.detail).where(s.audit.c.action == "credentials_updated")
        ).all()
    assert row.actor == "can-bo"
    assert row.detail == {
        "target": "zalo/xa",
        "via": "update",
        "refresh_token": True,
        "released": 0,
        "missed": 0,
    }
    again = run("accounts", "add", "zalo/xa", "--token-stdin", input="X\n")
    assert again.exit_code == 2 and "publisher accounts update zalo/xa --token-stdin" in again.output


def test_accounts_add_refuses_an_empty_token(run: Cli) -> None:
    run("init")
    for typed in ("\n", "", "  \n"):
        r = run("accounts", "add", "facebook/ubnd-xa", "--token-stdin", "--remote-id", "1", input=typed)
        assert r.exit_code == 2, r.output
        assert "Token trống" in r.output
    r = run("accounts", "add", "youtube/xa-tv", "--token-stdin", "--refresh-token-stdin", input="A\n")
    assert r.exit_code == 2 and "refresh token" in r.output
    listing = json.loads(run("accounts", "list", "--json").output)
    assert [a["target"] for a in listing] == ["sandbox/demo"]  # nothing was written


@pytest.mark.parametrize(
    ("code", "headers", "minutes"),
    [
        (
            32,
            {
                "X-Business-Use-Case-Usage": json.dumps(
                    {
                        "1647395831": [
                            {
                                "type": "pages",
                                "call_count": 100,
                                "total_cputime": 20,
                                "total_time": 30,
                                "estimated_time_to_regain_access": 17,
                            }
                        ]
                    }
                )
            },
            17,
        ),
        (4, {"X-App-Usage": json.dumps({"call_count": 100, "total_time": 12, "total_cputime": 9})}, 60),
        (613, {}, 60),
    ],
)
@responses.activate
def test_connect_facebook_during_a_rate_limit_says_so_and_when(
    run: Cli, code: int, headers: dict[str, str], minutes: int
) -> None:
    run("init")
    body = {
        "error": {
            "message": f"(#{code}) limit reached",
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": "A1b2",
        }
    }
    responses.get(f"{GRAPH}/oauth/access_token", json=body, status=400, headers=headers)
    r = run(
        "accounts",
        "connect",
        "facebook",
        "ubnd-hanh-dich",
        "--page-id",
        "1647395831",
        input="SHORT-USER-TOKEN\n",
        **APPS,
    )
    assert r.exit_code == 1, r.output
    assert "None" not in r.output and "từ chối" not in r.output
    assert f"giới hạn số lần gọi (mã {code})" in r.output and f"sau khoảng {minutes} phút" in r.output
    assert "không phải lỗi token" in r.output
    en = run(
        "accounts",
        "connect",
        "facebook",
        "ubnd-hanh-dich",
        "--page-id",
        "1647395831",
        input="SHORT-USER-TOKEN\n",
        PUBLISHER_LANGUAGE="en",
        **APPS,
    )
    assert f"rate-limiting calls (code {code})" in en.output and f"in about {minutes} minutes" in en.output


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
