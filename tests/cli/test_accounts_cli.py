"""``accounts connect``/``check`` and ``publish --dry-run`` through the CLI, platforms faked at HTTP."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import responses

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
    first = run("accounts", "connect", "zalo", "ubnd-hanh-dich", "--oa-id", "579745863508352884",
                input="https://127.0.0.1:8765/callback?code=CODE-1&state=WRONG\n", **env)
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
    r = run("accounts", "connect", "facebook", "ubnd-hanh-dich", "--page-id", "1647395831",
            input="SHORT-USER-TOKEN\n", **env)
    assert r.exit_code == 0, r.output
    assert "PAGE-TOKEN-HANH-DICH" not in r.output
    c = run("accounts", "check", "facebook/ubnd-hanh-dich", **env)
    assert c.exit_code == 0, c.output
    assert "hợp lệ" in c.output and "không hết hạn" in c.output
    debug = parse_qs(urlsplit(responses.calls[-1].request.url).query)
    assert debug["input_token"] == ["PAGE-TOKEN-HANH-DICH"]
    assert "FB-APP-SECRET" not in c.output


def test_publish_dry_run_prints_masked_requests(run: Cli, tmp_path: Path) -> None:
    run("init")
    run("accounts", "add", "facebook/ubnd-hanh-dich", "--token-stdin", "--remote-id", "1647395831",
        input="PAGE-TOKEN-SECRET\n")
    when = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(days=3)).strftime("%Y-%m-%d 07:00")
    path = tmp_path / "lich.yaml"
    path.write_text(f"""posts:
  - id: bai-fb
    at: {when}
    title: Chào mừng Quốc khánh
    text: Chào mừng 81 năm Quốc khánh.
    targets: [facebook/ubnd-hanh-dich]
""", encoding="utf-8")
    assert run("queue", str(path)).exit_code == 0
    r = run("publish", "bai-fb", "--dry-run", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    reqs = out[0]["requests"]
    assert reqs and all("PAGE-TOKEN-SECRET" not in json.dumps(q) for q in reqs)
    assert any(q["method"] == "POST" and "/1647395831/" in q["url"] for q in reqs)
    assert "Chào mừng 81 năm Quốc khánh." in json.dumps(reqs, ensure_ascii=False)
    assert run("publish", "bai-fb").exit_code == 2
