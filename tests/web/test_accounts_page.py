"""The Accounts page: health, "check now", and the connect flows in the browser (platforms faked
at HTTP with ``responses``, in the shapes of tests/platforms/payloads and the reference files)."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from publisher.core.credentials import Credentials
from publisher.core.models import PostSpec, Target
from publisher.core.people import Role
from publisher.settings import Settings
from publisher.store import Store
from publisher.store import schema as s
from publisher.store.oauth import PREFIX
from tests.conftest import make_settings
from tests.web.conftest import add_user, sign_in

GRAPH = "https://graph.facebook.com/v25.0"
GOOGLE_TOKEN = "https://oauth2.googleapis.com/token"
ZALO_TOKEN = "https://oauth.zaloapp.com/v4/oa/access_token"
CHANNELS = "https://www.googleapis.com/youtube/v3/channels"
PAYLOADS = Path(__file__).resolve().parents[1] / "platforms" / "payloads"

#: every secret of these tests: none may ever appear in a rendered page
SECRETS = (
    "FB-APP-SECRET",
    "ZALO-APP-SECRET",
    "GOOGLE-SECRET",
    "SHORT-USER-TOKEN",
    "LONG-LIVED-USER-TOKEN",
    "PAGE-TOKEN-HANH-DICH",
    "PAGE-TOKEN-OTHER",
    "ZALO-ACCESS-2",
    "ZALO-REFRESH-2",
    "ya29.NEW",
    "1//NEW-REFRESH",
    "ya29.STORED",
    "1//STORED-REFRESH",
    "EAAB-STORED-PAGE",
)
GOOGLE_ANSWER = {
    "access_token": "ya29.NEW",
    "refresh_token": "1//NEW-REFRESH",
    "expires_in": 3599,
    "scope": "https://www.googleapis.com/auth/youtube",
    "token_type": "Bearer",
}


def payload(platform: str, name: str) -> dict:
    return json.loads((PAYLOADS / platform / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    return make_settings(
        tmp_path,
        facebook={"app_id": "1234567890", "app_secret": "FB-APP-SECRET"},
        zalo={"app_id": "app-1", "app_secret": "ZALO-APP-SECRET"},
        youtube={"client_id": "client-1.apps.googleusercontent.com", "client_secret": "GOOGLE-SECRET"},
    )


class Pages:
    """Every page a test client was answered with, to check that no secret was ever in one."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, text: str) -> str:
        self.seen.append(text)
        for secret in SECRETS:
            assert secret not in text, secret
        return text


@pytest.fixture
def seen() -> Iterator[Pages]:
    pages = Pages()
    yield pages
    assert pages.seen


def second_client(client: TestClient) -> TestClient:
    return TestClient(client.app, follow_redirects=False)


def set_unit(store: Store, target: str, unit: str) -> None:
    tgt = Target.parse(target)
    with store.db.write() as conn:
        conn.execute(
            update(s.accounts)
            .where(s.accounts.c.platform == tgt.platform.value, s.accounts.c.name == tgt.name)
            .values(unit=unit)
        )


def raw_db(settings: Settings) -> bytes:
    return b"".join(p.read_bytes() for p in settings.data_dir.rglob("*.sqlite*") if p.is_file())


def consent_url(page: str) -> str:
    found = re.search(r'<a class="button" href="([^"]+)"', page)
    assert found, page
    return html.unescape(found.group(1))


def sent(i: int) -> Any:
    """The ``i``-th request the faked platforms received."""
    call: Any = responses.calls[i]
    return call.request


def form_sent(i: int) -> dict[str, list[str]]:
    return parse_qs(str(sent(i).body))


def query_sent(i: int) -> dict[str, list[str]]:
    return parse_qs(urlsplit(str(sent(i).url)).query)


def stored(store: Store, target: str) -> Credentials:
    return store.credentials(int(store.account(target).id))


# -- the page ------------------------------------------------------------------------------------


