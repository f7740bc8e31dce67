"""Personal API tokens: made on the user's own page (shown once), stored hashed, acting as their user
(role and unit), revoked (then 401), dead with a disabled user, and only their owner's to revoke."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from publisher.actions.signin import SignIn
from publisher.core.people import Role
from publisher.store import Store
from publisher.store import schema as s
from publisher.store.api_tokens import MAX_TOKENS, ApiTokens
from publisher.store.users import Users
from publisher.store.web import WebRepo
from publisher.web.api.auth import TOKEN_PREFIX, issue_token
from tests.web.conftest import add_user, csrf_of, sign_in

TOKEN_RE = re.compile(r'<code class="token" id="new-token">([^<]+)</code>')


def make(client: TestClient, csrf: str, name: str = "Cổng tỉnh") -> str:
    r = client.post("/tokens", data={"csrf": csrf, "action": "create", "name": name})
    assert r.status_code == 200, r.text
    found = TOKEN_RE.search(r.text)
    assert found, "the new token is not on the page"
    return found.group(1)


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def api(client: TestClient, value: str) -> int:
    """The status of a token call, made without the browser's cookie."""
    cookies = dict(client.cookies)
    client.cookies.clear()
    try:
        return client.get("/api/v1/me", headers=bearer(value)).status_code
    finally:
        for k, v in cookies.items():
            client.cookies.set(k, v)


def test_make_a_token_shown_once_and_use_it(client: TestClient, web_store: Store) -> None:
    add_user(web_store, "Cán Bộ An", Role.OFFICER, unit="xa-a")
    csrf = sign_in(client, "Cán Bộ An")
    page = client.get("/tokens")
    assert page.status_code == 200 and "chưa có mã API" in page.text
    value = make(client, csrf)
    assert value.startswith(TOKEN_PREFIX) and len(value) >= len(TOKEN_PREFIX) + 43  # 32 random bytes
    again = client.get("/tokens")
    assert "Cổng tỉnh" in again.text and value not in again.text  # listed, never shown again
    assert "chưa dùng" in again.text

    client.cookies.clear()
    r = client.get("/api/v1/me", headers=bearer(value))
    assert r.status_code == 200, r.text
    assert r.json() == {
        "name": "Cán Bộ An",
        "role": "officer",
        "unit": "xa-a",
        "units": ["xa-a"],
        "via": "token",
    }
    rows = ApiTokens(web_store.db).of_user(Users(web_store.db).get("Cán Bộ An").id)  # type: ignore[union-attr]
    assert rows[0].last_used_at is not None
    sign_in(client, "Cán Bộ An")
    assert "chưa dùng" not in client.get("/tokens").text


def test_the_database_keeps_only_the_hash(client: TestClient, web_store: Store) -> None:
    add_user(web_store, "an", Role.OFFICER)
    value = make(client, sign_in(client, "an"))
    with web_store.db.read() as conn:
        rows = [tuple(str(v) for v in r) for r in conn.execute(select(s.api_tokens))]
        trail = [str(r.detail) for r in conn.execute(select(s.audit))]
    assert len(rows) == 1
    assert hashlib.sha256(value.encode()).hexdigest() in rows[0]
    assert not any(value in cell or value[len(TOKEN_PREFIX) :] in cell for cell in rows[0])
    assert not any(value[len(TOKEN_PREFIX) :] in line for line in trail)
    dump = "\n".join(web_store.db.engine.raw_connection().iterdump())
    assert value[len(TOKEN_PREFIX) :] not in dump


def test_a_revoked_token_is_refused(client: TestClient, web_store: Store) -> None:
    add_user(web_store, "an", Role.OFFICER)
    csrf = sign_in(client, "an")
    value = make(client, csrf)
    assert api(client, value) == 200
    token_id = re.search(r'name="token_id" value="(\d+)"', client.get("/tokens").text)
    assert token_id
    r = client.post("/tokens", data={"csrf": csrf, "action": "revoke", "token_id": token_id.group(1)})
    assert r.status_code == 200 and "Đã thu hồi" in r.text
    client.cookies.clear()
    r = client.get("/api/v1/me", headers=bearer(value))
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"
    assert r.json()["error"]["message_en"].startswith("The API token is not valid")


