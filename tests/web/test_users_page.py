"""The users page: admins only; add (one-time password shown once), set role and unit, reset, disable."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from publisher.core.people import Role
from publisher.store import Store
from publisher.store import schema as s
from publisher.store.users import Users
from tests.web.conftest import PASSWORD, add_user, csrf_of, sign_in

ONE_TIME = re.compile(r'id="one-time-password">([^<]+)<')


def _other(client: TestClient) -> TestClient:
    """A second browser on the same app (another person's cookies)."""
    return TestClient(client.app, follow_redirects=False)


def _admin(client: TestClient, store: Store) -> str:
    add_user(store, "Quản Trị", Role.ADMIN)
    return sign_in(client, "quản trị")


def _post(client: TestClient, csrf: str, **form: str) -> Any:
    return client.post("/users", data={"csrf": csrf, **form})


def _one_time(html: str) -> str:
    found = ONE_TIME.search(html)
    assert found, "no one-time password in the page"
    return found.group(1)


@pytest.mark.parametrize("role", [Role.OFFICER, Role.APPROVER])
def test_only_an_admin_opens_the_users_page(client: TestClient, web_store: Store, role: Role) -> None:
    assert client.get("/users").status_code == 303  # no session: to the sign-in page
    add_user(web_store, "người thường", role)
    csrf = sign_in(client, "người thường")
    assert client.get("/users").status_code == 403
    r = client.post("/users", data={"csrf": csrf, "action": "add", "name": "Kẻ Lạ", "role": "admin"})
    assert r.status_code == 403
    assert Users(web_store.db).get("Kẻ Lạ") is None
    home = client.get("/password").text
    assert 'href="/users"' not in home  # not offered in the navigation either


def test_add_shows_a_one_time_password_once_and_it_must_be_changed(
    client: TestClient, web_store: Store
) -> None:
    csrf = _admin(client, web_store)
    r = _post(client, csrf, action="add", name="Trần Thị B", role="approver", unit="Xã Hạnh Dịch")
    assert r.status_code == 200, r.text
    password = _one_time(r.text)
    assert len(password) >= 10
    user = Users(web_store.db).get("trần thị b")
    assert user is not None and user.role == Role.APPROVER and user.unit == "Xã Hạnh Dịch"
    page = client.get("/users")
    assert password not in page.text and "one-time-password" not in page.text  # shown once only
    assert "Trần Thị B" in page.text and "Xã Hạnh Dịch" in page.text
    with web_store.db.read() as conn:
        details = [str(r.detail) for r in conn.execute(select(s.audit.c.detail))]
    assert not any(password in d for d in details)  # never in the audit trail
    # the new user signs in with it and must choose their own password before anything else
    b = _other(client)
    r = b.post("/login", data={"name": "Trần Thị B", "password": password, "next": "/"})
    assert r.status_code == 303
    assert b.get("/users").headers.get("location") == "/password"  # before any page
    b_csrf = csrf_of(b.get("/password").text)
    new = "mat-khau-cua-b-123"
    r = b.post("/password", data={"csrf": b_csrf, "current": password, "new": new, "repeat": new})
    assert r.status_code == 303
    assert b.get("/password").status_code == 200
    # a name taken already is refused (the row's controls change an existing user)
    again = _post(client, csrf, action="add", name="trần thị b", role="officer")
    assert again.status_code == 400 and "Đã có người dùng" in again.text
    assert "one-time-password" not in again.text


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "   ", "role": "officer"}, "không được để trống"),
        ({"name": "system", "role": "officer"}, "dành cho hệ thống"),
        ({"name": "An\u200bBình", "role": "officer"}, "ký tự điều khiển"),
        ({"name": "Lê Văn C", "role": "boss"}, "Vai trò “boss” không có"),
        ({"name": "Lê Văn C", "role": "officer", "unit": "x" * 101}, "Tên đơn vị quá dài"),
    ],
)
def test_bad_names_roles_and_units_are_told_in_the_form(
    client: TestClient, web_store: Store, form: dict[str, str], message: str
) -> None:
    csrf = _admin(client, web_store)
    r = _post(client, csrf, action="add", **form)
    assert r.status_code == 400
    assert message in r.text
    assert 'id="add-error"' in r.text and 'aria-invalid="true"' in r.text  # beside the add form
    assert "one-time-password" not in r.text
    assert [u.name for u in Users(web_store.db).all(include_disabled=True)] == ["Quản Trị"]