def test_the_page_lists_each_accounts_health(client: TestClient, web_store: Store, seen: Pages) -> None:
    now = datetime.now(UTC)
    web_store.add_account(
        Target.parse("facebook/ubnd-hanh-dich"),
        "test",
        display_name="UBND xã Hạnh Dịch",
        credentials=Credentials(
            access_token="EAAB-STORED-PAGE", expires_at=now + timedelta(days=20, hours=1)
        ),
    )
    web_store.add_account(
        Target.parse("youtube/xa-tv"),
        "test",
        credentials=Credentials(
            access_token="ya29.STORED",
            refresh_token="1//STORED-REFRESH",
            expires_at=now + timedelta(minutes=50),
        ),
    )
    zalo = web_store.add_account(
        Target.parse("zalo/ubnd-hanh-dich"),
        "test",
        credentials=Credentials(
            access_token="ZALO-OLD",
            refresh_token="ZALO-OLD-R",
            refresh_expires_at=now + timedelta(days=3, hours=1),
        ),
    )
    web_store.set_account_status(zalo, "needs_reauth", "Zalo từ chối làm mới mã (mã -14014)")
    spec = PostSpec(
        key="tiem-chung",
        title="Thông báo",
        text="Lịch tiêm chủng",
        due_at=now - timedelta(days=2),
        timezone="Asia/Ho_Chi_Minh",
        targets=(Target.parse("facebook/ubnd-hanh-dich"),),
    )
    web_store.queue([spec], actor="test")
    with web_store.db.write() as conn:
        conn.execute(
            update(s.deliveries).values(
                state="published", published_at=now - timedelta(days=2), remote_url="https://facebook.com/1_2"
            )
        )
    add_user(web_store, "an", Role.OFFICER)
    sign_in(client, "an")
    page = seen(client.get("/accounts").text)
    blocks = dict(
        (re.search(r"<strong>([^<]+)</strong>", b).group(1), b)  # type: ignore[union-attr]
        for b in re.findall(r'<tr id="account-\d+">(.*?)</tr>', page, re.S)
    )
    assert set(blocks) == {"facebook/ubnd-hanh-dich", "youtube/xa-tv", "zalo/ubnd-hanh-dich"}
    fb = blocks["facebook/ubnd-hanh-dich"]
    assert "Còn 20 ngày" in fb and "Hoạt động" in fb and "UBND xã Hạnh Dịch" in fb
    assert 'href="https://facebook.com/1_2"' in fb and "default" in fb
    assert "Tự gia hạn" in blocks["youtube/xa-tv"]  # a refresh token renews its 1-hour token
    z = blocks["zalo/ubnd-hanh-dich"]
    assert "Cần kết nối lại" in z and "-14014" in z and "Còn 3 ngày" in z and "Chưa có" in z
    # an officer checks but does not connect
    assert "Kiểm tra ngay" in page and "/accounts/connect" not in page


def test_another_units_account_is_not_listed_and_is_404(
    client: TestClient, web_store: Store, seen: Pages
) -> None:
    web_store.add_account(
        Target.parse("youtube/xa-a"), "test", credentials=Credentials(access_token="ya29.STORED")
    )
    web_store.add_account(Target.parse("facebook/xa-b"), "test", credentials=Credentials(access_token="x"))
    set_unit(web_store, "youtube/xa-a", "xa-a")
    set_unit(web_store, "facebook/xa-b", "xa-b")
    other = int(web_store.account("facebook/xa-b").id)
    add_user(web_store, "duyet-a", Role.APPROVER, unit="xa-a")
    csrf = sign_in(client, "duyet-a")
    page = seen(client.get("/accounts").text)
    assert "youtube/xa-a" in page and "facebook/xa-b" not in page
    assert client.post(f"/accounts/{other}/check", data={"csrf": csrf}).status_code == 404
    assert client.post("/accounts/999/check", data={"csrf": csrf}).status_code == 404
    r = client.post("/accounts/connect", data={"csrf": csrf, "platform": "facebook", "name": "xa-b"})
    assert r.status_code == 404
    assert client.get("/accounts/connect/facebook?name=xa-b").status_code == 404
    r = client.post(
        "/accounts/connect/facebook", data={"csrf": csrf, "name": "xa-b", "user_token": "SHORT-USER-TOKEN"}
    )
    assert r.status_code == 404
    # a new account joins the user's own unit, never one they do not see
    r = client.post(
        "/accounts/connect", data={"csrf": csrf, "platform": "youtube", "name": "moi", "unit": "xa-b"}
    )
    assert r.status_code == 404
    r = client.post("/accounts/connect", data={"csrf": csrf, "platform": "youtube", "name": "moi"})
    state = parse_qs(urlsplit(consent_url(seen(r.text))).query)["state"][0]
    with responses.RequestsMock() as mock:
        mock.post(GOOGLE_TOKEN, json=GOOGLE_ANSWER)
        r = client.get(f"/accounts/oauth/google/callback?state={state}&code=C")
    assert r.status_code == 200, r.text
    assert web_store.account("youtube/moi").unit == "xa-a"
    # an admin sees every unit
    add_user(web_store, "quan-tri", Role.ADMIN)
    admin = second_client(client)
    sign_in(admin, "quan-tri")
    page = seen(admin.get("/accounts").text)
    assert "youtube/xa-a" in page and "facebook/xa-b" in page and 'name="unit"' in page
    admin_csrf = sign_in(admin, "quan-tri")
    data = {"csrf": admin_csrf, "platform": "facebook", "name": "xa-c", "unit": "xa-c"}
    r = admin.post("/accounts/connect", data=data)
    assert r.status_code == 303 and r.headers["location"] == "/accounts/connect/facebook?name=xa-c&unit=xa-c"
    assert 'name="unit" value="xa-c"' in seen(admin.get(r.headers["location"]).text)