def test_revoking_needs_csrf_and_only_ones_own_token(client: TestClient, web_store: Store) -> None:
    add_user(web_store, "an", Role.OFFICER)
    other = add_user(web_store, "binh", Role.APPROVER)
    theirs, row = issue_token(web_store, other, "của Bình")
    csrf = sign_in(client, "an")
    assert client.post("/tokens", data={"action": "revoke", "token_id": str(row.id)}).status_code == 403
    r = client.post("/tokens", data={"csrf": csrf, "action": "revoke", "token_id": str(row.id)})
    assert r.status_code == 404
    assert "của Bình" not in client.get("/tokens").text  # nor listed
    assert api(client, theirs) == 200
    assert client.post("/tokens", data={"action": "create", "name": "x"}).status_code == 403


def test_a_disabled_users_token_stops_working(client: TestClient, web_store: Store) -> None:
    user = add_user(web_store, "an", Role.OFFICER)
    value, _ = issue_token(web_store, user, "script")
    assert client.get("/api/v1/me", headers=bearer(value)).status_code == 200
    Users(web_store.db).disable(user, by="test")
    r = client.get("/api/v1/me", headers=bearer(value))
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"
    Users(web_store.db).add("an", Role.OFFICER, None, by="test")  # enabled again: the token works again
    assert client.get("/api/v1/me", headers=bearer(value)).status_code == 200


def test_a_token_acts_with_its_users_current_role(client: TestClient, web_store: Store) -> None:
    user = add_user(web_store, "an", Role.APPROVER)
    value, _ = issue_token(web_store, user, "script")
    assert client.get("/api/v1/approvals", headers=bearer(value)).status_code == 200
    Users(web_store.db).add("an", Role.OFFICER, None, by="test")
    r = client.get("/api/v1/approvals", headers=bearer(value))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


def test_after_a_password_reset_the_token_waits_for_the_new_password(
    client: TestClient, web_store: Store
) -> None:
    user = add_user(web_store, "an", Role.OFFICER)
    value, _ = issue_token(web_store, user, "script")
    SignIn(Users(web_store.db), WebRepo(web_store.db), web_store.settings).set_password(
        user, "mat-khau-mot-lan-1", by="admin", one_time=True
    )
    r = client.get("/api/v1/me", headers=bearer(value))
    assert r.status_code == 403 and r.json()["error"]["code"] == "password_change_required"


def test_bad_headers_and_names(client: TestClient, web_store: Store) -> None:
    user = add_user(web_store, "an", Role.OFFICER)
    for header in ("Basic YW46eA==", "Bearer", "Bearer    ", "Bearer pub_" + "A" * 43, "Token abc"):
        r = client.get("/api/v1/me", headers={"Authorization": header})
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token", header
    csrf = sign_in(client, "an")
    r = client.post("/tokens", data={"csrf": csrf, "action": "create", "name": "   "})
    assert r.status_code == 400 and "Hãy đặt tên" in r.text and TOKEN_PREFIX not in r.text
    r = client.post("/tokens", data={"csrf": csrf, "action": "create", "name": "x" * 101})
    assert r.status_code == 400
    for i in range(MAX_TOKENS - 1):
        issue_token(web_store, user, f"t{i}")
    make(client, csrf, "cuối cùng")
    r = client.post("/tokens", data={"csrf": csrf, "action": "create", "name": "quá nhiều"})
    assert r.status_code == 400 and str(MAX_TOKENS) in r.text


def test_last_used_is_written_at_most_once_a_minute(web_store: Store) -> None:
    user = add_user(web_store, "an", Role.OFFICER)
    tokens = ApiTokens(web_store.db)
    _value, row = issue_token(web_store, user, "script")
    now = datetime.now(UTC)
    tokens.touch(row, now)
    fresh = tokens.of_user(user.id)[0]
    tokens.touch(fresh, now + timedelta(seconds=30))
    assert tokens.of_user(user.id)[0].last_used_at == fresh.last_used_at
    tokens.touch(fresh, now + timedelta(seconds=90))
    assert tokens.of_user(user.id)[0].last_used_at == now + timedelta(seconds=90)


def test_the_tokens_page_needs_a_session(client: TestClient, web_store: Store) -> None:
    r = client.get("/tokens")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    add_user(web_store, "an", Role.OFFICER)
    sign_in(client, "an")
    html = client.get("/tokens").text
    assert csrf_of(html) and 'action="/tokens"' in html and "/api/docs" in html
