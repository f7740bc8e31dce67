"""The web app over a real SQLite store, driven with the framework's test client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from publisher.actions.signin import SignIn
from publisher.core.people import Role
from publisher.settings import Settings
from publisher.store import Store
from publisher.store.users import Users
from publisher.store.web import WebRepo
from publisher.web.app import create_app
from tests.conftest import make_settings

PASSWORD = "mat-khau-du-dai-1"


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def web_store(web_settings: Settings) -> Iterator[Store]:
    store = Store(web_settings)
    store.init(create=True)
    yield store
    store.db.engine.dispose()


def add_user(store: Store, name: str, role: Role, unit: str | None = None, password: str = PASSWORD) -> Any:
    users = Users(store.db)
    user, _ = users.add(name, role, unit, by="test")
    SignIn(users, WebRepo(store.db), store.settings).set_password(user, password, by="test")
    return user


@pytest.fixture
def client(web_settings: Settings, web_store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(web_settings, web_store), follow_redirects=False) as c:
        yield c


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html) or re.search(r'data-csrf="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Signs in; returns the CSRF token of the session."""
    r = client.post("/login", data={"name": name, "password": password, "next": "/password"})
    assert r.status_code == 303, r.text
    page = client.get("/password")
    assert page.status_code == 200
    return csrf_of(page.text)