def test_an_officer_may_not_connect(client: TestClient, web_store: Store) -> None:
    add_user(web_store, "an", Role.OFFICER)
    csrf = sign_in(client, "an")
    assert (
        client.post(
            "/accounts/connect", data={"csrf": csrf, "platform": "youtube", "name": "xa-tv"}
        ).status_code
        == 403
    )
    assert client.get("/accounts/connect/facebook?name=xa").status_code == 403
    r = client.post("/accounts/connect/facebook", data={"csrf": csrf, "name": "xa", "user_token": "T"})
    assert r.status_code == 403
    assert (
        client.post("/accounts/connect/facebook/pick", data={"csrf": csrf, "state": "s"}).status_code == 403
    )
    assert not web_store.accounts()


def test_forms_need_the_csrf_token_and_valid_input(client: TestClient, web_store: Store, seen: Pages) -> None:
    add_user(web_store, "duyet", Role.APPROVER)
    csrf = sign_in(client, "duyet")
    assert client.post("/accounts/connect", data={"platform": "youtube", "name": "xa-tv"}).status_code == 403
    r = client.post("/accounts/connect", data={"csrf": csrf, "platform": "youtube", "name": "Xã TV"})
    assert r.status_code == 400 and "không hợp lệ" in seen(r.text)
    r = client.post("/accounts/connect", data={"csrf": csrf, "platform": "sandbox", "name": "demo"})
    assert r.status_code == 400 and "không kết nối qua trình duyệt" in seen(r.text)
    r = client.post("/accounts/connect/facebook", data={"csrf": csrf, "name": "xa", "user_token": "  "})
    assert r.status_code == 400 and "Hãy dán user access token" in seen(r.text)
    r = client.post("/accounts/connect/facebook", data={"csrf": csrf, "name": "xa", "user_token": "A B"})
    assert r.status_code == 400 and "khoảng trắng" in seen(r.text)
    assert not web_store.accounts()


# -- check now ------------------------------------------------------------------------------------


@responses.activate
def test_check_now_runs_the_cli_check_for_one_account(
    client: TestClient, web_store: Store, seen: Pages
) -> None:
    now = datetime.now(UTC)
    web_store.add_account(
        Target.parse("youtube/xa-tv"),
        "test",
        credentials=Credentials(
            access_token="ya29.STORED", refresh_token="1//STORED-REFRESH", expires_at=now + timedelta(hours=5)
        ),
    )
    web_store.add_account(
        Target.parse("facebook/ubnd-hanh-dich"),
        "test",
        credentials=Credentials(access_token="EAAB-STORED-PAGE"),
    )
    responses.get(CHANNELS, json={"items": [{"id": "UCxa", "snippet": {"title": "Xã TV"}}]})
    responses.post(GOOGLE_TOKEN, json=payload("youtube", "token_refreshed"))  # renewed first, as the CLI does
    debug = {
        "data": {
            "app_id": "1234567890",
            "type": "PAGE",
            "is_valid": True,
            "expires_at": 0,
            "data_access_expires_at": int((now + timedelta(days=80)).timestamp()),
            "scopes": ["pages_show_list", "pages_manage_posts"],
        }
    }
    responses.get(f"{GRAPH}/debug_token", json=debug)
    add_user(web_store, "an", Role.OFFICER)
    csrf = sign_in(client, "an")
    yt = int(web_store.account("youtube/xa-tv").id)
    fb = int(web_store.account("facebook/ubnd-hanh-dich").id)
    r = client.post(f"/accounts/{yt}/check", data={"csrf": csrf}, headers={"HX-Request": "true"})
    part = seen(r.text)
    assert r.status_code == 200 and "<html" not in part
    assert "Quyền truy cập hợp lệ" in part and "Xã TV" in part and "tự gia hạn" in part
    assert form_sent(0)["refresh_token"] == ["1//STORED-REFRESH"]
    assert sent(-1).headers["Authorization"] == "Bearer ya29.NEW-ACCESS"
    r = client.post(f"/accounts/{fb}/check", data={"csrf": csrf})  # without htmx: the whole page
    page = seen(r.text)
    assert r.status_code == 200 and "<html" in page
    assert "không bao giờ hết hạn" in page and "Thiếu quyền: pages_read_engagement, read_insights" in page
    assert "Quyền đọc dữ liệu hết hạn" in page and "(còn 79 ngày)" in page
    assert query_sent(-1)["input_token"] == ["EAAB-STORED-PAGE"]