def test_set_role_and_unit(client: TestClient, web_store: Store) -> None:
    csrf = _admin(client, web_store)
    add_user(web_store, "Lê Văn C", Role.OFFICER)
    r = _post(client, csrf, action="set", name="Lê Văn C", role="approver", unit="Xã Đông")
    assert r.status_code == 200 and "Đã lưu Lê Văn C" in r.text
    user = Users(web_store.db).get("lê văn c")
    assert user is not None and (user.role, user.unit) == (Role.APPROVER, "Xã Đông")
    bad = _post(client, csrf, action="set", name="Lê Văn C", role="vua", unit="Xã Đông")
    assert bad.status_code == 400 and "Vai trò “vua” không có" in bad.text
    nobody = _post(client, csrf, action="set", name="Không Ai", role="officer", unit="")
    assert nobody.status_code == 400 and Users(web_store.db).get("Không Ai") is None
    last = _post(client, csrf, action="set", name="Quản Trị", role="officer", unit="")
    assert last.status_code == 400 and "quản trị cuối cùng" in last.text


def test_reset_gives_a_new_one_time_password_and_ends_the_sessions(
    client: TestClient, web_store: Store
) -> None:
    csrf = _admin(client, web_store)
    add_user(web_store, "Lê Văn C", Role.OFFICER)
    c = _other(client)
    sign_in(c, "Lê Văn C")
    assert c.get("/password").status_code == 200
    r = _post(client, csrf, action="reset", name="Lê Văn C")
    assert r.status_code == 200
    password = _one_time(r.text)
    assert c.get("/password").status_code == 303  # their session has ended
    assert c.post("/login", data={"name": "Lê Văn C", "password": PASSWORD}).status_code == 400
    r = c.post("/login", data={"name": "Lê Văn C", "password": password, "next": "/"})
    assert r.status_code == 303
    assert c.get("/users").headers.get("location") == "/password"  # must change it first
    assert password not in client.get("/users").text


def test_disable_ends_the_sessions_and_prevents_sign_in(client: TestClient, web_store: Store) -> None:
    csrf = _admin(client, web_store)
    add_user(web_store, "Lê Văn C", Role.OFFICER)
    c = _other(client)
    sign_in(c, "Lê Văn C")
    r = _post(client, csrf, action="disable", name="Lê Văn C")
    assert r.status_code == 200 and "Đã vô hiệu hóa Lê Văn C" in r.text
    assert c.get("/password").status_code == 303
    refused = c.post("/login", data={"name": "Lê Văn C", "password": PASSWORD, "next": "/"})
    assert refused.status_code == 400
    with web_store.db.read() as conn:
        open_sessions = conn.execute(
            select(s.web_sessions.c.id).where(s.web_sessions.c.revoked_at.is_(None))
        ).all()
    assert len(open_sessions) == 1  # only the admin's
    assert "đã vô hiệu hóa" in client.get("/users").text
    # enabled again, with the role and unit they had
    r = _post(client, csrf, action="enable", name="Lê Văn C", role="officer", unit="default")
    assert r.status_code == 200
    assert c.post("/login", data={"name": "Lê Văn C", "password": PASSWORD}).status_code == 303


def test_an_admin_cannot_reset_or_disable_themselves_here(client: TestClient, web_store: Store) -> None:
    csrf = _admin(client, web_store)
    for action in ("reset", "disable"):
        r = _post(client, csrf, action=action, name="quản trị")
        assert r.status_code == 400 and "chính mình" in r.text
    assert client.get("/users").status_code == 200  # still signed in
    assert _post(client, csrf, action="drop", name="x").status_code == 400


def test_the_list_shows_role_unit_state_and_last_sign_in(client: TestClient, web_store: Store) -> None:
    csrf = _admin(client, web_store)
    add_user(web_store, "Lê Văn C", Role.OFFICER, unit="Xã Đông")
    Users(web_store.db).add("Phạm D", Role.APPROVER, None, by="test")  # no password yet
    page = client.get("/users").text
    rows = {m.group(1): m.group(0) for m in re.finditer(r"<tr[^>]*>\s*<td[^>]*>([^<]+)<.*?</tr>", page, re.S)}
    assert "Xã Đông" in rows["Lê Văn C"] and "cán bộ" in rows["Lê Văn C"]
    assert "chưa đăng nhập" in rows["Lê Văn C"]
    assert "chưa có mật khẩu" in rows["Phạm D"]
    assert "chưa đăng nhập" not in rows["Quản Trị "]  # signed in just now
    assert csrf in page


def test_english_labels(client: TestClient, web_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    _admin(client, web_store)
    monkeypatch.setattr("publisher.i18n._language", "en")
    page = client.get("/users").text
    assert "Add a user" in page and "Give a new one-time password" not in page  # only yourself listed
