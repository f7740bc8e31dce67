"""Signing in: sessions, the one-time password, CSRF, the lock after failures, security headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from publisher.core.people import Role
from publisher.store import Store
from publisher.store import schema as s
from tests.web.conftest import PASSWORD, add_user, csrf_of, sign_in


def test_pages_need_a_session_and_send_to_login(client: TestClient) -> None:
    r = client.get("/password")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/password"
    assert client.get("/healthz").json() == {"status": "ok"}


def test_sign_in_and_out(client: TestClient, web_store: Store) -> None:
    add_user(web_store, "Nguyễn Văn An", Role.OFFICER)
    csrf = sign_in(client, "nguyễn văn an")
    assert client.get("/password").status_code == 200
    r = client.post("/logout", data={"csrf": csrf})
    assert r.status_code == 303
    assert client.get("/password").status_code == 303  # the session is gone server-side
    with web_store.db.read() as conn:
        actions = [r.action for r in conn.execute(select(s.audit.c.action))]
    assert "signin" in actions and "signout" in actions


def test_the_cookie_is_httponly_and_the_database_keeps_only_a_digest(
    client: TestClient, web_store: Store
) -> None:
    add_user(web_store, "an", Role.OFFICER)
    r = client.post("/login", data={"name": "an", "password": PASSWORD, "next": "/"})
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    token = cookie.split("=", 1)[1].split(";", 1)[0]
    with web_store.db.read() as conn:
        ids = [r.id for r in conn.execute(select(s.web_sessions.c.id))]
        hashes = [r.password_hash for r in conn.execute(select(s.users.c.password_hash))]
    assert ids and token not in ids
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_a_post_without_the_csrf_token_is_refused(client: TestClient, web_store: Store) -> None:
    add_user(web_store, "an", Role.OFFICER)
    csrf = sign_in(client, "an")
    assert client.post("/logout", data={"csrf": "forged"}).status_code == 403
    assert client.post("/logout", data={}).status_code == 403
    assert client.get("/password").status_code == 200  # still signed in
    assert client.post("/logout", headers={"X-CSRF-Token": csrf}).status_code == 303


def test_an_idle_session_ends(client: TestClient, web_store: Store) -> None:
    add_user(web_store, "an", Role.OFFICER)
    sign_in(client, "an")
    idle = web_store.settings.web.session_idle_minutes
    with web_store.db.write() as conn:
        conn.execute(
            update(s.web_sessions).values(last_seen_at=datetime.now(UTC) - timedelta(minutes=idle + 1))
        )
    assert client.get("/password").status_code == 303


def test_a_one_time_password_must_be_changed_first(client: TestClient, web_store: Store) -> None:
    from publisher.actions.signin import SignIn
    from publisher.store.users import Users
    from publisher.store.web import WebRepo

    user = add_user(web_store, "an", Role.ADMIN)
    SignIn(Users(web_store.db), WebRepo(web_store.db), web_store.settings).set_password(
        user, "mot-lan-thoi-123", by="init", one_time=True
    )
    r = client.post("/login", data={"name": "an", "password": "mot-lan-thoi-123", "next": "/"})
    assert r.status_code == 303
    assert client.get("/no-such-page").status_code == 404
    assert client.post("/logout", data={"csrf": "x"}).status_code in (303, 403)
    r = client.get("/password")
    assert r.status_code == 200 and "mật khẩu một lần" in r.text.lower()
    page = client.get("/password")
    csrf = csrf_of(page.text)
    bad = client.post(
        "/password", data={"csrf": csrf, "current": "mot-lan-thoi-123", "new": "ngan", "repeat": "ngan"}
    )
    assert bad.status_code == 400 and "10" in bad.text
    ok = client.post(
        "/password",
        data={
            "csrf": csrf,
            "current": "mot-lan-thoi-123",
            "new": "mat-khau-moi-456",
            "repeat": "mat-khau-moi-456",
        },
    )
    assert ok.status_code == 303
    assert client.get("/password").status_code == 200  # the new session works, no forced change


def test_repeated_failures_lock_the_name_and_are_audited(client: TestClient, web_store: Store) -> None:
    add_user(web_store, "an", Role.OFFICER)
    tries = web_store.settings.web.login_max_failures
    for _ in range(tries):
        r = client.post("/login", data={"name": "an", "password": "sai-mat-khau", "next": "/"})
        assert r.status_code == 400
    r = client.post("/login", data={"name": "an", "password": PASSWORD, "next": "/"})
    assert r.status_code == 400  # locked even with the right password
    with web_store.db.read() as conn:
        actions = [r.action for r in conn.execute(select(s.audit.c.action))]
    assert actions.count("signin_failed") == tries and "signin_locked" in actions


def test_unknown_name_answers_like_a_wrong_password(client: TestClient, web_store: Store) -> None:
    add_user(web_store, "an", Role.OFFICER)
    a = client.post("/login", data={"name": "khong-co", "password": "x" * 12, "next": "/"})
    b = client.post("/login", data={"name": "an", "password": "x" * 12, "next": "/"})
    assert a.status_code == b.status_code == 400
    assert a.text.replace("khong-co", "") == b.text.replace('value="an"', 'value=""')


def test_security_headers_and_no_open_redirect(client: TestClient, web_store: Store) -> None:
    add_user(web_store, "an", Role.OFFICER)
    r = client.get("/login")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "unsafe-inline" not in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
    assert "<script>" not in r.text  # no inline script
    out = client.post("/login", data={"name": "an", "password": PASSWORD, "next": "//evil.example/x"})
    assert out.headers["location"] == "/"