# -- Google OAuth -----------------------------------------------------------------------------------


@responses.activate
def test_google_connects_in_the_browser_and_stores_the_tokens_encrypted(
    client: TestClient, web_store: Store, web_settings: Settings, seen: Pages
) -> None:
    responses.post(GOOGLE_TOKEN, json=GOOGLE_ANSWER)
    add_user(web_store, "duyet", Role.APPROVER)
    csrf = sign_in(client, "duyet")
    r = client.post("/accounts/connect", data={"csrf": csrf, "platform": "youtube", "name": "xa-tv"})
    assert r.status_code == 200
    url = consent_url(seen(r.text))
    query = parse_qs(urlsplit(url).query)
    assert url.startswith("https://accounts.google.com/o/oauth2/v2/auth?")
    redirect = "http://127.0.0.1:8080/accounts/oauth/google/callback"
    assert query["redirect_uri"] == [redirect] and query["access_type"] == ["offline"]
    state = query["state"][0]
    with web_store.db.read() as conn:
        keys = [k for (k,) in conn.execute(select(s.meta.c.key)) if k.startswith(PREFIX)]
    assert len(keys) == 1 and state not in keys[0] and len(keys[0]) <= 64

    r = client.get(f"/accounts/oauth/google/callback?state={state}&code=4/CODE-1&scope=x")
    assert r.status_code == 200, r.text
    assert "Đã kết nối youtube/xa-tv" in seen(r.text)
    form = form_sent(0)
    assert form["code"] == ["4/CODE-1"] and form["redirect_uri"] == [redirect]
    creds = stored(web_store, "youtube/xa-tv")
    assert creds.access_token == "ya29.NEW" and creds.refresh_token == "1//NEW-REFRESH"
    raw = raw_db(web_settings)
    assert b"ya29.NEW" not in raw and b"1//NEW-REFRESH" not in raw
    with web_store.db.read() as conn:
        audit = [(a.actor, a.action, a.detail) for a in conn.execute(select(s.audit))]
    added = [d for actor, action, d in audit if (actor, action) == ("duyet", "account_added")]
    assert added and added[0]["target"] == "youtube/xa-tv"
    updated = [d for actor, action, d in audit if (actor, action) == ("duyet", "credentials_updated")]
    assert updated and updated[0]["via"] == "web" and "ya29" not in json.dumps(updated)
    assert web_store.account("youtube/xa-tv").unit == "default"
    # a state serves once
    r = client.get(f"/accounts/oauth/google/callback?state={state}&code=4/CODE-1")
    assert r.status_code == 400 and "đã dùng" in seen(r.text)
    assert len(responses.calls) == 1
    seen(client.get("/accounts").text)


