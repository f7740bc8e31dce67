"""``publisher accounts add|list|remove|connect|update`` (:mod:`publisher.cli.accounts`), platforms faked at HTTP."""

from __future__ import annotations

import json
import logging
import re
import shlex
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from sqlalchemy import select, update

from publisher.actions import alerts
from publisher.core.models import PostSpec, Target
from publisher.store import Store
from publisher.store import schema as s
from publisher.store.claims import claim_due
from tests.cli.conftest import APPS, GOOGLE_TOKEN, GRAPH, ZALO_TOKEN, Cli, payload


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


# -- re-authorisation: the alert's command, run; what waited goes out by itself ------------------

#: a command the officer is told to run, as the alert quotes it
COMMAND = re.compile(r"“(publisher accounts (?:connect|update) [^”]+)”")


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


@responses.activate
def test_account_token_is_read_from_stdin_and_never_printed(
    run: Cli, caplog: pytest.LogCaptureFixture
) -> None:
    """Tokens go in through stdin only; no output, log line or byte of the data directory (the
    SQLite file and its journal included) ever holds one in clear text."""
    caplog.set_level(logging.DEBUG)
    env = {
        "PUBLISHER_LOG_LEVEL": "DEBUG",
        "PUBLISHER_FACEBOOK__APP_ID": "1234567890",
        "PUBLISHER_FACEBOOK__APP_SECRET": "FB-APP-SECRET-0451",
        "PUBLISHER_YOUTUBE__CLIENT_ID": "client-1",
        "PUBLISHER_YOUTUBE__CLIENT_SECRET": "GOOGLE-SECRET-0452",
    }
    page, yt_access, yt_refresh = "EAAB-secret-token-value-xyz", "ya29.SECRET-ACCESS-1", "1//SECRET-REFRESH-1"
    new_access, new_refresh, refreshed = "ya29.SECRET-ACCESS-2", "1//SECRET-REFRESH-2", "ya29.SECRET-ACCESS-3"
    secrets = [
        page,
        yt_access,
        yt_refresh,
        new_access,
        new_refresh,
        refreshed,
        "FB-APP-SECRET-0451",
        "GOOGLE-SECRET-0452",
    ]
    responses.get(
        "https://graph.facebook.com/v25.0/debug_token",
        json={
            "data": {
                "app_id": "1234567890",
                "type": "PAGE",
                "is_valid": True,
                "expires_at": 0,
                "data_access_expires_at": 1800842400,
                "scopes": ["pages_show_list", "pages_manage_posts"],
            }
        },
    )
    responses.post(
        "https://oauth2.googleapis.com/token",
        json={"access_token": refreshed, "expires_in": 3599, "token_type": "Bearer"},
    )
    responses.get(
        "https://www.googleapis.com/youtube/v3/channels",
        json={"items": [{"id": "UCxa", "snippet": {"title": "Xã TV"}}]},
    )
    results = [run("init")]
    results.append(
        run(
            "accounts",
            "add",
            "facebook/ubnd-hanh-dich",
            "--token-stdin",
            "--remote-id",
            "1234",
            input=page + "\n",
            **env,
        )
    )
    results.append(
        run(
            "accounts",
            "add",
            "youtube/xa-tv",
            "--token-stdin",
            "--refresh-token-stdin",
            input=f"{yt_access}\n{yt_refresh}\n",
            **env,
        )
    )
    results.append(
        run(
            "accounts",
            "update",
            "youtube/xa-tv",
            "--token-stdin",
            "--refresh-token-stdin",
            input=f"{new_access} {new_refresh}\n",
            **env,
        )
    )  # refused: both on one line
    assert results[-1].exit_code == 2
    results.append(
        run(
            "accounts",
            "update",
            "youtube/xa-tv",
            "--token-stdin",
            "--refresh-token-stdin",
            input=f"{new_access}\n{new_refresh}\n",
            **env,
        )
    )
    for args in (("list",), ("list", "--json"), ("check",), ("check", "--json")):
        results.append(run("accounts", *args, **env))
    results.append(run("status", "--json", **env))
    assert all(r.exit_code == 0 for i, r in enumerate(results) if i != 3), [r.output for r in results]

    listing = json.loads(run("accounts", "list", "--json").output)
    assert {a["target"]: a["remote_id"] for a in listing}["facebook/ubnd-hanh-dich"] == "1234"
    for r in results:
        for secret in secrets:
            assert secret not in r.stdout and secret not in r.stderr, (secret, r.output)
    for record in caplog.records:
        for secret in secrets:
            assert secret not in record.getMessage()
    files = [p for p in run.data.rglob("*") if p.is_file()]
    assert run.data / "publisher.sqlite" in files
    for path in files:
        raw = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in raw, (secret, path)
    # and what is stored still works: the update's refresh token renews it, the renewed token is used
    google = [c.request for c in responses.calls if c.request.url.startswith("https://oauth2")]
    channels = [c.request for c in responses.calls if "/youtube/v3/channels" in c.request.url]
    assert google and all(parse_qs(q.body)["refresh_token"] == [new_refresh] for q in google)
    assert len(channels) == 2 and all(q.headers["Authorization"] == f"Bearer {refreshed}" for q in channels)


def test_an_access_token_alone_keeps_the_stored_refresh_token(run: Cli, office: Store) -> None:
    added = run(
        "accounts", "add", "youtube/xa-tv", "--token-stdin", "--refresh-token-stdin", input="OLD-A\n1//R\n"
    )
    assert added.exit_code == 0, added.output
    account_id = office.account("youtube/xa-tv").id
    ok = run("accounts", "update", "youtube/xa-tv", "--token-stdin", input="NEW-A\n")
    assert ok.exit_code == 0, ok.output
    creds = office.credentials(account_id)
    assert (creds.access_token, creds.refresh_token) == ("NEW-A", "1//R")  # renewals go on
    assert "refresh token" not in ok.output.lower()  # no warning that it will stop working


def test_connect_zalo_without_the_app_settings_says_which_to_set(run: Cli) -> None:
    run("init")
    r = run("accounts", "connect", "zalo", "oa-xa", "--oa-id", "5797", input="CODE\n")
    assert r.exit_code != 0, r.output
    assert "PUBLISHER_ZALO__APP_ID" in r.output and "oauth.zaloapp.com" not in r.output
