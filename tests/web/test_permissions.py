"""The permission table, exhaustively: every route of the app against every role."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from publisher.core.people import Role
from publisher.store import Store
from publisher.web.permissions import PERMISSIONS, PUBLIC, allowed
from publisher.web.routes import ROUTERS
from tests.web.conftest import add_user, sign_in

SAMPLE = {"key": "khong-co-bai", "index": "0", "account_id": "999", "provider": "google", "name": "x.html"}


def _all_routes(routes: list[Any]) -> list[APIRoute]:
    """The API routes, also inside included routers (FastAPI keeps those as a wrapper)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif getattr(route, "original_router", None) is not None:
            found += _all_routes(route.original_router.routes)
    return found


def _routes(client: TestClient) -> list[tuple[str, str, str]]:
    """(name, method, path with sample parameters) of every route of the app."""
    out = []
    for route in _all_routes([r for router in ROUTERS for r in router.routes]):
        path = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: SAMPLE.get(m.group(1), "1"), route.path)
        for method in sorted(route.methods - {"HEAD"}):
            out.append((route.name, method, path))
    return out


def test_every_route_is_in_the_table(client: TestClient) -> None:
    names = {name for name, _m, _p in _routes(client)}
    mirrored = {n for n in names if n.startswith("api_") and n[4:] in PERMISSIONS}
    assert names - set(PERMISSIONS) - PUBLIC - mirrored == set()
    assert len(names) >= 20


@pytest.mark.parametrize("role", list(Role))
def test_each_role_against_each_route(client: TestClient, web_store: Store, role: Role) -> None:
    add_user(web_store, f"nguoi-{role.value}", role)
    csrf = sign_in(client, f"nguoi-{role.value}")
    checked = 0
    for name, method, path in _routes(client):
        if name in PUBLIC or name == "logout":
            continue
        if method == "GET":
            r = client.get(path)
        else:
            r = client.request(method, path, data={"csrf": csrf}, headers={"X-CSRF-Token": csrf})
        if allowed(name, role):
            assert r.status_code != 403, (role, name, method, path)
        else:
            assert r.status_code == 403, (role, name, method, path, r.status_code)
        checked += 1
    assert checked >= 20


def test_without_a_session_every_private_route_sends_to_login(client: TestClient) -> None:
    for name, method, path in _routes(client):
        if name in PUBLIC:
            continue
        r = client.request(method, path)
        if path.startswith("/api/"):  # the API answers JSON, never a redirect
            assert r.status_code == 401 and r.json()["error"]["code"], (name, method, path)
        else:
            assert r.status_code == 303 and r.headers["location"].startswith("/login"), (name, method, path)


#: what the issue asks, written out: role -> the routes it must NOT reach
DENIED: dict[Role, set[str]] = {
    Role.OFFICER: {
        "users",
        "users_submit",
        "approvals",
        "post_approve",
        "post_reject",
        "pause_submit",
        "account_connect",
        "metrics",
    },
    Role.APPROVER: {"users", "users_submit", "metrics"},
    Role.ADMIN: set(),
}


@pytest.mark.parametrize("role", list(Role))
def test_the_table_says_what_the_roles_may_do(role: Role) -> None:
    denied = {name for name in PERMISSIONS if not allowed(name, role)}
    assert denied == DENIED[role]