@responses.activate
def test_a_state_that_does_not_match_is_refused_and_nothing_is_saved(
    client: TestClient, web_store: Store, seen: Pages
) -> None:
    responses.post(GOOGLE_TOKEN, json=GOOGLE_ANSWER)
    add_user(web_store, "duyet", Role.APPROVER)
    add_user(web_store, "ke-khac", Role.ADMIN)
    csrf = sign_in(client, "duyet")

    def begin() -> str:
        r = client.post("/accounts/connect", data={"csrf": csrf, "platform": "youtube", "name": "xa-tv"})
        return parse_qs(urlsplit(consent_url(seen(r.text))).query)["state"][0]

    state = begin()
    r = client.get("/accounts/oauth/google/callback?state=forged-state&code=C")
    assert r.status_code == 400 and "Không lưu gì" in seen(r.text)
    r = client.get(f"/accounts/oauth/zalo/callback?state={state}&code=C")  # another provider's callback
    assert r.status_code == 400
    # another signed-in session (another user) brings back a valid state: refused
    state = begin()
    other = second_client(client)
    sign_in(other, "ke-khac")
    r = other.get(f"/accounts/oauth/google/callback?state={state}&code=C")
    assert r.status_code == 400 and "phiên đăng nhập khác" in seen(r.text)
    # no session at all
    state = begin()
    r = second_client(client).get(f"/accounts/oauth/google/callback?state={state}&code=C")
    assert r.status_code == 400 and "phiên đăng nhập khác" in seen(r.text)
    # expired
    state = begin()
    with web_store.db.write() as conn:
        for row in conn.execute(select(s.meta).where(s.meta.c.key.startswith(PREFIX))).all():
            value = dict(row.value, expires_at=(datetime.now(UTC) - timedelta(seconds=1)).isoformat())
            conn.execute(update(s.meta).where(s.meta.c.key == row.key).values(value=value))
    r = client.get(f"/accounts/oauth/google/callback?state={state}&code=C")
    assert r.status_code == 400 and "hết hạn" in seen(r.text)
    # the user said no on the consent page: the state is spent, nothing saved
    state = begin()
    r = client.get(f"/accounts/oauth/google/callback?state={state}&error=access_denied")
    assert r.status_code == 400 and "access_denied" in seen(r.text)
    assert client.get(f"/accounts/oauth/google/callback?state={state}&code=C").status_code == 400
    assert client.get("/accounts/oauth/other/callback?state=x").status_code == 404
    assert not responses.calls and not web_store.accounts()


# -- Zalo OAuth v4 with PKCE ---------------------------------------------------------------------


@responses.activate
def test_zalo_sends_the_pkce_verifier_of_the_challenge(
    client: TestClient, web_store: Store, web_settings: Settings, seen: Pages
) -> None:
    responses.post(ZALO_TOKEN, json=payload("zalo", "refresh_ok"))
    add_user(web_store, "duyet", Role.APPROVER)
    csrf = sign_in(client, "duyet")
    r = client.post("/accounts/connect", data={"csrf": csrf, "platform": "zalo", "name": "ubnd-hanh-dich"})
    url = consent_url(seen(r.text))
    assert url.startswith("https://oauth.zaloapp.com/v4/oa/permission?")
    query = parse_qs(urlsplit(url).query)
    assert query["redirect_uri"] == ["http://127.0.0.1:8080/accounts/oauth/zalo/callback"]
    challenge, state = query["code_challenge"][0], query["state"][0]
    assert b"code_verifier" not in raw_db(web_settings)  # the verifier waits sealed
    r = client.get(f"/accounts/oauth/zalo/callback?code=ZCODE&oa_id=579745863508352884&state={state}")
    assert r.status_code == 200 and "Đã kết nối zalo/ubnd-hanh-dich" in seen(r.text)
    form = form_sent(0)
    verifier = form["code_verifier"][0]
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert digest == challenge
    assert form["code"] == ["ZCODE"] and form["grant_type"] == ["authorization_code"]
    assert sent(0).headers["secret_key"] == "ZALO-APP-SECRET"
    creds = stored(web_store, "zalo/ubnd-hanh-dich")
    assert creds.access_token == "ZALO-ACCESS-2" and creds.refresh_token == "ZALO-REFRESH-2"
    assert web_store.account("zalo/ubnd-hanh-dich").remote_id == "579745863508352884"
    assert b"ZALO-REFRESH-2" not in raw_db(web_settings)


# -- Facebook: user token -> Pages -> pick ---------------------------------------------------------


