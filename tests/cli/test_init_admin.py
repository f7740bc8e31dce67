"""``publisher init --admin``, ``users add --password-stdin`` and ``users passwd``: signing in to the
web app starts from the command line (a one-time password printed once, never logged)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from publisher.core.people import Role
from publisher.settings import Settings
from publisher.store import Store
from publisher.store.users import Users
from publisher.store.web import WebRepo
from publisher.web.app import create_app
from tests.cli.conftest import Cli

A = "Nguyễn Văn A"
SHOWN = re.compile(r"^ {4}(\S{10,})$", re.M)


def _password(output: str) -> str:
    found = SHOWN.findall(output)
    assert len(found) == 1, output
    return found[0]


@pytest.fixture
def web(bare: Cli) -> Iterator[TestClient]:
    """The web app over the CLI's data directory (after ``init``)."""
    assert bare("init").exit_code == 0
    settings = Settings(_env_file=None, data_dir=bare.data, user="can-bo")
    store = Store(settings)
    store.init(create=False)
    with TestClient(create_app(settings, store), follow_redirects=False) as client:
        yield client
    store.db.dispose()


def _store(cli: Cli) -> Store:
    return Store(Settings(_env_file=None, data_dir=cli.data, user="can-bo"))


def test_init_without_admin_says_how_and_adds_nobody(bare: Cli) -> None:
    r = bare("init")
    assert r.exit_code == 0
    assert "publisher init --admin" in r.output
    assert Users(_store(bare).db).count() == 0


def test_init_prints_a_one_time_password_once(
    bare: Cli, web: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    r = bare("init", "--admin", A)
    assert r.exit_code == 0, r.output
    password = _password(r.output)
    assert "chỉ hiện lần này" in r.output
    users = Users(_store(bare).db)
    admin = users.get(A)
    assert admin is not None and admin.role == Role.ADMIN
    stored = WebRepo(users.db).password_hash(admin.id)
    # a second time does not replace it (and prints no password)
    again = bare("init", "--admin", "Người Khác")
    assert again.exit_code == 0 and "không đổi gì" in again.output
    assert not SHOWN.findall(again.output)
    assert WebRepo(users.db).password_hash(admin.id) == stored and users.get("Người Khác") is None
    # never logged: not in the log records, not in the log file, not in the audit trail
    assert not any(password in rec.getMessage() for rec in caplog.records)
    log = bare.data / "publisher.log"
    assert not log.exists() or password not in log.read_text(encoding="utf-8")
    # it signs in, and must be changed first
    login = web.post("/login", data={"name": A, "password": password, "next": "/"})
    assert login.status_code == 303
    assert web.get("/users").headers["location"] == "/password"


def test_init_admin_alone_takes_publisher_user(bare: Cli) -> None:
    assert bare("init").exit_code == 0
    r = bare("init", "--admin", PUBLISHER_USER="Trưởng Phòng")
    assert r.exit_code == 0, r.output
    _password(r.output)
    user = Users(_store(bare).db).get("trưởng phòng")
    assert user is not None and user.role == Role.ADMIN


def test_init_admin_with_admins_without_password_names_one_of_them(bare: Cli) -> None:
    assert bare("init").exit_code == 0
    assert bare("users", "add", A).exit_code == 0  # the first admin, from before the web app
    refused = bare("init", "--admin", "Người Khác")
    assert refused.exit_code == 2 and A in refused.output
    ok = bare("init", "--admin", "nguyễn văn a")
    assert ok.exit_code == 0
    _password(ok.output)


def test_users_add_password_stdin_then_sign_in(bare: Cli, web: TestClient) -> None:
    short = bare("users", "add", A, "--role", "admin", "--password-stdin", input="ngan\n")
    assert short.exit_code == 2 and "ít nhất 10 ký tự" in short.output
    empty = bare("users", "add", A, "--role", "admin", "--password-stdin", input="\n")
    assert empty.exit_code == 2 and "--password-stdin" in empty.output
    assert Users(_store(bare).db).count() == 0  # nothing added when refused
    secret = "mat khau cua A 2026"
    ok = bare("users", "add", A, "--role", "admin", "--password-stdin", input=secret + "\n")
    assert ok.exit_code == 0, ok.output
    assert secret not in ok.output
    r = web.post("/login", data={"name": A, "password": secret, "next": "/users"})
    assert r.status_code == 303 and r.headers["location"] == "/users"
    assert web.get("/users").status_code == 200  # no forced change: they chose it
    # without --password-stdin nothing about passwords changes
    assert bare("users", "add", "Trần B", "--by", A).exit_code == 0
    b = Users(_store(bare).db).get("Trần B")
    assert b is not None and WebRepo(_store(bare).db).password_hash(b.id) is None


def test_users_passwd_prints_a_one_time_password_and_ends_sessions(bare: Cli, web: TestClient) -> None:
    secret = "mat-khau-cua-a-2026"
    assert bare("users", "add", A, "--role", "admin", "--password-stdin", input=secret).exit_code == 0
    assert web.post("/login", data={"name": A, "password": secret, "next": "/"}).status_code == 303
    assert web.get("/users").status_code == 200
    r = bare("users", "passwd", A, "--by", A)
    assert r.exit_code == 0, r.output
    password = _password(r.output)
    assert web.get("/users").status_code == 303  # the open session ended
    assert web.post("/login", data={"name": A, "password": secret}).status_code == 400
    assert web.post("/login", data={"name": A, "password": password, "next": "/"}).status_code == 303
    assert web.get("/users").headers["location"] == "/password"
    unknown = bare("users", "passwd", "Không Ai", "--by", A)
    assert unknown.exit_code == 2 and "Không có người dùng" in unknown.output