@responses.activate
def test_facebook_page_pick_stores_the_page_token(
    client: TestClient, web_store: Store, web_settings: Settings, seen: Pages
) -> None:
    responses.get(f"{GRAPH}/oauth/access_token", json=payload("facebook", "long_lived"))
    responses.get(f"{GRAPH}/me/accounts", json=payload("facebook", "me_accounts"))
    web_store.add_account(Target.parse("facebook/ubnd-hanh-dich"), "test")
    acc = web_store.account("facebook/ubnd-hanh-dich")
    web_store.set_account_status(int(acc.id), "needs_reauth", "Facebook từ chối mã: 190")
    add_user(web_store, "duyet", Role.APPROVER)
    csrf = sign_in(client, "duyet")
    page = seen(client.get("/accounts").text)
    assert "Kết nối" in page  # an approver connects
    r = client.post(
        "/accounts/connect", data={"csrf": csrf, "platform": "facebook", "name": "ubnd-hanh-dich"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/accounts/connect/facebook?name=ubnd-hanh-dich"
    form = seen(client.get(r.headers["location"]).text)
    assert 'name="user_token" type="password"' in form
    r = client.post(
        "/accounts/connect/facebook",
        data={"csrf": csrf, "name": "ubnd-hanh-dich", "user_token": "SHORT-USER-TOKEN"},
    )
    assert r.status_code == 200, r.text
    pick = seen(r.text)
    assert "UBND xã Hạnh Dịch" in pick and "Trang khác" in pick
    exchange = query_sent(0)
    assert exchange["fb_exchange_token"] == ["SHORT-USER-TOKEN"]
    listing = query_sent(1)
    assert listing["access_token"] == ["LONG-LIVED-USER-TOKEN"]
    assert b"LONG-LIVED-USER-TOKEN" not in raw_db(web_settings)  # waits sealed for the pick
    state = re.search(r'name="state" value="([^"]+)"', pick).group(1)  # type: ignore[union-attr]

    r = client.post(
        "/accounts/connect/facebook/pick", data={"csrf": csrf, "state": state, "page_id": "1647395831"}
    )
    assert r.status_code == 200, r.text
    done = seen(r.text)
    assert "Đã kết nối facebook/ubnd-hanh-dich" in done and "UBND xã Hạnh Dịch" in done
    creds = stored(web_store, "facebook/ubnd-hanh-dich")
    assert creds.access_token == "PAGE-TOKEN-HANH-DICH" and creds.remote_account_id == "1647395831"
    row = web_store.account("facebook/ubnd-hanh-dich")
    assert row.status == "active" and row.remote_id == "1647395831"
    assert b"PAGE-TOKEN-HANH-DICH" not in raw_db(web_settings)
    # the state served once
    r = client.post("/accounts/connect/facebook/pick", data={"csrf": csrf, "state": state, "page_id": "999"})
    assert r.status_code == 400 and "Không lưu gì" in seen(r.text)
    assert stored(web_store, "facebook/ubnd-hanh-dich").access_token == "PAGE-TOKEN-HANH-DICH"


@responses.activate
def test_facebook_refuses_a_page_that_was_not_offered(
    client: TestClient, web_store: Store, seen: Pages
) -> None:
    responses.get(f"{GRAPH}/oauth/access_token", json=payload("facebook", "long_lived"))
    responses.get(f"{GRAPH}/me/accounts", json=payload("facebook", "me_accounts"))
    add_user(web_store, "duyet", Role.APPROVER)
    add_user(web_store, "khac", Role.APPROVER)
    csrf = sign_in(client, "duyet")
    data = {"csrf": csrf, "name": "xa", "user_token": "SHORT-USER-TOKEN"}
    pick = seen(client.post("/accounts/connect/facebook", data=data).text)
    state = re.search(r'name="state" value="([^"]+)"', pick).group(1)  # type: ignore[union-attr]
    r = client.post("/accounts/connect/facebook/pick", data={"csrf": csrf, "state": state, "page_id": "42"})
    assert r.status_code == 400 and "không nằm trong danh sách" in seen(r.text)
    # a state picked in another session is refused too
    pick = seen(client.post("/accounts/connect/facebook", data=data).text)
    state = re.search(r'name="state" value="([^"]+)"', pick).group(1)  # type: ignore[union-attr]
    other = second_client(client)
    other_csrf = sign_in(other, "khac")
    r = other.post(
        "/accounts/connect/facebook/pick", data={"csrf": other_csrf, "state": state, "page_id": "999"}
    )
    assert r.status_code == 400 and "phiên đăng nhập khác" in seen(r.text)
    assert not web_store.accounts()


@responses.activate
def test_a_refused_google_code_says_why_and_saves_nothing(
    client: TestClient, web_store: Store, seen: Pages
) -> None:
    responses.post(GOOGLE_TOKEN, json={"error": "invalid_grant", "error_description": "Bad code"}, status=400)
    add_user(web_store, "duyet", Role.APPROVER)
    csrf = sign_in(client, "duyet")
    r = client.post("/accounts/connect", data={"csrf": csrf, "platform": "youtube", "name": "xa-tv"})
    state = parse_qs(urlsplit(consent_url(seen(r.text))).query)["state"][0]
    r = client.get(f"/accounts/oauth/google/callback?state={state}&code=BAD")
    assert r.status_code == 400 and "invalid_grant" in seen(r.text)
    assert not web_store.accounts()
